"""The PDF writer: lays sections out on A4-landscape pages and saves them in one PdfPages file."""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..files import atomic_write
from .blocks import Bullets, Chart, Heading, Paragraph, Section, Table
from .canvas import CHAR_W, TITLE_SIZE, new_page, put, text_width, wrap
from .style import INK, MARGIN_BOTTOM, MARGIN_TOP, MARGIN_X, MUTED, PAGE_H, PAGE_W, RULE, SHADE

#: Lowest y (inches) content may reach; the footer lives below it.
BOTTOM = MARGIN_BOTTOM + 0.2
TEXT_W = PAGE_W - 2 * MARGIN_X
MIN_TABLE_FONT = 6.0


class Flow:
    """Places text blocks top to bottom, starting a new page whenever one is full."""

    def __init__(self, section: Section) -> None:
        self.section = section
        self.pages: list[Figure] = []
        self.fig: Figure | None = None
        self.y = 0.0
        self.dirty = False

    # ----- pages -----

    def _start(self) -> None:
        title = (self.section.pdf_title or self.section.title) + (" (continued)" if self.pages else "")
        subtitle = "" if self.pages else self.section.subtitle
        self.fig, self.y = new_page(title, subtitle)
        self.pages.append(self.fig)
        self.dirty = False

    def _ensure(self, height: float) -> None:
        if self.fig is None or (self.y - height < BOTTOM and self.dirty):
            self._start()

    def _page_room(self) -> float:
        """Height available for content on a fresh continuation page (title, no subtitle)."""
        return PAGE_H - MARGIN_TOP - TITLE_SIZE * 1.35 / 72 - 0.2 - BOTTOM

    def _close(self) -> None:
        """Drop a page that got only its title (a chart followed right away)."""
        if self.fig is not None and not self.dirty:
            self.pages.remove(self.fig)
        self.fig = None

    # ----- blocks -----

    def heading(self, block: Heading, keep: float = 0.0) -> None:
        """A heading, kept on the same page as the first ``keep`` inches of what follows."""
        size = 12
        self._ensure(0.45 + keep)
        self.y -= 0.08 if self.dirty else 0.0
        put(self.fig, MARGIN_X, self.y, block.text, size=size, weight="bold", va="top")
        self.y -= size * 1.6 / 72
        self.dirty = True

    def paragraph(self, block: Paragraph, size: float = 9.5, indent: float = 0.0, bullet: str = "") -> None:
        step = size * 1.4 / 72
        colour = MUTED if block.muted else INK
        lines = wrap(block.text, TEXT_W - indent - (0.18 if bullet else 0), size)
        for i, line in enumerate(lines):
            self._ensure(step)
            if bullet and i == 0:
                put(self.fig, MARGIN_X + indent, self.y, bullet, size=size, color=colour, va="top")
            put(self.fig, MARGIN_X + indent + (0.18 if bullet else 0), self.y, line, size=size, color=colour, va="top")
            self.y -= step
            self.dirty = True
        self.y -= step * 0.45

    def bullets(self, block: Bullets) -> None:
        for item in block.items:
            self.paragraph(Paragraph(item), size=9.5, bullet="•")

    def table(self, block: Table) -> None:
        layout = _TableLayout(block)
        # A table that fits on a page is never split: start a new page rather than break it.
        whole = (layout.header_h + layout.row_h * len(block.rows) + (0.3 if block.caption else 0))
        if self.fig is not None and self.dirty and self.y - whole < BOTTOM and whole < self._page_room():
            self._start()
        if block.caption:
            self._ensure(layout.header_h + layout.row_h * min(3, len(block.rows)) + 0.3)
            put(self.fig, MARGIN_X, self.y, block.caption, size=9, color=MUTED, va="top")
            self.y -= 9 * 1.5 / 72
        i = 0
        while i < len(block.rows) or i == 0:
            self._ensure(layout.header_h + layout.row_h * min(2, max(len(block.rows) - i, 1)))
            self.y = layout.draw_header(self.fig, self.y)
            self.dirty = True
            while i < len(block.rows) and self.y - layout.row_h >= BOTTOM:
                self.y = layout.draw_row(self.fig, self.y, block.rows[i], shaded=i % 2 == 1)
                i += 1
            if i >= len(block.rows):
                break
            self._start()
        self.y -= 0.2

    def _lead(self, block: object) -> float:
        """Height of the start of ``block`` that must follow its heading on the same page: a
        whole table when it fits on one page, else a few rows; two lines of text."""
        if isinstance(block, Table):
            layout = _TableLayout(block)
            whole = layout.header_h + layout.row_h * len(block.rows) + (0.3 if block.caption else 0)
            return whole if whole < self._page_room() - 0.5 else layout.header_h + 3 * layout.row_h
        if isinstance(block, (Paragraph, Bullets)):
            return 2 * 9.5 * 1.4 / 72
        return 0.0

    def render(self) -> list[Figure]:
        """All pages of the section, charts included, in reading order."""
        out: list[Figure] = []
        self._start()
        blocks = [b for b in self.section.blocks if b.where != "md"]
        for k, block in enumerate(blocks):
            if isinstance(block, Chart):
                self._close()
                out += self.pages
                self.pages = []
                out.append(block.figure)
                continue
            if self.fig is None:
                self._start()
            if isinstance(block, Heading):
                self.heading(block, self._lead(blocks[k + 1] if k + 1 < len(blocks) else None))
            elif isinstance(block, Paragraph):
                self.paragraph(block)
            elif isinstance(block, Bullets):
                self.bullets(block)
            elif isinstance(block, Table):
                self.table(block)
        self._close()
        return out + self.pages


class _TableLayout:
    """Column widths, font size and row height that make a table fit the page width."""

    PAD = 0.14  # inches between columns

    def __init__(self, table: Table) -> None:
        self.table = table
        self.align = table.alignments()
        self.size = 8.5
        while True:
            self._measure()
            self._cap_text_columns()
            if sum(self.widths) <= TEXT_W or self.size <= MIN_TABLE_FONT:
                break
            self.size -= 0.5
        if sum(self.widths) > TEXT_W:
            self._squeeze()
        self.row_h = self.size * 1.55 / 72
        self.header_h = max(len(h) for h in self.header_lines) * self.size * 1.25 / 72 + 0.1

    def _measure(self) -> None:
        cols = len(self.table.header)
        self.header_lines: list[list[str]] = []
        self.widths: list[float] = []
        for j in range(cols):
            cells = [str(r[j]) if j < len(r) else "" for r in self.table.rows]
            content = max((text_width(c, self.size) for c in cells), default=0.0)
            head = self.table.header[j]
            words = head.replace("\n", " ").split()
            longest = max((text_width(w, self.size, bold=True) for w in words), default=0.0)
            # Headers wrap to the content width, but not narrower than ~14 characters, and long
            # headers (a name with a long unit) get wider rather than taller than ~4 lines.
            target = max(content, longest, text_width("x" * 14, self.size, bold=True),
                         text_width("x" * (len(head) // 4), self.size, bold=True))
            lines: list[str] = []
            for part in head.split("\n"):
                lines += wrap(part, target, self.size * (CHAR_W + 0.05) / CHAR_W)
            self.header_lines.append(lines)
            head_w = max(text_width(line, self.size, bold=True) for line in lines)
            self.widths.append(max(content, head_w) + self.PAD)

    def _cap_text_columns(self) -> None:
        """Long free text (descriptions, paths) is cut before the whole table gets smaller."""
        cap = 3.2
        excess = sum(self.widths) - TEXT_W
        for j in sorted(range(len(self.widths)), key=lambda k: -self.widths[k]):
            if excess <= 0:
                break
            if j > 0 and self.align[j] == "l" and self.widths[j] > cap:
                cut = min(excess, self.widths[j] - cap)
                self.widths[j] -= cut
                excess -= cut

    def _squeeze(self) -> None:
        """Still too wide at the smallest font: narrow the widest columns (cells get cut)."""
        excess = sum(self.widths) - TEXT_W
        while excess > 0.01:
            j = max(range(len(self.widths)), key=lambda k: self.widths[k])
            cut = min(excess, self.widths[j] * 0.25)
            self.widths[j] -= cut
            excess -= cut

    def _fit(self, text: str, j: int) -> str:
        """The cell cut to its column: paths lose their middle (the file name matters most)."""
        room = int((self.widths[j] - self.PAD) * 72 / (self.size * CHAR_W) + 1e-6)
        if len(text) <= room:
            return text
        if "/" in text or "\\" in text:
            tail = max((room - 1) * 2 // 3, 1)
            return text[: max(room - 1 - tail, 0)] + "…" + text[-tail:]
        return text[: max(room - 1, 1)] + "…"

    def _x(self, j: int) -> tuple[float, str]:
        left = MARGIN_X + sum(self.widths[:j])
        if self.align[j] == "r":
            return left + self.widths[j] - self.PAD / 2, "right"
        return left + self.PAD / 2 if j else left, "left"

    def draw_header(self, fig: Figure, y: float) -> float:
        step = self.size * 1.25 / 72
        for j, lines in enumerate(self.header_lines):
            x, ha = self._x(j)
            # Bottom-align header lines so short headers sit on the rule like long ones.
            top = y - (max(len(h) for h in self.header_lines) - len(lines)) * step
            for k, line in enumerate(lines):
                put(fig, x, top - k * step, line, size=self.size, weight="bold", ha=ha, va="top")
        y -= self.header_h
        fig.add_artist(Rectangle((MARGIN_X, y + 0.03), sum(self.widths), 0.01,
                                 transform=fig.dpi_scale_trans, color=RULE, lw=0))
        return y

    def draw_row(self, fig: Figure, y: float, row: list[str], shaded: bool) -> float:
        if shaded:
            fig.add_artist(Rectangle((MARGIN_X, y - self.row_h), sum(self.widths), self.row_h,
                                     transform=fig.dpi_scale_trans, color=SHADE, lw=0, zorder=-1))
        for j in range(len(self.widths)):
            x, ha = self._x(j)
            cell = self._fit(str(row[j]) if j < len(row) else "", j)
            put(fig, x, y - self.row_h / 2, cell, size=self.size, ha=ha, va="center_baseline")
        return y - self.row_h


def layout(sections: list[Section]) -> list[Figure]:
    """Every page of the report, in order."""
    pages: list[Figure] = []
    for section in sections:
        pages += Flow(section).render()
    return pages


def write_pdf(path: Path, pages: list[Figure], footer: str, title: str) -> None:
    """Save ``pages`` into one PDF at ``path`` (atomically), numbering them in the footer."""

    def write(tmp: Path) -> None:
        meta = {"Title": title, "Creator": "tokeff", "CreationDate": None}
        with PdfPages(tmp, metadata=meta) as pdf:
            for i, fig in enumerate(pages, 1):
                # The footer is added for the PDF only, then removed: the same figure is also
                # saved as a PNG for report.md, where page numbers would mean nothing.
                text = fig.text(1 - MARGIN_X / PAGE_W, 0.3 / fig.get_size_inches()[1],
                                f"{footer}  ·  page {i} of {len(pages)}", ha="right", va="bottom",
                                fontsize=7.5, color=MUTED)
                pdf.savefig(fig)
                text.remove()

    atomic_write(path, write)
