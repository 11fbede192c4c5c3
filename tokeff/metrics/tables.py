"""Pivots of the tidy metrics table, for notebooks and reports.

The tidy table (:data:`tokeff.results.METRIC_COLUMNS`) has one row per number; people read
tables. These helpers only reshape and format: they never compute a metric.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from ..pipeline import Run

_ALL = "all"


def format_value(value: float, low: float = math.nan, high: float = math.nan, digits: int = 3) -> str:
    """``"1.234 [1.201, 1.266]"``; without an interval just the value; ``"–"`` for NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if abs(value) >= 10 ** 6 or (float(value).is_integer() and abs(value) >= 1000):
        text = f"{value:,.0f}"
    else:
        text = f"{value:.{digits}f}"
    if low is not None and high is not None and not (math.isnan(low) or math.isnan(high)):
        text += f" [{low:.{digits}f}, {high:.{digits}f}]"
    return text


def _table(df: "pd.DataFrame | Run") -> pd.DataFrame:
    """The tidy table of a :class:`~tokeff.pipeline.Run`, or the table itself."""
    from ..pipeline import Run

    return df.metrics if isinstance(df, Run) else df


def _select(df: "pd.DataFrame | Run", corpus: str | None) -> pd.DataFrame:
    df = _table(df)
    if corpus is None:
        corpora = df["corpus"].unique()
        if len(corpora) > 1:
            raise ValueError(f"the table holds several corpora ({', '.join(map(str, corpora))}); pass corpus=")
        return df
    return df[df["corpus"] == corpus]


def premium_table(df: "pd.DataFrame | Run", *, corpus: str | None = None, ci: bool = False,
                  digits: int = 2) -> pd.DataFrame:
    """Tokenizer × language table of premiums (Petrov et al. 2023), columns in the order of
    the reference first then by median premium, rows in the tokenizers' order of appearance.

    ``ci=True`` gives formatted strings with intervals; otherwise floats (NaN = dropped pair).
    """
    d = _select(df, corpus)
    d = d[d["metric"] == "premium"]
    if d.empty:
        return pd.DataFrame()
    order = list(dict.fromkeys(d["tokenizer"]))
    values = d.pivot(index="tokenizer", columns="language", values="value").reindex(order)
    ref = [lang for lang in values.columns if (values[lang].dropna() == 1.0).all() and values[lang].notna().any()]
    rest = values.drop(columns=ref).median().sort_values(na_position="last").index.tolist()
    columns = ref + rest
    values = values[columns]
    if not ci:
        values.columns.name = "premium vs " + ", ".join(ref) if ref else "premium"
        return values
    lo = d.pivot(index="tokenizer", columns="language", values="ci_low").reindex(order)[columns]
    hi = d.pivot(index="tokenizer", columns="language", values="ci_high").reindex(order)[columns]
    out = pd.DataFrame({c: [format_value(v, a, b, digits) for v, a, b in zip(values[c], lo[c], hi[c])]
                        for c in columns}, index=values.index)
    out.columns.name = values.columns.name
    return out


def metric_table(df: "pd.DataFrame | Run", metrics: Sequence[str] | None = None, *, language: str = _ALL,
                 corpus: str | None = None, ci: bool = True, digits: int = 3) -> pd.DataFrame:
    """Tokenizer × metric table for one language (``"all"`` by default) of a tidy table or a
    :class:`~tokeff.pipeline.Run`; headers carry units,
    e.g. ``bytes_per_token (UTF-8 bytes / token)``.

    ``ci=True`` formats each cell as ``value [low, high]`` (strings); ``ci=False`` gives floats.
    """
    d = _select(df, corpus)
    d = d[d["language"] == language]
    if metrics is not None:
        d = d[d["metric"].isin(list(metrics))]
    if d.empty:
        return pd.DataFrame()
    metric_order = list(metrics) if metrics is not None else list(dict.fromkeys(d["metric"]))
    metric_order = [m for m in metric_order if m in set(d["metric"])]
    tok_order = list(dict.fromkeys(d["tokenizer"]))
    units = d.drop_duplicates("metric").set_index("metric")["unit"]
    header = {m: f"{m} ({units[m]})" if units[m] else m for m in metric_order}
    d = d.set_index(["tokenizer", "metric"])
    cells = {}
    for m in metric_order:
        col = []
        for t in tok_order:
            if (t, m) not in d.index:
                col.append("–" if ci else math.nan)
                continue
            r = d.loc[(t, m)]
            col.append(format_value(r["value"], r["ci_low"], r["ci_high"], digits) if ci else r["value"])
        cells[header[m]] = col
    return pd.DataFrame(cells, index=pd.Index(tok_order, name="tokenizer"))
