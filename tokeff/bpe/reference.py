"""A pure-Python BPE encoder: slow, obvious, and the yardstick the fast path is tested against.

To encode a chunk: start from its bytes; repeatedly find, among adjacent pairs, the one merged
earliest in training (lowest merge index) and replace every occurrence of it, left to right; stop
when no adjacent pair is a merge. This is exactly how the merges were learned, so a training chunk
is encoded the way training left it. (HF ``tokenizers`` applies merges the same way.)
"""

from __future__ import annotations

from collections.abc import Sequence

import regex

from tokeff.bpe.patterns import Pattern

INF = float("inf")


def merge_ids(ids: list[int], pair: tuple[int, int], new: int) -> list[int]:
    """Replace every non-overlapping occurrence of ``pair`` in ``ids``, left to right, by ``new``."""
    out: list[int] = []
    i = 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            out.append(new)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def encode_chunk(chunk: bytes, ranks: dict[tuple[int, int], int]) -> list[int]:
    """Token ids of one pre-split chunk; ``ranks[(a, b)] = k`` for merge ``k`` (token ``256 + k``)."""
    ids = list(chunk)
    while len(ids) >= 2:
        pair = min(zip(ids, ids[1:]), key=lambda p: ranks.get(p, INF))
        if pair not in ranks:
            break
        ids = merge_ids(ids, pair, 256 + ranks[pair])
    return ids


def encode(
    text: str,
    merges: Sequence[tuple[int, int]],
    pattern: str,
    special_tokens: Sequence[str] = (),
    allow_special: bool = False,
) -> list[int]:
    """Token ids of ``text``: special tokens (if allowed) split out first, then pre-split, then BPE."""
    ranks = {pair: k for k, pair in enumerate(merges)}
    split = Pattern.resolve(pattern).split
    first_special = 256 + len(merges)
    pieces: list[tuple[str, int | None]] = [(text, None)]
    if allow_special and special_tokens:
        cutter = regex.compile(
            "(" + "|".join(regex.escape(s) for s in sorted(special_tokens, key=len, reverse=True)) + ")"
        )
        ids_of = {s: first_special + i for i, s in enumerate(special_tokens)}
        pieces = [(p, ids_of.get(p)) if k % 2 else (p, None) for k, p in enumerate(cutter.split(text))]
    out: list[int] = []
    for piece, special_id in pieces:
        if special_id is not None:
            out.append(special_id)
            continue
        for chunk in split(piece):
            out.extend(encode_chunk(chunk.encode("utf-8"), ranks))
    return out
