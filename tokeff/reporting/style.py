"""Page geometry, fonts and the one tokenizer → colour/marker map every page shares.

All pages are A4 landscape: wide charts (many languages, many tokenizers side by side) and wide
tables read better across than down, and one size keeps the PDF consistent when printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from matplotlib import colormaps
from matplotlib.colors import to_hex

#: A4 landscape, in inches.
PAGE_W, PAGE_H = 11.69, 8.27
#: Page margins, in inches.
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 0.6, 0.55, 0.55

#: Resolution of the PNG figures written beside report.md.
PNG_DPI = 110

#: Matplotlib settings used while the report is drawn (applied in a context, never globally).
#: Type 42 fonts keep the PDF text selectable and searchable.
RC = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "pdf.fonttype": 42,
    # Names come from users (paths, corpus names): a "$" must print as "$", not start math.
    "text.parse_math": False,
    "svg.fonttype": "none",
}

INK = "#222222"
MUTED = "#666666"
RULE = "#bbbbbb"
SHADE = "#f2f2f2"

# Twelve colours that stay distinguishable side by side (tab10 plus two dark ones); beyond
# twelve tokenizers the light tab20 shades follow, then an evenly spaced hue wheel.
_BASE = [to_hex(c) for c in colormaps["tab10"].colors] + ["#1b1b6e", "#8c6d00"]
_EXTRA = [to_hex(c) for c in colormaps["tab20"].colors[1::2]]
_MARKERS = ["o", "s", "^", "D", "v", "P", "X", "<", ">", "p", "h", "8"]


def palette(n: int) -> list[str]:
    """``n`` distinct colours, the first twelve always the same."""
    colours = (_BASE + _EXTRA)[:n]
    if n > len(colours):
        wheel = colormaps["hsv"]
        extra = n - len(colours)
        colours += [to_hex(wheel(i / extra * 0.9)) for i in range(extra)]
    return colours


@dataclass
class TokenizerStyle:
    """Label, colour and marker of every tokenizer, fixed once per report.

    Attributes:
        order: tokenizer names in the order the run listed them (the colour order).
        label: short display label per name (unique).
        colour: hex colour per name.
        marker: matplotlib marker per name (a second cue for colour-blind readers).
    """

    order: list[str]
    label: dict[str, str] = field(default_factory=dict)
    colour: dict[str, str] = field(default_factory=dict)
    marker: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, order: list[str], labels: dict[str, str]) -> "TokenizerStyle":
        colours = palette(len(order))
        return cls(
            order=list(order),
            label=dict(labels),
            colour={n: colours[i] for i, n in enumerate(order)},
            marker={n: _MARKERS[i % len(_MARKERS)] for i, n in enumerate(order)},
        )
