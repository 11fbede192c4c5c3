"""The local engine: the measuring half of the analysis pass on this machine.

With ``workers = N`` the measuring runs in N processes: this one and N − 1 forked
workers. This process reads each corpus once and deals its chunks in runs of :data:`DEAL`
through one bounded queue per worker (at most :data:`QUEUED_RUNS` runs waiting in each), so
memory stays flat and text never piles up. A run goes to the next worker with room in its queue;
when every queue is full, the workers have work waiting, and this process measures the run
itself instead of waiting for room. It therefore measures about its share of the corpus too
(less the time reading takes it): one process less to fork and start, and only the workers'
share of the text pickled to them. Reading the corpus once here, rather than in every worker,
spares each worker decoding the text it would skip. Runs rather than single chunks because
neighbouring documents share words (same language, same book), and a word met by two processes
is encoded by both. Workers are forked, so tokenizers
reach them as the very objects the caller loaded (tiktoken, HF ``tokenizers`` and SentencePiece
objects alike; only the chunks' texts are pickled on the way in) and trained tokenizers need not
be saved first. States come back pickled and are merged; since every state is integer sums,
which process measured which run changes no number.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any

from .. import _native
from ..adapters.base import Tokenizer, one_thread
from ..analysis import State, chunks, counts_words, measure_corpus, merge, new_state, update
from ..corpus.core import Corpus
from ..env import setenv
from ..errors import TokeffError
from ..metrics.batch import DocumentColumns, WordTable
from ..metrics.settings import MetricSettings
from ..text import char_classes
from . import ENGINES, Engine, EngineInfo, OnBytes

#: Consecutive chunks a worker takes at a time (see the module docstring).
DEAL = 4


class LocalEngine(Engine):
    """``workers`` processes on this machine, this one included (1: this process alone)."""

    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, workers if workers is not None else (os.cpu_count() or 1))

    def states(self, corpora: Sequence[Corpus], tokenizers: Sequence[Tokenizer], settings: MetricSettings,
               on_bytes: OnBytes | None = None) -> list[State]:
        return _collect(list(corpora), list(tokenizers), settings, self.workers, on_bytes)


def _make(workers: int | None = None, scheduler: str | None = None) -> LocalEngine:
    if scheduler is not None:
        raise TokeffError(f"--scheduler {scheduler} names a Dask scheduler, which the local engine does not use: "
                          "add --engine dask")
    return LocalEngine(workers)


ENGINES.register(EngineInfo("local", "this machine, one process per core (the default)", _make))


# Set in the parent just before forking; workers read it instead of unpickling tokenizers.
_JOB: dict[str, Any] = {}

#: Runs of chunks waiting for each worker at most (bounds the parent's memory; two keep a worker
#: busy while the parent reads the next).
QUEUED_RUNS = 2


def _worker(shard: int) -> dict[int, State]:
    """Take runs of chunks from this worker's queue until ``None``; the states, by corpus index."""
    counter, inbox = _JOB["counter"], _JOB["queues"][shard]
    corpora, tokenizers, settings = _JOB["corpora"], _JOB["tokenizers"], _JOB["settings"]

    def on_bytes(n: int) -> None:
        with counter.get_lock():
            counter.value += n

    states: dict[int, State] = {}
    current, table = -1, WordTable()  # word ids shared by all chunks and tokenizers of a corpus
    # one process per core is the parallelism here (see adapters.base.threads; HF's thread pool
    # is turned off through TOKENIZERS_PARALLELISM)
    with one_thread():
        while (message := inbox.get()) is not None:
            ci, run = message
            if ci != current:
                # the parent deals the corpora one after another: the last one's words are done with
                current, table = ci, WordTable()
                states[ci] = new_state(corpora[ci], tokenizers, settings)
            for docs in run:
                update(states[ci], table, docs, tokenizers, settings, on_bytes)
    return states


def _collect(corpora: list[Corpus], tokenizers: list[Tokenizer], settings: MetricSettings,
             workers: int, on_bytes: OnBytes | None) -> list[State]:
    """The merged accumulator states, one per corpus."""
    if "fork" not in mp.get_all_start_methods():
        workers = 1  # no fork (Windows): corpora hold closures, so stay in this process
    if workers == 1 or not corpora or not tokenizers:
        return [measure_corpus(c, tokenizers, settings, on_bytes) for c in corpora]
    ctx = mp.get_context("fork")
    children = workers - 1  # this process measures too: see the module docstring
    counter = ctx.Value("q", 0)
    queues = [ctx.Queue(QUEUED_RUNS) for _ in range(children)]
    # built once here, inherited by every worker (else each builds its own)
    for tok in tokenizers:
        tok.token_flags()
        if _native.core is not None and settings.roundtrip:
            tok.spelling()
    merged = [new_state(c, tokenizers, settings) for c in corpora]  # this process's runs go here
    if _native.core is not None and any(counts_words(s) for s in merged):
        char_classes()  # the word scan's table (0.2 s to build)
    _JOB.update(corpora=corpora, tokenizers=tokenizers, settings=settings, counter=counter, queues=queues)
    mine = 0  # bytes this process measured itself
    # HF's thread pool off for the length of the pass, in this process and the forked ones
    # (one process per core is the parallelism here; HF would also warn in every worker that
    # it turns the pool off after a fork)
    try:
        with setenv("TOKENIZERS_PARALLELISM", "false"), \
                ProcessPoolExecutor(max_workers=children, mp_context=ctx) as pool:
            futures = [pool.submit(_worker, w) for w in range(children)]
            seen, turn = 0, 0

            def tick() -> None:
                nonlocal seen
                if on_bytes is not None:
                    value = counter.value + mine
                    on_bytes(value - seen)
                    seen = value

            def own_bytes(n: int) -> None:
                nonlocal mine
                mine += n
                tick()

            def check() -> None:
                # a worker that failed takes nothing more: its error is raised here, not later
                for f in futures:
                    if f.done():
                        f.result()
                        raise TokeffError("a measurement worker stopped early")

            def deal(ci: int, run: list[DocumentColumns], table: WordTable) -> None:
                # the next worker with room in its queue takes the run; when every queue is
                # full (the workers have work waiting), this process measures it itself
                nonlocal turn
                check()
                for k in range(children):
                    w = (turn + k) % children
                    try:
                        queues[w].put_nowait((ci, run))
                    except queue.Full:
                        continue
                    turn = w + 1
                    tick()
                    return
                with one_thread():
                    for docs in run:
                        update(merged[ci], table, docs, tokenizers, settings, own_bytes)

            def stop(w: int) -> None:
                while True:
                    try:
                        queues[w].put(None, timeout=0.2)
                        tick()
                        return
                    except queue.Full:
                        check()
                        tick()

            try:
                # this process reads each corpus once and deals it (see the module docstring)
                for ci, corpus in enumerate(corpora):
                    table = WordTable()  # for the runs this process keeps
                    run: list[DocumentColumns] = []
                    for docs in chunks(corpus, settings):
                        run.append(DocumentColumns.of(docs))
                        if len(run) == DEAL:
                            deal(ci, run, table)
                            run = []
                    if run:
                        deal(ci, run, table)
                for w in range(children):
                    stop(w)
                pending = set(futures)
                while pending:
                    done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                    for f in done:
                        f.result()
                    tick()
            except BaseException:
                # Ctrl-C in a notebook (only this process hears it) or a worker's error: end
                # the workers now, or leaving the pool would wait for their whole shards
                _stop_workers(pool)
                raise
            # merge in worker order (any order gives the same integers)
            for f in futures:
                for ci, state in f.result().items():
                    merge(merged[ci], state)
    finally:
        for q in queues:
            q.cancel_join_thread()  # runs still queued for ended workers must not hold up exit
            q.close()
        _JOB.clear()
    return merged


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Terminate a pool's worker processes and drop its queued work."""
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14+
    if callable(terminate):
        terminate()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
