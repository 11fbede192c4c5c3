"""Parity page: the token premium each language pays, per tokenizer, on parallel corpora."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from ..blocks import Chart, Paragraph, Section, Table
from ..canvas import axes_in, footnote, new_page
from ..charts import label_width, legend_right, legend_width
from ..data import ReportData
from ..findings import ci_level, premium_rows
from ..style import MARGIN_BOTTOM, MARGIN_X, MUTED, PAGE_W

MAX_ROWS = 45


def _log_ticks(lo: float, hi: float) -> list[float]:
    """Readable ticks for a log axis of premiums (1, 1.5, 2, 3, 5, 10, ...)."""
    steps = [1, 1.5, 2, 3, 5, 7]
    ticks = []
    for decade in range(int(math.floor(math.log10(lo))) - 1, int(math.ceil(math.log10(hi))) + 1):
        ticks += [s * 10**decade for s in steps]
    ticks = [t for t in ticks if lo <= t <= hi]
    return ticks if len(ticks) <= 12 else ticks[::2]


def _figure(d: ReportData, corpus: str, langs: list[str], tokenizers: list[str], title: str, subtitle: str,
            log: bool, xlim: tuple[float, float]) -> Figure:
    """A dot plot of one parallel corpus: languages down, premium across, a marker per tokenizer."""
    rows = premium_rows(d, corpus)
    ref = d.reference_language(corpus)
    fig, top = new_page(title, subtitle)
    notes = [f"Each marker is one tokenizer; horizontal lines are {ci_level(d)}s. Languages are sorted by their mean "
             "premium over the tokenizers, highest first. The reference language is not shown (its premium is 1 by "
             "definition)."]
    note_h = footnote(fig, notes, bottom=MARGIN_BOTTOM + 0.2)
    labels = [d.lang(x) for x in langs]
    size = 8 if len(langs) <= 30 else 7
    left = MARGIN_X + label_width(labels, size) + 0.15
    leg_w = legend_width(d, tokenizers)
    bottom = MARGIN_BOTTOM + 0.2 + note_h + 0.55
    height = min(top - bottom - 0.25, 0.32 * len(langs) * max(1, len(tokenizers) / 4) + 0.4)
    ax = axes_in(fig, left, top - 0.25 - height, PAGE_W - MARGIN_X - leg_w - left - 0.2, height)
    n = len(tokenizers)
    band = 0.7
    offsets = np.linspace(-band / 2, band / 2, n) if n > 1 else np.zeros(1)
    ypos = {lang: len(langs) - 1 - i for i, lang in enumerate(langs)}
    for i in range(len(langs)):
        if i % 2 == 0:
            ax.axhspan(i - 0.5, i + 0.5, color="#f4f4f4", lw=0, zorder=0)
    ms = 6 if len(langs) * n <= 120 else 4.5
    for k, t in enumerate(tokenizers):
        sub = rows[(rows["tokenizer"] == t) & rows["language"].isin(langs)].drop_duplicates("language")
        ys = np.array([ypos[x] for x in sub["language"]]) + offsets[n - 1 - k]
        lo = (sub["value"] - sub["ci_low"]).to_numpy(float)
        hi = (sub["ci_high"] - sub["value"]).to_numpy(float)
        if np.isfinite(lo).any():
            ax.errorbar(sub["value"], ys, xerr=np.vstack([np.nan_to_num(lo), np.nan_to_num(hi)]), fmt="none",
                        ecolor=d.colour(t), elinewidth=0.8, alpha=0.8, zorder=2)
        ax.plot(sub["value"], ys, linestyle="none", marker=d.marker(t), color=d.colour(t), ms=ms,
                markeredgecolor="white", markeredgewidth=0.4, zorder=3)
    ax.axvline(1.0, color="black", lw=1.1, zorder=1)
    ax.text(1.0, len(langs) - 0.45, f"  1.0 = {d.lang(ref) if ref else 'reference'}", fontsize=7.5, color=MUTED,
            va="bottom", ha="left")
    ax.set_yticks(range(len(langs)))
    ax.set_yticklabels(labels[::-1], fontsize=size)
    ax.set_ylim(-0.5, len(langs) - 0.5)
    ax.tick_params(axis="y", length=0)
    if log:
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(FixedLocator(_log_ticks(*xlim)))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_xlim(*xlim)
    ax.grid(True, axis="x", color="#dddddd", lw=0.6)
    ax.set_axisbelow(True)
    unit = d.unit("premium")
    ax.set_xlabel(f"premium: tokens relative to {d.lang(ref) if ref else 'the reference language'} for the same content"
                  + (f" ({unit}{', log scale' if log else ''})" if unit or log else ""))
    legend_right(fig, d, tokenizers, PAGE_W - MARGIN_X - leg_w + 0.1, top - 0.25)
    return fig


def parity_page(d: ReportData) -> Section | None:
    """Dot plot of premiums per language (sorted), one marker per tokenizer, reference at 1.0."""
    corpora = [c for c in d.corpora_with("premium", language=None) if not premium_rows(d, c).empty]
    if not corpora:
        return None
    section = Section("parity", "Parity: the premium each language pays")
    subtitle = ("Tokens a language needs for the same content as the reference language (parallel corpus). "
                "A premium of 2× costs twice as much to process and fits half as much text in a context window.")
    for corpus in corpora:
        rows = premium_rows(d, corpus)
        tokenizers = d.ordered(set(rows["tokenizer"]))
        langs = list(rows.groupby("language")["value"].mean().sort_values(ascending=False).index)
        lo = float(np.nanmin(np.fmin(rows["value"], rows["ci_low"].fillna(rows["value"]))))
        hi = float(np.nanmax(np.fmax(rows["value"], rows["ci_high"].fillna(rows["value"]))))
        lo, hi = min(lo, 1.0), max(hi, 1.0)
        log = hi / max(lo, 1e-9) > 3
        xlim = (lo / 1.12, hi * 1.12) if log else (max(0.0, lo - 0.08 * (hi - lo)), hi + 0.08 * (hi - lo))
        pages = max(1, math.ceil(len(langs) / MAX_ROWS))
        per = math.ceil(len(langs) / pages)
        for p in range(pages):
            title = f"{section.title} — {corpus}" + (f" ({p + 1} of {pages})" if pages > 1 else "")
            fig = _figure(d, corpus, langs[p * per : (p + 1) * per], tokenizers, title, subtitle, log, xlim)
            png = f"fig_parity_{corpus}.png" if pages == 1 else f"fig_parity_{corpus}_{p + 1}.png"
            section.blocks.append(Chart(fig, _safe(png), caption=f"Premium per language on {corpus}"))
        table_rows = []
        for lang in langs:
            cells = [d.lang(lang)]
            cells += [d.cell("premium", corpus, lang, t, with_ci=False) for t in tokenizers]
            table_rows.append(cells)
        unit = d.unit("premium")
        section.blocks.append(Table(["language"] + [d.label(t) for t in tokenizers], table_rows,
                                    caption=f"Premium on {corpus}" + (f" ({unit})" if unit else "")
                                    + f", relative to {d.lang(d.reference_language(corpus))}", where="md"))
    if len(corpora) == 1 and len(section.blocks) == 2:
        section.blocks[0].png = "fig_parity.png"
    section.blocks.append(Paragraph("Values above 1 mean the language needs more tokens than the reference.",
                                    muted=True, where="md"))
    return section


def _safe(name: str) -> str:
    """A file name from a corpus name (corpus names may contain ``/`` or spaces)."""
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name)
