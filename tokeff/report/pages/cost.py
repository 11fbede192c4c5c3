"""Cost page: the cost-model table, whatever columns the run wrote."""

from __future__ import annotations

import pandas as pd

from .. import fmt
from ..blocks import Paragraph, Section, Table
from ..data import ReportData

MAX_COLS = 8


def _is_share(name: str, values: pd.Series) -> bool:
    """Columns named share/fraction holding values in [0, 1] read better as percentages."""
    lowered = name.lower()
    if not any(w in lowered for w in ("share", "fraction", "ratio_pct")):
        return False
    v = pd.to_numeric(values, errors="coerce").dropna()
    return bool(len(v)) and bool(((v >= 0) & (v <= 1)).all())


def _cell(value: object, share: bool, integer: bool) -> str:
    if fmt.is_missing(value):
        return "–"
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return value
    if share:
        return fmt.pct(float(value))
    if integer:
        return fmt.count(value)
    return fmt.num(value)


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
    others = [c for c in cost.columns if c != key]
    section = Section("cost", "Cost model",
                      subtitle="What each tokenizer's compression means for training and serving a model. "
                               "Units are in the column names; percentages are shares of the model's total.")
    for i in range(0, max(len(others), 1), MAX_COLS):
        cols = others[i : i + MAX_COLS]
        header = [fmt.column_title(key)] + [fmt.column_title(c) for c in cols]
        rows = []
        for _, r in cost.iterrows():
            name = str(r[key])
            row = [d.label(name) if key == "tokenizer" else name]
            for c in cols:
                numeric = pd.api.types.is_numeric_dtype(cost[c])
                integer = pd.api.types.is_integer_dtype(cost[c]) and numeric
                row.append(_cell(r[c], _is_share(c, cost[c]), integer))
            rows.append(row)
        section.blocks.append(Table(header, rows))
    section.blocks.append(Paragraph(
        "Compute scales with the number of tokens: a tokenizer that needs fewer tokens for the same text trains and "
        "serves for less, while a larger vocabulary moves parameters into the embedding table.", muted=True))
    return section
