"""The analysis pass: every metric of every tokenizer on every corpus, in one streaming pass.

For each corpus, documents of the chosen split (``eval`` by default) are read in chunks of
``MetricSettings.chunk_docs`` documents (and at most ``chunk_chars`` characters). What does not
depend on the tokenizer (bytes, characters, words, bootstrap slots) is computed once per chunk;
then each tokenizer encodes the chunk once with its ``encode_batch`` and that one encoding feeds
every accumulator of :mod:`tokeff.metrics`.

Memory is flat in corpus size: accumulators keep integer sums per language and bootstrap slot
(at most 65,536 slots), unigram counts (at most |V| per language), and a bounded table of
distinct words with each tokenizer's token count per word; parallel corpora additionally keep
one small record per aligned line.

**Workers.** With ``workers = N`` the pass runs in N processes: this one and N − 1 forked
workers. This process reads each corpus once and deals its chunks in runs of :data:`DEAL`
through one bounded queue per worker (at most :data:`QUEUED_RUNS` runs waiting in each), so
memory stays flat and text never piles up. A run goes to the next worker with room in its queue;
when every queue is full, the workers have work waiting, and this process measures the run
itself instead of waiting for room. It therefore measures about its share of the corpus too
(less the time reading takes it), where it used to sit idle beside N workers: one process less
to fork and start, and only the workers' share of the text pickled to them. (Workers that read
the corpus themselves and skipped the others' chunks each paid for reading and decoding all of
it, five times what they measured on the default 20 % eval split.) Runs rather than single
chunks because neighbouring documents share words (same language, same book), and a word met
by two processes is encoded by both: on 10 MB of NTREX, dealing single chunks had the workers
encode 269k words for 218k distinct ones, runs of four 243k. Workers are forked, so tokenizers
reach them as the very objects the caller loaded (tiktoken, HF ``tokenizers`` and SentencePiece
objects alike; only the chunks' texts are pickled on the way in) and trained tokenizers need not
be saved first. States come back pickled and are merged; since every state is integer sums,
which process measured which run changes no number: a sharded run gives bit-identical results
to a single pass. All floating-point work (ratios, intervals, entropies)
happens once, on the merged state, so the output is a pure function of the inputs and the seed.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import pandas as pd

from . import _native
from .adapters.base import Tokenizer, one_thread
from .corpus.core import Corpus, Document
from .env import setenv
from .errors import TokeffError
from .metrics.base import MetricRow, RowContext
from .metrics.batch import DocumentColumns, EncodedBatch, TextBatch, WordTable
from .metrics.bootstrap import Bootstrap, precompute_replicates
from .metrics.compression import COUNTED_BASELINES, CompressionAccumulator, normalized_sequence_length_rows
from .metrics.coverage import CoverageAccumulator, token_length_histogram, vocab_utilization_rows
from .metrics.information import InformationAccumulator
from .metrics.parity import ParityAccumulator
from .metrics.settings import MetricSettings
from .metrics.words import WordsAccumulator
from .results import METRIC_COLUMNS, tidy
from .text import char_classes

__all__ = ["MetricSettings", "Measurement", "measure", "TOKEN_LENGTH_COLUMNS"]

#: Columns of :attr:`Measurement.token_lengths`.
TOKEN_LENGTH_COLUMNS = ["corpus", "tokenizer", "token_bytes", "count"]


@dataclass
class Measurement:
    """What :func:`measure` returns.

    Attributes:
        metrics: the tidy table, columns exactly :data:`tokeff.results.METRIC_COLUMNS`; for
            each (corpus, tokenizer, metric) a ``language == "all"`` row (premium excepted: it
            only exists per language) and one row per language; sorted.
        token_lengths: occurrences of tokens by the UTF-8 length of their piece, columns
            :data:`TOKEN_LENGTH_COLUMNS` (for a histogram; see :mod:`tokeff.metrics.coverage`).
        dropped: (language, tokenizer) pairs left out of premiums, as dicts with ``corpus``,
            ``language``, ``tokenizer``, ``reason`` and ``unk_char_rate``.
        settings: the settings used (the seed among them).
        notes: one line per thing a reader should know (e.g. token lengths from decoded pieces).
        seconds: wall time of the pass.
    """

    metrics: pd.DataFrame
    token_lengths: pd.DataFrame
    dropped: list[dict[str, Any]] = field(default_factory=list)
    settings: MetricSettings = field(default_factory=MetricSettings)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


# ---------------------------------------------------------------------------------------------
# One shard of one corpus


def _new_state(corpus: Corpus, tokenizers: Sequence[Tokenizer], settings: MetricSettings) -> dict[str, dict[str, Any]]:
    state: dict[str, dict[str, Any]] = {}
    for tok in tokenizers:
        accs: dict[str, Any] = {
            "compression": CompressionAccumulator(),
            "coverage": CoverageAccumulator(roundtrip=settings.roundtrip),
            "information": InformationAccumulator(),
        }
        if settings.word_metrics:
            accs["words"] = WordsAccumulator()
        if corpus.parallel:
            accs["parity"] = ParityAccumulator(corpus.reference_language)
        state[tok.name] = accs
    return state


def _chunks(corpus: Corpus, settings: MetricSettings) -> Iterator[list[Document]]:
    """The split's documents in chunks of at most ``chunk_docs`` documents and (but for a single
    longer document) ``chunk_chars`` characters; a document without an id gets its position as one."""
    chunk: list[Document] = []
    chars = 0
    max_docs, max_chars = settings.chunk_docs, settings.chunk_chars  # read once: this loop runs per document
    for i, doc in enumerate(corpus.documents(settings.split)):
        if not doc.doc_id:
            doc = Document(doc.text, doc.language, f"#{i}")
        n = len(doc.text)
        if chunk and chars + n > max_chars:
            yield chunk
            chunk, chars = [], 0
        chunk.append(doc)
        chars += n
        if len(chunk) >= max_docs:
            yield chunk
            chunk, chars = [], 0
    if chunk:
        yield chunk


#: Consecutive chunks a worker takes at a time (see the module docstring).
DEAL = 4


def _run_shard(corpus: Corpus, tokenizers: Sequence[Tokenizer], settings: MetricSettings,
               shard: int, shards: int, on_bytes=None) -> dict[str, dict[str, Any]]:
    """The state of the chunks dealt to ``shard`` of ``shards``, in this process."""
    state = _new_state(corpus, tokenizers, settings)
    table = WordTable()  # word ids shared by all chunks and tokenizers of this shard
    for c, docs in enumerate(_chunks(corpus, settings)):
        if (c // DEAL) % shards == shard:
            _update(state, table, docs, tokenizers, settings, on_bytes)
    return state


def _update(state: dict[str, dict[str, Any]], table: WordTable, docs: Sequence[Document],
            tokenizers: Sequence[Tokenizer], settings: MetricSettings, on_bytes=None) -> None:
    """Feed one chunk to every accumulator of every tokenizer."""
    text = TextBatch(docs, settings.word_sample, table, count_words=settings.word_metrics)
    for tok in tokenizers:
        batch = EncodedBatch(text, tok.encode_batch(text.texts), tok)
        for acc in state[tok.name].values():
            acc.update(batch)
    if on_bytes is not None:
        on_bytes(int(text.n_bytes.sum()))


def _merge(into: dict[str, dict[str, Any]], other: dict[str, dict[str, Any]]) -> None:
    for name, accs in other.items():
        for family, acc in accs.items():
            into[name][family].merge(acc)


# Set in the parent just before forking; workers read it instead of unpickling tokenizers.
_JOB: dict[str, Any] = {}

#: Runs of chunks waiting for each worker at most (bounds the parent's memory; two keep a worker
#: busy while the parent reads the next).
QUEUED_RUNS = 2


def _worker(shard: int) -> dict[int, dict[str, dict[str, Any]]]:
    """Take runs of chunks from this worker's queue until ``None``; the states, by corpus index."""
    counter, inbox = _JOB["counter"], _JOB["queues"][shard]
    corpora, tokenizers, settings = _JOB["corpora"], _JOB["tokenizers"], _JOB["settings"]

    def on_bytes(n: int) -> None:
        with counter.get_lock():
            counter.value += n

    states: dict[int, dict[str, dict[str, Any]]] = {}
    current, table = -1, WordTable()  # word ids shared by all chunks and tokenizers of a corpus
    # one process per core is the parallelism here (see adapters.base.threads; HF's thread pool
    # is turned off through TOKENIZERS_PARALLELISM)
    with one_thread():
        while (message := inbox.get()) is not None:
            ci, run = message
            if ci != current:
                # the parent deals the corpora one after another: the last one's words are done with
                current, table = ci, WordTable()
                states[ci] = _new_state(corpora[ci], tokenizers, settings)
            for docs in run:
                _update(states[ci], table, docs, tokenizers, settings, on_bytes)
    return states


# ---------------------------------------------------------------------------------------------
# The public entry point


def measure(corpora: Sequence[Corpus], tokenizers: Sequence[Tokenizer], *,
            settings: MetricSettings | None = None, workers: int | None = None,
            progress: bool = True, total_bytes: int | None = None) -> Measurement:
    """Measure every tokenizer on every corpus (see the module docstring).

    Args:
        corpora: the corpora; documents of ``settings.split`` are measured.
        tokenizers: the tokenizers, with unique names.
        settings: metric settings (defaults: :class:`MetricSettings`).
        workers: processes to use, this one included (default: the machine's CPU count); 1
            runs in this process alone, as does any count where ``fork`` is unavailable.
        progress: show a tqdm bar of text processed.
        total_bytes: UTF-8 bytes of the documents to be measured, when the caller knows them
            (they give the progress bar its ETA).
    """
    tokenizers = list(tokenizers)
    corpora = list(corpora)
    names = [t.name for t in tokenizers]
    if len(set(names)) != len(names):
        raise TokeffError(f"tokenizer names must be unique, got {names}")
    settings = with_baseline(settings or MetricSettings(), names)
    workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
    start = time.perf_counter()

    states = _collect(corpora, tokenizers, settings, workers, progress, total_bytes)
    rows, lengths, dropped, notes = _finish(corpora, tokenizers, settings, states)

    token_lengths = pd.DataFrame(lengths, columns=TOKEN_LENGTH_COLUMNS).astype({"token_bytes": "int64", "count": "int64"})
    metrics, token_lengths = sort_tables(tidy(rows), token_lengths)
    return Measurement(metrics, token_lengths, dropped, settings, notes, time.perf_counter() - start)


def with_baseline(settings: MetricSettings, names: Sequence[str]) -> MetricSettings:
    """``settings`` with the baseline of normalized sequence length resolved: the one named, else
    the first tokenizer. It must be among ``names`` or a counted baseline (``bytes``, ``chars``)."""
    baseline = settings.baseline or (names[0] if names else None)
    if baseline is not None and baseline not in names and baseline not in COUNTED_BASELINES:
        raise TokeffError(f"baseline tokenizer {baseline!r} is not among the measured tokenizers "
                          f"({', '.join(names)}); name one of them, or 'bytes' or 'chars'")
    return replace(settings, baseline=baseline)


def sort_tables(metrics: pd.DataFrame, token_lengths: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The canonical row order of both tables, so that the same results always give the same
    bytes on disk (whether measured in one run or pieced together from the cache)."""
    metrics = metrics.assign(_all_first=metrics["language"] != "all")
    metrics = (metrics.sort_values(["corpus", "tokenizer", "metric", "_all_first", "language"], kind="stable")
               .drop(columns="_all_first").reset_index(drop=True))[METRIC_COLUMNS]
    token_lengths = token_lengths.sort_values(TOKEN_LENGTH_COLUMNS[:3]).reset_index(drop=True)
    return metrics, token_lengths


def _collect(corpora: list[Corpus], tokenizers: list[Tokenizer], settings: MetricSettings,
             workers: int, progress: bool, total_bytes: int | None = None) -> list[dict[str, dict[str, Any]]]:
    """The merged accumulator states, one per corpus."""
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(desc="measuring", total=total_bytes, unit="B", unit_scale=True, unit_divisor=1024, leave=False)
    try:
        if "fork" not in mp.get_all_start_methods():
            workers = 1  # no fork (Windows): corpora hold closures, so stay in this process
        if workers == 1 or not corpora or not tokenizers:
            on_bytes = bar.update if bar is not None else None
            return [_run_shard(c, tokenizers, settings, 0, 1, on_bytes) for c in corpora]
        ctx = mp.get_context("fork")
        children = workers - 1  # this process measures too: see the module docstring
        counter = ctx.Value("q", 0)
        queues = [ctx.Queue(QUEUED_RUNS) for _ in range(children)]
        # built once here, inherited by every worker (else each builds its own)
        for tok in tokenizers:
            tok.token_flags()
            if _native.core is not None and settings.roundtrip:
                tok.spelling()
        if _native.core is not None:
            char_classes()
        _JOB.update(corpora=corpora, tokenizers=tokenizers, settings=settings, counter=counter, queues=queues)
        merged = [_new_state(c, tokenizers, settings) for c in corpora]  # this process's runs go here
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
                    if bar is not None:
                        value = counter.value + mine
                        bar.update(value - seen)
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
                            _update(merged[ci], table, docs, tokenizers, settings, own_bytes)

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
                        for docs in _chunks(corpus, settings):
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
                        _merge(merged[ci], state)
        finally:
            for q in queues:
                q.cancel_join_thread()  # runs still queued for ended workers must not hold up exit
                q.close()
            _JOB.clear()
        return merged
    finally:
        if bar is not None:
            bar.close()


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Terminate a pool's worker processes and drop its queued work."""
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14+
    if callable(terminate):
        terminate()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)


def _finish(corpora: list[Corpus], tokenizers: list[Tokenizer], settings: MetricSettings,
            states: list[dict[str, dict[str, Any]]]) -> tuple[list[dict], list[list], list[dict], list[str]]:
    boot = Bootstrap(settings.bootstrap_replicates, settings.confidence, settings.seed)
    rows: list[dict] = []
    lengths: list[list] = []
    dropped: list[dict] = []
    notes: list[str] = []
    for corpus, state in zip(corpora, states):
        # all replicates of a corpus in one pass per language (they share their weights)
        precompute_replicates([sums for tok in tokenizers for acc in state[tok.name].values()
                               for sums in acc.slot_sums(RowContext(tok, settings, boot))], boot)
        for tok in tokenizers:
            accs = state[tok.name]
            ctx = RowContext(tok, settings, boot)
            out: list[MetricRow] = []
            for family in ("compression", "words", "coverage", "information"):
                if family in accs:
                    out += accs[family].rows(ctx)
            out += vocab_utilization_rows(accs["information"], ctx)
            if settings.baseline is not None:
                base = state[settings.baseline]["compression"] if settings.baseline in state else accs["compression"]
                out += normalized_sequence_length_rows(accs["compression"], base, settings.baseline, ctx)
            if "parity" in accs:
                premium_rows, gone = accs["parity"].premiums(ctx)
                out += premium_rows
                dropped += [dict(corpus=corpus.name, tokenizer=tok.name, **asdict(d)) for d in gone]
            rows += [dict(corpus=corpus.name, tokenizer=tok.name, **r.as_dict()) for r in out]
            hist, exact = token_length_histogram(accs["information"], tok)
            lengths += [[corpus.name, tok.name, k, v] for k, v in sorted(hist.items())]
            if not exact and hist:
                note = (f"{tok.name}: token lengths are those of decode([id]) (the adapter has no "
                        "token_bytes), so pieces whose leading space marker the decoder drops count short")
                if note not in notes:
                    notes.append(note)
    return rows, lengths, dropped, notes
