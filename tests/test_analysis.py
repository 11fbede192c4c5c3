"""The analysis pass: exact sharding, determinism, the output's shape, and a real end-to-end run."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from tokeff.adapters.simple import BytesTokenizer, CharsTokenizer
from tokeff.analysis import Measurement, MetricSettings, chunks, measure, merge, new_state, update
from tokeff.metrics.batch import WordTable
from tokeff.corpus.core import Corpus, Document
from tokeff.results import METRIC_COLUMNS

from .test_metrics_toys import TOY_VOCAB, GreedyToy, toy_corpus


def _mixed_corpus(n: int = 300) -> Corpus:
    words = ["ab", "a", "b", "c", "abc", "ä", "zzz", "你好"]
    docs = []
    for i in range(n):
        for lang in ("eng", "xx"):
            k = 1 + (i * 7 + len(lang)) % 9
            docs.append(Document(" ".join(words[(i + j) % len(words)] for j in range(k)), lang, f"line{i}"))
    return Corpus("mixed", lambda: iter(docs), parallel=True, reference_language="eng")


TOKENIZERS = [GreedyToy(TOY_VOCAB), BytesTokenizer(), CharsTokenizer()]
SMALL_CHUNKS = MetricSettings(chunk_docs=16, bootstrap_replicates=200, split="all")


def test_sharded_and_merged_equals_single_pass_exactly():
    single = measure([_mixed_corpus()], TOKENIZERS, settings=SMALL_CHUNKS, workers=1, progress=False)
    sharded = measure([_mixed_corpus()], TOKENIZERS, settings=SMALL_CHUNKS, workers=2, progress=False)
    pd.testing.assert_frame_equal(single.metrics, sharded.metrics, check_exact=True)
    pd.testing.assert_frame_equal(single.token_lengths, sharded.token_lengths, check_exact=True)
    assert single.dropped == sharded.dropped


def test_several_corpora_dealt_to_workers_keep_their_own_numbers():
    # the reader deals one corpus after another to the same workers: each corpus's state (and
    # word table) must stay its own, and equal a single pass over it
    corpora = [_mixed_corpus(60), toy_corpus(), _mixed_corpus(7)]
    corpora[2].name = "mixed-small"
    single = measure(corpora, TOKENIZERS, settings=SMALL_CHUNKS, workers=1, progress=False)
    sharded = measure(corpora, TOKENIZERS, settings=SMALL_CHUNKS, workers=2, progress=False)
    pd.testing.assert_frame_equal(single.metrics, sharded.metrics, check_exact=True)
    alone = measure([corpora[1]], TOKENIZERS, settings=SMALL_CHUNKS, workers=2, progress=False).metrics
    mine = sharded.metrics[sharded.metrics.corpus == corpora[1].name].reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, alone, check_exact=True)


class _WaitingChars(CharsTokenizer):
    """Characters, writing down which process encoded each chunk. In any process but the one
    that made it, encoding waits until that process has encoded a chunk itself: a worker then
    sits on its first run until the parent measures one, whatever the machine's speed."""

    def __init__(self, log: Path) -> None:
        import multiprocessing

        super().__init__()
        self.log = log
        self.parent = os.getpid()
        self.parent_measured = multiprocessing.get_context("fork").Event()

    def encode_batch(self, texts):
        if os.getpid() == self.parent:
            self.parent_measured.set()
        elif not self.parent_measured.wait(timeout=20):
            raise RuntimeError("the parent never measured a run while its worker was busy")
        with self.log.open("a") as f:
            f.write(f"{os.getpid()}\n")
        return super().encode_batch(texts)


def test_this_process_measures_the_runs_its_busy_workers_have_no_room_for(tmp_path: Path):
    # two processes in all: this one and one worker. The worker holds its first run until this
    # process has measured one, so this process must find the worker's queue full and measure a
    # run itself; the numbers are those of a single pass
    from tokeff.engine.local import DEAL, QUEUED_RUNS

    log = tmp_path / "pids.txt"
    docs = [Document(f"line {i}", "xx", str(i)) for i in range(800)]
    settings = MetricSettings(split="all", chunk_docs=10, bootstrap_replicates=50)
    chunks = 80
    assert chunks > DEAL * (QUEUED_RUNS + 1)  # more runs than the worker's hands and queue hold
    sharded = measure([Corpus("pids", lambda: iter(docs))], [_WaitingChars(log)], settings=settings, workers=2,
                      progress=False)
    pids = log.read_text().split()
    assert len(pids) == chunks  # one line per chunk
    mine = pids.count(str(os.getpid()))
    assert len(set(pids)) == 2 and mine >= DEAL
    assert chunks - mine >= DEAL * (1 + QUEUED_RUNS)  # the run it held and the runs its queue held
    assert mine % DEAL == 0  # whole runs (80 chunks are 20 runs of four)
    single = measure([Corpus("pids", lambda: iter(docs))], [CharsTokenizer()], settings=settings,
                     workers=1, progress=False)
    pd.testing.assert_frame_equal(single.metrics, sharded.metrics, check_exact=True)


@pytest.mark.parametrize("families, built", [(("compression",), False), (("compression", "words"), True)])
def test_the_word_scans_table_is_built_before_forking_only_when_words_are_counted(
        monkeypatch: pytest.MonkeyPatch, families: tuple[str, ...], built: bool):
    # the character-class table (0.2 s) is built in the parent so that workers inherit it; a
    # pass that counts no words never reads it
    import tokeff.engine.local as local

    calls: list[int] = []
    monkeypatch.setattr(local, "_native", type("Core", (), {"core": object()}))  # as with the C core
    monkeypatch.setattr(local, "char_classes", lambda: calls.append(1))
    settings = MetricSettings(chunk_docs=16, bootstrap_replicates=20, split="all", families=families)
    measure([_mixed_corpus(40)], [CharsTokenizer()], settings=settings, workers=2, progress=False)
    assert bool(calls) == built


def test_chunking_by_characters_changes_no_number():
    # chunks cut by size (long documents) instead of by count, dealt to three workers
    single = measure([_mixed_corpus(100)], TOKENIZERS, settings=SMALL_CHUNKS, workers=1, progress=False)
    by_chars = measure([_mixed_corpus(100)], TOKENIZERS, workers=3, progress=False,
                       settings=MetricSettings(chunk_chars=40, bootstrap_replicates=200, split="all"))
    pd.testing.assert_frame_equal(single.metrics, by_chars.metrics, check_exact=True)


def test_chunks_are_cut_by_documents_and_by_characters():
    docs = [Document("x" * n, "xx", str(i)) for i, n in enumerate([3, 3, 3, 10, 1, 1, 1, 1])]
    corpus = Corpus("c", lambda: iter(docs))
    sizes = [[len(d.text) for d in c] for c in chunks(corpus, MetricSettings(split="all", chunk_docs=3, chunk_chars=6))]
    assert sizes == [[3, 3], [3], [10], [1, 1, 1], [1]]


def _run_shard(corpus, tokenizers, settings, shard, shards):
    """The state of every ``shards``-th chunk from ``shard`` on, measured in this process."""
    state, table = new_state(corpus, tokenizers, settings), WordTable()
    for k, docs in enumerate(chunks(corpus, settings)):
        if k % shards == shard:
            update(state, table, docs, tokenizers, settings)
    return state


def test_shards_merge_to_the_single_pass_state():
    corpus = _mixed_corpus(100)
    whole = _run_shard(corpus, TOKENIZERS, SMALL_CHUNKS, 0, 1)
    parts = [_run_shard(corpus, TOKENIZERS, SMALL_CHUNKS, s, 3) for s in range(3)]
    merged = parts[2]
    merge(merged, parts[0])
    merge(merged, parts[1])
    for name in whole:
        a, b = whole[name]["compression"].strata.by_language, merged[name]["compression"].strata.by_language
        assert sorted(a) == sorted(b)
        for lang in a:
            assert (a[lang].slots == b[lang].slots).all() and (a[lang].sums == b[lang].sums).all()


def test_same_inputs_and_seed_give_identical_tables_and_another_seed_other_intervals():
    a = measure([_mixed_corpus(50)], TOKENIZERS, settings=SMALL_CHUNKS, workers=1, progress=False)
    b = measure([_mixed_corpus(50)], TOKENIZERS, settings=SMALL_CHUNKS, workers=1, progress=False)
    pd.testing.assert_frame_equal(a.metrics, b.metrics, check_exact=True)
    c = measure([_mixed_corpus(50)], TOKENIZERS, workers=1, progress=False,
                settings=MetricSettings(chunk_docs=16, bootstrap_replicates=200, split="all", seed=1))
    assert (a.metrics["value"].fillna(-1) == c.metrics["value"].fillna(-1)).all()
    assert not (a.metrics["ci_low"].fillna(-1) == c.metrics["ci_low"].fillna(-1)).all()


def test_a_50_percent_interval_lies_strictly_inside_the_95_percent_one():
    wide = measure([_mixed_corpus(50)], TOKENIZERS, settings=SMALL_CHUNKS, workers=1, progress=False).metrics
    narrow = measure([_mixed_corpus(50)], TOKENIZERS, workers=1, progress=False,
                     settings=MetricSettings(chunk_docs=16, bootstrap_replicates=200, split="all", confidence=0.5)).metrics
    assert (wide["value"].fillna(-1) == narrow["value"].fillna(-1)).all()
    # every ratio whose documents differ at all; the rest (bytes per byte token, UNK rates of
    # tokenizers without UNK) are points at any confidence
    spread = wide["ci_high"] > wide["ci_low"]
    assert spread.sum() >= 60
    assert ((wide["ci_low"] < narrow["ci_low"]) & (narrow["ci_high"] < wide["ci_high"]))[spread].all()
    points = wide["ci_low"].notna() & ~spread
    assert (narrow["ci_low"][points] == wide["ci_low"][points]).all()


def test_output_shape():
    m = measure([_mixed_corpus(40), toy_corpus()], TOKENIZERS, settings=SMALL_CHUNKS, workers=1, progress=False)
    assert isinstance(m, Measurement)
    df = m.metrics
    assert list(df.columns) == METRIC_COLUMNS
    assert df["unit"].ne("").all()
    # every metric but premium has an "all" row, first among its languages
    for (corpus, tok, metric), g in df.groupby(["corpus", "tokenizer", "metric"], sort=False):
        if metric != "premium":
            assert g["language"].iloc[0] == "all", (corpus, tok, metric)
    assert set(df[df.corpus == "mixed"].language) == {"all", "eng", "xx"}
    assert "premium" not in set(df[df.corpus == "toy"].metric)  # not a parallel corpus
    assert m.settings.baseline == "toy"


def test_n_is_the_number_of_documents_behind_every_row():
    # 30 aligned lines in eng and xx, and 5 more in xx alone: every row's n counts the documents
    # of its language (the units the bootstrap resamples), a premium's the lines aligned with eng
    docs = list(_mixed_corpus(30).documents("all")) + [Document("ab c", "xx", f"extra{i}") for i in range(5)]
    corpus = Corpus("uneven", lambda: iter(docs), parallel=True, reference_language="eng")
    df = measure([corpus], TOKENIZERS, settings=SMALL_CHUNKS, workers=1, progress=False).metrics
    n = df.groupby(["metric", "language"])["n"].unique().map(list)
    documents = {"all": [65], "eng": [30], "xx": [35]}
    metrics = set(df.metric)
    assert len(metrics) == 18
    for metric in metrics - {"premium"}:
        assert {lang: n[metric, lang] for lang in documents} == documents, metric
    assert (n["premium", "eng"], n["premium", "xx"]) == ([30], [30])


def test_eval_split_only_by_default():
    corpus = _mixed_corpus(200)
    m = measure([corpus], [BytesTokenizer()], workers=1, progress=False,
                settings=MetricSettings(bootstrap_replicates=0))
    n_eval = sum(1 for _ in corpus.documents("eval"))
    assert 0 < n_eval < 400
    row = m.metrics[(m.metrics.metric == "bytes_per_token") & (m.metrics.language == "all")].iloc[0]
    assert row.n == n_eval


def test_documents_without_ids_still_resample_one_by_one():
    # bytes per token differs between documents: "ab" * k + " " is 2k + 1 bytes in k + 1 tokens
    docs = [Document("ab" * (1 + i % 4) + " ", "xx") for i in range(60)]
    m = measure([toy_corpus(docs)], [GreedyToy(TOY_VOCAB)], workers=1, progress=False,
                settings=MetricSettings(split="all", bootstrap_replicates=200))
    row = m.metrics[(m.metrics.metric == "bytes_per_token") & (m.metrics.language == "all")].iloc[0]
    assert row.ci_low < row.value < row.ci_high


# --------------------------------------------------------------------------------------------
# End to end on real data: a slice of NTREX-128 with real tiktoken, HF and SentencePiece tokenizers

LANGS = ["eng", "deu", "rus", "zho-CN", "amh"]
LINES = 150


def _ntrex_slice(shared: Path) -> Corpus:
    folder = shared / "corpora" / "ntrex128"

    def docs():
        for lang in LANGS:
            lines = (folder / f"{lang}.txt").read_text(encoding="utf-8").splitlines()[:LINES]
            for i, line in enumerate(lines):
                yield Document(line, lang, f"ntrex-{i}")

    return Corpus("ntrex128", docs, parallel=True, reference_language="eng")


@pytest.fixture(scope="module")
def real(shared_dir):
    from tokeff.adapters import load_tokenizer

    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(shared_dir / "tokenizers" / "tiktoken"))
    toks = [load_tokenizer("tiktoken:cl100k_base"),
            load_tokenizer(f"hf:{shared_dir / 'tokenizers' / 'hf' / 'bert-base-uncased.tokenizer.json'}"),
            load_tokenizer(f"spm:{shared_dir / 'tokenizers' / 'spm' / 'mistral-7b-v0.1.model'}")]
    corpus = _ntrex_slice(shared_dir)
    m = measure([corpus], toks, settings=MetricSettings(split="all", bootstrap_replicates=200),
                workers=2, progress=False)
    return corpus, toks, m


def _get(df, metric, tok, lang="all"):
    r = df[(df.metric == metric) & (df.tokenizer == tok.name) & (df.language == lang)]
    assert len(r) == 1
    return r.iloc[0]


def test_real_counts_match_the_libraries(real):
    corpus, toks, m = real
    docs = list(corpus.documents("all"))
    for tok in toks:
        ids = tok.encode_batch([d.text for d in docs])
        tokens = sum(map(len, ids))
        nbytes = sum(len(d.text.encode("utf-8")) for d in docs)
        assert _get(m.metrics, "tokens", tok).value == tokens
        assert _get(m.metrics, "bytes_per_token", tok).value == pytest.approx(nbytes / tokens)
        # premium of Russian, recomputed from scratch
        rus = sum(len(i) for i, d in zip(ids, docs) if d.language == "rus")
        eng = sum(len(i) for i, d in zip(ids, docs) if d.language == "eng")
        assert _get(m.metrics, "premium", tok, "rus").value == pytest.approx(rus / eng)


def test_token_length_histogram_adds_up_to_the_text_for_exact_pieces(real):
    _, (tik, _, _), m = real
    tl = m.token_lengths[m.token_lengths.tokenizer == tik.name]
    # tiktoken pieces are exact byte strings that concatenate to the text: the histogram's
    # mean piece length is bytes per token, and its total is the token count
    assert int(tl["count"].sum()) == _get(m.metrics, "tokens", tik).value
    mean = (tl.token_bytes * tl["count"]).sum() / tl["count"].sum()
    assert mean == pytest.approx(_get(m.metrics, "bytes_per_token", tik).value)
    assert not any(n.startswith(tik.name) for n in m.notes)


def test_real_tokenizers_behave_as_known(real):
    _, (tik, bert, mistral), m = real
    df = m.metrics
    # byte-level BPE and byte-fallback SentencePiece give the text back; lower-casing WordPiece does not
    assert _get(df, "roundtrip_fidelity", tik).value == 1.0
    assert _get(df, "roundtrip_fidelity", mistral).value == 1.0
    assert _get(df, "roundtrip_fidelity", bert, "eng").value < 0.5
    # Mistral spells Amharic (Ethiopic script) in byte-fallback pieces
    assert _get(df, "byte_fallback_rate", mistral, "amh").value > 0.3
    assert _get(df, "byte_fallback_rate", mistral, "eng").value < 0.01
    # BERT uncased has no Ethiopic: Amharic is dropped from its premiums, and listed
    assert any(d["tokenizer"] == bert.name and d["language"] == "amh" for d in m.dropped)
    assert _get(df, "premium", tik, "amh").value > 3
    # Chinese words come from the character fallback (but for the odd Latin name or number),
    # and the rows say so
    assert _get(df, "fertility", tik, "zho-CN").note.startswith("segmentation=characters for 9")
    assert _get(df, "fertility", tik, "eng").note == ""
    e = _get(df, "fertility", tik, "eng")
    assert 1.0 < e.value < 1.5 and e.ci_low < e.value < e.ci_high


def test_readme_sample_sentence(shared_dir):
    from tokeff.adapters import load_tokenizer

    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(shared_dir / "tokenizers" / "tiktoken"))
    s = "Hello world, tokenization efficiency! Привет мир 你好世界"
    toks = [load_tokenizer("tiktoken:gpt2"), load_tokenizer("tiktoken:cl100k_base"), load_tokenizer("tiktoken:o200k_base")]
    df = measure([toy_corpus([Document(s, "mul", "s")])], toks, settings=MetricSettings(split="all", bootstrap_replicates=0),
                 workers=1, progress=False).metrics
    tokens = df[(df.metric == "tokens") & (df.language == "all")].set_index("tokenizer")["value"]
    # the shared folder's README: gpt2 27, cl100k_base 18, o200k_base 13
    assert tokens.to_dict() == {"tiktoken:cl100k_base": 18, "tiktoken:gpt2": 27, "tiktoken:o200k_base": 13}
    # words: Hello world tokenization efficiency Привет мир + 4 Han characters = 10
    words = df[(df.metric == "words") & (df.language == "all")]["value"].unique()
    assert words.tolist() == [10]


def test_real_efficiencies_match_tokenization_scorer_on_the_same_streams(real):
    tokenization_scorer = pytest.importorskip("tokenization_scorer")
    corpus, (tik, _, mistral), m = real
    eng = [d.text for d in corpus.documents("all") if d.language == "eng"]
    for tok in (tik, mistral):
        lines = [" ".join(f"t{i}" for i in ids) for ids in tok.encode_batch(eng)]
        theirs = tokenization_scorer.score(lines, metric="renyi", power=2.5, vocab=tok.vocab_size)
        assert _get(m.metrics, "renyi_efficiency", tok, "eng").value == pytest.approx(theirs, rel=1e-9)
        theirs = tokenization_scorer.score(lines, metric="shannon", vocab=tok.vocab_size)
        assert _get(m.metrics, "shannon_efficiency", tok, "eng").value == pytest.approx(theirs, rel=1e-9)


def test_progress_bar_and_workers_together(capsys):
    m = measure([_mixed_corpus(40)], TOKENIZERS[:1], settings=SMALL_CHUNKS, workers=2, progress=True)
    assert len(m.metrics) > 0
    assert "measuring" in capsys.readouterr().err


def _children_left(within: float = 60.0) -> list:
    """This process's child processes still running after waiting up to ``within`` seconds for
    them to end. Polled, not joined: the pool's own thread reaps its workers too, and a join
    that loses that race returns at once with the process still listed."""
    import multiprocessing
    import time

    deadline = time.monotonic() + within
    while True:
        alive = [child for child in multiprocessing.active_children() if child.is_alive()]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.01)


class _HeldInWorker(CharsTokenizer):
    """Characters. In a worker, a chunk is held until ``release`` is set (a minute at most) and
    then written down as finished; in the process that made it, encoding raises
    KeyboardInterrupt, as Ctrl-C arriving while that process measures a run would."""

    def __init__(self, log: Path) -> None:
        import multiprocessing

        super().__init__()
        self.log = log
        self.parent = os.getpid()
        self.release = multiprocessing.get_context("fork").Event()

    def encode_batch(self, texts):
        if os.getpid() == self.parent:
            raise KeyboardInterrupt
        self.release.wait(timeout=60)
        with self.log.open("a") as f:
            f.write("finished\n")
        return super().encode_batch(texts)


def test_an_interrupt_in_a_notebook_ends_the_workers_at_once(tmp_path: Path):
    # In Jupyter only the kernel process gets Ctrl-C: measure() must end its workers itself
    # rather than wait for them to finish their runs. The worker holds its first chunk, its
    # queue fills, this process measures a run itself and is interrupted there.
    log = tmp_path / "finished.txt"
    docs = [Document(f"line {i}", "xx", str(i)) for i in range(600)]
    with pytest.raises(KeyboardInterrupt):
        measure([Corpus("held", lambda: iter(docs))], [_HeldInWorker(log)],
                settings=MetricSettings(split="all", chunk_docs=10), workers=2, progress=False)
    assert _children_left() == []
    assert not log.exists()  # the worker was ended holding its chunk, not left to finish it


class _FailingInWorker(CharsTokenizer):
    """Fails in any process but the one that made it, as a tokenizer given text it cannot
    handle would (the worker fails on its first chunk; this process measures fine)."""

    def __init__(self) -> None:
        super().__init__()
        self.parent = os.getpid()

    def encode_batch(self, texts):
        if os.getpid() != self.parent:
            raise ValueError(f"cannot encode {texts[0]!r}")
        return super().encode_batch(texts)


def test_a_failing_worker_raises_its_error_instead_of_hanging():
    # the reader deals runs of chunks to bounded queues: a worker that died must not leave it
    # waiting for room in its queue, and its error is the one raised
    docs = [Document(f"line {i}", "xx", str(i)) for i in range(5000)]
    with pytest.raises(ValueError, match="cannot encode 'line "):
        measure([Corpus("failing", lambda: iter(docs))], [_FailingInWorker()],
                settings=MetricSettings(split="all", chunk_docs=10), workers=2, progress=False)
    assert _children_left() == []
