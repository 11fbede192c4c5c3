"""The corpus layer: specs, readers, splits, and bad input as one clear error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tokeff.corpus import Document, load_corpus, split_of
from tokeff.corpus.default import STDLIB_MODULES, default_corpora
from tokeff.errors import CorpusError


def test_text_file_blocks_and_lines(tmp_path: Path) -> None:
    f = tmp_path / "two.txt"
    f.write_bytes(b"first para\r\nstill first\r\n\r\nsecond\r\n")  # CRLF reads like LF
    (blocks,) = load_corpus(str(f))
    assert [d.text for d in blocks] == ["first para\nstill first", "second"]
    (lines,) = load_corpus(str(f), lines=True)
    assert [d.text for d in lines] == ["first para", "still first", "second"]
    assert blocks.name == "two"


def test_folder_and_jsonl(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text("bee\n", encoding="utf-8")
    (tmp_path / "a.txt").write_text("ay\n", encoding="utf-8")
    (tmp_path / "notes.md").write_text("ignored\n", encoding="utf-8")
    (folder,) = load_corpus(str(tmp_path))
    assert [d.text for d in folder] == ["ay", "bee"]  # sorted by path, .txt only

    j = tmp_path / "docs.jsonl"
    j.write_text(json.dumps({"body": "hello", "language": "eng"}) + "\n" + json.dumps({"body": "hallo"}) + "\n")
    (corpus,) = load_corpus(f"{j}:body")
    assert [(d.text, d.language) for d in corpus] == [("hello", "eng"), ("hallo", "und")]


def test_parallel_alignment_and_split(tmp_path: Path) -> None:
    (tmp_path / "eng.txt").write_text("one\ntwo\nthree\n", encoding="utf-8")
    (tmp_path / "deu.txt").write_bytes("eins\r\nzwei\r\ndrei\r\n".encode())
    (tmp_path / "SOURCE.txt").write_text("not a language\n", encoding="utf-8")
    (c,) = load_corpus(f"parallel:{tmp_path}")
    assert c.parallel and c.reference_language == "eng"
    docs = list(c)
    assert {d.language for d in docs} == {"eng", "deu"}
    by_id = {}
    for d in docs:
        by_id.setdefault(d.doc_id, {})[d.language] = d.text
    assert by_id["line:2"] == {"eng": "two", "deu": "zwei"}
    # Aligned lines share an id, so both languages land in the same split.
    for split in ("train", "eval"):
        ids = {lang: {d.doc_id for d in c.documents(split) if d.language == lang} for lang in ("eng", "deu")}
        assert ids["eng"] == ids["deu"]


def test_split_is_deterministic_and_near_80_20() -> None:
    ids = [f"doc:{i}" for i in range(5000)]
    train = sum(split_of(i) == "train" for i in ids)
    assert 0.77 < train / len(ids) < 0.83
    # pinned: which documents are measured must not move between versions or machines (cached
    # results, trained tokenizers and reports all rely on it). doc:1 hashes to 0.9495 of 2**64,
    # above 0.8: eval; doc:0 to 0.3299: train
    assert [i for i in range(40) if split_of(f"doc:{i}") == "eval"] == [1, 14, 20, 27, 37, 38]
    assert split_of("doc:1", train_fraction=0.96) == "train" and split_of("doc:0", train_fraction=0.32) == "eval"


def test_default_corpus_is_real_and_multilingual() -> None:
    prose, code, parallel = default_corpora()
    assert prose.name == "pydoc-topics" and code.name == "stdlib-code" and parallel.name == "tokeff-parallel"
    first = next(iter(prose))
    assert isinstance(first, Document) and first.language == "eng"
    assert {d.doc_id.split(":")[0] for d in code} <= set(STDLIB_MODULES)
    summary = parallel.summary()
    assert len(summary["languages"]) >= 16
    per_lang = summary["documents"] / len(summary["languages"])
    assert per_lang >= 40
    # the sample covers at least these ten scripts, checked by a character of each
    text = "".join(d.text for d in parallel)
    for ch_range in [(0x0400, 0x04FF), (0x0370, 0x03FF), (0x0600, 0x06FF), (0x0590, 0x05FF), (0x0900, 0x097F),
                     (0x4E00, 0x9FFF), (0x3040, 0x30FF), (0xAC00, 0xD7AF), (0x0E00, 0x0E7F)]:
        assert any(ch_range[0] <= ord(ch) <= ch_range[1] for ch in text), hex(ch_range[0])


def test_ntrex_reads_in_place(shared_dir: Path) -> None:
    (c,) = load_corpus(f"parallel:{shared_dir / 'corpora' / 'ntrex128'}")
    assert c.reference_language == "eng"
    eng = [d for d in c if d.language == "eng"]
    assert len(eng) == 1997 and not any("\r" in d.text for d in eng)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda p: p / "missing.txt", "no such file"),
        (lambda p: _write(p / "empty.txt", b""), "empty"),
        (lambda p: _write(p / "bin.txt", b"\x89PNG\x00\x00data"), "binary"),
        (lambda p: (p / "nothing").mkdir() or p / "nothing", "no non-empty .txt files"),
        (lambda p: p / "nope", "unknown corpus"),
    ],
)
def test_bad_paths_fail_with_one_line(tmp_path: Path, make, expected: str) -> None:
    path = make(tmp_path)
    with pytest.raises(CorpusError, match=expected) as e:
        load_corpus(str(path))
    assert "\n" not in str(e.value)


def test_invalid_utf8_reports_byte_offset_or_replaces(tmp_path: Path) -> None:
    f = tmp_path / "latin1.txt"
    f.write_bytes(b"good line\ncaf\xe9\n")
    (c,) = load_corpus(str(f), lines=True)
    with pytest.raises(CorpusError, match=r"invalid UTF-8 at byte offset 13 \(line 2\)"):
        list(c)
    (c,) = load_corpus(str(f), lines=True, errors="replace")
    assert [d.text for d in c] == ["good line", "caf\ufffd"]


def test_jsonl_bad_line_and_missing_field(tmp_path: Path) -> None:
    f = tmp_path / "x.jsonl"
    f.write_text('{"text": "ok"}\n{broken\n', encoding="utf-8")
    with pytest.raises(CorpusError, match="line 2 is not valid JSON"):
        list(load_corpus(str(f))[0])
    g = tmp_path / "y.jsonl"
    g.write_text('{"text": "ok"}\n{"body": "no text field"}\n', encoding="utf-8")
    with pytest.raises(CorpusError, match="line 2 has no field 'text'"):
        list(load_corpus(str(g))[0])


def test_misaligned_parallel_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "eng.txt").write_text("a\nb\nc\n", encoding="utf-8")
    (tmp_path / "fra.txt").write_text("a\nb\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="fra.txt has 2"):
        load_corpus(f"parallel:{tmp_path}")


# Bytes a file may hold: ASCII, spaces and tabs (where long lines are cut), line endings, two- and
# three-byte characters; and, in some files, once, a byte that is never UTF-8 or a NUL.
_FILE_BYTES = [b"a", b"b", b" ", b"\t", b"\n", b"\r", b"\r\n", "é".encode(), "你".encode()]


@settings(max_examples=400, deadline=None)
@given(parts=st.lists(st.sampled_from(_FILE_BYTES), max_size=120),
       bad=st.one_of(st.none(), st.tuples(st.integers(0, 120), st.sampled_from([b"\xff", b"\x00"]))),
       max_bytes=st.one_of(st.none(), st.integers(4, 24)), block_bytes=st.integers(1, 40),
       errors=st.sampled_from(["strict", "replace"]))
def test_reading_by_blocks_gives_what_reading_line_by_line_gives(parts, bad, max_bytes, block_bytes, errors) -> None:
    # the block reader against the line-at-a-time one it falls back on: the same pieces, or the
    # same one-line error (line number and byte offset of a NUL or of bytes that are not UTF-8)
    import tempfile

    from tokeff.corpus.sources import _lines_one_by_one, read_line_pieces

    def run(read):
        got = []
        try:
            for item in read():
                got.append(item)
        except CorpusError as e:
            got.append(str(e))
        return got

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "f.txt"
        if bad is not None:
            parts.insert(min(bad[0], len(parts)), bad[1])
        path.write_bytes(b"".join(parts))
        with path.open("rb") as f:
            expected = run(lambda: _lines_one_by_one(f, path, errors, max_bytes, 0, 1, until=1 << 62))
        assert run(lambda: read_line_pieces(path, errors, max_bytes, block_bytes=block_bytes)) == expected


def test_a_corpus_split_batch_by_batch_keeps_its_order() -> None:
    from tokeff.corpus.core import SPLIT_BATCH_DOCS, Corpus

    docs = [Document(f"doc {i}", "xx", f"id{i}") for i in range(2 * SPLIT_BATCH_DOCS + 7)]
    corpus = Corpus("c", lambda: iter(docs))
    for split in ("train", "eval"):
        assert list(corpus.documents(split)) == [d for d in docs if split_of(d.doc_id) == split]
