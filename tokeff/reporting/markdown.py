"""The Markdown writer: the same sections as the PDF, with charts as PNG files beside it."""

from __future__ import annotations

from pathlib import Path

from ..files import atomic_write, write_text
from .blocks import Bullets, Chart, Heading, Paragraph, Section, Table
from .style import PNG_DPI


def _cell(text: str) -> str:
    # A pipe would end the cell; a newline would end the row.
    return str(text).replace("|", "\\|").replace("\n", " ")


def table_md(table: Table) -> str:
    """A GitHub-flavoured Markdown table."""
    align = {"l": ":---", "r": "---:", "c": ":---:"}
    lines = []
    if table.caption:
        lines += [f"*{table.caption}*", ""]
    lines.append("| " + " | ".join(_cell(h) for h in table.header) + " |")
    lines.append("|" + "|".join(align.get(a, "---") for a in table.alignments()) + "|")
    for row in table.rows:
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    return "\n".join(lines)


def render(sections: list[Section], title: str, intro: str = "") -> tuple[str, list[Chart]]:
    """The Markdown text and the charts it links to (to be saved as PNG)."""
    out = [f"# {title}", ""]
    if intro:
        out += [intro, ""]
    charts: list[Chart] = []
    for section in sections:
        # The title section's heading is the document's own title.
        if section.key != "title":
            out += [f"## {section.title}", ""]
        if section.subtitle:
            out += [f"*{section.subtitle}*", ""]
        for block in section.blocks:
            if block.where == "pdf":
                continue
            if isinstance(block, Heading):
                out += [f"### {block.text}", ""]
            elif isinstance(block, Paragraph):
                out += [f"*{block.text}*" if block.muted else block.text, ""]
            elif isinstance(block, Bullets):
                out += [f"- {item}" for item in block.items] + [""]
            elif isinstance(block, Table):
                out += [table_md(block), ""]
            elif isinstance(block, Chart):
                alt = block.caption or section.title
                out += [f"![{_cell(alt)}]({block.png})", ""]
                charts.append(block)
    return "\n".join(out).rstrip() + "\n", charts


def write_markdown(folder: Path, sections: list[Section], title: str, intro: str = "") -> list[Path]:
    """Write report.md and its PNG figures into ``folder``; returns the paths written."""
    text, charts = render(sections, title, intro)
    written: list[Path] = []
    for chart in charts:
        path = folder / chart.png
        atomic_write(path, lambda p, fig=chart.figure: fig.savefig(p, format="png", dpi=PNG_DPI))
        written.append(path)
    md = folder / "report.md"
    write_text(md, text)
    return [md, *written]
