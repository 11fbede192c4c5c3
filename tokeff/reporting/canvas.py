"""Blank report pages and drawing in inches.

Every page is a :class:`~matplotlib.figure.Figure` of the same A4-landscape size with its own Agg
canvas: no pyplot state is used, so drawing a report never needs a display and never touches the
figures a notebook user has open. Positions are in inches from the bottom-left corner
(``fig.dpi_scale_trans``), which keeps layouts independent of the page's pixel size.
"""

from __future__ import annotations

import textwrap

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .style import INK, MARGIN_TOP, MARGIN_X, MUTED, PAGE_H, PAGE_W

#: Average glyph width of DejaVu Sans as a share of the font size (digits are ~0.64).
CHAR_W = 0.58
TITLE_SIZE = 16
SUBTITLE_SIZE = 9.5


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Approximate width of ``text`` in inches at ``size`` points."""
    return len(text) * size * (CHAR_W + (0.05 if bold else 0.0)) / 72


def wrap(text: str, width_in: float, size: float) -> list[str]:
    """``text`` broken into lines that fit ``width_in`` inches at ``size`` points."""
    # The epsilon keeps a text measured at exactly this width on one line (float rounding).
    chars = max(10, int(width_in * 72 / (size * CHAR_W) + 1e-6))
    lines: list[str] = []
    for para in text.split("\n"):
        lines.extend(textwrap.wrap(para, chars, break_long_words=True, break_on_hyphens=False) or [""])
    return lines


def new_page(title: str, subtitle: str = "") -> tuple[Figure, float]:
    """A blank page with its title; returns the figure and the y (inches) where content starts."""
    fig = Figure(figsize=(PAGE_W, PAGE_H))
    FigureCanvasAgg(fig)
    y = PAGE_H - MARGIN_TOP
    put(fig, MARGIN_X, y, title, size=TITLE_SIZE, weight="bold", va="top")
    y -= TITLE_SIZE * 1.35 / 72
    if subtitle:
        for line in wrap(subtitle, PAGE_W - 2 * MARGIN_X, SUBTITLE_SIZE):
            y -= 0.04
            put(fig, MARGIN_X, y, line, size=SUBTITLE_SIZE, color=MUTED, va="top")
            y -= SUBTITLE_SIZE * 1.3 / 72
    return fig, y - 0.2


def put(fig: Figure, x: float, y: float, text: str, size: float = 9, color: str = INK, **kw: object) -> None:
    """Draw ``text`` at (x, y) inches."""
    fig.text(x, y, text, fontsize=size, color=color, transform=fig.dpi_scale_trans, **kw)


def axes_in(fig: Figure, left: float, bottom: float, width: float, height: float) -> Axes:
    """An axes whose plotting area is the given rectangle in inches."""
    W, H = fig.get_size_inches()
    return fig.add_axes((left / W, bottom / H, width / W, height / H))


def footnote(fig: Figure, lines: list[str], bottom: float = 0.5, size: float = 8) -> float:
    """Small muted notes at the bottom of a chart page; returns the height they use (inches)."""
    wrapped: list[str] = []
    for line in lines:
        wrapped.extend(wrap(line, PAGE_W - 2 * MARGIN_X, size))
    step = size * 1.35 / 72
    for i, line in enumerate(reversed(wrapped)):
        put(fig, MARGIN_X, bottom + i * step, line, size=size, color=MUTED, va="bottom")
    return len(wrapped) * step
