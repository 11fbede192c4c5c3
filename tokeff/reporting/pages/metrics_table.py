"""Metrics table page: every whole-corpus metric, tokenizer × metric, units in the headers."""

from __future__ import annotations

import math

from ..blocks import Paragraph, Section, Table
from ..data import CHAR_SEGMENTATION, ReportData, metric_label, metric_sort_key, metric_value

MAX_COLS = 9


def metrics_table_page(d: ReportData) -> Section | None:
    """All metrics of each corpus (language ``all``) as tables; per-language values are in the CSV."""
    m = d.metrics[(d.metrics["language"] == "all") & d.metrics["value"].notna()]
    if m.empty:
        return None
    section = Section("metrics", "All metrics",
                      subtitle="Whole-corpus values of every metric in this run. Per-language values and confidence "
                               "intervals are in metrics.csv (and metrics.parquet).")
    dagger = False
    for corpus in d.corpora:
        sub = m[m["corpus"] == corpus]
        if sub.empty:
            continue
        metrics = sorted(sub["metric"].unique(), key=metric_sort_key)
        order = d.ordered(set(sub["tokenizer"]))
        # Balanced chunks: 10 metrics make tables of 5 and 5, not 9 and a lonely 1.
        per = math.ceil(len(metrics) / math.ceil(len(metrics) / MAX_COLS))
        for i in range(0, len(metrics), per):
            cols = metrics[i : i + per]
            header = ["tokenizer"]
            for metric in cols:
                unit = d.unit(metric)
                header.append(f"{metric_label(metric)}\n({unit})" if unit else metric_label(metric))
            rows = []
            for t in order:
                row = [d.label(t)]
                for metric in cols:
                    r = d.value(metric, corpus, "all", t)
                    if r is None:
                        row.append("–")
                        continue
                    mark = CHAR_SEGMENTATION in str(r["note"])
                    dagger |= mark
                    row.append(metric_value(metric, r["value"]) + ("†" if mark else ""))
                rows.append(row)
            part = f" ({i // per + 1} of {math.ceil(len(metrics) / per)})" if len(metrics) > per else ""
            section.blocks.append(Table(header, rows, caption=f"{corpus}{part}"))
    if dagger:
        section.blocks.append(Paragraph("† some or all words counted as characters (scripts written without spaces).",
                                        muted=True))
    return section
