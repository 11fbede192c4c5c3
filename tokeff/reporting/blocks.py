"""What a page function returns: a section made of blocks both writers understand.

A page function decides *what* to say once; :mod:`.pdf` lays the blocks out on A4 pages and
:mod:`.markdown` writes them as Markdown, so the two outputs never drift apart. Charts are whole
matplotlib figures (one PDF page each) that the Markdown writer saves as PNG beside report.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Union

from matplotlib.figure import Figure

Where = Literal["both", "pdf", "md"]


@dataclass
class Heading:
    text: str
    where: Where = "both"


@dataclass
class Paragraph:
    """Plain text; ``**bold**`` is not interpreted, so numbers stay greppable in both outputs."""

    text: str
    muted: bool = False
    where: Where = "both"


@dataclass
class Bullets:
    items: list[str]
    where: Where = "both"


@dataclass
class Table:
    """A table of already formatted cells.

    Attributes:
        header: column titles (may contain ``\\n`` where the PDF should break them).
        rows: formatted cells, one list per row.
        align: per column ``"l"`` or ``"r"`` (numbers right-aligned); default: first left, rest right.
        caption: one line shown above the table.
    """

    header: list[str]
    rows: list[list[str]]
    align: list[str] | None = None
    caption: str = ""
    where: Where = "both"

    def alignments(self) -> list[str]:
        if self.align:
            return self.align
        return ["l"] + ["r"] * (len(self.header) - 1)


@dataclass
class Chart:
    """A full page figure; ``png`` names the file report.md shows it as."""

    figure: Figure
    png: str
    caption: str = ""
    where: Where = "both"


Block = Union[Heading, Paragraph, Bullets, Table, Chart]


@dataclass
class Section:
    """One page (or a few) of the report: a title and its blocks, in reading order."""

    key: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    subtitle: str = ""
    #: Title of the section's text pages in the PDF when it differs from ``title`` (e.g. when the
    #: section's chart page already carries the general title).
    pdf_title: str = ""
