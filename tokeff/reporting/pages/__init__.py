"""One function per report page (or group of pages); each returns a Section or None.

``None`` means the page has no data in this results folder and is left out; the order of
:data:`PAGES` is the reading order of the report (the answer first, the details after).
"""

from __future__ import annotations

from collections.abc import Callable

from ..blocks import Section
from ..data import ReportData
from .compression import compression_page, token_length_page
from .conclusions import conclusions_page
from .cost import cost_page
from .fertility import fertility_page
from .losses import losses_page
from .metrics_table import metrics_table_page
from .parity import parity_page
from .probe import probe_page
from .study import study_page
from .sweep import sweep_page
from .title import title_page
from .training import training_page

PAGES: list[Callable[[ReportData], Section | None]] = [
    title_page,
    conclusions_page,
    compression_page,
    token_length_page,
    fertility_page,
    parity_page,
    sweep_page,
    study_page,
    training_page,
    losses_page,
    probe_page,
    cost_page,
    metrics_table_page,
]

__all__ = ["PAGES"]
