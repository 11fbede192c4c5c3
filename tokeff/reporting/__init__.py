"""The report: a PDF and a Markdown file rebuilt from a saved results folder alone.

``tokeff.report(folder)`` is :func:`build_report` (the package is named ``reporting`` so that the
function stays reachable as ``tokeff.report`` once the package is imported).

``build_report(folder)`` reads metrics.csv, run.json and the optional curves.csv, cost.csv and
token_lengths.csv, and writes report.pdf, report.md with its fig_*.png figures, and
metrics.parquet (when pyarrow is installed). It never tokenizes or recomputes: what the report
says is exactly what the folder holds, so it can be rebuilt anywhere the folder is copied.

Layout: one function per page in :mod:`tokeff.reporting.pages` returns a
:class:`~tokeff.reporting.blocks.Section` (or ``None`` when its data is absent); :mod:`.pdf` and
:mod:`.markdown` render the same sections, so both outputs say the same thing.
"""

from __future__ import annotations

import os
import sys

import matplotlib

# Drawing never needs a display. Pages use Figure objects with their own Agg canvas, so this only
# matters for code that later imports pyplot; a backend the user already chose is left alone.
if "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND"):
    matplotlib.use("Agg")

from .build import build_report  # noqa: E402

__all__ = ["build_report"]
