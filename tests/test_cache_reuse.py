"""What ``tokeff.analyze(..., cache=True)`` reuses: a rerun serves cached numbers only when every
input that decides them is the same, and they are then exactly the numbers a fresh run gives.

These tests go through the public entry point only (a corpus folder, tokenizer specs or objects,
``TOKEFF_CACHE``), so they hold whatever the cache looks like inside.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import tokeff
from tokeff.adapters import load_tokenizer
from tokeff.adapters.simple import CharsTokenizer

from .test_metrics_toys import write_parallel_folder

#: Every run here: small and quiet. Only the setting under test changes between runs.
QUIET = dict(workers=1, progress=False, report=False, note=lambda message: None)
BASE = dict(bootstrap=100)


def _metrics(result) -> pd.DataFrame:
    """The tidy metrics table of what ``analyze`` returns."""
    return result if isinstance(result, pd.DataFrame) else result.metrics


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A parallel folder: 150 aligned lines in eng, deu and rus (about 30 of them in the eval split)."""
    return write_parallel_folder(tmp_path_factory.mktemp("corpus") / "par")


def _bpe_file(path: Path, corpus: Path, vocab_size: int) -> Path:
    """A tokeff BPE model trained on the corpus's text, saved at ``path``."""
    texts = [f.read_text(encoding="utf-8") for f in sorted(corpus.glob("*.txt"))]
    tokeff.train_bpe(texts, vocab_size).save(path)
    return path


@pytest.fixture(scope="module")
def bpe(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _bpe_file(tmp_path_factory.mktemp("bpe") / "bpe.json", corpus, 300)


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("TOKEFF_CACHE", str(folder))
    return folder


# One setting changed at a time (default → this value). Each changes some number, so a stale
# cache hit cannot pass for a fresh result.
CHANGES = {
    "seed": dict(seed=1),
    "bootstrap replicates": dict(bootstrap=60),
    "confidence": dict(confidence=0.5),
    "baseline": dict(baseline="bytes"),
    "reference language": dict(reference_language="deu"),
    "word metrics": dict(word_metrics=False),
    "round trip": dict(roundtrip=False),
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=list(CHANGES))
def test_changing_one_setting_gives_that_settings_numbers_not_the_cached_ones(change, corpus, bpe, cache_dir):
    tokenizers, corpora = [f"tokeff:{bpe}", "bytes"], [f"parallel:{corpus}"]
    first = _metrics(tokeff.analyze(tokenizers, corpora, cache=True, **BASE, **QUIET))
    second = _metrics(tokeff.analyze(tokenizers, corpora, cache=True, **{**BASE, **change}, **QUIET))
    fresh = _metrics(tokeff.analyze(tokenizers, corpora, cache=False, **{**BASE, **change}, **QUIET))
    assert not fresh.equals(first), "the setting must change some number, or this test proves nothing"
    pd.testing.assert_frame_equal(second, fresh, check_exact=True)


def test_a_changed_baseline_tokenizer_under_the_same_name_is_not_served_from_the_cache(corpus, tmp_path, cache_dir):
    # normalized sequence length of bytes divides by the baseline's tokens: retraining the
    # baseline (same file, same name) changes bytes' numbers though bytes itself is unchanged
    path = _bpe_file(tmp_path / "baseline.json", corpus, 300)
    tokenizers, corpora = [f"tokeff:{path}", "bytes"], [f"parallel:{corpus}"]
    first = _metrics(tokeff.analyze(tokenizers, corpora, cache=True, **BASE, **QUIET))
    _bpe_file(path, corpus, 270)
    second = _metrics(tokeff.analyze(tokenizers, corpora, cache=True, **BASE, **QUIET))
    fresh = _metrics(tokeff.analyze(tokenizers, corpora, cache=False, **BASE, **QUIET))
    pd.testing.assert_frame_equal(second, fresh, check_exact=True)

    def nsl_of_bytes(df: pd.DataFrame) -> float:
        rows = df[(df.tokenizer == "bytes") & (df.metric == "normalized_sequence_length") & (df.language == "all")]
        return float(rows["value"].iloc[0])

    assert nsl_of_bytes(second) != nsl_of_bytes(first)


def test_a_retrained_tokenizer_under_the_same_name_is_measured_again(corpus, tmp_path, cache_dir):
    path = _bpe_file(tmp_path / "bpe.json", corpus, 300)
    tokenizers, corpora = ["bytes", f"tokeff:{path}"], [f"parallel:{corpus}"]
    first = _metrics(tokeff.analyze(tokenizers, corpora, cache=True, **BASE, **QUIET))
    _bpe_file(path, corpus, 270)
    second = _metrics(tokeff.analyze(tokenizers, corpora, cache=True, **BASE, **QUIET))
    fresh = _metrics(tokeff.analyze(tokenizers, corpora, cache=False, **BASE, **QUIET))
    assert not fresh.equals(first)
    pd.testing.assert_frame_equal(second, fresh, check_exact=True)


def test_an_edited_corpus_under_the_same_name_is_measured_again(corpus, bpe, tmp_path, cache_dir):
    folder = tmp_path / "par"  # same folder name, so the same corpus name
    folder.mkdir()
    for f in corpus.glob("*.txt"):
        (folder / f.name).write_bytes(f.read_bytes())
    tokenizers, corpora = [f"tokeff:{bpe}", "bytes"], [f"parallel:{folder}"]
    first = _metrics(tokeff.analyze(tokenizers, corpora, cache=True, **BASE, **QUIET))
    deu = folder / "deu.txt"
    deu.write_text(deu.read_text(encoding="utf-8").replace("Katze", "Kater"), encoding="utf-8")
    second = _metrics(tokeff.analyze(tokenizers, corpora, cache=True, **BASE, **QUIET))
    fresh = _metrics(tokeff.analyze(tokenizers, corpora, cache=False, **BASE, **QUIET))
    assert not fresh.equals(first)
    pd.testing.assert_frame_equal(second, fresh, check_exact=True)


def _count_encodings(tok) -> list[int]:
    """Wrap ``tok.encode_batch`` to record the size of every call; the list it appends to."""
    calls: list[int] = []
    encode_batch = tok.encode_batch

    def counted(texts):
        calls.append(len(texts))
        return encode_batch(texts)

    tok.encode_batch = counted
    return calls


def test_an_unchanged_rerun_encodes_nothing_and_gives_the_same_table(corpus, bpe, cache_dir):
    toks = [load_tokenizer(f"tokeff:{bpe}"), load_tokenizer("bytes")]
    calls = [_count_encodings(t) for t in toks]
    corpora = [f"parallel:{corpus}"]
    first = _metrics(tokeff.analyze(toks, corpora, cache=True, **BASE, **QUIET))
    assert all(calls), "the first run measures every tokenizer"
    for c in calls:
        c.clear()
    again = _metrics(tokeff.analyze(toks, corpora, cache=True, **BASE, **QUIET))
    assert calls == [[], []]
    pd.testing.assert_frame_equal(again, first, check_exact=True)


def test_adding_a_tokenizer_measures_only_that_one(corpus, bpe, cache_dir):
    # normalized sequence length against characters (counted, no tokenizer needed): the first
    # tokenizer's numbers do not depend on the second, so they are reused as they are
    bpe_tok, byte_tok = load_tokenizer(f"tokeff:{bpe}"), load_tokenizer("bytes")
    bpe_calls, byte_calls = _count_encodings(bpe_tok), _count_encodings(byte_tok)
    corpora = [f"parallel:{corpus}"]
    tokeff.analyze([bpe_tok], corpora, cache=True, baseline="chars", **BASE, **QUIET)
    bpe_calls.clear()
    both = _metrics(tokeff.analyze([bpe_tok, byte_tok], corpora, cache=True, baseline="chars", **BASE, **QUIET))
    assert bpe_calls == [] and byte_calls
    fresh = _metrics(tokeff.analyze([bpe_tok, byte_tok], corpora, cache=False, baseline="chars", **BASE, **QUIET))
    pd.testing.assert_frame_equal(both, fresh, check_exact=True)


class DecodedChars(CharsTokenizer):
    """Characters without ``token_bytes``: token lengths come from decoding, and the run says so."""

    token_bytes = None


def test_a_warm_run_keeps_the_notes_of_the_cold_one(corpus: Path, cache_dir: Path):
    tok = DecodedChars("decoded-chars")
    cold = tokeff.analyze([tok, "bytes"], [f"parallel:{corpus}"], **QUIET, **BASE)
    warm = tokeff.analyze([tok, "bytes"], [f"parallel:{corpus}"], **QUIET, **BASE)
    assert [n for n in cold.record.notes if n.startswith("decoded-chars: token lengths")]
    assert warm.record.notes == cold.record.notes
    pd.testing.assert_frame_equal(_metrics(warm), _metrics(cold), check_exact=True)
