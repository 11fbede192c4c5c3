"""The Dask engine gives the local engine's tables exactly, on real text cut into shards: counts,
bootstrap intervals, token lengths and dropped premium pairs, with tokenizers trained here and
shipped to the workers, after a worker died mid-shard, and from the command line. Errors are one
line, and an engine that fails leaves nothing in the results cache.

One ``LocalCluster`` of 2 single-threaded worker processes serves the module (as CI runs it).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tokeff.adapters import load_tokenizer
from tokeff.analysis import MetricSettings, measure
from tokeff.corpus import load_corpus, train_texts
from tokeff.corpus.core import Corpus, Document, Shard, read_shards
from tokeff.errors import CorpusError, TokeffError, TokenizerError

REPO = Path(__file__).resolve().parents[1]
SETTINGS = MetricSettings(bootstrap_replicates=200, seed=7)
SKIP = "the dask engine's tests need dask[distributed] (pip install tokeff[dask], or the test extra)"


@pytest.fixture(scope="module")
def scheduler() -> str:
    """The address of a cluster of 2 worker processes, one thread each."""
    distributed = pytest.importorskip("distributed", reason=SKIP)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=logging.ERROR) as cluster:
        yield cluster.scheduler_address


def dask_engine(scheduler: str):
    from tokeff.engine import get_engine

    return get_engine("dask", scheduler=scheduler)


def write_shards(texts: list[str], folder: Path, n: int, *, language: str | None = None,
                 ids: list[str] | None = None) -> None:
    """``texts`` as ``n`` JSON-lines shards of consecutive texts in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    size = -(-len(texts) // n)
    for k in range(n):
        rows = range(k * size, min(len(texts), (k + 1) * size))
        lines = [json.dumps({"text": texts[i], **({"id": ids[i]} if ids else {}),
                             **({"language": language} if language else {})}, ensure_ascii=False) for i in rows]
        (folder / f"{language or 'part'}-{k:03d}.jsonl").write_text("".join(x + "\n" for x in lines), encoding="utf-8")


@pytest.fixture(scope="module")
def books(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """Three Gutenberg books (1.1 MB) as 9 shards; most paragraphs carry an id, the rest get content ids."""
    folder = tmp_path_factory.mktemp("books")
    texts: list[str] = []
    for book in ("pg11.txt", "pg5200.txt", "pg16.txt"):
        (c,) = load_corpus(str(shared_dir / "corpora" / "gutenberg_en" / book))
        texts += [d.text for d in c]
    write_shards(texts, folder, 9)
    (corpus,) = load_corpus(f"shards:{folder}/*.jsonl")
    assert len(corpus.shards()) == 9
    return corpus


@pytest.fixture(scope="module")
def ntrex(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """Five NTREX-128 languages, aligned line by line, as one shard per language and half: a
    parallel corpus whose premiums pair lines measured by different tasks."""
    folder = tmp_path_factory.mktemp("ntrex")
    for lang in ("eng", "deu", "amh", "zho-CN", "arb"):
        lines = (shared_dir / "corpora" / "ntrex128" / f"{lang}.txt").read_text(encoding="utf-8").splitlines()[:600]
        write_shards(lines, folder, 2, language=lang, ids=[f"line:{i}" for i in range(len(lines))])
    (corpus,) = load_corpus(f"shards:{folder}/*.jsonl")
    return Corpus("ntrex5", corpus.open, parallel=True, reference_language="eng", parts=corpus.parts)


def assert_same(a, b) -> None:
    pd.testing.assert_frame_equal(a.metrics, b.metrics, check_exact=True)
    pd.testing.assert_frame_equal(a.token_lengths, b.token_lengths, check_exact=True)
    assert a.dropped == b.dropped


def test_dask_equals_the_local_engine_with_a_tokenizer_trained_here(scheduler: str, books: Corpus) -> None:
    trained = load_tokenizer("train:bpe:300", train_texts=lambda: train_texts([books]))
    toks = [load_tokenizer("tiktoken:gpt2"), load_tokenizer("bytes"), trained]
    local = measure([books], toks, settings=SETTINGS, workers=2, progress=False)
    seen: list[int] = []
    with dask_engine(scheduler) as engine:
        states = engine.states([books], toks, SETTINGS, seen.append)
        remote = measure([books], toks, settings=SETTINGS, engine=engine, progress=False)
    assert_same(local, remote)
    assert (local.metrics.ci_low < local.metrics.ci_high).sum() > 30  # the intervals are equal too
    assert set(local.metrics.tokenizer) == {"tiktoken:gpt2", "bytes", "train:bpe:300"}
    # the bytes reported are the eval split's, each shard counted once
    assert sum(seen) == sum(len(d.text.encode()) for d in books.documents("eval"))
    assert list(states[0]) == [t.name for t in toks]


def test_a_parallel_corpus_gives_the_same_premiums_and_dropped_pairs(scheduler: str, shared_dir: Path,
                                                                     ntrex: Corpus) -> None:
    toks = [load_tokenizer("tiktoken:cl100k_base"),
            load_tokenizer(f"hf:{shared_dir / 'tokenizers' / 'hf' / 'bert-base-uncased.tokenizer.json'}")]
    local = measure([ntrex], toks, settings=SETTINGS, workers=1, progress=False)
    remote = measure([ntrex], toks, settings=SETTINGS, engine=dask_engine(scheduler), progress=False)
    assert_same(local, remote)
    assert local.dropped  # BERT's UNKs drop some languages' premiums
    assert (local.metrics.metric == "premium").sum() >= 6


def test_several_corpora_and_a_plain_one_keep_their_own_numbers(scheduler: str, books: Corpus) -> None:
    # a corpus of one source is one task; its documents have no ids, so they are numbered by
    # position, as one pass over the whole corpus numbers them
    docs = [Document(f"line {i}: " + "word " * (i % 7), "xx") for i in range(400)]
    plain = Corpus("plain", functools.partial(iter, docs))
    toks = [load_tokenizer("bytes"), load_tokenizer("chars")]
    settings = MetricSettings(bootstrap_replicates=100, split="all")
    local = measure([books, plain], toks, settings=settings, workers=1, progress=False)
    remote = measure([books, plain], toks, settings=settings, engine=dask_engine(scheduler), progress=False)
    assert_same(local, remote)


def test_documents_without_ids_in_several_shards_stop_the_run(scheduler: str) -> None:
    shards = tuple(Shard(f"s{k}", "", functools.partial(iter, [Document(f"text {k} {i}") for i in range(50)]))
                   for k in range(2))
    corpus = Corpus("no-ids", functools.partial(read_shards, shards), parts=shards)
    with pytest.raises(TokeffError, match=r"corpus 'no-ids', shard s\d: a document has no id.*--engine local"):
        measure([corpus], [load_tokenizer("bytes")], settings=SETTINGS, engine=dask_engine(scheduler), progress=False)


def die_once(marker: str, docs: list[Document]):
    """A shard that kills the worker process reading it the first time (as an out-of-memory
    kill would), and reads fine after."""
    if not os.path.exists(marker):
        Path(marker).touch()
        os._exit(3)
    yield from docs


def test_workers_that_die_mid_shard_have_their_shards_rerun(scheduler: str, books: Corpus, tmp_path: Path) -> None:
    # three shards kill the worker reading them, one after another: both workers die (and are
    # restarted), so whatever lived on one worker only (the tokenizers, finished states) is lost
    dying = (1, 4, 7)
    markers = [tmp_path / f"died-{k}" for k in dying]
    shards = list(books.parts)
    for k, marker in zip(dying, markers):
        shards[k] = Shard(shards[k].name, "", functools.partial(die_once, str(marker), list(shards[k].open())))
    corpus = Corpus(books.name, functools.partial(read_shards, tuple(shards)), parts=tuple(shards))
    toks = [load_tokenizer("tiktoken:gpt2")]
    for marker in markers:
        marker.touch()  # the reference run reads them whole
    local = measure([corpus], toks, settings=SETTINGS, workers=1, progress=False)
    for marker in markers:
        marker.unlink()
    remote = measure([corpus], toks, settings=SETTINGS, engine=dask_engine(scheduler), progress=False)
    assert all(marker.exists() for marker in markers)  # a worker did die on each
    assert_same(local, remote)


def test_a_bad_shard_is_one_line_naming_it_at_once(scheduler: str, books: Corpus, tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    write_shards([d.text for d in books][:3000], folder, 3)
    (folder / "part-001.jsonl").write_bytes(b'{"text": "caf\xe9"}\n')
    (corpus,) = load_corpus(f"shards:{folder}/*.jsonl")
    start = time.monotonic()
    with pytest.raises(CorpusError, match="part-001.jsonl") as e:
        measure([corpus], [load_tokenizer("bytes")], settings=SETTINGS, engine=dask_engine(scheduler), progress=False)
    assert "\n" not in str(e.value)
    assert time.monotonic() - start < 15


def test_an_unknown_engine_and_options_that_do_not_fit_are_one_line() -> None:
    from tokeff.engine import get_engine

    with pytest.raises(TokeffError, match=r"unknown engine 'nope'; known: local, dask; choose with --engine") as e:
        get_engine("nope")
    assert "\n" not in str(e.value)
    with pytest.raises(TokeffError, match="add --engine dask"):
        get_engine("local", scheduler="tcp://10.0.0.1:8786")
    pytest.importorskip("distributed", reason=SKIP)
    with pytest.raises(TokeffError, match="drop one of the two"):
        get_engine("dask", workers=2, scheduler="tcp://10.0.0.1:8786")


def test_an_unreachable_scheduler_is_one_line(books: Corpus, monkeypatch) -> None:
    pytest.importorskip("distributed", reason=SKIP)
    from tokeff.engine import dask as dask_module

    monkeypatch.setattr(dask_module, "CONNECT_TIMEOUT", 1)
    with pytest.raises(TokeffError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        measure([books], [load_tokenizer("bytes")], settings=SETTINGS,
                engine=dask_module.DaskEngine(scheduler="tcp://127.0.0.1:9"), progress=False)


def test_without_dask_the_engine_says_what_to_install(monkeypatch) -> None:
    from tokeff.engine import get_engine

    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed now raises ImportError
    with pytest.raises(TokeffError, match=r"needs Dask's distributed scheduler: pip install tokeff\[dask\]"):
        get_engine("dask")


# ---------------------------------------------------------------------------------------------
# Tokenizers shipped to workers; progress that a rerun does not count twice


def test_parcels_open_once_per_process_as_the_same_tokenizer(shared_dir: Path, books: Corpus) -> None:
    from tokeff.engine.shipping import Parcel, pack, unpack

    toks = [load_tokenizer("tiktoken:gpt2"), load_tokenizer(f"spm:{shared_dir / 'tokenizers' / 'spm' / 'mistral-7b-v0.1.model'}"),
            load_tokenizer("train:hf-bpe:300", train_texts=lambda: train_texts([books]))]
    parcels = pickle.loads(pickle.dumps(pack(toks)))
    assert [bool(p.family) for p in parcels] == [False, True, True]  # tiktoken saves no file: pickled
    opened = unpack(parcels)
    assert [t.name for t in opened] == [t.name for t in toks]
    assert [t.fingerprint() for t in opened] == [t.fingerprint() for t in toks]
    assert unpack(parcels)[2] is opened[2]  # kept: the next task does not open it again
    text = "It was the best of times, it was the worst of times"
    assert [t.encode(text) for t in opened] == [t.encode(text) for t in toks]
    forged = Parcel(parcels[2].name, "0" * 64, family=parcels[2].family, file_name=parcels[2].file_name,
                    data=parcels[2].data)
    with pytest.raises(TokenizerError, match="is not the one this run measures"):
        unpack([forged])


def test_a_rerun_shard_counts_its_bytes_once() -> None:
    pytest.importorskip("distributed", reason=SKIP)
    from tokeff.engine.dask import _Progress

    p = _Progress()
    for shard, run, n in [(0, "a", 100), (1, "b", 50), (0, "a", 300), (0, "c", 120), (0, "c", 400), (1, "b", 80)]:
        p.event((0.0, {"shard": shard, "run": run, "bytes": n}))
    assert p.bytes() == 400 + 80


# ---------------------------------------------------------------------------------------------
# The pipeline: from the command line, and the results cache


def test_the_cli_runs_on_a_cluster_it_starts(books: Corpus, tmp_path: Path) -> None:
    pytest.importorskip("distributed", reason=SKIP)
    import tokeff

    folder = tmp_path / "shards"
    write_shards([d.text for d in books][:2000], folder, 4)
    spec, options = f"{folder}/*.jsonl", dict(bootstrap=50, cache=False, report=False, progress=False)
    tokeff.analyze(["bytes", "tiktoken:gpt2"], [spec], out=tmp_path / "local", **options)
    proc = subprocess.run([sys.executable, "-m", "tokeff", "analyze", "--corpus", spec, "--tokenizer", "bytes",
                           "--tokenizer", "tiktoken:gpt2", "--bootstrap", "50", "--no-cache", "--no-report",
                           "--no-progress", "--out", str(tmp_path / "dask"), "--engine", "dask", "--workers", "2"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "dask" / "metrics.csv").read_bytes() == (tmp_path / "local" / "metrics.csv").read_bytes()


class _BrokenEngine:
    """Measures the first ``whole`` calls, then fails as a lost cluster would."""

    def __init__(self, whole: int) -> None:
        from tokeff.engine.local import LocalEngine

        self.inner, self.left = LocalEngine(1), whole

    def states(self, *args, **kwargs):
        if self.left == 0:
            raise RuntimeError("the cluster went away")
        self.left -= 1
        return self.inner.states(*args, **kwargs)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


@pytest.mark.parametrize("whole", [0, 1])
def test_an_engine_that_fails_leaves_no_cache_entry_for_what_it_did_not_finish(books: Corpus, whole: int,
                                                                                 tmp_path: Path, monkeypatch) -> None:
    from tokeff import pipeline
    from tokeff.cache import ResultsCache
    from tokeff.settings import Settings

    settings = Settings.build(bootstrap=20, progress=False, metrics="compression")
    other = Corpus("other", functools.partial(iter, [Document(f"other text {i}", "xx", str(i)) for i in range(200)]))
    loaded = pipeline.Loaded([books, other], [load_tokenizer("bytes"), load_tokenizer("chars")])
    described = pipeline.describe(loaded, settings)
    cache = ResultsCache(tmp_path)
    monkeypatch.setattr("tokeff.engine.get_engine", lambda *a, **k: _BrokenEngine(whole))
    with pytest.raises(RuntimeError, match="went away"):
        pipeline.measure(loaded, described, settings, cache, note=lambda msg: None)
    # the first corpus's two tokenizers when it was measured whole, each pair as its tables
    assert len(cache.keys()) == 2 * len(pipeline.MEASURE_PARTS) * whole
