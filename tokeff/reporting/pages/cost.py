"""Cost page: the cost-model table, whatever columns the run wrote.

The cost model may list one row per tokenizer, or one per (tokenizer, model size). In the latter
case each model size gets its own table, and columns that are the same for every row of a table
(layers, width, the training text assumed) move into the table's caption, so the columns left are
the ones that differ between tokenizers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import fmt
from ..blocks import Paragraph, Section, Table
from ..data import ReportData

MAX_COLS = 11


def _is_share(name: str, values: pd.Series) -> bool:
    """Columns named share/fraction holding values in [0, 1] read better as percentages."""
    lowered = name.lower()
    if not any(w in lowered for w in ("share", "fraction")):
        return False
    v = pd.to_numeric(values, errors="coerce").dropna()
    return bool(len(v)) and bool(((v >= 0) & (v <= 1)).all())


def _counts(values: pd.Series) -> bool:
    """Whole numbers small enough to write out in full (``50,257``), decided per column so a
    column never mixes ``196,608`` with ``3.86×10⁷``."""
    v = pd.to_numeric(values, errors="coerce").dropna()
    return bool(len(v)) and bool((v == v.round()).all()) and float(v.abs().max()) < 1e7


def _cell(value: object, column: str, values: pd.Series) -> str:
    if fmt.is_missing(value):
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    if _is_share(column, values):
        return fmt.pct(float(value))  # type: ignore[arg-type]
    if _counts(values):
        return fmt.count(value)
    big = pd.to_numeric(values, errors="coerce").abs().max()
    # One style per column: 196,608 next to 3.86×10⁷ would hide which is larger.
    return fmt.sci(value) if big >= 1e7 else fmt.num(value)


def _group_column(cost: pd.DataFrame, key: str) -> str | None:
    """A text column (e.g. ``model``) that splits the rows into one table per value."""
    for c in cost.columns:
        if c == key or pd.api.types.is_numeric_dtype(cost[c]) or pd.api.types.is_bool_dtype(cost[c]):
            continue
        if cost[c].nunique() > 1 and cost.groupby(c)[key].nunique().min() > 1:
            return c
    return None


def _tables(d: ReportData, cost: pd.DataFrame, key: str, caption: str) -> list[Table]:
    constant = [c for c in cost.columns if c != key and cost[c].nunique(dropna=False) == 1 and len(cost) > 1]
    varying = [c for c in cost.columns if c != key and c not in constant]
    facts = "  ·  ".join(f"{fmt.column_title(c)} = {_cell(cost[c].iloc[0], c, cost[c])}" for c in constant)
    full = caption + (f" ({facts})" if facts else "")
    tables = []
    n = max(1, -(-len(varying) // MAX_COLS))
    per = max(1, -(-len(varying) // n))
    for i in range(0, max(len(varying), 1), per):
        cols = varying[i : i + per]
        header = [fmt.column_title(key)] + [fmt.column_title(c) for c in cols]
        rows = []
        for _, r in cost.iterrows():
            name = str(r[key])
            rows.append([d.label(name) if key == "tokenizer" else name] + [_cell(r[c], c, cost[c]) for c in cols])
        tables.append(Table(header, rows, caption=full if i == 0 else f"{caption} (continued)"))
    return tables


def cost_page(d: ReportData) -> Section | None:
    """The cost model: per tokenizer, what training and serving cost given its compression."""
    cost = d.cost
    if cost is None:
        return None
    cost = cost.copy()
    key = "tokenizer" if "tokenizer" in cost.columns else cost.columns[0]
    if key == "tokenizer":
        order = d.ordered(set(cost["tokenizer"].astype(str)))
        cost["_rank"] = cost["tokenizer"].astype(str).map({t: i for i, t in enumerate(order)})
        cost = cost.sort_values("_rank", kind="stable").drop(columns="_rank")
    section = Section("cost", "Cost model",
                      subtitle="What each tokenizer's compression means for training and serving a model. Units are "
                               "in the column names; percentages are shares of the model's parameters or FLOPs.")
    section.blocks.append(Paragraph(
        "Compute scales with the number of tokens: a tokenizer that needs fewer tokens for the same text trains and "
        "serves for less, while a larger vocabulary moves parameters into the embedding table.", muted=True))
    group = _group_column(cost, key)
    if group is None:
        section.blocks += _tables(d, cost, key, "Per tokenizer")
    else:
        for value, sub in cost.groupby(group, sort=False):
            section.blocks += _tables(d, sub.drop(columns=group), key, f"{fmt.column_title(group)} {value}")
    return section
