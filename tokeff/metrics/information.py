"""Information-theoretic efficiency of the unigram token distribution (Zouhar et al. 2023,
"Tokenization and the Noiseless Channel", ACL, §3-4).

Let p be the unigram distribution of token ids over the measured text (count of id / number of
tokens) and |V| the tokenizer's full vocabulary size (special tokens included, as
``Tokenizer.vocab_size`` reports it). Then

* ``shannon_entropy`` H(p) = −Σ p(v) log2 p(v), in bits per token;
* ``shannon_efficiency`` = H(p) / log2 |V|, in [0, 1]: how close the channel use is to uniform;
* ``renyi_efficiency`` = H_α(p) / log2 |V| with H_α(p) = 1/(1−α) · log2 Σ p(v)^α, α = 2.5 by
  default (the order the paper found to correlate best with BLEU). α → 1 gives Shannon.

The log base cancels in the efficiencies. The paper divides by log |V| of the *vocabulary*; the
``tokenization-scorer`` package by the same authors divides by log of the number of *observed*
types unless given ``vocab=|V|``, and defaults to α = 3. tokeff follows the paper (|V| = the
vocabulary): ``renyi_efficiency_tokeff = scorer(α, vocab=|V|)`` and
``= scorer(α) · log|observed| / log|V|`` (pinned in the tests).

* ``vocab_utilization`` = #distinct ids used / |V|. Low on one language is expected for a
  multilingual vocabulary; low on the whole corpus means paying embedding rows for nothing (cf.
  Zouhar et al. 2023 on unused types).

These are functionals of the whole distribution, not ratios of per-document sums, so they carry
no bootstrap interval; ``n`` is the number of documents. The counts kept here (sparse, at most
|V| per language) also give the token-length histogram (:mod:`tokeff.metrics.token_lengths`).
"""

from __future__ import annotations

import math

import numpy as np

from .base import ALL, Accumulator, MetricRow, RowContext
from .batch import EncodedBatch
from .bootstrap import sum_by_key
from .registry import FAMILIES, Metric, MetricFamily

UNIT = "H / log2|V| (0-1)"

SHANNON_ENTROPY = Metric("shannon_entropy", "bits / token", "Shannon entropy", "",
                         "H(p) of the unigram token distribution")
SHANNON_EFFICIENCY = Metric("shannon_efficiency", UNIT, "Shannon efficiency", "higher",
                            "H(p)/log|V| (Zouhar et al. 2023)")
RENYI_EFFICIENCY = Metric("renyi_efficiency", UNIT, "Rényi efficiency", "higher",
                          "H_α(p)/log|V|, α=2.5 (Zouhar et al. 2023)")
VOCAB_UTILIZATION = Metric("vocab_utilization", "distinct ids used / |V|", "vocabulary utilization", "higher",
                           "distinct ids used / |V|")


class SparseCounts:
    """Counts of integer keys, as sorted key and count arrays (exact int64 arithmetic)."""

    __slots__ = ("keys", "counts", "_pending", "_npending")

    def __init__(self) -> None:
        self.keys = np.empty(0, dtype=np.int64)
        self.counts = np.empty(0, dtype=np.int64)
        self._pending: list[tuple[np.ndarray, np.ndarray]] = []
        self._npending = 0

    def add(self, keys: np.ndarray, counts: np.ndarray) -> None:
        self._pending.append((keys, counts))
        self._npending += len(keys)
        if self._npending > (1 << 20):
            self.compact()

    def add_ids(self, ids: np.ndarray, vocab_size: int) -> None:
        """Count every id of ``ids`` (bincount when dense enough, else sort)."""
        if len(ids) == 0:
            return
        if vocab_size <= 4 * len(ids) + 65536:
            bc = np.bincount(ids)
            keys = np.flatnonzero(bc)
            self.add(keys, bc[keys])
        else:
            keys, counts = np.unique(ids, return_counts=True)
            self.add(keys, counts.astype(np.int64))

    def compact(self) -> "SparseCounts":
        if self._pending:
            keys = np.concatenate([self.keys] + [p[0] for p in self._pending])
            counts = np.concatenate([self.counts] + [p[1] for p in self._pending])
            self._pending, self._npending = [], 0
            self.keys, self.counts = sum_by_key(keys, counts)
        return self

    def merge(self, other: "SparseCounts") -> None:
        other.compact()
        self.add(other.keys, other.counts)

    def __getstate__(self) -> tuple:
        self.compact()
        return (self.keys, self.counts)

    def __setstate__(self, state: tuple) -> None:
        self.keys, self.counts = state
        self._pending, self._npending = [], 0


def shannon_entropy(counts: np.ndarray) -> float:
    """H(p) in bits of the distribution proportional to ``counts``."""
    c = counts[counts > 0].astype(np.float64)
    p = c / c.sum()
    return float(-(p * np.log2(p)).sum())


def renyi_entropy(counts: np.ndarray, alpha: float) -> float:
    """H_α(p) = 1/(1−α) log2 Σ p^α in bits; α = 1 is Shannon."""
    if alpha == 1.0:
        return shannon_entropy(counts)
    c = counts[counts > 0].astype(np.float64)
    p = c / c.sum()
    return float(math.log2((p ** alpha).sum()) / (1.0 - alpha))


def efficiency(entropy_bits: float, vocab_size: int) -> float:
    """Entropy over log2|V| (NaN for a vocabulary of one)."""
    return entropy_bits / math.log2(vocab_size) if vocab_size > 1 else math.nan


class InformationAccumulator(Accumulator):
    """Unigram token counts and document counts per language."""

    def __init__(self) -> None:
        self.counts: dict[str, SparseCounts] = {}
        self.docs: dict[str, int] = {}
        self._items: list[tuple[str, SparseCounts, int]] | None = None  # see items()

    def update(self, batch: EncodedBatch) -> None:
        self._items = None
        t, vocab = batch.text, batch.tokenizer.vocab_size
        groups = t.language_groups()
        for lang, ix in groups:
            self.docs[lang] = self.docs.get(lang, 0) + len(ix)
        if len(groups) == 1:
            self.counts.setdefault(groups[0][0], SparseCounts()).add_ids(batch.flat, vocab)
            return
        # several languages in one chunk: each language's ids in one slice, counted like a single
        # language (a bincount when dense). Documents usually come language by language, so the
        # slices are those of the documents themselves; otherwise a stable sort by language (a
        # radix sort of small integers) gathers them. Either beats sorting (language, id) keys.
        lang_of_doc = np.empty(len(t.docs), dtype=np.int32)
        for g, (_, ix) in enumerate(groups):
            lang_of_doc[ix] = g
        if (np.diff(lang_of_doc) >= 0).all():
            ids = batch.flat
            bounds = np.append(batch.offsets[[ix[0] for _, ix in groups]], len(ids))
        else:
            lang_of_token = np.repeat(lang_of_doc, batch.n_tokens)
            order = np.argsort(lang_of_token, kind="stable")
            ids = batch.flat[order]
            bounds = np.searchsorted(lang_of_token[order], np.arange(len(groups) + 1))
        for g, (lang, _) in enumerate(groups):
            self.counts.setdefault(lang, SparseCounts()).add_ids(ids[bounds[g]:bounds[g + 1]], vocab)

    def merge(self, other: "InformationAccumulator") -> None:
        self._items = None
        for lang, c in other.counts.items():
            self.counts.setdefault(lang, SparseCounts()).merge(c)
        for lang, n in other.docs.items():
            self.docs[lang] = self.docs.get(lang, 0) + n

    def items(self) -> list[tuple[str, SparseCounts, int]]:
        """("all", pooled counts, documents) first, then each language in sorted order.

        Kept until the next update or merge: the entropies, the vocabulary utilization and the
        token-length histogram all read it, and pooling 128 languages of a 200k vocabulary takes
        a quarter of a second."""
        if self._items is None:
            langs = sorted(self.counts)
            pooled = SparseCounts()
            for lang in langs:
                pooled.merge(self.counts[lang])
            head = [(ALL, pooled.compact(), sum(self.docs.values()))] if langs else []
            self._items = head + [(lang, self.counts[lang].compact(), self.docs[lang]) for lang in langs]
        return self._items

    def rows(self, ctx: RowContext) -> list[MetricRow]:
        vocab, alpha = ctx.tokenizer.vocab_size, ctx.settings.renyi_alpha
        out: list[MetricRow] = []
        for lang, c, n in self.items():
            if c.counts.sum() == 0:
                continue
            h = shannon_entropy(c.counts)
            out.append(SHANNON_ENTROPY.row(lang, h, n=n))
            out.append(SHANNON_EFFICIENCY.row(lang, efficiency(h, vocab), n=n))
            out.append(RENYI_EFFICIENCY.row(lang, efficiency(renyi_entropy(c.counts, alpha), vocab), n=n,
                                            note=f"alpha={alpha:g}"))
        if vocab > 0:
            out += [VOCAB_UTILIZATION.row(lang, len(c.keys) / vocab, n=n) for lang, c, n in self.items()]
        return out


FAMILIES.register(MetricFamily(
    name="information", order=40, metrics=(SHANNON_ENTROPY, SHANNON_EFFICIENCY, RENYI_EFFICIENCY, VOCAB_UTILIZATION),
    accumulator=lambda corpus, settings: InformationAccumulator(),
    source="Zouhar et al. 2023, Tokenization and the Noiseless Channel",
    summary="how evenly the vocabulary is used",
))
