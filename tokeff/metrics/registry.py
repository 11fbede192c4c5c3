"""The metric families and every metric's name, unit, reader's label and better direction.

A family is one module of :mod:`tokeff.metrics` that registers a :class:`MetricFamily`: the
:class:`~tokeff.metrics.base.Accumulator` the analysis pass feeds (``None`` for numbers another
stage computes, such as training), and the :class:`Metric` rows it writes. The analysis pass
builds its states from :data:`FAMILIES`, the report labels axes and ranks by it, the CLI lists
it, and the README's metric table is generated from it (``tests/test_registries.py`` checks it).
Adding a family is one new module in this package that calls ``FAMILIES.register``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ..registry import Registry

if TYPE_CHECKING:
    from ..corpus.core import Corpus
    from .base import Accumulator, MetricRow
    from .settings import MetricSettings

Better = Literal["higher", "lower", ""]


@dataclass(frozen=True)
class Metric:
    """One column of a tokenizer comparison.

    Attributes:
        name: snake_case, the ``metric`` column of ``metrics.csv``.
        unit: the ``unit`` column, exactly as written (``{baseline}`` is filled in per row).
        label: the reader's name, for tables and axes.
        better: ``"higher"``, ``"lower"``, or ``""`` for counts and settings.
        definition: the formula, for the README and the report.
        count: a count, printed in full with thousands separators.
    """

    name: str
    unit: str
    label: str
    better: Better = ""
    definition: str = ""
    count: bool = False

    def row(self, language: str, value: float, ci_low: float = math.nan, ci_high: float = math.nan,
            n: int = 0, note: str = "", **unit_fields: str) -> "MetricRow":
        """A result row of this metric (the unit from here, ``{field}`` filled from ``unit_fields``)."""
        from .base import MetricRow

        unit = self.unit.format(**unit_fields) if unit_fields else self.unit
        return MetricRow(self.name, value, unit, language, ci_low, ci_high, n, note)


def always(corpus: "Corpus", settings: "MetricSettings") -> bool:
    return True


@dataclass(frozen=True)
class MetricFamily:
    """A family of metrics computed together.

    Attributes:
        name: what ``--metrics`` selects it by (``compression``, ``words``...).
        metrics: the metrics it writes, in the order tables show them.
        accumulator: makes the family's streaming state for a corpus; ``None`` when another
            stage computes the numbers (training).
        applies: whether the family runs on a corpus under the settings (parity only on
            parallel corpora, words only with word metrics on).
        order: where the family sits in tables and help.
        source: the paper the definitions follow.
    """

    name: str
    metrics: tuple[Metric, ...]
    accumulator: "Callable[[Corpus, MetricSettings], Accumulator] | None" = None
    applies: "Callable[[Corpus, MetricSettings], bool]" = always
    order: int = 100
    source: str = ""
    summary: str = ""

    def metric(self, name: str) -> Metric:
        return next(m for m in self.metrics if m.name == name)


FAMILIES: Registry[MetricFamily] = Registry("metric family", discover="tokeff.metrics")


def families() -> list[MetricFamily]:
    """Every family, in table order."""
    return sorted(FAMILIES, key=lambda f: f.order)


def all_metrics() -> dict[str, Metric]:
    """Every metric of every family by name, in table order."""
    return {m.name: m for f in families() for m in f.metrics}


def metric(name: str) -> Metric | None:
    """The registered metric called ``name``, or None."""
    return all_metrics().get(name)


#: Named selections of measured families for ``--metrics``; a comma list of family names works too.
#: Without one, every family is measured, but for corpora whose measured split is larger than
#: :data:`LARGE_CORPUS_BYTES`, where only the compression profile is (the run says so).
PROFILES: dict[str, tuple[str, ...] | None] = {
    "all": None,  # every measured family, whatever the corpus size
    "compression": ("compression",),
}

#: Measured text (UTF-8 bytes of the split measured) past which a run without ``--metrics``
#: measures the compression profile only: the full pass costs about 10 minutes of 2 cores per GiB.
LARGE_CORPUS_BYTES = 1 << 30


def resolve_profile(spec: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...] | None:
    """``"all"`` (every measured family, as a tuple), a profile name, or family names (a comma
    list or a sequence); ``None`` (nothing asked: every family, or the compression profile past
    :data:`LARGE_CORPUS_BYTES`) stays None; a ``ValueError`` naming the choices otherwise."""
    measured = [f.name for f in families() if f.accumulator is not None]
    if spec is None:
        return None
    if isinstance(spec, str):
        if spec in PROFILES:
            return PROFILES[spec] or tuple(measured)
        spec = [s.strip() for s in spec.split(",") if s.strip()]
    unknown = [s for s in spec if s not in measured]
    if unknown or not spec:
        raise ValueError(f"unknown metric family {', '.join(unknown) or '(none)'}; choose a profile "
                         f"({', '.join(PROFILES)}) or families ({', '.join(measured)})")
    return tuple(s for s in measured if s in spec)
