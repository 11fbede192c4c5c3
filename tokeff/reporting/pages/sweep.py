"""Vocabulary-size sweep page: compression (and bits per byte) against vocabulary size."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from ..blocks import Chart, Section, Table
from ..canvas import axes_in, footnote, new_page
from ..charts import light_grid
from ..data import ReportData
from ..findings import ci_level
from ..style import INK, MARGIN_BOTTOM, MARGIN_X, PAGE_W

LINESTYLES = ["-", "--", ":", "-."]


def _vocab_label(v: float) -> str:
    """``4096`` → ``4k``; exact powers of two read better as k than as 4,096."""
    return f"{v / 1024:g}k" if v >= 1024 and v % 1024 == 0 else f"{v:,.0f}"


def _panel(ax: Axes, d: ReportData, metric: str, sweep: list[tuple[str, int]], corpora: list[str]) -> None:
    """One line per corpus across the sweep; markers in each tokenizer's colour."""
    for k, corpus in enumerate(corpora):
        rows = d.rows(metric, corpus, "all").drop_duplicates("tokenizer").set_index("tokenizer")
        pts = [(v, rows.loc[t]) for t, v in sweep if t in rows.index]
        if not pts:
            continue
        xs = np.array([v for v, _ in pts], dtype=float)
        ys = np.array([r["value"] for _, r in pts], dtype=float)
        lo = np.array([r["ci_low"] for _, r in pts], dtype=float)
        hi = np.array([r["ci_high"] for _, r in pts], dtype=float)
        ax.plot(xs, ys, color=INK, lw=1.2, ls=LINESTYLES[k % len(LINESTYLES)], label=corpus, zorder=2)
        if np.isfinite(lo).any():
            ax.fill_between(xs, np.where(np.isfinite(lo), lo, ys), np.where(np.isfinite(hi), hi, ys),
                            color="#999999", alpha=0.25, lw=0, zorder=1)
        for (v, r), (t, _) in zip(pts, [p for p in sweep if p[0] in rows.index]):
            ax.plot([v], [r["value"]], marker=d.marker(t), color=d.colour(t), ms=9, zorder=3,
                    markeredgecolor="white", markeredgewidth=0.5)
    ax.set_xscale("log", base=2)
    vocab = sorted({v for _, v in sweep})
    ax.xaxis.set_major_locator(FixedLocator(vocab))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _vocab_label(v)))
    ax.set_xlim(vocab[0] / 1.4, vocab[-1] * 1.4)
    ax.set_xlabel("vocabulary size (tokens, log₂ scale)")
    ax.set_ylabel(d.axis_label(metric))
    light_grid(ax, "both")
    if len(corpora) > 1:
        ax.legend(title="corpus", frameon=False, loc="best")


def sweep_page(d: ReportData) -> Section | None:
    """Bytes per token, and bits per byte when trained, against a log₂ vocabulary size axis."""
    sw = d.run.sweep or {}
    sweep = [(str(t["name"]), int(t["vocab_size"])) for t in sw.get("tokenizers") or []
             if t.get("name") and t.get("vocab_size")]
    sweep.sort(key=lambda p: p[1])
    if len(sweep) < 2:
        return None
    names = {t for t, _ in sweep}
    metrics = [m for m in ("bytes_per_token", "bits_per_byte")
               if d.rows(m, language="all")["tokenizer"].isin(names).any()]
    if not metrics:
        return None
    section = Section("sweep", "Vocabulary-size sweep")
    base = sw.get("base")
    subtitle = (f"The same tokenizer recipe{f' ({base})' if base else ''} trained at several vocabulary sizes. "
                "Bigger vocabularies compress more, but each step buys less, and the embedding table grows.")
    fig, top = new_page(section.title, subtitle)
    note_h = footnote(fig, [f"Shaded band: {ci_level(d)}. Marker colours are the tokenizers' colours on every page."],
                      bottom=MARGIN_BOTTOM + 0.2)
    bottom = MARGIN_BOTTOM + 0.2 + note_h + 0.6
    gap = 1.0
    left = MARGIN_X + 0.7
    width = (PAGE_W - MARGIN_X - left - gap * (len(metrics) - 1)) / len(metrics)
    height = min(top - bottom - 0.2, 4.8)
    for k, metric in enumerate(metrics):
        corpora = d.corpora_with(metric)
        ax = axes_in(fig, left + k * (width + gap), top - 0.2 - height, width, height)
        _panel(ax, d, metric, sweep, corpora)
        better = "higher is better" if metric == "bytes_per_token" else "lower is better"
        ax.set_title(f"{'compression' if metric == 'bytes_per_token' else 'model quality'} ({better})", loc="left",
                     fontsize=10, fontweight="bold")
    section.blocks.append(Chart(fig, "fig_sweep.png", caption="Vocabulary-size sweep"))
    header = ["tokenizer", "vocabulary size"]
    cols = []
    for metric in metrics:
        for corpus in d.corpora_with(metric):
            cols.append((metric, corpus))
            header.append(f"{corpus}: {d.axis_label(metric)}")
    rows = []
    for t, v in sweep:
        row = [d.label(t), f"{v:,}"]
        row += [d.cell(metric, corpus, "all", t) for metric, corpus in cols]
        rows.append(row)
    section.blocks.append(Table(header, rows, where="md"))
    return section
