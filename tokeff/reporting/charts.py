"""Small drawing helpers the chart pages share (legends, error bars, label sizes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .canvas import text_width
from .data import ReportData


def label_width(labels: list[str], size: float) -> float:
    """Inches needed by the widest of ``labels`` at ``size`` points (tick labels)."""
    return max((text_width(s, size) for s in labels), default=0.5)


def xerr(rows: pd.DataFrame) -> np.ndarray | None:
    """Asymmetric error bars from ci_low/ci_high, or None when no row has an interval."""
    lo = (rows["value"] - rows["ci_low"]).clip(lower=0).to_numpy(dtype=float)
    hi = (rows["ci_high"] - rows["value"]).clip(lower=0).to_numpy(dtype=float)
    if np.all(np.isnan(lo)) and np.all(np.isnan(hi)):
        return None
    return np.vstack([np.nan_to_num(lo), np.nan_to_num(hi)])


def tokenizer_handles(d: ReportData, tokenizers: list[str], line: bool = False, markers: bool = True) -> list[Line2D]:
    """Legend entries in the report's tokenizer colours (and markers)."""
    return [
        Line2D([], [], color=d.colour(t), marker=d.marker(t) if markers else None,
               linestyle="-" if line else "none", markersize=6, lw=1.8, label=d.label(t))
        for t in tokenizers
    ]


def legend_right(fig: Figure, d: ReportData, tokenizers: list[str], left: float, top: float,
                 line: bool = False, markers: bool = True, title: str = "tokenizer") -> None:
    """A legend whose top-left corner is at (left, top) inches."""
    W, H = fig.get_size_inches()
    fig.legend(handles=tokenizer_handles(d, tokenizers, line, markers), loc="upper left",
               bbox_to_anchor=(left / W, top / H), frameon=False, title=title,
               alignment="left", borderaxespad=0, handlelength=2.0 if line else 1.0)


def legend_width(d: ReportData, tokenizers: list[str], size: float = 8) -> float:
    """Inches a right-hand legend of these tokenizers takes."""
    return label_width([d.label(t) for t in tokenizers], size) + 0.55


def light_grid(ax: Axes, axis: str = "x") -> None:
    ax.grid(True, axis=axis, color="#e4e4e4", lw=0.6, zorder=0)
    ax.set_axisbelow(True)


def sorted_by(d: ReportData, values: dict[str, float], descending: bool = True) -> list[str]:
    """Tokenizers ordered by a value (ties and missing values keep the report order)."""
    order = d.ordered(list(values))
    return sorted(order, key=lambda t: (-values[t] if descending else values[t]))


def log_ticks(lo: float, hi: float) -> list[float]:
    """Tick positions for a log axis: 1-2-5 steps over a short range, decades over a long one."""
    if not (lo > 0 and hi > lo):
        return []
    decades = range(int(np.floor(np.log10(lo))), int(np.ceil(np.log10(hi))) + 1)
    steps = [1, 2, 5] if np.log10(hi / lo) <= 2.5 else [1]
    ticks = [s * 10.0**k for k in decades for s in steps]
    return [t for t in ticks if lo <= t * 1.0001 and t <= hi * 1.0001]


def si(value: float, unit: str) -> str:
    """``2000000, "B"`` → ``2 MB``: decimal prefixes for bytes and tokens on axes."""
    for prefix, scale in (("P", 1e15), ("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:g} {prefix}{unit}"
    return f"{value:g} {unit}"


def set_log_axis(ax: Axes, lo: float, hi: float, style: str) -> None:
    """A log x axis with readable labels: ``style`` is "power" (2×10¹⁵) or "bytes" (2 MB)."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    from . import fmt

    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    ax.xaxis.set_major_locator(FixedLocator(log_ticks(lo, hi)))
    ax.xaxis.set_minor_locator(NullLocator())
    if style == "bytes":
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: si(v, "B")))
    else:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt.num(v, 1) if v >= 1e7 else f"{v:g}"))
