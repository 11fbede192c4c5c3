"""Coverage and fidelity: which part of the vocabulary the text uses, what the tokenizer could not
represent, and whether it gives the text back.

* ``vocab_utilization`` = #distinct ids used / |V| (|V| = ``Tokenizer.vocab_size``, special
  tokens included). Low on one language is expected for a multilingual vocabulary; low on the
  whole corpus means paying embedding rows for nothing (cf. Zouhar et al. 2023 on unused types).
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

The token-length histogram (:func:`token_length_histogram`) counts, for every token occurrence,
the UTF-8 length of the token's own piece: ``Tokenizer.token_bytes(id)`` when the adapter provides
it (exact: tiktoken, tokeff BPE; bytes and chars are exact by construction); otherwise len(decode([id]) in UTF-8), where a U+FFFD produced
by a token that is only part of a character counts as one byte. The fallback under-counts pieces
whose decoder drops a leading space marker (SentencePiece "▁the" decodes to "the");
``Measurement.notes`` says for which tokenizers the fallback was used.

Rates are ratios of sums over documents with bootstrap intervals; ``n`` is documents.
"""

from __future__ import annotations

import numpy as np

from ..adapters.base import Tokenizer
from .base import Accumulator, MetricRow, RowContext, Strata
from .bootstrap import sum_by_key
from .batch import EncodedBatch
from .information import InformationAccumulator

COLUMNS = ("docs", "tokens", "unk", "nonspace", "unk_chars", "byte_fallback", "roundtrip_ok")


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
        out: list[MetricRow] = []
        for lang, sums in s.items():
            n = s.total(sums, "docs")
            specs = [("unk_rate", "unk", "tokens", "UNK tokens / token", no_unk),
                     ("unk_char_rate", "unk_chars", "nonspace", "non-space characters lost to UNK / non-space character", no_unk),
                     ("byte_fallback_rate", "byte_fallback", "tokens", "byte-fallback tokens / token", no_bf)]
            if self.roundtrip:
                specs.append(("roundtrip_fidelity", "roundtrip_ok", "docs", "exact round trips / document", ""))
            for metric, num, den, unit, note in specs:
                if no_unk and num in ("unk", "unk_chars"):
                    out.append(MetricRow(metric, 0.0, unit, lang, 0.0, 0.0, n, note))
                    continue
                v, lo, hi = s.ratio(sums, num, den, boot)
                out.append(MetricRow(metric, v, unit, lang, lo, hi, n, note))
        return out


def vocab_utilization_rows(info: InformationAccumulator, ctx: RowContext) -> list[MetricRow]:
    """``vocab_utilization`` per language and overall, from the unigram counts."""
    vocab = ctx.tokenizer.vocab_size
    return [MetricRow("vocab_utilization", len(c.keys) / vocab, "distinct ids used / |V|", lang, n=n)
            for lang, c, n in info.items() if vocab > 0]


def piece_bytes(tokenizer: Tokenizer, ids: np.ndarray) -> tuple[np.ndarray, bool]:
    """UTF-8 length of each id's piece, and whether it is exact (see the module docstring)."""
    # bytes and chars decode one id to exactly its piece (a lone byte >= 0x80 to one U+FFFD)
    has_token_bytes = callable(getattr(tokenizer, "token_bytes", None))
    exact = has_token_bytes or tokenizer.family in ("bytes", "chars")
    spelling = tokenizer.spelling() if has_token_bytes else None
    if spelling is not None:
        # the round trip's table of pieces already holds these bytes (built once per tokenizer,
        # checked against the library's decode): its lengths for the ids it is sure of, the
        # library for the rest (tiktoken's 25k used ids one call each: 0.04 s per finish)
        out = np.zeros(len(ids), dtype=np.int64)
        known = ids < len(spelling.sure)
        known[known] = spelling.sure[ids[known]].astype(bool)
        out[known] = np.diff(spelling.offsets)[ids[known]]
        rest = np.flatnonzero(~known)
        if len(rest):
            out[rest] = _library_piece_bytes(tokenizer, ids[rest])
        return out, exact
    return _library_piece_bytes(tokenizer, ids), exact


def _library_piece_bytes(tokenizer: Tokenizer, ids: np.ndarray) -> np.ndarray:
    use_token_bytes = callable(getattr(tokenizer, "token_bytes", None))
    batch = getattr(tokenizer, "token_bytes_batch", None)  # the same, many ids per library call
    if callable(batch):
        return np.fromiter(map(len, batch(ids.tolist())), dtype=np.int64, count=len(ids))
    out = np.empty(len(ids), dtype=np.int64)
    for i, t in enumerate(ids.tolist()):
        if use_token_bytes:
            out[i] = len(tokenizer.token_bytes(t))  # type: ignore[attr-defined]
        else:
            s = tokenizer.decode([t])
            out[i] = len(s.encode("utf-8", errors="surrogatepass")) - 2 * s.count("\ufffd")
    return out


def token_length_histogram(info: InformationAccumulator, tokenizer: Tokenizer) -> tuple[dict[int, int], bool]:
    """{piece length in bytes: token occurrences} over all measured text, and exactness."""
    items = info.items()
    if not items:
        return {}, True
    pooled = items[0][1]
    lengths, exact = piece_bytes(tokenizer, pooled.keys)
    keys, counts = sum_by_key(lengths, pooled.counts)
    return dict(zip(keys.tolist(), counts.tolist())), exact
