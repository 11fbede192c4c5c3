"""Fertility page: tokens per word and continued-word rate, tokenizer × language heatmaps."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .. import fmt
from ..blocks import Chart, Paragraph, Section, Table
from ..canvas import axes_in, footnote, new_page, text_width
from ..charts import label_width
from ..data import CHAR_SEGMENTATION, ReportData, metric_label
from ..style import MARGIN_BOTTOM, MARGIN_X, PAGE_W

METRICS = ["fertility", "continued_word_rate"]
MAX_ROWS = 42
DAGGER = "†"
#: Marks a cell whose (corpus, language, tokenizer) the run left out of some results.
DDAGGER = "‡"


def _row_keys(d: ReportData) -> list[tuple[str, str]]:
    """(corpus, language) rows: every language of a corpus, or its whole-corpus value."""
    keys: list[tuple[str, str]] = []
    for corpus in d.corpora:
        rows = d.rows("fertility", corpus)
        if rows.empty:
            continue
        langs = [x for x in rows["language"].unique() if x != "all"]
        if not langs:
            keys.append((corpus, "all"))
            continue
        # Worst first, so the languages that pay most are at the top of the map; languages counted
        # in characters come last, as their own group, since their values mean something else.
        per_lang = rows[rows["language"] != "all"]
        mean = per_lang.groupby("language")["value"].mean().sort_values(ascending=False)
        chars = set(per_lang.loc[per_lang["note"].str.contains(CHAR_SEGMENTATION, regex=False), "language"])
        keys += [(corpus, lang) for lang in mean.index if lang not in chars]
        keys += [(corpus, lang) for lang in mean.index if lang in chars]
    return keys


def _grid(d: ReportData, metric: str, keys: list[tuple[str, str]], cols: list[str]
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values, character-fallback flags and left-out flags, rows × tokenizers (NaN where missing)."""
    rows = d.rows(metric)
    values = np.full((len(keys), len(cols)), np.nan)
    chars = np.zeros((len(keys), len(cols)), dtype=bool)
    dropped = d.dropped()
    lost = np.zeros((len(keys), len(cols)), dtype=bool)
    for i, (corpus, lang) in enumerate(keys):
        for j, t in enumerate(cols):
            lost[i, j] = (corpus, lang, t) in dropped
    index = {k: i for i, k in enumerate(keys)}
    col = {t: j for j, t in enumerate(cols)}
    for r in rows.itertuples(index=False):
        i, j = index.get((r.corpus, r.language)), col.get(r.tokenizer)
        if i is None or j is None:
            continue
        values[i, j] = r.value
        chars[i, j] = CHAR_SEGMENTATION in str(r.note)
    return values, chars, lost


def _char_keys(d: ReportData) -> set[tuple[str, str]]:
    rows = d.rows("fertility")
    rows = rows[rows["note"].str.contains(CHAR_SEGMENTATION, regex=False)]
    return set(zip(rows["corpus"], rows["language"]))


def _labels(d: ReportData, keys: list[tuple[str, str]]) -> list[str]:
    many = len({c for c, lang in keys if lang != "all"}) > 1
    chars = _char_keys(d)
    out = []
    for corpus, lang in keys:
        if lang == "all":
            label = f"{corpus} (whole corpus)"
        else:
            label = f"{d.lang(lang)} · {corpus}" if many else d.lang(lang)
        out.append(label + (f" {DAGGER}" if (corpus, lang) in chars else ""))
    return out


def _norm(values: np.ndarray, metric: str) -> Normalize:
    """A colour scale anchored at the ideal value, so two close values never look far apart.

    Fertility runs from 1 (one token per word) on a log scale, so one extreme tokenizer (raw
    bytes at 20 tokens per word) does not wash out the others; rates run from 0 to 1.
    """
    finite = values[np.isfinite(values)]
    lo = float(finite.min()) if finite.size else 0.0
    hi = float(finite.max()) if finite.size else 1.0
    if metric == "fertility" and hi > 0:
        lo = min(lo, 1.0) if lo > 0 else 1.0
        return LogNorm(vmin=lo, vmax=max(hi, lo * 2))
    if 0 <= lo and hi <= 1:
        return Normalize(vmin=0.0, vmax=1.0)
    return Normalize(vmin=lo, vmax=hi if hi > lo else lo + 1)


def _heatmap(ax: Axes, values: np.ndarray, chars: np.ndarray, lost: np.ndarray, size: float, metric: str) -> None:
    """One annotated heatmap: rows × tokenizers, special cells drawn apart from the colour scale."""
    # Character-fallback cells are in other units (tokens per character), and left-out cells
    # mostly count unknown tokens: neither gets a colour on the scale or stretches it.
    scaled = np.where(chars | lost, np.nan, values)
    norm = _norm(scaled, metric)
    cmap = colormaps["YlOrRd"].with_extremes(bad="#f0f0f0")
    ax.imshow(np.ma.masked_invalid(scaled), cmap=cmap, norm=norm, aspect="auto", interpolation="nearest")
    # Normalized once for the whole grid (a norm call per cell is slow on big grids).
    shade = np.ma.filled(norm(np.ma.masked_invalid(scaled)), 0.0)
    for (i, j), v in np.ndenumerate(values):
        if not math.isfinite(v):
            ax.text(j, i, "–", ha="center", va="center", fontsize=size, color="#888888")
            continue
        if lost[i, j]:
            ax.text(j, i, fmt.num(v) + DDAGGER, ha="center", va="center", fontsize=size, color="#8a8a8a")
            continue
        if chars[i, j]:
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor="#e6ebf2", hatch="///",
                                   edgecolor="#cdd5e1", lw=0))
            ax.text(j, i, fmt.num(v) + DAGGER, ha="center", va="center", fontsize=size, color="#333333")
            continue
        dark = shade[i, j] > 0.62
        ax.text(j, i, fmt.num(v), ha="center", va="center", fontsize=size, color="white" if dark else "black")
    ax.set_xticks(np.arange(values.shape[1] + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(values.shape[0] + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", lw=0.8)
    ax.tick_params(which="both", length=0)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)


def _figure(d: ReportData, metrics: list[str], keys: list[tuple[str, str]], cols: list[str], title: str, subtitle: str,
            notes: list[str]) -> Figure:
    """A page of heatmaps side by side (one per metric), sharing the language rows."""
    fig, top = new_page(title, subtitle)
    note_h = footnote(fig, notes, bottom=MARGIN_BOTTOM + 0.2)
    labels = _labels(d, keys)
    col_labels = [d.label(t) for t in cols]
    n, m = len(keys), len(cols)
    head = max(text_width(c, 7.5) for c in col_labels) * math.sin(math.radians(40)) + 0.35
    bottom = MARGIN_BOTTOM + 0.2 + note_h + 0.2
    avail_h = top - bottom - head - 0.25
    row_h = min(0.32, avail_h / n)
    size = max(5.0, min(8.0, row_h * 72 * 0.62))
    left = MARGIN_X + label_width(labels, min(8.0, size + 1)) + 0.1
    gap = 0.45
    avail_w = (PAGE_W - MARGIN_X - left - gap * (len(metrics) - 1)) / len(metrics)
    cell_w = min(0.85, avail_w / m)
    # Cells must be wide enough for "1.23†" at the chosen font size.
    size = min(size, cell_w * 72 / (5 * 0.62))
    width = cell_w * m
    height = row_h * n
    y0 = top - head - height
    for k, metric in enumerate(metrics):
        values, chars, lost = _grid(d, metric, keys, cols)
        ax = axes_in(fig, left + k * (width + gap), y0, width, height)
        _heatmap(ax, values, chars, lost, size, metric)
        ax.set_xticks(range(m))
        ax.set_xticklabels(col_labels, rotation=40, ha="left", rotation_mode="anchor", fontsize=7.5)
        ax.xaxis.tick_top()
        ax.set_yticks(range(n))
        ax.set_yticklabels(labels if k == 0 else [], fontsize=min(8.0, size + 1))
        unit = d.unit(metric)
        ax.set_xlabel(f"{metric_label(metric)} ({unit})" if unit else metric_label(metric),
                      fontsize=9, fontweight="bold", labelpad=6)
        # Corpus groups are separated by a rule so their languages are not read as one list,
        # and character-counted languages by a dashed one.
        char_keys = _char_keys(d)
        for i in range(1, n):
            if keys[i][0] != keys[i - 1][0]:
                ax.axhline(i - 0.5, color="black", lw=1.2)
            elif (keys[i] in char_keys) != (keys[i - 1] in char_keys):
                ax.axhline(i - 0.5, color="#555555", lw=0.9, ls=(0, (3, 2)))
    return fig


def _md_table(d: ReportData, metric: str, keys: list[tuple[str, str]], cols: list[str]) -> Table:
    values, chars, lost = _grid(d, metric, keys, cols)
    rows = []
    for i, label in enumerate(_labels(d, keys)):
        rows.append([label] + [fmt.num(v) + (DDAGGER if lost[i, j] else DAGGER if chars[i, j] else "")
                               if math.isfinite(v) else "–" for j, v in enumerate(values[i])])
    unit = d.unit(metric)
    return Table(["language"] + [d.label(t) for t in cols], rows,
                 caption=f"{metric_label(metric)}" + (f" ({unit})" if unit else ""), where="md")


def fertility_page(d: ReportData) -> Section | None:
    """Heatmaps of fertility and continued-word rate per language; character fallback hatched."""
    metrics = [m for m in METRICS if d.has(m)]
    if "fertility" not in metrics:
        return None
    keys = _row_keys(d)
    cols = d.ordered(set(d.rows("fertility")["tokenizer"]))
    if not keys or not cols:
        return None
    section = Section("fertility", "Fertility and continued words")
    subtitle = ("Fertility: tokens per word (1.0 = every word is one token). Continued-word rate: share of words split "
                "into more than one token. Lower is better for both; darker cells cost more.")
    has_chars = bool(pd.Series(d.rows("fertility")["note"]).str.contains(CHAR_SEGMENTATION, regex=False).any())
    notes = []
    if has_chars:
        notes.append(f"Hatched grey-blue cells marked {DAGGER}: a script written without spaces (Chinese, Japanese, "
                     "Thai, …); "
                     "words are counted as characters, so the value is tokens per character, is not comparable "
                     "with the other rows and is left off the colour scale.")
    if d.dropped():
        notes.append(f"Grey values marked {DDAGGER}: the run left this tokenizer out of some results for this "
                     "language (see Run details), typically because much of the text became unknown tokens.")
    notes.append("Languages are sorted by mean fertility over the tokenizers, highest first"
                 + (f"; {DAGGER} languages come last." if has_chars else "."))
    pages = max(1, math.ceil(len(keys) / MAX_ROWS))
    per_page = math.ceil(len(keys) / pages)
    for p in range(pages):
        chunk = keys[p * per_page : (p + 1) * per_page]
        title = section.title + (f" ({p + 1} of {pages})" if pages > 1 else "")
        fig = _figure(d, metrics, chunk, cols, title, subtitle, notes)
        png = "fig_fertility.png" if p == 0 else f"fig_fertility_{p + 1}.png"
        section.blocks.append(Chart(fig, png, caption="Fertility and continued-word rate per language"))
    for metric in metrics:
        section.blocks.append(_md_table(d, metric, keys, cols))
    for note in notes[:-1]:
        section.blocks.append(Paragraph(note, muted=True, where="md"))
    return section

