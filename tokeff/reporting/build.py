"""Build every page and write report.pdf, report.md (+ PNG figures) and metrics.parquet."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import matplotlib

from ..files import atomic_write
from .blocks import Chart, Section
from .data import ReportData, load
from .markdown import write_markdown
from .pages import PAGES
from .pages.title import run_details_page, title_page
from .pdf import Flow, layout, write_pdf
from .style import RC

TITLE = "Tokenizer efficiency report"


def sections(d: ReportData) -> list[Section]:
    """The report's sections in reading order; pages without data are left out.

    The conclusions must stay on page 2: when the title page would run onto a second page, its
    run details (skipped tokenizers, settings, versions) move to a last page instead.
    """
    out = []
    for page in PAGES:
        section = page(d)
        if section is not None and section.blocks:
            out.append(section)
    if out and out[0].key == "title" and len(Flow(out[0]).render()) > 1:
        out[0] = title_page(d, details=False)
        details = run_details_page(d)
        if details is not None:
            out.append(details)
    return out


def _write_parquet(folder: Path, d: ReportData) -> Path | None:
    if importlib.util.find_spec("pyarrow") is None:
        return None
    path = folder / "metrics.parquet"
    atomic_write(path, lambda p: d.metrics.to_parquet(p, index=False, engine="pyarrow"))
    return path


def _remove_stale_figures(folder: Path, keep: set[str]) -> None:
    """Figures an earlier build wrote that this one did not (e.g. training was dropped)."""
    for png in folder.glob("fig_*.png"):
        if png.name not in keep:
            png.unlink(missing_ok=True)


def build_report(folder: Path) -> list[Path]:
    """Write report.pdf, report.md, its fig_*.png and metrics.parquet into ``folder``.

    Reads only the saved results (see :mod:`tokeff.results`); returns the paths written.
    Raises :class:`~tokeff.errors.TokeffError` when the folder holds no metrics.csv.
    """
    folder = Path(folder)
    d = load(folder)
    written: list[Path] = []
    with matplotlib.rc_context(RC):
        secs = sections(d)
        pages = layout(secs)
        pdf = folder / "report.pdf"
        write_pdf(pdf, pages, footer=f"{TITLE}  ·  {folder.name}", title=f"{TITLE}: {folder.name}")
        written.append(pdf)
        written += write_markdown(folder, secs, TITLE)
    _remove_stale_figures(folder, {p.name for p in written})
    parquet = _write_parquet(folder, d)
    if parquet:
        written.append(parquet)
    # Figures hold a lot of memory in big reports; drop them now rather than at garbage collection.
    for s in secs:
        for b in s.blocks:
            if isinstance(b, Chart):
                b.figure.clear()
    return written
