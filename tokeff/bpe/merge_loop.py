"""Step 2 of training: learn merges from the chunk table, with incremental pair counts.

The algorithm (the one HF ``tokenizers``' ``BpeTrainer`` uses, so both learn the same merges):

1. Every distinct chunk is a *word*: a list of token ids, starting as its bytes, with a count ``c_w``.
2. ``count[(a, b)] = Σ_w c_w · #{i : w[i] = a, w[i+1] = b}`` over adjacent positions. Overlapping
   positions all count: ``"aaaa"`` adds 3 to ``(a, a)`` even though only 2 merges fit. ``where[(a,b)]``
   remembers which words hold the pair.
3. A max-heap holds ``(count, pair)``. Pop the top; if its count is stale (counts only ever go down
   for pairs already in the heap), push it back with the current count and pop again. Otherwise the
   top is the most frequent pair: stop if its count is below ``min_frequency``, else it becomes
   merge number ``k`` and token ``256 + k``.
4. Rewrite only the words in ``where[pair]``, left to right, never overlapping (``aaaa`` -> ``aa aa``,
   ``aaa`` -> ``aa a``). Each rewrite at position ``i`` with neighbours ``p`` (already rewritten)
   and ``n``: ``count[(p, a)] -= c_w``, ``count[(p, new)] += c_w``, ``count[(b, n)] -= c_w``,
   ``count[(new, n)] += c_w``. New pairs (they all contain the new token) are pushed once.

Each merge costs time in proportion to the words that hold its pair, not to the corpus.

**Ties.** Pairs of equal count come out smallest pair first, comparing ``(key(a), key(b))`` where
``key`` is the id HF's byte-level trainer gives the token: a merged token's key is its tokeff id,
and a byte's key is its rank in HF's byte-to-unicode alphabet (:data:`tokeff.bpe.alphabet.HF_BYTE_RANK`,
e.g. all printable ASCII bytes come before the space byte). This is exactly HF's rule — it compares
pairs of *ids*, not of token strings — so the merge lists agree, ties included.

One corner where the two could part: a merge whose result spells the *same bytes* as an earlier
token (``(ab, c)`` and later ``(a, bc)`` both spell ``abc``). HF would reuse the old id; tokeff
gives every merge a new id so that ids, tiktoken ranks and merge order stay one and the same. From
such a merge on, tie-break keys (and so possibly the order of later ties) would differ. It needs a
lone ``a`` next to ``bc`` after ``ab`` was already a token, which left-to-right merging makes very
rare: none occurred in 50,000 merges learned from 50 MB of mixed text. Should it happen, the model
warns and encodes with the reference encoder (tiktoken needs distinct bytes per rank).

This module is the pure-Python reference; ``tokeff/_native/merge.c`` runs the same steps in C.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable, Mapping

from tokeff.bpe.alphabet import HF_BYTE_RANK


def tie_key(token: int) -> int:
    """HF's id for a tokeff token (no special tokens): the byte's alphabet rank, or the id itself."""
    return HF_BYTE_RANK[token] if token < 256 else token


def learn_merges(
    chunks: Mapping[str, int],
    n_merges: int,
    min_frequency: int = 2,
    on_merge: Callable[[int], None] | None = None,
) -> list[tuple[int, int]]:
    """Up to ``n_merges`` merges ``(a, b)`` learned from ``{chunk: count}``, the ``k``-th making token
    ``256 + k``.

    Stops early when no pair is left with a count of at least ``max(min_frequency, 1)``.
    ``on_merge(k)`` is called after each merge (for progress bars).
    """
    seqs: list[list[int]] = [list(chunk.encode("utf-8")) for chunk in chunks]
    counts = list(chunks.values())
    pair_count: dict[tuple[int, int], int] = defaultdict(int)
    where: dict[tuple[int, int], set[int]] = defaultdict(set)
    for w, (seq, c) in enumerate(zip(seqs, counts)):
        for pair in zip(seq, seq[1:]):
            pair_count[pair] += c
            where[pair].add(w)

    # heap entries: (-count, key(a), key(b), a, b); the keys make ties deterministic
    heap = [(-n, tie_key(a), tie_key(b), a, b) for (a, b), n in pair_count.items() if n > 0]
    heapq.heapify(heap)
    threshold = max(1, min_frequency)
    merges: list[tuple[int, int]] = []
    while len(merges) < n_merges and heap:
        neg, ka, kb, a, b = heapq.heappop(heap)
        current = pair_count.get((a, b), 0)
        if -neg != current:  # stale entry: the pair lost occurrences since it was pushed
            if current > 0:
                heapq.heappush(heap, (-current, ka, kb, a, b))
            continue
        if current < threshold:
            break
        new = 256 + len(merges)
        merges.append((a, b))
        created: set[tuple[int, int]] = set()
        for w in where.pop((a, b)):
            seq = seqs[w]
            c = counts[w]
            out: list[int] = []
            i, n = 0, len(seq)
            while i < n:
                if i + 1 < n and seq[i] == a and seq[i + 1] == b:
                    if out:  # left neighbour (possibly a token made by this very merge)
                        p = out[-1]
                        pair_count[(p, a)] -= c
                        pair_count[(p, new)] += c
                        where[(p, new)].add(w)
                        created.add((p, new))
                    if i + 2 < n:  # right neighbour, not rewritten yet
                        nx = seq[i + 2]
                        pair_count[(b, nx)] -= c
                        pair_count[(new, nx)] += c
                        where[(new, nx)].add(w)
                        created.add((new, nx))
                    out.append(new)
                    i += 2
                else:
                    out.append(seq[i])
                    i += 1
            seqs[w] = out
        del pair_count[(a, b)]
        for pair in created:
            n = pair_count[pair]
            if n > 0:
                heapq.heappush(heap, (-n, tie_key(pair[0]), tie_key(pair[1]), pair[0], pair[1]))
        if on_merge:
            on_merge(len(merges))
    return merges
