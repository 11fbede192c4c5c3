"""Readers that turn files on disk into lazy document streams.

Every reader checks what it can cheaply up front (the path exists, is not empty, does not look
binary) so a user's mistake fails at once with one line, and re-checks while streaming (invalid
UTF-8 is reported with its line and byte offset, a NUL byte anywhere means a binary file). Files
are read as bytes a block at a time (:data:`READ_BLOCK_BYTES`), decoded and split into lines by
Python's C code: memory stays flat in corpus size, and CRLF files read the same as LF files.

Memory stays flat in *line* length too: ``.txt`` corpora are read in pieces of about
:data:`MAX_DOCUMENT_BYTES` (at most twice that), and a document (a line, or a block) longer than
that is cut into several, just before a run of spaces or tabs (else between two characters), where the
pre-tokenizers of byte-level BPEs split anyway. The first piece keeps the document's id
(``file.txt:LINE``), later ones add ``~K``; each piece is a document of its own in the splits and
the bootstrap, so a one-line file of gigabytes is measured like the many documents it holds.
JSON lines and parallel corpora keep whole lines (a record or an aligned sentence is one unit).

Every corpus here opens its files through a module-level function bound with
:func:`functools.partial`, never a closure, so it pickles and can be sent to another process; a
folder is one shard per file (:meth:`~tokeff.corpus.core.Corpus.shards`).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from ..errors import CorpusError
from .core import Corpus, Document, Shard, read_shards
from .registry import SPECS, CorpusSpec, ReadOptions

#: How to treat bytes that are not UTF-8: "strict" stops with the byte offset, "replace" uses U+FFFD.
DEFAULT_ERRORS = "strict"
_SNIFF_BYTES = 8192
_LANG_CODE = re.compile(r"[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")


def check_text_file(path: Path) -> None:
    """Fail with one line unless ``path`` is a non-empty file that does not look binary."""
    if not path.exists():
        raise CorpusError(f"{path}: no such file or folder; check the path")
    if path.is_dir():
        raise CorpusError(f"{path}: is a folder; give a file, or the folder itself as the corpus")
    if path.stat().st_size == 0:
        raise CorpusError(f"{path}: the file is empty; give a file with text in it")
    with path.open("rb") as f:
        head = f.read(_SNIFF_BYTES)
    if b"\x00" in head:
        raise CorpusError(f"{path}: looks like a binary file (it contains NUL bytes); give a UTF-8 text file")


#: Longest document a ``.txt`` corpus yields, in UTF-8 bytes; longer lines and blocks are cut.
MAX_DOCUMENT_BYTES = 1 << 20


def _decode(path: Path, raw: bytes, lineno: int, offset: int, errors: str) -> str:
    """``raw`` (which starts at byte ``offset`` of the file) as text, or one line saying why not."""
    if b"\x00" in raw:
        raise CorpusError(f"{path}: NUL byte on line {lineno}: looks binary; give a UTF-8 text file")
    try:
        return raw.decode("utf-8", errors=errors)
    except UnicodeDecodeError as e:
        raise CorpusError(
            f"{path}: invalid UTF-8 at byte offset {offset + e.start} (line {lineno}); "
            "re-encode the file as UTF-8 or pass --errors replace"
        ) from None


def read_lines(path: Path, errors: str = DEFAULT_ERRORS) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` from a UTF-8 file, 1-based, without the line ending."""
    for lineno, _, text, _ in read_line_pieces(path, errors, max_bytes=None):
        yield lineno, text


def _cut(data: bytes) -> int:
    """Where to cut an overlong piece of a line: before its last run of spaces/tabs (the space
    then starts the next piece, as the GPT-2/cl100k pre-splits attach it to the next word), else
    before its last character (never inside a UTF-8 sequence)."""
    i = max(data.rfind(b" "), data.rfind(b"\t"))
    while i > 0 and data[i - 1] in b" \t":
        i -= 1
    if i > 0:
        return i
    i = len(data) - 1
    while i > 0 and data[i] & 0xC0 == 0x80:  # a continuation byte: back up to its lead byte
        i -= 1
    return i if i > 0 else len(data)


#: Bytes read and decoded at a time (at most ``max_bytes``).
READ_BLOCK_BYTES = 1 << 20


def read_line_pieces(path: Path, errors: str = DEFAULT_ERRORS, max_bytes: int | None = MAX_DOCUMENT_BYTES,
                     *, block_bytes: int = READ_BLOCK_BYTES) -> Iterator[tuple[int, int, str, bool]]:
    """Yield ``(line_number, piece, text, line_ends)``: the lines of a UTF-8 file without their
    endings (1-based), a line longer than ``max_bytes`` (``None``: no limit) in pieces (``piece``
    0, 1, ...; ``line_ends`` on the last), so no line is ever held whole. Pieces join back to the
    line exactly.

    The file is read and decoded a block at a time and split into lines in C, because a Python
    call per line would cost a large share of reading a corpus. A block whose every line is shorter than ``max_bytes``, with no NUL byte and valid UTF-8, is
    the common case; anything else (a NUL, bytes that are not UTF-8, a line longer than the
    block) goes through :func:`_lines_one_by_one`, which says on which line and byte offset.
    """
    block = block_bytes if max_bytes is None else min(block_bytes, max_bytes)
    offset, lineno = 0, 1
    with path.open("rb") as f:
        while True:
            f.seek(offset)
            buf = f.read(block)
            if not buf:
                return
            # complete lines only: each is at most len(buf) <= max_bytes bytes with its "\n", so a
            # line-at-a-time reader would give it whole too
            end = buf.rfind(b"\n") + 1
            text = None
            if end and buf.find(b"\0", 0, end) < 0:
                try:
                    text = buf[:end].decode("utf-8", errors)
                except UnicodeDecodeError:
                    pass
            if text is None:
                # a line longer than the block, the last line without "\n", a NUL or bytes that
                # are not UTF-8: these lines one by one (raising with the line and the offset)
                offset, lineno = yield from _lines_one_by_one(f, path, errors, max_bytes, offset, lineno,
                                                              until=offset + max(end, 1))
                continue
            lines = text.split("\n")
            lines.pop()  # after the last "\n"
            if "\r" in text:
                lines = [line.rstrip("\r") for line in lines]
            for line in lines:
                yield lineno, 0, line, True
                lineno += 1
            offset += end


def _lines_one_by_one(f: BinaryIO, path: Path, errors: str, max_bytes: int | None, offset: int, lineno: int,
                      until: int) -> Iterator[tuple[int, int, str, bool]]:
    """:func:`read_line_pieces` a line at a time from byte ``offset`` (line ``lineno``) of the open
    file ``f`` until a line ends at or past byte ``until`` or the file does; returns the offset
    and line number it stopped at."""
    piece, head = 0, b""
    f.seek(offset)
    while offset < until or piece:
        raw = f.readline() if max_bytes is None else f.readline(max_bytes)
        data = head + raw
        if not data:
            break
        if max_bytes is None or raw.endswith(b"\n") or len(raw) < max_bytes:  # the line ends here (or the file does)
            yield lineno, piece, _decode(path, data, lineno, offset, errors).rstrip("\r\n"), True
            offset += len(data)
            lineno, piece, head = lineno + 1, 0, b""
            continue
        cut = _cut(data)
        yield lineno, piece, _decode(path, data[:cut], lineno, offset, errors), False
        offset += cut
        piece, head = piece + 1, data[cut:]
    return offset, lineno


def _doc_id(prefix: str, lineno: int, piece: int) -> str:
    return f"{prefix}:{lineno}" + (f"~{piece}" if piece else "")


def _text_file_documents(path: Path, *, lines: bool, language: str, errors: str, id_prefix: str,
                         max_bytes: int = MAX_DOCUMENT_BYTES) -> Iterator[Document]:
    pieces = read_line_pieces(path, errors, max_bytes)
    if lines:
        for lineno, piece, text, _ in pieces:
            if text.strip():
                yield Document(text, language, _doc_id(id_prefix, lineno, piece))
        return
    block: list[str] = []
    size, start = 0, ""
    for lineno, piece, text, line_ends in pieces:
        if piece == 0 and line_ends and not text.strip():  # a blank line ends the block
            if block:
                yield Document("\n".join(block), language, start)
            block, size = [], 0
            continue
        if not block:
            start = _doc_id(id_prefix, lineno, piece)
        block.append(text)
        size += len(text)  # characters: a cheap stand-in for bytes, at most 4x off
        if not line_ends or size >= max_bytes:  # an overlong line or block: cut the document here
            yield Document("\n".join(block), language, start)
            block, size = [], 0
    if block:
        yield Document("\n".join(block), language, start)


def text_file_corpus(path: str | Path, *, lines: bool = False, language: str = "und",
                     errors: str = DEFAULT_ERRORS, name: str | None = None) -> Corpus:
    """A ``.txt`` file: one document per blank-line-separated block, or per line with ``lines``."""
    path = Path(path)
    check_text_file(path)
    return Corpus(
        name=name or path.stem,
        open=functools.partial(_text_file_documents, path, lines=lines, language=language, errors=errors,
                               id_prefix=path.name),
        description=f"text file {path.name}" + (" (one document per line)" if lines else ""),
    )


def folder_corpus(path: str | Path, *, lines: bool = False, language: str = "und",
                  errors: str = DEFAULT_ERRORS, name: str | None = None) -> Corpus:
    """Every ``*.txt`` file below a folder, in sorted path order, read as :func:`text_file_corpus`."""
    root = Path(path)
    files = sorted(p for p in root.rglob("*.txt") if p.is_file() and p.stat().st_size > 0)
    if not files:
        raise CorpusError(f"{root}: no non-empty .txt files in this folder; point at a folder of UTF-8 .txt files")
    for f in files:
        check_text_file(f)
    shards = tuple(
        Shard(rel, str(f), functools.partial(_text_file_documents, f, lines=lines, language=language, errors=errors,
                                             id_prefix=rel))
        for f, rel in ((f, f.relative_to(root).as_posix()) for f in files))
    return Corpus(name=name or root.name, open=functools.partial(read_shards, shards), parts=shards,
                  description=f"{len(files)} .txt files in {root.name}/")


def jsonl_corpus(path: str | Path, *, field: str = "text", language_field: str = "language",
                 language: str = "und", errors: str = DEFAULT_ERRORS, name: str | None = None) -> Corpus:
    """A JSON-lines file: the document text is ``record[field]``; ``record[language_field]``
    (when present) is its language tag."""
    path = Path(path)
    check_text_file(path)
    return Corpus(name=name or path.stem,
                  open=functools.partial(_jsonl_documents, path, field, language_field, language, errors),
                  description=f"JSON lines {path.name}, field {field!r}")


def json_record(line: str, where: str, field: str, hint: str) -> tuple[dict, str | None] | None:
    """One line of a JSON-lines file: its record and the text in ``field`` (``None`` when the
    field is null), or ``None`` for a blank line; a one-line :class:`CorpusError` saying
    ``where`` for a line that is not a JSON object with that field, or whose field is not text.
    ``hint``: how to name another field (``PATH.jsonl:FIELD``)."""
    if not line.strip():
        return None
    try:
        record = json.loads(line)
    except json.JSONDecodeError as e:
        raise CorpusError(f"{where} is not valid JSON ({e.msg}); fix or remove that line") from None
    if not isinstance(record, dict) or field not in record:
        raise CorpusError(f"{where} has no field {field!r}; name the text field as {hint}")
    text = record[field]
    if text is not None and not isinstance(text, str):
        raise CorpusError(f"{where}: field {field!r} holds {type(text).__name__}, not text")
    return record, text


def _jsonl_documents(path: Path, field: str, language_field: str, language: str, errors: str) -> Iterator[Document]:
    for lineno, line in read_lines(path, errors):
        found = json_record(line, f"{path}: line {lineno}", field, f"{path.name}:FIELD")
        if found is None:
            continue
        record, text = found
        if text is None:
            raise CorpusError(f"{path}: line {lineno}: field {field!r} is null, not text")
        lang = record.get(language_field, language) if isinstance(record.get(language_field), str) else language
        yield Document(text, lang, f"{path.name}:{lineno}")


def _count_lines(path: Path) -> int:
    n = 0
    last = b"\n"
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            n += chunk.count(b"\n")
            last = chunk[-1:]
    return n + (last != b"\n")


def parallel_corpus(path: str | Path, *, reference_language: str | None = None, errors: str = DEFAULT_ERRORS,
                    name: str | None = None, languages: list[str] | None = None) -> Corpus:
    """A folder of ``<lang>.txt`` files aligned line by line (line *i* is the same sentence in
    every language), like NTREX-128. Line *i* gets ``doc_id = "line:i"`` in every language, so it
    lands in the same split everywhere and the bootstrap resamples whole aligned lines.

    Files with different line counts are refused (alignment would be silently wrong). Empty lines
    are skipped in the language they occur in.
    """
    root = Path(path)
    if not root.is_dir():
        raise CorpusError(f"{root}: not a folder; parallel:DIR needs a folder of <lang>.txt files aligned by line")
    # Language files are named by a lower-case code (eng, zho-CN); README.txt, SOURCE.txt are not.
    files = {p.stem: p for p in sorted(root.glob("*.txt")) if _LANG_CODE.fullmatch(p.stem)}
    if languages:
        missing = [lang for lang in languages if lang not in files]
        if missing:
            raise CorpusError(f"{root}: no file for language(s) {', '.join(missing)}; have {', '.join(files)}")
        files = {lang: files[lang] for lang in languages}
    if not files:
        raise CorpusError(f"{root}: no <lang>.txt files in this folder; parallel:DIR needs one file per language")
    for f in files.values():
        check_text_file(f)
    counts = {lang: _count_lines(f) for lang, f in files.items()}
    ref = reference_language or next((c for c in ("eng", "en", "eng-US", "eng-GB") if c in files), next(iter(files)))
    if ref not in files:
        raise CorpusError(f"{root}: reference language {ref!r} has no file; have {', '.join(files)}")
    bad = [lang for lang, n in counts.items() if n != counts[ref]]
    if bad:
        detail = ", ".join(f"{files[lang].name} has {counts[lang]}" for lang in bad[:5])
        raise CorpusError(f"{root}: files are not aligned: {files[ref].name} has {counts[ref]} lines but {detail}; "
                          "every <lang>.txt must have one line per sentence")

    return Corpus(name=name or root.name, open=functools.partial(_parallel_documents, tuple(files.items()), errors),
                  parallel=True, reference_language=ref,
                  description=f"parallel corpus, {len(files)} languages x {counts[ref]} aligned lines")


def _parallel_documents(files: tuple[tuple[str, Path], ...], errors: str) -> Iterator[Document]:
    for lang, f in files:
        for lineno, text in read_lines(f, errors):
            if text.strip():
                yield Document(text, lang, f"line:{lineno}")


def _jsonl_path(spec: str) -> tuple[str, str] | None:
    """(path, field) of a ``PATH.jsonl[:FIELD]`` spec, else None."""
    path, _, field = spec.partition(".jsonl:")
    if field:
        return path + ".jsonl", field
    return (spec, "text") if spec.endswith(".jsonl") else None


def _load_path(spec: str, options: ReadOptions) -> list[Corpus]:
    p = Path(spec)
    if p.is_dir():
        return [folder_corpus(p, lines=options.lines, language=options.language, errors=options.errors)]
    return [text_file_corpus(p, lines=options.lines, language=options.language, errors=options.errors)]


SPECS.register(CorpusSpec(
    "parallel", "parallel:DIR", "`<lang>.txt` files aligned line by line (NTREX-128 layout); CRLF is handled",
    matches=lambda spec: spec.startswith("parallel:"),
    load=lambda spec, o: [parallel_corpus(spec.removeprefix("parallel:"), errors=o.errors,
                                          languages=list(o.languages) if o.languages else None)],
    order=10,
))
SPECS.register(CorpusSpec(
    "jsonl", "PATH.jsonl[:FIELD]", "JSON lines, text in `FIELD` (default `text`)",
    matches=lambda spec: _jsonl_path(spec) is not None,
    load=lambda spec, o: [jsonl_corpus(_jsonl_path(spec)[0], field=_jsonl_path(spec)[1], language=o.language,
                                       errors=o.errors)],
    order=50,
))
SPECS.register(CorpusSpec(
    "folder", "DIR", "every `.txt` file below a folder",
    matches=lambda spec: Path(spec).is_dir(), load=_load_path, order=60,
))
SPECS.register(CorpusSpec(
    "text", "PATH.txt", "one document per blank-line-separated block (`--lines`: per line)",
    matches=lambda spec: Path(spec).exists() or spec.endswith(".txt"), load=_load_path, order=70,
))
