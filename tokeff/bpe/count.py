r"""Step 1 of training: one streaming pass that counts pre-split chunks.

BPE only ever merges inside a chunk, and two equal chunks are merged identically, so the corpus is
reduced to ``{chunk: count}`` — a few hundred thousand distinct chunks for tens of megabytes of text.
Every later step works on that table, never on the text again.

The texts are read once, in batches of about :data:`BATCH_CHARS` characters. Counts are Python
ints, so they never overflow.

**Fewer regex calls.** The regex is most of the cost. For the preset patterns, no chunk ever
contains a space that follows a non-space character: inside a chunk, whitespace only ever comes
first (``" ?\p{L}+"``) or fills the whole chunk (``"\s+"``). So cutting the text before every such
space never cuts a chunk, and nothing a chunk's regex looks at (``(?!\S)``, ``$``) changes at a
cut. The C core cuts and counts these pieces (mostly ``" word"``), and the regex then runs once per
*distinct* piece, its chunks weighted by the piece's count: the same table, with the regex reading
about a fifth of the text (10 MB of mixed prose and code hold 1.9 MB of distinct pieces).
Without the C core, or with a custom pattern, every text goes through the regex.

**Processes.** Only when every text goes through the regex does counting use ``workers > 1``
processes: the batches go through a bounded queue to worker processes that each keep their own
counter and send it back once at the end; the parent adds the counters up. With the C core's
pieces this process counts alone: the cutting and counting runs faster than this process reads
the text, and every worker would hold its own table of nearly all the distinct pieces (a corpus's
common words reach every worker) and run the regex over them again: more time and memory, not
less.
"""

from __future__ import annotations

import itertools
import multiprocessing as mp
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator

from tokeff import _native
from tokeff.bpe.patterns import SPLITS_AT_SPACES, Pattern

BATCH_CHARS = 1 << 20  # ~1 MB of text per batch: large enough to amortize queue costs
PIECES_SLICE = 1 << 16  # distinct pieces handed from the C table to the regex at a time


def _batches(texts: Iterable[str], batch_chars: int) -> Iterator[list[str]]:
    batch: list[str] = []
    size = 0
    for text in texts:
        if not isinstance(text, str):
            raise TypeError(f"train_bpe expects an iterable of str, got an item of type {type(text).__name__}")
        batch.append(text)
        size += len(text)
        if size >= batch_chars:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _split_specials(texts: Iterable[str], specials: tuple[str, ...]) -> Iterator[str]:
    """Cut special-token strings out of the text: they are not language and must not be learned."""
    if not specials:
        yield from texts
        return
    import regex

    cutter = regex.compile("|".join(regex.escape(s) for s in sorted(specials, key=len, reverse=True)))
    for text in texts:
        yield from cutter.split(text)


def uses_pieces(pattern: Pattern) -> bool:
    """Whether chunks are counted through the C core's space-cut pieces (see the module docstring)."""
    return _native.core is not None and pattern.name in SPLITS_AT_SPACES


class ChunkCounter:
    """Counts the chunks of batches of texts; :meth:`result` gives ``{chunk: count}``."""

    def __init__(self, pattern: Pattern, use_core: bool = True) -> None:
        self.findall = pattern.compiled.findall
        self.chunks: Counter = Counter()
        # distinct space-cut pieces and their counts, when that shortcut is exact
        self.core = _native.core if use_core and uses_pieces(pattern) else None
        self.pieces = self.core.segments_new() if self.core is not None else None

    def add(self, batch: list[str]) -> None:
        if self.pieces is not None:
            self.core.segments_add(self.pieces, batch)
        else:
            for text in batch:
                self.chunks.update(self.findall(text))

    def result(self) -> dict[str, int]:
        chunks = self.chunks
        if self.pieces is not None:
            findall, get, take = self.findall, chunks.get, self.core.segments_take
            # a slice of the pieces at a time, each dropped before the next: the C table (freed as
            # it empties) and a dict of every piece would otherwise be alive at once, the peak of
            # the whole training
            while part := take(self.pieces, PIECES_SLICE):
                for piece, n in part.items():
                    for chunk in findall(piece):
                        chunks[chunk] = get(chunk, 0) + n
                del part
        return dict(chunks)


def _worker(pattern: Pattern, inbox: "mp.Queue", outbox: "mp.Queue") -> None:
    counter = ChunkCounter(pattern)
    try:
        while (batch := inbox.get()) is not None:
            counter.add(batch)
        outbox.put(counter.result())
    except BaseException as exc:  # hand the failure to the parent instead of leaving it waiting
        outbox.put(exc)


def default_workers() -> int:
    """One worker per usable core."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def count_chunks(
    texts: Iterable[str],
    pattern: Pattern,
    *,
    special_tokens: tuple[str, ...] = (),
    workers: int | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> tuple[dict[str, int], int]:
    """``({chunk: count}, number of characters read)`` for the whole stream of texts.

    ``on_batch(chars)`` is called after each batch is handed out (for progress bars).
    """
    workers = default_workers() if workers is None else max(1, int(workers))
    if uses_pieces(pattern):
        workers = 1  # see "Processes" in the module docstring
    stream = _batches(_split_specials(texts, tuple(special_tokens)), BATCH_CHARS)
    total_chars = 0
    # a corpus of one batch is counted here: starting processes would cost more than they save
    first = next(stream, None)
    second = next(stream, None) if first is not None else None
    stream = itertools.chain([b for b in (first, second) if b is not None], stream)
    if workers == 1 or second is None:
        counter = ChunkCounter(pattern)
        for batch in stream:
            counter.add(batch)
            chars = sum(map(len, batch))
            total_chars += chars
            if on_batch:
                on_batch(chars)
        return counter.result(), total_chars

    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
    inbox: mp.Queue = ctx.Queue(maxsize=2 * workers)  # bounded: the text is never all in memory
    outbox: mp.Queue = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(pattern, inbox, outbox), daemon=True) for _ in range(workers)]
    for p in procs:
        p.start()
    ok = False
    try:
        for batch in stream:
            inbox.put(batch)
            chars = sum(map(len, batch))
            total_chars += chars
            if on_batch:
                on_batch(chars)
        for _ in procs:
            inbox.put(None)
        # the largest partial counter first, so the merge below does the least work
        parts = [outbox.get() for _ in procs]
        ok = True
    finally:
        for p in procs:
            if not ok:
                p.terminate()
            p.join(timeout=5)
    for part in parts:
        if isinstance(part, BaseException):
            raise part
    parts.sort(key=len, reverse=True)
    total = parts[0]
    for part in parts[1:]:
        for chunk, n in part.items():
            total[chunk] = total.get(chunk, 0) + n
    return total, total_chars
