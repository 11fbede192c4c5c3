"""What a metric is, to the analysis pass.

Each family of metrics is an :class:`Accumulator`: a small streaming state for one
(corpus, tokenizer) that is fed every evaluation document once, with the ids the tokenizer gave
it, can be merged with another shard's state, and finally turns into result rows. The analysis
pass tokenizes each document once and feeds every accumulator from that one encoding.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from ..adapters.base import Tokenizer
from ..corpus.core import Document


@dataclass(frozen=True)
class MetricRow:
    """One number of the tidy results table, before the corpus and tokenizer are attached.

    ``language`` is ``"all"`` for a value over the whole corpus; ``n`` counts the units behind
    the value (documents, aligned lines, words); ``note`` flags how it was computed when a
    reader must know (``segmentation=characters``).
    """

    metric: str
    value: float
    unit: str
    language: str = "all"
    ci_low: float = math.nan
    ci_high: float = math.nan
    n: int = 0
    note: str = ""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class Accumulator(ABC):
    """Streaming, mergeable state of one family of metrics for one (corpus, tokenizer)."""

    @abstractmethod
    def update(self, doc: Document, ids: Sequence[int], tokenizer: Tokenizer) -> None:
        """Account for one document and the ids ``tokenizer`` encoded it to."""

    @abstractmethod
    def merge(self, other: "Accumulator") -> None:
        """Fold another shard's state (same class, same settings) into this one."""

    @abstractmethod
    def rows(self, tokenizer: Tokenizer) -> list[MetricRow]:
        """The finished metrics."""
