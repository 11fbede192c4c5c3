"""Compression pages: bytes per token per tokenizer and corpus, and token-length histograms."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .. import fmt
from ..blocks import Chart, Paragraph, Section, Table
from ..canvas import axes_in, footnote, new_page
from ..charts import label_width, legend_right, legend_width, light_grid, sorted_by, xerr
from ..data import ReportData
from ..findings import baseline, ci_level
from ..style import MARGIN_BOTTOM, MARGIN_X, PAGE_W

MAX_PANELS = 3


def _chunks(items: list[str], n: int) -> list[list[str]]:
    return [items[i : i + n] for i in range(0, len(items), n)] or [[]]


def _bars_figure(d: ReportData, corpora: list[str], order: list[str], title: str, subtitle: str) -> Figure:
    """One row of panels (one per corpus), tokenizers as horizontal bars, best on top."""
    fig, top = new_page(title, subtitle)
    notes = [f"Bars: whole corpus; black lines: {ci_level(d)}. Tokenizers are sorted by their mean over all corpora; "
             "panels share one scale so corpora compare too."]
    note_h = footnote(fig, notes, bottom=MARGIN_BOTTOM + 0.2)
    size = 8.5 if len(order) <= 14 else 7
    left = MARGIN_X + label_width([d.label(t) for t in order], size) + 0.15
    bottom = MARGIN_BOTTOM + 0.2 + note_h + 0.55
    avail_h = top - bottom - 0.3
    # Bars keep a readable thickness: a handful of tokenizers should not fill the page.
    height = min(avail_h, (0.5 if len(order) <= 6 else 0.38) * len(order) + 0.3)
    y0 = top - 0.3 - height
    gap = 0.35
    width = (PAGE_W - MARGIN_X - left - gap * (len(corpora) - 1)) / len(corpora)
    y = np.arange(len(order))[::-1]
    # One x scale for every panel on the page: the longest bar (or CI) sets it.
    shown = d.rows("bytes_per_token", language="all")
    shown = shown[shown["corpus"].isin(corpora)]
    hi = float(np.nanmax(np.fmax(shown["value"].to_numpy(float), shown["ci_high"].to_numpy(float))))
    for k, corpus in enumerate(corpora):
        ax = axes_in(fig, left + k * (width + gap), y0, width, height)
        rows = d.rows("bytes_per_token", corpus, "all").drop_duplicates("tokenizer").set_index("tokenizer")
        present = [t for t in order if t in rows.index]
        sub = rows.loc[present].reset_index()
        ys = np.array([y[order.index(t)] for t in present])
        ax.barh(ys, sub["value"], color=[d.colour(t) for t in present], height=0.7, zorder=2)
        err = xerr(sub)
        if err is not None:
            ax.errorbar(sub["value"], ys, xerr=err, fmt="none", ecolor="black", elinewidth=0.9, capsize=2.5, zorder=3)
        for yy, (_, r) in zip(ys, sub.iterrows()):
            end = r["ci_high"] if np.isfinite(r["ci_high"]) else r["value"]
            ax.text(end + hi * 0.02, yy, fmt.num(r["value"]), va="center", fontsize=size - 0.5)
        ax.set_xlim(0, hi * 1.18)
        ax.set_ylim(-0.6, len(order) - 0.4)
        ax.set_yticks(y)
        ax.set_yticklabels([d.label(t) for t in order] if k == 0 else [], fontsize=size)
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel(d.axis_label("bytes_per_token"))
        ax.set_title(corpus, loc="left", fontsize=10, fontweight="bold")
        light_grid(ax)
    return fig


def compression_page(d: ReportData) -> Section | None:
    """Bytes per token (with CIs) per tokenizer, one panel per corpus."""
    corpora = d.corpora_with("bytes_per_token")
    if not corpora:
        return None
    means = d.rows("bytes_per_token", language="all").groupby("tokenizer")["value"].mean().to_dict()
    order = sorted_by(d, means, descending=True)
    section = Section("compression", "Compression: bytes per token")
    subtitle = ("How many bytes of UTF-8 text one token covers, on average. Higher is better: fewer tokens for the "
                "same text means less compute per byte and more text per context window.")
    for i, chunk in enumerate(_chunks(corpora, MAX_PANELS)):
        png = "fig_compression.png" if i == 0 else f"fig_compression_{i + 1}.png"
        fig = _bars_figure(d, chunk, order, section.title, subtitle)
        section.blocks.append(Chart(fig, png, caption="Bytes per token per tokenizer and corpus"))
    metrics = ["bytes_per_token", "chars_per_token", "normalized_sequence_length"]
    header = ["tokenizer"]
    cols = []
    for corpus in corpora:
        for m in metrics:
            if not d.rows(m, corpus, "all").empty:
                cols.append((corpus, m))
                header.append(f"{corpus}: {d.axis_label(m)}")
    rows = []
    for t in order:
        row = [d.label(t)]
        row += [d.cell(m, corpus, "all", t) for corpus, m in cols]
        rows.append(row)
    section.blocks.append(Table(header, rows, caption=f"Values with {ci_level(d)} in parentheses", where="md"))
    if d.has("normalized_sequence_length"):
        base = baseline(d)
        section.blocks.append(Paragraph(
            "Normalized sequence length is the number of tokens relative to the baseline tokenizer"
            + (f" ({d.label(base)})" if base else "") + "; below 1 means shorter sequences.", muted=True, where="md"))
    return section


def token_length_page(d: ReportData) -> Section | None:
    """Histogram of token lengths in bytes: where the compression comes from."""
    tl = d.token_lengths
    if tl is None or not {"tokenizer", "token_bytes", "count"} <= set(tl.columns):
        return None
    if "corpus" not in tl.columns:
        tl = tl.assign(corpus="")
    corpora = [c for c in d.corpora if c in set(tl["corpus"])] + sorted(set(tl["corpus"]) - set(d.corpora))
    section = Section("token_lengths", "Token lengths")
    subtitle = ("Share of the tokens in the text that are 1, 2, 3, … bytes long. Mass further right means longer "
                "tokens and fewer of them per byte.")
    tokenizers = d.ordered(set(tl["tokenizer"].astype(str)))
    cap = 16  # longer tokens are pooled so one rare 40-byte token does not stretch the axis
    for i, chunk in enumerate(_chunks(corpora, MAX_PANELS)):
        fig, top = new_page(section.title, subtitle)
        note_h = footnote(fig, [f"Tokens longer than {cap} bytes are counted at {cap}."], bottom=MARGIN_BOTTOM + 0.2)
        leg_w = legend_width(d, tokenizers)
        bottom = MARGIN_BOTTOM + 0.2 + note_h + 0.55
        gap = 0.7
        left = MARGIN_X + 0.55
        width = (PAGE_W - MARGIN_X - leg_w - left - gap * len(chunk)) / len(chunk)
        height = min(top - bottom - 0.3, 4.6)
        for k, corpus in enumerate(chunk):
            ax = axes_in(fig, left + k * (width + gap), top - 0.3 - height, width, height)
            sub = tl[tl["corpus"] == corpus]
            for t in tokenizers:
                s = sub[sub["tokenizer"].astype(str) == t]
                if s.empty:
                    continue
                counts = s.groupby(s["token_bytes"].clip(upper=cap))["count"].sum()
                share = 100 * counts / counts.sum()
                ax.plot(share.index, share.to_numpy(), color=d.colour(t), marker=d.marker(t), ms=3.5, lw=1.4)
            ax.set_xlabel("token length (bytes)")
            ax.set_ylabel("share of tokens (%)")
            ax.set_xticks(range(1, cap + 1, 1 if width > 3 else 3))
            ax.set_xlim(0.5, cap + 0.5)
            ax.set_ylim(bottom=0)
            ax.set_title(corpus or "all corpora", loc="left", fontsize=10, fontweight="bold")
            light_grid(ax, "y")
        legend_right(fig, d, tokenizers, PAGE_W - MARGIN_X - leg_w + 0.1, top - 0.3, line=True)
        png = "fig_token_lengths.png" if i == 0 else f"fig_token_lengths_{i + 1}.png"
        section.blocks.append(Chart(fig, png, caption="Token length histogram"))
    return section
