"""The knobs of a measurement, in one dataclass that is recorded with the results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class MetricSettings:
    """How :func:`tokeff.analysis.measure` computes its metrics.

    Attributes:
        baseline: name of the tokenizer that ``normalized_sequence_length`` divides by (Dagan et
            al. 2024 compare against the tokenizer one would otherwise use). ``None`` means the
            first tokenizer passed, so listing your current tokenizer first answers "how much
            longer or shorter than what I have?". ``"bytes"`` and ``"chars"`` work even when no
            such tokenizer is passed (they are counted anyway).
        reference_language: language premiums are measured against; ``None`` means each
            parallel corpus's ``reference_language`` (``eng`` for NTREX-128).
        bootstrap_replicates: B of the Poisson bootstrap; 0 turns intervals off.
        confidence: coverage of the intervals.
        seed: seeds the bootstrap weights (recorded; same seed, same intervals).
        renyi_alpha: order α of the Rényi efficiency (Zouhar et al. 2023 found 2.5 best).
        unk_threshold: a (language, tokenizer) pair whose share of characters lost to UNK
            exceeds this is left out of premiums, as in Petrov et al. 2023.
        split: which documents to measure (``"eval"``: those no trained tokenizer learned from).
        families: the metric families to measure (:data:`tokeff.metrics.registry.FAMILIES`;
            ``None``: every one that applies). ``("compression",)`` is the compression-only
            profile: bytes, characters and tokens, the cheapest pass.
        word_metrics: compute the word-level family (the costliest: segmentation, shared by all
            tokenizers, plus one encoding of every distinct word per tokenizer; see
            :mod:`tokeff.metrics.words`).
        word_sample: share of documents (by hash of ``doc_id``) the word family is computed on;
            1.0 = all. Lower it to speed up large corpora; the rows' ``n`` and note say so.
        roundtrip: check ``decode(encode(x)) == x`` for every document (one decode each).
        chunk_docs: documents per ``encode_batch`` call, at most.
        chunk_chars: characters per call, at most (a longer document still makes a chunk of its
            own): long documents then still make many chunks to deal among the workers, and a
            chunk's ids and words stay small in memory. Chunking changes no number.
    """

    baseline: str | None = None
    reference_language: str | None = None
    bootstrap_replicates: int = 1000
    confidence: float = 0.95
    seed: int = 0
    renyi_alpha: float = 2.5
    unk_threshold: float = 0.10
    split: Literal["all", "train", "eval"] = "eval"
    families: tuple[str, ...] | None = None
    word_metrics: bool = True
    word_sample: float = 1.0
    roundtrip: bool = True
    chunk_docs: int = 512
    chunk_chars: int = 1 << 18
