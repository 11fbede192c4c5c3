"""Sharded corpora: the same documents, ids, splits and numbers however a corpus is cut into
shards or stored, Parquet read a row group at a time, and bad shards as one clear line.

The text is real: Tiny Shakespeare's speeches (its blank-line-separated blocks), cut into shards
of every format in a temporary folder.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import pickle
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokeff.adapters.simple import BytesTokenizer
from tokeff.analysis import (TOKEN_LENGTH_COLUMNS, MetricSettings, finish, measure, measure_corpus, merge,
                             sort_tables, with_baseline)
from tokeff.corpus import load_corpus, sharded_corpus, split_of
from tokeff.corpus.core import Corpus, Document
from tokeff.corpus.shards import _lines, content_id, parse_shards_spec
from tokeff.errors import CorpusError
from tokeff.results import tidy

FORMATS = ("jsonl", "jsonl.gz", "parquet", "txt")
ROW_GROUP = 250  # rows per Parquet row group: every shard has several


@pytest.fixture(scope="module")
def speeches(shared_dir: Path) -> list[str]:
    (corpus,) = load_corpus(str(shared_dir / "corpora" / "tinyshakespeare" / "input.txt"))
    texts = [d.text for d in corpus]
    assert len(texts) > 7000
    return texts


def record_id(i: int) -> str | None:
    """Most records carry an id (as FineWeb's do); every fifth has none and gets a content id."""
    return None if i % 5 == 0 else f"<urn:tiny:{i:05d}>"


def write_shards(texts: list[str], folder: Path, fmt: str, n: int, *, interleave: bool = False,
                 ids: bool = True) -> str:
    """``texts`` cut into ``n`` shards of format ``fmt`` in ``folder``, contiguous slices or (with
    ``interleave``) every n-th text, which changes the order the corpus yields them in; the glob
    that reads them back."""
    folder.mkdir(parents=True)
    numbered = list(enumerate(texts))
    size = -(-len(numbered) // n)
    parts = [numbered[k::n] if interleave else numbered[k * size:(k + 1) * size] for k in range(n)]
    for k, part in enumerate(parts):
        path = folder / f"part-{k:03d}.{fmt}"
        records = [{"text": t, **({"id": record_id(i)} if ids and record_id(i) else {})} for i, t in part]
        if fmt == "txt":
            path.write_text("".join(t + "\n\n" for _, t in part), encoding="utf-8")
        elif fmt == "parquet":
            columns = {"text": [t for _, t in part]}
            if ids:
                columns["id"] = [record_id(i) for i, _ in part]
            pq.write_table(pa.table(columns), path, row_group_size=ROW_GROUP)
        else:
            lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")
            path.write_bytes(gzip.compress(lines) if fmt.endswith(".gz") else lines)
    return str(folder / f"part-*.{fmt}")


def triples(corpus: Corpus) -> list[tuple[str, str, str]]:
    return sorted((d.text, d.doc_id, split_of(d.doc_id)) for d in corpus)


# ---------------------------------------------------------------------------------------------
# The same documents whatever the sharding and the format


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_same_documents_ids_and_splits_whatever_the_sharding(speeches, tmp_path: Path, fmt: str) -> None:
    seen = []
    for n in (1, 3, 7):
        corpus = sharded_corpus(write_shards(speeches, tmp_path / f"{n}", fmt, n, interleave=n == 7))
        assert [s.name for s in corpus.shards()] == [f"part-{k:03d}.{fmt}" for k in range(n)]
        seen.append(triples(corpus))
    assert len(seen[0]) == len(speeches)
    assert seen[0] == seen[1] == seen[2]


def test_the_formats_give_the_same_documents(speeches, tmp_path: Path) -> None:
    with_ids = [triples(sharded_corpus(write_shards(speeches, tmp_path / fmt, fmt, 3)))
                for fmt in ("jsonl", "jsonl.gz", "parquet")]
    assert with_ids[0] == with_ids[1] == with_ids[2]
    # text files carry no ids: the same as records without one (content ids throughout)
    txt = triples(sharded_corpus(write_shards(speeches, tmp_path / "txt", "txt", 3)))
    bare = triples(sharded_corpus(write_shards(speeches, tmp_path / "bare", "parquet", 5, ids=False)))
    assert txt == bare
    assert {t for t, _, _ in txt} == {t for t, _, _ in with_ids[0]}


def test_a_shards_split_is_the_corpus_split(speeches, tmp_path: Path) -> None:
    corpus = sharded_corpus(write_shards(speeches, tmp_path / "p", "parquet", 4))
    for train_fraction, eval_share in ((0.8, 0.2), (0.5, 0.5)):
        corpus.train_fraction = train_fraction  # the shards follow the corpus's setting
        for split in ("train", "eval"):
            whole = [d.doc_id for d in corpus.documents(split)]
            assert whole == [d.doc_id for s in corpus.shards() for d in s.documents(split)]
        share = sum(1 for _ in corpus.documents("eval")) / len(speeches)
        assert abs(share - eval_share) < 0.02


def test_ids_come_from_the_record_else_from_the_text(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(
        '{"text": "to be", "id": "<urn:uuid:1>", "url": "u1"}\n'
        '{"text": "or not", "url": "u2"}\n'
        '{"text": "or not", "id": null}\n'
        '{"text": "to be", "id": 42, "language": "eng"}\n'
        '{"text": "  ", "id": "blank"}\n{"text": null}\n', encoding="utf-8")
    docs = list(sharded_corpus(str(tmp_path / "*.jsonl")))
    or_not = hashlib.blake2b("or not".encode(), digest_size=16).hexdigest()
    assert content_id("or not") == or_not
    # duplicates without ids share one: they land in the same split and bootstrap group
    assert [(d.text, d.doc_id, d.language) for d in docs] == [
        ("to be", "<urn:uuid:1>", "und"), ("or not", or_not, "und"), ("or not", or_not, "und"), ("to be", "42", "eng")]
    (by_url,) = load_corpus(f"shards:{tmp_path}/*.jsonl:text:url")
    assert [d.doc_id for d in by_url] == ["u1", "u2", or_not, content_id("to be")]
    (by_text,) = load_corpus(f"shards:{tmp_path}/*.jsonl:text:-")
    assert [d.doc_id for d in by_text] == [content_id(t) for t in ("to be", "or not", "or not", "to be")]


def test_parquet_integer_ids_languages_and_dictionary_text(tmp_path: Path) -> None:
    pq.write_table(pa.table({"content": ["hej", None, "hallo"], "id": [7, 8, None],
                             "language": ["dan", "dan", None]}), tmp_path / "x.parquet")
    (c,) = load_corpus(f"{tmp_path}/x.parquet:content", language="xx")
    assert [(d.text, d.doc_id, d.language) for d in c] == [("hej", "7", "dan"), ("hallo", content_id("hallo"), "xx")]
    assert c.name == "x"
    # a text column stored dictionary-encoded (as pandas writes a categorical) reads the same
    pq.write_table(pa.table({"text": pa.array(["hej", "hallo", "hej"]).dictionary_encode()}), tmp_path / "d.parquet")
    assert [d.text for d in sharded_corpus(tmp_path / "d.parquet")] == ["hej", "hallo", "hej"]


@given(st.lists(st.text(st.characters(blacklist_characters="\n\r", blacklist_categories=("Cs",)), max_size=12),
                max_size=20),
       st.integers(1, 9), st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_json_lines_are_read_the_same_in_blocks_of_any_size(lines, block: int, ending: str, last: bool) -> None:
    data = ending.join(lines) + (ending if last else "")
    expected = data.split("\n")
    if expected[-1] == "":
        expected.pop()
    got = list(_lines(io.BytesIO(data.encode("utf-8")), "x", "strict", block_bytes=block))
    assert got == [(i + 1, line.removesuffix("\r")) for i, line in enumerate(expected)]


# ---------------------------------------------------------------------------------------------
# Numbers: whatever the sharding, the order documents arrive in, or who measures which shard


def _settings(**kw) -> MetricSettings:
    return MetricSettings(bootstrap_replicates=200, **kw)


@pytest.fixture(scope="module")
def tokenizers(shared_dir: Path):
    from tokeff.adapters import load_tokenizer

    return [load_tokenizer("tiktoken:gpt2"), BytesTokenizer()]


def test_measure_gives_identical_tables_for_1_and_3_shards(speeches, tmp_path: Path, tokenizers) -> None:
    one = sharded_corpus(write_shards(speeches, tmp_path / "one", "jsonl", 1), name="tiny")
    # three shards, every third speech in each: the documents arrive in another order, so the
    # chunks hold other documents; then smaller chunks too
    three = sharded_corpus(write_shards(speeches, tmp_path / "three", "parquet", 3, interleave=True), name="tiny")
    assert [d.doc_id for d in one][:3] != [d.doc_id for d in three][:3]
    a = measure([one], tokenizers, settings=_settings(), workers=1, progress=False)
    b = measure([three], tokenizers, settings=_settings(), workers=1, progress=False)
    c = measure([three], tokenizers, settings=_settings(chunk_docs=37), workers=1, progress=False)
    pd.testing.assert_frame_equal(a.metrics, b.metrics, check_exact=True)
    pd.testing.assert_frame_equal(a.metrics, c.metrics, check_exact=True)
    pd.testing.assert_frame_equal(a.token_lengths, b.token_lengths, check_exact=True)
    assert len(a.metrics) > 20 and a.metrics["n"].max() == sum(1 for _ in one.documents("eval"))


def test_one_state_per_shard_merged_equals_the_whole_pass(speeches, tmp_path: Path, tokenizers) -> None:
    # what an engine that maps shards over workers does: measure each shard on its own (after a
    # round trip through pickle, as if shipped to another process), merge the integer states
    corpus = sharded_corpus(write_shards(speeches, tmp_path / "s", "jsonl.gz", 3, interleave=True), name="tiny")
    settings = with_baseline(_settings(), [t.name for t in tokenizers])
    states = [measure_corpus(Corpus(corpus.name, shard.open), tokenizers, settings)
              for shard in pickle.loads(pickle.dumps(corpus.shards()))]
    for state in states[1:]:
        merge(states[0], state)
    rows, extras = finish([corpus], tokenizers, settings, [states[0]])
    merged, _ = sort_tables(tidy(rows), pd.DataFrame(extras.token_lengths, columns=TOKEN_LENGTH_COLUMNS))
    whole = measure([corpus], tokenizers, settings=settings, workers=1, progress=False).metrics
    pd.testing.assert_frame_equal(merged, whole, check_exact=True)


# ---------------------------------------------------------------------------------------------
# Shards as units of work


def test_shards_pickle_and_read_alone(speeches, tmp_path: Path) -> None:
    corpus = sharded_corpus(write_shards(speeches, tmp_path / "g", "jsonl.gz", 3))
    shards = pickle.loads(pickle.dumps(corpus.shards()))
    assert [s.path for s in shards] == sorted(s.path for s in shards)
    assert [d for s in shards for d in s.open()] == list(corpus)
    assert pickle.loads(pickle.dumps(corpus)).name == corpus.name  # the whole corpus pickles too


def test_a_corpus_of_one_source_is_one_shard() -> None:
    docs = [Document("a", "und", "1"), Document("b", "und", "2")]
    corpus = Corpus("plain", lambda: iter(docs), train_fraction=0.5)
    (shard,) = corpus.shards()
    assert shard.name == "plain" and shard.train_fraction == 0.5 and list(shard.open()) == docs


def test_globs_reach_into_folders_and_name_shards_below_their_root(tmp_path: Path) -> None:
    for sub in ("b", "a/deep"):
        (tmp_path / "dump" / sub).mkdir(parents=True)
        (tmp_path / "dump" / sub / "x.txt").write_text(f"{sub}\n", encoding="utf-8")
    (c,) = load_corpus(f"{tmp_path}/dump/**/*.txt")
    assert c.name == "dump"
    assert [s.name for s in c.shards()] == ["a/deep/x.txt", "b/x.txt"]
    assert [d.text for d in c] == ["a/deep", "b"]


@pytest.mark.parametrize("spec, parsed", [
    ("shards:data/*.parquet", ("data/*.parquet", "text", "id")),
    ("shards:dump/part-*.jsonl.gz:content", ("dump/part-*.jsonl.gz", "content", "id")),
    ("data/*.parquet:content:url", ("data/*.parquet", "content", "url")),
    ("shards:d/*.jsonl::-", ("d/*.jsonl", "text", None)),
    (r"shards:C:\data\*.parquet:body", (r"C:\data\*.parquet", "body", "id")),
    ("shards:odd:name.parquet", ("odd:name.parquet", "text", "id")),
])
def test_spec_syntax(spec: str, parsed: tuple) -> None:
    assert parse_shards_spec(spec) == parsed


def test_plain_specs_keep_their_readers(tmp_path: Path) -> None:
    (tmp_path / "docs.jsonl").write_text('{"body": "hello"}\n', encoding="utf-8")
    (c,) = load_corpus(f"{tmp_path}/docs.jsonl:body")
    assert c.parts == () and [d.doc_id for d in c] == ["docs.jsonl:1"]  # not a sharded corpus
    (s,) = load_corpus(f"{tmp_path}/*.jsonl:body")
    assert [d.doc_id for d in s] == [content_id("hello")]


# ---------------------------------------------------------------------------------------------
# Parquet is read a row group at a time


def test_parquet_is_read_one_row_group_at_a_time(speeches, tmp_path: Path, monkeypatch) -> None:
    corpus = sharded_corpus(write_shards(speeches, tmp_path / "p", "parquet", 3))
    groups = [pq.ParquetFile(s.path).num_row_groups for s in corpus.shards()]
    assert min(groups) >= 5
    reads: list[tuple[int, int, tuple[str, ...]]] = []
    real = pq.ParquetFile.read_row_group

    def spy(self, i, columns=None, **kw):
        table = real(self, i, columns=columns, **kw)
        reads.append((i, table.num_rows, tuple(columns)))
        return table

    def whole_file(*args, **kwargs):
        raise AssertionError("a whole Parquet file was read")

    monkeypatch.setattr(pq.ParquetFile, "read_row_group", spy)
    for name in ("read", "read_row_groups", "iter_batches"):
        monkeypatch.setattr(pq.ParquetFile, name, whole_file)
    monkeypatch.setattr(pq, "read_table", whole_file)

    docs = corpus.open()
    next(docs)
    assert len(reads) == 1  # the first document needs the first row group only
    rest = list(docs)
    assert len(rest) + 1 == len(speeches)
    assert [i for i, _, _ in reads] == [i for n in groups for i in range(n)]
    assert all(rows <= ROW_GROUP and cols == ("text", "id") for _, rows, cols in reads)


# ---------------------------------------------------------------------------------------------
# Bad input: one line, naming the shard


def _jsonl(path: Path, body: bytes, gz: bool = False) -> None:
    path.write_bytes(gzip.compress(body) if gz else body)


BAD = [
    ("empty-match", lambda d: None, "nothing/*.parquet", "no files match"),
    ("other-format", lambda d: (d / "_SUCCESS.md").write_text("x"), "*", "_SUCCESS.md: not a shard format"),
    ("unreadable", lambda d: (d / "gone.jsonl").symlink_to(d / "missing"), "*.jsonl", "gone.jsonl: cannot read"),
    ("not-gzip", lambda d: _jsonl(d / "a.jsonl.gz", b'{"text": "x"}\n'), "*.jsonl.gz", "a.jsonl.gz: not a gzip file"),
    ("truncated-gzip", lambda d: (d / "a.jsonl.gz").write_bytes(gzip.compress(b'{"text": "x"}\n' * 99)[:30]),
     "*.jsonl.gz", "a.jsonl.gz: the gzip stream is truncated"),
    ("not-parquet", lambda d: (d / "a.parquet").write_bytes(b"PAR1 not really"), "*.parquet",
     "a.parquet: not a readable Parquet file"),
    ("no-column", lambda d: pq.write_table(pa.table({"body": ["x"]}), d / "a.parquet"), "*.parquet",
     r"a.parquet: no column 'text' \(columns: body\)"),
    ("not-text-column", lambda d: pq.write_table(pa.table({"text": [1]}), d / "a.parquet"), "*.parquet",
     "a.parquet: column 'text' holds int64, not text"),
    ("no-field", lambda d: _jsonl(d / "a.jsonl", b'{"text": "x"}\n{"body": "y"}\n'), "*.jsonl",
     "a.jsonl: line 2 has no field 'text'"),
    ("bad-json", lambda d: _jsonl(d / "a.jsonl.gz", b'{"text": "x"}\n{oops\n', gz=True), "*.jsonl.gz",
     "a.jsonl.gz: line 2 is not valid JSON"),
    ("not-a-string", lambda d: _jsonl(d / "a.jsonl", b'{"text": ["x"]}\n'), "*.jsonl", "holds list, not text"),
    ("bad-id", lambda d: _jsonl(d / "a.jsonl", b'{"text": "x", "id": 1.5}\n'), "*.jsonl", "id field 'id' holds float"),
    ("utf8-jsonl", lambda d: _jsonl(d / "a.jsonl", b'{"text": "ok"}\n{"text": "caf\xe9"}\n'), "*.jsonl",
     r"a.jsonl: invalid UTF-8 at byte offset 28 \(line 2\)"),
    ("utf8-gz", lambda d: _jsonl(d / "a.jsonl.gz", b'{"text": "ok"}\n{"text": "caf\xe9"}\n', gz=True), "*.jsonl.gz",
     r"a.jsonl.gz: invalid UTF-8 at byte offset 28 \(line 2\)"),
    ("utf8-txt", lambda d: _jsonl(d / "a.txt", b"fine\n\ncaf\xe9\n"), "*.txt", r"a.txt: invalid UTF-8 at byte offset 9"),
    ("utf8-parquet", lambda d: pq.write_table(_bad_utf8_table(), d / "a.parquet", row_group_size=2), "*.parquet",
     r"a.parquet: invalid UTF-8 in column 'text', row group 1, row 1"),
]


def _bad_utf8_table() -> pa.Table:
    """Parquet does not promise valid UTF-8 in a string column: build one that holds a Latin-1 byte."""
    raw = pa.array([b"one", b"two", b"three", b"caf\xe9"], type=pa.binary())
    return pa.table({"text": pa.Array.from_buffers(pa.string(), len(raw), raw.buffers())})


@pytest.mark.parametrize("make, glob, message", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_shards_fail_with_one_line_naming_the_shard(tmp_path: Path, make, glob: str, message: str) -> None:
    make(tmp_path)
    with pytest.raises(CorpusError, match=message) as e:
        list(load_corpus(f"shards:{tmp_path}/{glob}")[0])
    assert "\n" not in str(e.value)


def test_invalid_utf8_can_be_replaced(tmp_path: Path) -> None:
    pq.write_table(_bad_utf8_table(), tmp_path / "a.parquet", row_group_size=2)
    _jsonl(tmp_path / "b.jsonl.gz", b'{"text": "caf\xe9"}\n', gz=True)
    (c,) = load_corpus(f"{tmp_path}/*", errors="replace")
    assert [d.text for d in c] == ["one", "two", "three", "caf\ufffd", "caf\ufffd"]


def test_missing_pyarrow_is_one_line_naming_the_extra(tmp_path: Path, monkeypatch) -> None:
    pq.write_table(pa.table({"text": ["x"]}), tmp_path / "a.parquet")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now raises ImportError
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(CorpusError, match=r"a.parquet: reading Parquet shards needs pyarrow: pip install tokeff\[parquet\]"):
        load_corpus(f"{tmp_path}/*.parquet")


def test_every_file_corpus_pickles_and_a_folder_is_a_shard_per_file(tmp_path: Path) -> None:
    (tmp_path / "books" / "b").mkdir(parents=True)
    (tmp_path / "books" / "a.txt").write_text("one\n\ntwo\n", encoding="utf-8")
    (tmp_path / "books" / "b" / "c.txt").write_text("three\n", encoding="utf-8")
    (tmp_path / "docs.jsonl").write_text('{"text": "four"}\n', encoding="utf-8")
    (tmp_path / "par").mkdir()
    (tmp_path / "par" / "eng.txt").write_text("yes\nno\n", encoding="utf-8")
    (tmp_path / "par" / "deu.txt").write_text("ja\nnein\n", encoding="utf-8")
    (folder,) = load_corpus(str(tmp_path / "books"))
    assert [(s.name, [d.doc_id for d in s.open()]) for s in folder.shards()] == [
        ("a.txt", ["a.txt:1", "a.txt:3"]), ("b/c.txt", ["b/c.txt:1"])]
    for spec in (str(tmp_path / "books"), str(tmp_path / "books" / "a.txt"), f"{tmp_path}/docs.jsonl",
                 f"parallel:{tmp_path}/par"):
        (corpus,) = load_corpus(spec)
        copy = pickle.loads(pickle.dumps(corpus))
        assert list(copy) == list(corpus) and len(list(corpus)) >= 1
        assert [d for s in pickle.loads(pickle.dumps(corpus.shards())) for d in s.open()] == list(corpus)
