"""The results cache: finished work is reused only when every input is the same, and never lost.

What ``tokeff.analyze`` reuses from it is tested through the public entry point in
``tests/test_cache_reuse.py``; these tests hold the storage itself."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from tokeff.cache import CacheWarning, ResultsCache, cache_root, stable_hash
from tokeff.corpus.fingerprint import corpus_fingerprint
from tokeff.corpus.core import Corpus, Document
from tokeff.results import tidy


def metrics_table(value: float = 3.9172) -> pd.DataFrame:
    return tidy([
        {"corpus": "c", "language": "eng", "tokenizer": "gpt2", "metric": "bytes_per_token", "value": value,
         "unit": "UTF-8 bytes / token", "ci_low": value - 0.1, "ci_high": value + 0.1, "n": 1997, "note": ""},
        {"corpus": "c", "language": "jpn", "tokenizer": "gpt2", "metric": "fertility", "value": float("nan"),
         "unit": "tokens / word (standalone)", "ci_low": None, "ci_high": None, "n": 0, "note": "segmentation=characters"},
    ])


def corpus_of(*docs: Document, train_fraction: float = 0.8) -> Corpus:
    return Corpus(name="c", open=lambda: iter(docs), train_fraction=train_fraction)


# --------------------------------------------------------------------------- keys

def test_key_is_stable_and_ignores_dict_order_but_not_values(tmp_path: Path) -> None:
    cache = ResultsCache(tmp_path, version="1.0")
    settings = {"split": "eval", "bootstrap": 1000, "seed": 0}
    k = cache.key("corpus-fp", "gpt2-fp", settings)
    assert k == cache.key("corpus-fp", "gpt2-fp", dict(reversed(settings.items())))
    assert k == ResultsCache(tmp_path / "elsewhere", version="1.0").key("corpus-fp", "gpt2-fp", settings)
    assert k != cache.key("corpus-fp", "gpt2-fp", {**settings, "bootstrap": 200})  # different settings
    assert k != cache.key("corpus-fp", "cl100k-fp", settings)  # different tokenizer
    assert k != ResultsCache(tmp_path, version="1.1").key("corpus-fp", "gpt2-fp", settings)  # new tokeff


def test_key_refuses_values_without_a_canonical_form() -> None:
    with pytest.raises(TypeError):
        stable_hash({"tokenizer": object()})
    with pytest.raises(ValueError):
        stable_hash(math.nan)


# --------------------------------------------------------------------------- get / put

def test_miss_then_put_then_hit_round_trips_exactly(tmp_path: Path) -> None:
    cache = ResultsCache(tmp_path)
    key = cache.key("corpus-fp", "gpt2-fp", {"split": "eval"})
    assert cache.get(key) is None and key not in cache

    df = metrics_table(0.1 + 0.2)  # a float whose decimal form is long: it must come back bit for bit
    path = cache.put(key, df)
    assert path == tmp_path / "results" / f"{key}.json"
    back = cache.get(key)
    assert back is not None
    pd.testing.assert_frame_equal(back, df)
    assert back["value"][0] == 0.1 + 0.2 and math.isnan(back["value"][1])
    assert cache.keys() == [key]


def test_parts_are_a_hit_only_when_all_of_them_are_stored(tmp_path: Path) -> None:
    cache = ResultsCache(tmp_path)
    a, b = pd.DataFrame({"x": [1, 2]}, index=[5, 6]), pd.DataFrame({"note": ["", "y"]})
    assert cache.get_parts("0a", ["a", "b"]) is None
    cache.put_parts("0a", ["a", "b"], [a, b])
    got = cache.get_parts("0a", ["a", "b"])
    pd.testing.assert_frame_equal(got[0], a.reset_index(drop=True))
    assert got[1]["note"].tolist() == ["", "y"]
    cache.path(cache.key("0a", "b")).unlink()
    assert cache.get_parts("0a", ["a", "b"]) is None


def test_corrupt_entry_is_a_miss_with_a_warning(tmp_path: Path) -> None:
    cache = ResultsCache(tmp_path)
    key = cache.key("x")
    cache.put(key, metrics_table())
    path = cache.path(key)
    path.write_text(path.read_text()[:40])  # cut short, as a full disk might leave it

    with pytest.warns(CacheWarning, match="corrupt cache entry"):
        assert cache.get(key) is None
    cache.put(key, metrics_table())  # recomputing overwrites it
    assert cache.get(key) is not None


def test_entry_stored_under_another_key_is_not_served(tmp_path: Path) -> None:
    cache = ResultsCache(tmp_path)
    a, b = cache.key("a"), cache.key("b")
    cache.put(a, metrics_table())
    cache.path(a).rename(cache.path(b))  # a file renamed by hand must not answer for b
    with pytest.warns(CacheWarning, match="another key"):
        assert cache.get(b) is None


def test_a_write_that_fails_midway_leaves_no_file_and_keeps_the_old_entry(tmp_path: Path) -> None:
    cache = ResultsCache(tmp_path)
    key = cache.key("x")
    # The last column is not JSON: serialization fails after the first columns were written.
    bad = metrics_table().assign(extra=[object(), object()])
    with pytest.raises(TypeError):
        cache.put(key, bad)
    assert list(cache.folder.iterdir()) == []  # no entry and no temporary file

    cache.put(key, metrics_table(1.5))
    with pytest.raises(TypeError):
        cache.put(key, bad)
    assert sorted(p.name for p in cache.folder.iterdir()) == [f"{key}.json"]
    assert cache.get(key)["value"][0] == 1.5  # the old entry is still whole


def test_clear_removes_results_but_not_downloaded_corpora(tmp_path: Path) -> None:
    cache = ResultsCache(tmp_path)
    (tmp_path / "corpora" / "ntrex128").mkdir(parents=True)
    cache.put(cache.key("a"), metrics_table())
    cache.put(cache.key("b"), metrics_table())
    assert cache.clear() == 2
    assert cache.get(cache.key("a")) is None and cache.keys() == []
    assert (tmp_path / "corpora" / "ntrex128").is_dir()


def test_bad_key_cannot_escape_the_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        ResultsCache(tmp_path).get("../../etc/passwd")


def test_default_root_follows_tokeff_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKEFF_CACHE", str(tmp_path / "c"))
    assert cache_root() == tmp_path / "c"
    assert ResultsCache().folder == tmp_path / "c" / "results"


# --------------------------------------------------------------------------- corpus fingerprints

def test_fingerprint_depends_on_every_field_and_on_the_split_fraction() -> None:
    base = corpus_fingerprint(corpus_of(Document("ab", "eng", "1"), Document("c", "eng", "2")))
    assert base == corpus_fingerprint(corpus_of(Document("ab", "eng", "1"), Document("c", "eng", "2")))
    variants = [
        corpus_of(Document("a", "eng", "1"), Document("bc", "eng", "2")),  # same concatenated text
        corpus_of(Document("ab", "deu", "1"), Document("c", "eng", "2")),  # language
        corpus_of(Document("ab", "eng", "1"), Document("c", "eng", "3")),  # doc_id
        corpus_of(Document("c", "eng", "2"), Document("ab", "eng", "1")),  # order
        corpus_of(Document("ab", "eng", "1"), Document("c", "eng", "2"), train_fraction=0.5),
    ]
    assert len({base, *map(corpus_fingerprint, variants)}) == 1 + len(variants)


def test_fingerprint_is_the_hash_of_each_field_length_prefixed() -> None:
    # the byte stream the docstring describes (cached results are keyed by it, so it must not
    # drift), over more than the megabyte the hash is handed at a time, and a lone surrogate
    import hashlib

    docs = [Document("ab", "eng", "1"), Document("é" * 700_000, "fra", "2"), Document("x\ud800", "", "3")]
    h = hashlib.sha256(b"tokeff-corpus-v1 train_fraction=0.8\n")
    for d in docs:
        for value in (d.doc_id, d.language, d.text):
            data = value.encode("utf-8", "surrogatepass")
            h.update(len(data).to_bytes(8, "little") + data)
    assert corpus_fingerprint(corpus_of(*docs)) == h.hexdigest()


def test_fingerprint_streams_the_corpus_in_one_pass() -> None:
    passes = 0

    def documents() -> Iterator[Document]:
        nonlocal passes
        passes += 1
        for i in range(10_000):
            yield Document(f"document {i}", "eng", str(i))

    fp = corpus_fingerprint(Corpus(name="gen", open=documents))
    assert passes == 1 and len(fp) == 64


def test_fingerprint_of_a_real_corpus_ignores_its_location(shared_dir: Path, tmp_path: Path) -> None:
    from tokeff.corpus.sources import text_file_corpus

    real = shared_dir / "corpora" / "gutenberg_en" / "pg11.txt"
    a = text_file_corpus(real)
    b = text_file_corpus(real, name="renamed")
    assert corpus_fingerprint(a) == corpus_fingerprint(b)
    edited = tmp_path / "pg11.txt"  # same file name, one character changed
    edited.write_bytes(real.read_bytes().replace(b"Alice", b"Alicf", 1))
    assert corpus_fingerprint(text_file_corpus(edited)) != corpus_fingerprint(a)


def test_the_code_fingerprint_covers_the_compiled_core_sources(tmp_path: Path):
    from tokeff.cache import code_fingerprint

    (tmp_path / "_native").mkdir()
    (tmp_path / "metric.py").write_text("X = 1\n")
    (tmp_path / "_native" / "scan.c").write_text("int x = 1;\n")
    (tmp_path / "notes.txt").write_text("not code\n")
    before = code_fingerprint(tmp_path)
    (tmp_path / "notes.txt").write_text("still not code\n")
    assert code_fingerprint(tmp_path) == before
    (tmp_path / "_native" / "scan.c").write_text("int x = 2;\n")  # a C change can change a count
    assert code_fingerprint(tmp_path) != before
