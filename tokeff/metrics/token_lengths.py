"""The token-length histogram: how many occurrences of tokens have pieces of 1, 2, 3... UTF-8 bytes.

The token-length histogram (:func:`token_length_histogram`) counts, for every token occurrence,
the UTF-8 length of the token's own piece: ``Tokenizer.token_bytes(id)`` when the adapter provides
it (exact: tiktoken, tokeff BPE, bytes, chars); otherwise len(decode([id]) in UTF-8), where a
U+FFFD produced by a token that is only part of a character counts as one byte. The fallback under-counts pieces
whose decoder drops a leading space marker (SentencePiece "▁the" decodes to "the");
``Measurement.notes`` says for which tokenizers the fallback was used.
"""

from __future__ import annotations

import numpy as np

from ..adapters.base import Tokenizer
from .base import RowContext
from .bootstrap import sum_by_key
from .information import InformationAccumulator

#: Columns of the token-length table (``token_lengths.csv``).
TOKEN_LENGTH_COLUMNS = ["corpus", "tokenizer", "token_bytes", "count"]


def piece_bytes(tokenizer: Tokenizer, ids: np.ndarray) -> tuple[np.ndarray, bool]:
    """UTF-8 length of each id's piece, and whether it is exact (see the module docstring)."""
    has_token_bytes = callable(getattr(tokenizer, "token_bytes", None))
    exact = has_token_bytes
    spelling = tokenizer.spelling() if has_token_bytes else None
    if spelling is not None:
        # the round trip's table of pieces already holds these bytes (built once per tokenizer,
        # checked against the library's decode): its lengths for the ids it is sure of, the
        # library for the rest (one library call per id otherwise)
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


def token_length_rows(info: InformationAccumulator, ctx: RowContext) -> None:
    """Add the histogram of ``ctx.tokenizer`` on ``ctx.corpus`` to ``ctx.extras`` (with a note when
    the lengths come from decoded pieces)."""
    tok = ctx.tokenizer
    hist, exact = token_length_histogram(info, tok)
    corpus = ctx.corpus.name if ctx.corpus is not None else ""
    ctx.extras.token_lengths += [[corpus, tok.name, k, v] for k, v in sorted(hist.items())]
    if not exact and hist:
        ctx.extras.note(f"{tok.name}: token lengths are those of decode([id]) (the adapter has no "
                        "token_bytes), so pieces whose leading space marker the decoder drops count short")
