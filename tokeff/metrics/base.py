"""What a metric is, to the analysis pass.

Each family of metrics is an :class:`Accumulator`: a small streaming state for one
(corpus, tokenizer) that is fed every evaluation document once, in chunks, with the ids the
tokenizer gave them (an :class:`~tokeff.metrics.batch.EncodedBatch`), can be merged with another
shard's state, and finally turns into result rows. The analysis pass tokenizes each document once
and feeds every accumulator from that one encoding.

Accumulators keep integer sums only (per language, per bootstrap slot; see
:mod:`tokeff.metrics.bootstrap`), so merging shards is exact and the floating-point work happens
once, in :meth:`Accumulator.rows`, on the merged state.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from ..adapters.base import Tokenizer
from .batch import EncodedBatch, TextBatch
from .bootstrap import Bootstrap, SlotSums, ratio_with_ci
from .settings import MetricSettings

if TYPE_CHECKING:
    from ..corpus.core import Corpus

#: The ``language`` of a value over the whole corpus.
ALL = "all"


@dataclass(frozen=True)
class MetricRow:
    """One number of the tidy results table, before the corpus and tokenizer are attached.

    ``language`` is ``"all"`` for a value over the whole corpus; ``n`` counts the units behind
    the value (documents or aligned lines: the units the bootstrap resamples); ``note`` flags how
    it was computed when a reader must know (``segmentation=characters``).
    """

    metric: str
    value: float
    unit: str
    language: str = ALL
    ci_low: float = math.nan
    ci_high: float = math.nan
    n: int = 0
    note: str = ""

    def as_dict(self) -> dict[str, object]:
        # the fields by name: dataclasses.asdict deep-copies every value
        return {f: getattr(self, f) for f in _ROW_FIELDS}


_ROW_FIELDS = tuple(f.name for f in fields(MetricRow))


@dataclass
class Extras:
    """What families report besides their rows, gathered over a whole measurement.

    Attributes:
        dropped: (corpus, language, tokenizer) pairs left out of a metric, as dicts with a
            ``reason`` (premiums of languages the tokenizer does not cover).
        token_lengths: ``[corpus, tokenizer, piece bytes, occurrences]`` rows.
        notes: one line per thing a reader should know, each once.
    """

    dropped: list[dict[str, Any]] = field(default_factory=list)
    token_lengths: list[list] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def note(self, line: str) -> None:
        """Add ``line`` once. A note about one tokenizer starts with its name and ": " (the results
        cache stores it with that tokenizer's results)."""
        if line not in self.notes:
            self.notes.append(line)


@dataclass
class RowContext:
    """What :meth:`Accumulator.rows` needs besides its own state.

    Attributes:
        tokenizer, settings, bootstrap: the tokenizer whose rows these are, the metric settings,
            the interval's settings and weights.
        corpus: the corpus measured (its name goes into extras).
        peers: every tokenizer's accumulators on this corpus, by tokenizer name and family (a
            metric relative to another tokenizer, such as normalized sequence length, reads them).
        extras: where side outputs go.
    """

    tokenizer: Tokenizer
    settings: MetricSettings
    bootstrap: Bootstrap
    corpus: "Corpus | None" = None
    peers: Mapping[str, Mapping[str, "Accumulator"]] = field(default_factory=dict)
    extras: Extras = field(default_factory=Extras)


class Accumulator(ABC):
    """Streaming, mergeable state of one family of metrics for one (corpus, tokenizer)."""

    @abstractmethod
    def update(self, batch: EncodedBatch) -> None:
        """Account for one chunk of documents and the ids the tokenizer encoded them to."""

    @abstractmethod
    def merge(self, other: "Accumulator") -> None:
        """Fold another shard's state (same class, same settings) into this one."""

    @abstractmethod
    def rows(self, ctx: RowContext) -> list[MetricRow]:
        """The finished metrics."""

    def slot_sums(self, ctx: RowContext) -> list[SlotSums]:
        """Every :class:`SlotSums` whose replicates :meth:`rows` will ask for, so the engine can
        compute them in one pass per language (:func:`~tokeff.metrics.bootstrap.precompute_replicates`)."""
        strata = getattr(self, "strata", None)
        return list(strata.by_language.values()) if isinstance(strata, Strata) else []


class Strata:
    """Per-language :class:`SlotSums` of ``columns`` (names of per-document statistics)."""

    def __init__(self, columns: tuple[str, ...]) -> None:
        self.columns = columns
        self.col = {c: i for i, c in enumerate(columns)}
        self.by_language: dict[str, SlotSums] = {}
        self._items: list[tuple[str, SlotSums]] | None = None  # see items()

    def add(self, text: TextBatch, values: np.ndarray) -> None:
        """``values``: shape (documents, columns), one row per document of ``text``."""
        self._items = None
        for lang, ix in text.language_groups():
            sums = self.by_language.get(lang)
            if sums is None:
                sums = self.by_language[lang] = SlotSums(len(self.columns))
            if len(ix) == len(values):
                sums.add(text.slots, values)
            else:
                sums.add(text.slots[ix], values[ix])

    def merge(self, other: "Strata") -> None:
        self._items = None
        for lang, sums in other.by_language.items():
            mine = self.by_language.get(lang)
            if mine is None:
                mine = self.by_language[lang] = SlotSums(len(self.columns))
            mine.merge(sums)

    def items(self) -> list[tuple[str, SlotSums]]:
        """("all", everything) first, then each language in sorted order. Kept until the next add
        or merge: a family's rows and every other tokenizer's normalized sequence length (against
        this one as baseline) read it."""
        if self._items is None:
            langs = sorted(self.by_language)
            parts = [self.by_language[lang] for lang in langs]
            head = [(ALL, SlotSums.combined_replicates(parts, len(self.columns)))] if langs else []
            self._items = head + list(zip(langs, parts))
        return self._items

    def ratio(self, sums: SlotSums, num: str, den: str, boot: Bootstrap) -> tuple[float, float, float]:
        return ratio_with_ci(sums, self.col[num], sums, self.col[den], boot)

    def total(self, sums: SlotSums, column: str) -> int:
        return int(sums.totals()[self.col[column]])
