"""The Dask engine: the measuring half of the analysis pass on a Dask cluster, one task per shard.

``--engine dask`` (``pip install tokeff[dask]``) runs on the cluster whose scheduler
``--scheduler ADDRESS`` names, or, without it, on a ``LocalCluster`` of ``--workers`` processes
(default: one per core, one thread each) that the engine starts and closes. The same code runs
on both.

* **Work.** One task per shard of every corpus (:meth:`~tokeff.corpus.core.Corpus.shards`: a
  sharded corpus has one per file, a corpus read from one source is one shard). A task reads its
  shard on the worker (workers must see the shard paths) and returns the shard's accumulator
  state (:func:`tokeff.analysis.measure_corpus`).
* **Tokenizers** reach the workers as files or pickles (:mod:`tokeff.engine.shipping`), the
  result of one task every shard task depends on, so Dask copies them to a worker once and
  rebuilds them if every worker holding them dies; each worker process opens each tokenizer
  once and keeps it for every task and later runs.
* **Reduction.** States are merged on the workers, two at a time as they arrive (a tree whose
  shape follows the order tasks finish in), so only one state per corpus comes back to this
  process. Every state is integer sums, so the merged state is the one a single pass computes,
  and the tables equal the local engine's exactly, intervals included.
* **Failures.** A task that raises is run again up to :data:`RETRIES` times (``retries=`` of
  ``Client.submit``: a shard on a network file system that failed to read); a worker that dies
  mid-shard has its shard rerun on another worker by the scheduler (Dask's
  ``distributed.scheduler.allowed-failures``, 3 by default). A user's mistake
  (:class:`~tokeff.errors.TokeffError`: a bad shard, a tokenizer a worker cannot open) stops
  the run at once with its one line, whatever task hit it. The engine returns whole states
  only, so the results cache never sees a part of a run.
* **Progress.** Tasks report the bytes they have measured twice a second (Dask events on a
  topic of the run's own); this process turns them into the ``measuring`` bar's bytes per second
  across the cluster, beside a bar of shards done. A rerun shard's bytes are not counted twice.
* **Versions.** A worker refuses a task from a client running other tokeff code
  (:func:`tokeff.cache.tokeff_version`): its numbers could differ.
"""

from __future__ import annotations

import copy
import functools
import logging
import os
import pickle
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..adapters.base import Tokenizer, one_thread
from ..analysis import State, measure_corpus, merge, new_state
from ..corpus.core import Corpus, Document
from ..env import setenv
from ..errors import TokeffError
from ..metrics.settings import MetricSettings
from . import ENGINES, Engine, EngineInfo, OnBytes
from . import local as _local  # noqa: F401  (registered first: the default leads every list of engines)
from .shipping import Parcel, pack, unpack

#: Reruns of a task that raised (a worker that died is the scheduler's business, not this).
RETRIES = 2

#: Seconds between a task's progress reports, and between this process's looks at the futures.
REPORT_EVERY = 0.5
POLL = 0.2

#: Seconds to wait for a scheduler to answer.
CONNECT_TIMEOUT = 30

INSTALL = "pip install tokeff[dask]"


def require_dask() -> Any:
    """The ``distributed`` module, or a one-line error saying how to install it."""
    try:
        import dask  # noqa: F401
        import distributed
    except ImportError:
        raise TokeffError(f"the dask engine needs Dask's distributed scheduler: {INSTALL}") from None
    return distributed


class DaskEngine(Engine):
    """A Dask cluster: the one at ``scheduler``, else a local one of ``workers`` processes."""

    name = "dask"

    def __init__(self, workers: int | None = None, scheduler: str | None = None, retries: int = RETRIES) -> None:
        require_dask()  # missing, it is said now, not after the corpora were read
        if workers is not None and scheduler is not None:
            raise TokeffError("--workers sizes the cluster tokeff starts on this machine; with --scheduler the "
                              "cluster's own workers measure: drop one of the two")
        if workers is not None and workers < 1:
            raise TokeffError(f"--workers must be at least 1, got {workers}")
        self.workers = workers
        self.scheduler = scheduler
        self.retries = retries
        self._client: Any = None
        self._cluster: Any = None
        self._kept = False  # inside `with`: the client stays open between calls

    def __enter__(self) -> "DaskEngine":
        self._kept = True
        return self

    def __exit__(self, *exc: object) -> None:
        self._kept = False
        self.close()

    def close(self) -> None:
        client, cluster, self._client, self._cluster = self._client, self._cluster, None, None
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()

    def client(self) -> Any:
        """The client, connecting (or starting the local cluster) at the first call."""
        if self._client is not None:
            return self._client
        distributed = require_dask()
        if self.scheduler is not None:
            try:
                self._client = distributed.Client(self.scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
            except (OSError, TimeoutError, ValueError) as e:
                raise TokeffError(f"cannot reach the Dask scheduler at {self.scheduler} ({str(e).splitlines()[0][:120]}); "
                                  "check the address, or drop --scheduler to run on this machine") from None
            return self._client
        # one single-threaded process per core, as the local engine runs; no dashboard (the
        # progress bars say what it would). The scheduler's HTTP server moves to another port
        # when another cluster holds its default one, and says so: nothing the user need know.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Port .* is already in use")
            self._cluster = distributed.LocalCluster(
                n_workers=self.workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                dashboard_address=None, silence_logs=logging.ERROR)
        self._client = distributed.Client(self._cluster, set_as_default=False)
        return self._client

    def states(self, corpora: Sequence[Corpus], tokenizers: Sequence[Tokenizer], settings: MetricSettings,
               on_bytes: OnBytes | None = None) -> list[State]:
        corpora, tokenizers = list(corpora), list(tokenizers)
        if not corpora or not tokenizers:
            return [new_state(c, tokenizers, settings) for c in corpora]
        try:
            return _run(self.client(), corpora, tokenizers, settings, on_bytes, self.retries)
        finally:
            if not self._kept:
                self.close()


ENGINES.register(EngineInfo("dask", f"a Dask cluster, one task per corpus shard ({INSTALL}); "
                                    "--scheduler ADDRESS, else a cluster of --workers processes here",
                            lambda workers=None, scheduler=None: DaskEngine(workers, scheduler)))


# ---------------------------------------------------------------------------------------------
# This process: submit, reduce, report


def pieces(corpus: Corpus) -> list[tuple[str, Corpus]]:
    """``corpus`` as one corpus per shard (name, corpus): the unit a task measures.

    A document without an id gets its position in the corpus as one (:func:`tokeff.analysis.chunks`),
    which a task reading one shard of several cannot know; such a document in a corpus of
    several shards stops the run instead of giving other numbers (every sharded corpus tokeff
    reads has ids)."""
    shards = corpus.shards()
    many = len(shards) > 1
    return [(s.name, replace(corpus, open=functools.partial(_with_ids, s.open, corpus.name, s.name) if many else s.open,
                             parts=()))
            for s in shards]


def _with_ids(open_shard: Callable[[], Iterator[Document]], corpus: str, shard: str) -> Iterator[Document]:
    for doc in open_shard():
        if not doc.doc_id:
            raise TokeffError(f"corpus {corpus!r}, shard {shard}: a document has no id, which the dask engine needs "
                              "in a corpus of several shards; give documents ids, or use --engine local")
        yield doc


@dataclass(frozen=True)
class Job:
    """What a task needs besides its shard: where to report and who asked."""

    topic: str
    shard: int
    version: str


class _Progress:
    """Bytes measured per shard from the tasks' reports (on Dask's event thread), and the first
    user's error a task reported."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.runs: dict[int, dict[str, int]] = {}  # shard -> attempt -> bytes so far
        self.error: BaseException | None = None

    def event(self, event: tuple[float, dict]) -> None:
        msg = event[1]
        with self.lock:
            if "error" in msg and self.error is None:
                self.error = pickle.loads(msg["error"])
            runs = self.runs.setdefault(msg["shard"], {})
            runs[msg["run"]] = max(runs.get(msg["run"], 0), msg["bytes"])

    def bytes(self) -> int:
        """Bytes measured so far: per shard, its furthest attempt (a rerun starts from zero)."""
        with self.lock:
            return sum(max(r.values()) for r in self.runs.values())


def _run(client: Any, corpora: list[Corpus], tokenizers: list[Tokenizer], settings: MetricSettings,
         on_bytes: OnBytes | None, retries: int) -> list[State]:
    distributed = require_dask()
    from ..cache import tokeff_version

    run_id = uuid.uuid4().hex[:12]
    job_topic = f"tokeff-{run_id}"
    # a task whose result is the parcels, not scattered data: Dask can rebuild a task's result
    # when every worker holding it died (its replicas are thinned out while no task waits on
    # them), and a lost scattered value would cancel every task that needs it
    parcels = client.submit(_given, pack(tokenizers), key=f"tokeff-tokenizers-{run_id}", pure=False)
    version = tokeff_version()
    progress = _Progress()
    client.subscribe_topic(job_topic, progress.event)
    corpus_of: dict[Any, int] = {}
    tasks = 0
    for ci, corpus in enumerate(corpora):
        for name, piece in pieces(corpus):
            key = f"tokeff-measure-{run_id}-{tasks}-{_key_part(corpus.name)}-{_key_part(name)}"
            f = client.submit(measure_shard, piece, parcels, settings, Job(job_topic, tasks, version),
                              key=key, retries=retries, pure=False)
            corpus_of[f] = ci
            tasks += 1
    shard_bar = None
    if on_bytes is not None:
        from tqdm.auto import tqdm

        shard_bar = tqdm(desc="shards", total=tasks, unit="shard", leave=False)
    shown = 0

    def tick() -> None:
        nonlocal shown
        if progress.error is not None:
            raise progress.error
        if on_bytes is not None:
            seen = progress.bytes()
            if seen > shown:
                on_bytes(seen - shown)
                shown = seen

    pending = set(corpus_of)
    ready: dict[int, Any] = {}  # per corpus, a merged state waiting for its pair
    merges = 0
    try:
        while pending:
            try:
                with client.as_current():  # wait() asks for the current client; this one is not the default
                    done, pending = distributed.wait(pending, timeout=POLL, return_when="FIRST_COMPLETED")
            except TimeoutError:
                done = set()
            tick()
            for f in done:
                if f.status != "finished":
                    f.result()  # raises the task's error
                ci = corpus_of.pop(f)
                if f.key.startswith("tokeff-measure-") and shard_bar is not None:
                    shard_bar.update(1)
                other = ready.pop(ci, None)
                if other is None:
                    ready[ci] = f
                    continue
                m = client.submit(merge_states, other, f, key=f"tokeff-merge-{run_id}-{merges}", retries=retries,
                                  pure=False)
                merges += 1
                corpus_of[m] = ci
                pending.add(m)
        states = client.gather([ready[ci] for ci in range(len(corpora))])
        tick()
        return states
    except BaseException:
        client.cancel(list(corpus_of) + list(ready.values()), force=True)
        raise
    finally:
        client.unsubscribe_topic(job_topic)
        if shard_bar is not None:
            shard_bar.close()


def _given(value: Any) -> Any:
    return value


def _key_part(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "._" else "_" for ch in name)[-40:]


# ---------------------------------------------------------------------------------------------
# The workers


@functools.lru_cache(maxsize=1)
def _worker_version() -> str:
    from ..cache import tokeff_version

    return tokeff_version()


class _Reporter:
    """A task's progress reports: bytes measured so far in this attempt, at most every
    :data:`REPORT_EVERY` seconds, and a user's error."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.run = uuid.uuid4().hex[:8]  # a rerun of the shard reports as another attempt
        self.total = 0
        self.last = time.monotonic()
        try:
            from distributed import get_worker

            self.worker = get_worker()
        except (ImportError, ValueError):  # called outside a worker (a test)
            self.worker = None

    def add(self, n: int) -> None:
        self.total += n
        if time.monotonic() - self.last >= REPORT_EVERY:
            self.send()

    def send(self, **extra: Any) -> None:
        self.last = time.monotonic()
        if self.worker is not None:
            self.worker.log_event(self.job.topic, {"shard": self.job.shard, "run": self.run, "bytes": self.total, **extra})


def measure_shard(piece: Corpus, parcels: list[Parcel], settings: MetricSettings, job: Job) -> State:
    """A task: the accumulator state of one shard (``piece``: a corpus reading that shard alone)."""
    report = _Reporter(job)
    try:
        if _worker_version() != job.version:
            raise TokeffError(f"a Dask worker runs tokeff {_worker_version()} but this run is tokeff {job.version}; "
                              "install the same tokeff on every worker")
        tokenizers = unpack(parcels)
        # one single-threaded process per core is the parallelism (as in the local engine)
        with one_thread(), setenv("TOKENIZERS_PARALLELISM", "false"):
            state = measure_corpus(piece, tokenizers, settings, report.add)
    except TokeffError as e:
        report.send(error=pickle.dumps(e))  # the client stops the run at once, whatever the retries
        raise
    report.send()
    return state


def merge_states(a: State, b: State) -> State:
    """A task: the merge of two states of one corpus, into a copy (Dask keeps its inputs as they
    are, so a merge that is rerun counts nothing twice)."""
    out = copy.deepcopy(a)
    merge(out, b)
    return out
