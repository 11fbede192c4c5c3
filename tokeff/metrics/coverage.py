"""Coverage and fidelity: what the tokenizer could not represent, and whether it gives the text back.

* ``unk_rate`` = UNK tokens / tokens. 0 by construction for tokenizers without an UNK token
  (byte-level BPE, bytes, chars): those rows say so in ``note``.
* ``unk_char_rate`` = non-space characters lost to UNK / non-space characters. Per document with
  at least one UNK, lost = nonspace(x) − nonspace(decode(ids without the UNK ids)), at least one
  per UNK token and at most nonspace(x); documents without UNK lose nothing. It is an estimate
  (a normalizer that deletes characters, e.g. accent stripping, counts them as lost) and the
  quantity Petrov et al. (2023) threshold at 10 % to drop a language from premiums.
* ``byte_fallback_rate`` = tokens that are byte-fallback pieces (SentencePiece ``<0xNN>``,
  ``Tokenizer.byte_fallback_ids``) / tokens: how often the vocabulary had to spell raw bytes.
* ``roundtrip_fidelity`` = documents with decode(encode(x)) == x exactly / documents.
  Normalizing tokenizers (lower-casing WordPiece, NFKC) score below 1 by design.

Rates are ratios of sums over documents with bootstrap intervals; ``n`` is documents.
"""

from __future__ import annotations

import numpy as np

from .base import Accumulator, MetricRow, RowContext, Strata
from .batch import EncodedBatch
from .registry import FAMILIES, Metric, MetricFamily

COLUMNS = ("docs", "tokens", "unk", "nonspace", "unk_chars", "byte_fallback", "roundtrip_ok")

UNK_RATE = Metric("unk_rate", "UNK tokens / token", "unknown-token rate", "lower", "UNK tokens / tokens")
UNK_CHAR_RATE = Metric("unk_char_rate", "non-space characters lost to UNK / non-space character",
                       "characters lost to unknown tokens", "lower",
                       "non-space characters lost to UNK / non-space characters (Petrov et al. 2023)")
BYTE_FALLBACK_RATE = Metric("byte_fallback_rate", "byte-fallback tokens / token", "byte-fallback rate", "lower",
                            "byte-fallback tokens / tokens")
ROUNDTRIP_FIDELITY = Metric("roundtrip_fidelity", "exact round trips / document", "round-trip fidelity", "higher",
                            "documents with decode(encode(x)) == x / documents")


class CoverageAccumulator(Accumulator):
    """Per-document UNK, byte-fallback and round-trip counts, per language and bootstrap slot."""

    def __init__(self, roundtrip: bool = True) -> None:
        self.roundtrip = roundtrip
        self.strata = Strata(COLUMNS)

    def update(self, batch: EncodedBatch) -> None:
        t = batch.text
        values = np.empty((len(t.docs), len(COLUMNS)), dtype=np.int64)
        values[:, 0] = 1
        values[:, 1] = batch.n_tokens
        values[:, 2] = batch.n_unk
        # without an UNK token nothing is ever lost to it: skip counting the denominator
        values[:, 3] = t.n_nonspace if batch.tokenizer.unk_id is not None else 0
        values[:, 4] = batch.n_unk_chars
        values[:, 5] = batch.n_byte_fallback
        values[:, 6] = batch.roundtrip_ok if self.roundtrip else 0
        self.strata.add(t, values)

    def merge(self, other: "CoverageAccumulator") -> None:
        self.strata.merge(other.strata)

    def rows(self, ctx: RowContext) -> list[MetricRow]:
        boot, s, tok = ctx.bootstrap, self.strata, ctx.tokenizer
        no_unk = "tokenizer has no UNK token" if tok.unk_id is None else ""
        no_bf = "" if tok.byte_fallback_ids else "tokenizer has no byte-fallback tokens"
        ratios = [(UNK_RATE, "unk", "tokens", no_unk), (UNK_CHAR_RATE, "unk_chars", "nonspace", no_unk),
                  (BYTE_FALLBACK_RATE, "byte_fallback", "tokens", no_bf)]
        if self.roundtrip:
            ratios.append((ROUNDTRIP_FIDELITY, "roundtrip_ok", "docs", ""))
        out: list[MetricRow] = []
        for lang, sums in s.items():
            n = s.total(sums, "docs")
            for metric, num, den, note in ratios:
                if no_unk and num in ("unk", "unk_chars"):
                    out.append(metric.row(lang, 0.0, 0.0, 0.0, n, note))
                    continue
                out.append(metric.row(lang, *s.ratio(sums, num, den, boot), n=n, note=note))
        return out


FAMILIES.register(MetricFamily(
    name="coverage", order=50, metrics=(UNK_RATE, UNK_CHAR_RATE, BYTE_FALLBACK_RATE, ROUNDTRIP_FIDELITY),
    accumulator=lambda corpus, settings: CoverageAccumulator(roundtrip=settings.roundtrip),
    source="Petrov et al. 2023 (characters lost to UNK)",
    summary="what the tokenizer cannot represent, and whether it gives the text back",
))
