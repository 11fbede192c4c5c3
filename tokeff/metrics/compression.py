"""Compression: how much text a token carries.

All are ratios of sums over the measured documents (never means of per-document ratios, which
would weight a one-word line like a long paragraph):

* ``tokens``: Σ_d tokens(d), the sequence length the model pays for (no special tokens).
* ``bytes_per_token`` = Σ_d UTF-8 bytes(d) / Σ_d tokens(d). Independent of script's byte width
  only in the sense that bytes are what a byte-level model would see; the usual "compression
  ratio" (e.g. Delétang et al. 2024, Goldman et al. 2024 "Unpacking Tokenization").
* ``chars_per_token`` = Σ_d code points(d) / Σ_d tokens(d) (characters are Unicode code
  points, not grapheme clusters).
* ``normalized_sequence_length`` = Σ_d tokens_T(d) / Σ_d tokens_B(d) against a baseline
  tokenizer B named by the user (Dagan et al. 2024, "Getting the most out of your tokenizer for
  pre-training and domain adaptation", §3: NSL < 1 means T yields shorter sequences than B). The
  baseline may be ``bytes`` or ``chars``, read off the counts kept here.

Every ratio has a paired bootstrap interval over documents (:mod:`tokeff.metrics.bootstrap`);
``n`` is the number of documents.
"""

from __future__ import annotations

import numpy as np

from .base import Accumulator, MetricRow, RowContext, Strata
from .batch import EncodedBatch
from .bootstrap import ratio_with_ci
from .registry import FAMILIES, Metric, MetricFamily

COLUMNS = ("docs", "bytes", "chars", "tokens")

TOKENS = Metric("tokens", "tokens", "tokens", definition="Σ tokens of the measured text (no special tokens)",
                count=True)
BYTES_PER_TOKEN = Metric("bytes_per_token", "UTF-8 bytes / token", "bytes per token", "higher",
                         "Σ UTF-8 bytes / Σ tokens")
CHARS_PER_TOKEN = Metric("chars_per_token", "characters / token", "characters per token", "higher",
                         "Σ code points / Σ tokens")
NSL = Metric("normalized_sequence_length", "tokens / {baseline} token", "normalized sequence length", "lower",
             "Σ tokens / Σ baseline tokens (Dagan et al. 2024)")


class CompressionAccumulator(Accumulator):
    """Σ documents, bytes, characters and tokens, per language and bootstrap slot."""

    def __init__(self) -> None:
        self.strata = Strata(COLUMNS)

    def update(self, batch: EncodedBatch) -> None:
        t = batch.text
        values = np.stack([np.ones(len(t.docs), dtype=np.int64), t.n_bytes, t.n_chars, batch.n_tokens], axis=1)
        self.strata.add(t, values)

    def merge(self, other: "CompressionAccumulator") -> None:
        self.strata.merge(other.strata)

    def rows(self, ctx: RowContext) -> list[MetricRow]:
        boot, s = ctx.bootstrap, self.strata
        out: list[MetricRow] = []
        for lang, sums in s.items():
            n = s.total(sums, "docs")
            out.append(TOKENS.row(lang, float(s.total(sums, "tokens")), n=n))
            out.append(BYTES_PER_TOKEN.row(lang, *s.ratio(sums, "bytes", "tokens", boot), n=n))
            out.append(CHARS_PER_TOKEN.row(lang, *s.ratio(sums, "chars", "tokens", boot), n=n))
        baseline = ctx.settings.baseline
        if baseline is not None:
            peer = ctx.peers.get(baseline, {}).get("compression")
            out += normalized_sequence_length_rows(self, peer if peer is not None else self, baseline, ctx)
        return out


#: Baselines that need no tokenizer: the column of :data:`COLUMNS` they count.
COUNTED_BASELINES = {"bytes": "bytes", "chars": "chars"}


def normalized_sequence_length_rows(acc: CompressionAccumulator, baseline: CompressionAccumulator,
                                    baseline_name: str, ctx: RowContext) -> list[MetricRow]:
    """``normalized_sequence_length`` of ``acc``'s tokenizer against ``baseline`` (paired replicates).

    When ``baseline_name`` is ``bytes`` or ``chars`` and ``baseline`` is ``acc`` itself (the
    baseline was not measured as a tokenizer), the denominator is the byte (character) count of
    the same documents.
    """
    counted = baseline is acc and baseline_name in COUNTED_BASELINES
    den_col = acc.strata.col[COUNTED_BASELINES[baseline_name] if counted else "tokens"]
    base = dict(baseline.strata.items())
    out: list[MetricRow] = []
    for lang, sums in acc.strata.items():
        den = base.get(lang)
        if den is None:
            continue
        v, lo, hi = ratio_with_ci(sums, acc.strata.col["tokens"], den, den_col, ctx.bootstrap)
        out.append(NSL.row(lang, v, lo, hi, acc.strata.total(sums, "docs"), f"baseline={baseline_name}",
                           baseline=baseline_name))
    return out


FAMILIES.register(MetricFamily(
    name="compression", order=10, metrics=(TOKENS, BYTES_PER_TOKEN, CHARS_PER_TOKEN, NSL),
    accumulator=lambda corpus, settings: CompressionAccumulator(),
    source="Goldman et al. 2024 (compression); Dagan et al. 2024 (normalized sequence length)",
    summary="how much text a token carries",
))
