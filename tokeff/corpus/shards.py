"""Sharded corpora: many files read as one corpus, each file a unit of work.

Pretraining-scale text comes as many shards (FineWeb: hundreds of Parquet files; other dumps:
``part-*.jsonl.gz``). A sharded corpus is a glob of such files, sorted by path and streamed one
after another; :meth:`~tokeff.corpus.core.Corpus.shards` lists them as picklable
:class:`~tokeff.corpus.core.Shard` objects, so an engine can read one shard per task.

Spec (``--corpus`` and :func:`tokeff.load_corpus`)::

    shards:GLOB[:FIELD[:ID_FIELD]]

``GLOB`` is a path pattern (``*``, ``?``, ``[...]``, and ``**`` for any depth of folders);
``FIELD`` the text field or column (default ``text``); ``ID_FIELD`` the field holding a
document id (default ``id``; ``-`` for none). The prefix may be left out when ``GLOB`` has a
wildcard or names a ``.parquet`` or ``.jsonl.gz`` file: ``data/*.parquet:content`` reads the same
as ``shards:data/*.parquet:content``. Examples::

    shards:data/*.parquet                 Parquet shards, text column "text", ids from "id"
    shards:dump/part-*.jsonl.gz:content   gzipped JSON lines, text in "content"
    shards:books/**/*.txt                 every .txt file below books/

Formats, by file name:

* ``.jsonl`` and ``.jsonl.gz`` (decompressed as a stream): one JSON object per line; blank lines
  are skipped.
* ``.parquet`` (needs ``pyarrow``: ``pip install tokeff[parquet]``): only the text, id and
  language columns are read, one row group at a time, never the whole file.
* ``.txt``: read like a ``.txt`` corpus (:mod:`tokeff.corpus.sources`): one document per
  blank-line-separated block, or per line with ``lines``; overlong documents are cut the same way.

A record's ``language`` field (a string), when present, is its language tag. Records whose text
is missing as a value (JSON ``null``, a Parquet null) or only whitespace are skipped, in every
format alike.

**Ids do not depend on the sharding.** A document's id decides its split and its bootstrap slot,
so it must not depend on which shard or line holds it: re-sharding a corpus (3 files into 7,
JSON lines into Parquet) must change no number. A document's id is therefore the record's
``ID_FIELD`` when it has one (FineWeb and most pretraining dumps carry a unique ``id``; integers
are written in decimal), else a **content id**: the BLAKE2b-128 hex digest of the text's UTF-8
bytes (:func:`content_id`). ``.txt`` shards always use content ids. Duplicate texts therefore
share an id and land together, in the same split and the same bootstrap group: a duplicated
document can never be both trained on and evaluated on. Use ``ID_FIELD`` ``-`` when a dump's ids
are not stable (row numbers within each file, say), so that content ids are used throughout.

Errors are one line naming the shard: a glob matching nothing, a file of another format, a shard
that cannot be read (missing, not gzip, not Parquet), a missing text field or column, text that is
not a string, invalid UTF-8 (``errors="replace"`` substitutes U+FFFD instead).
"""

from __future__ import annotations

import functools
import glob
import gzip
import hashlib
import os
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import CorpusError, one_line
from .core import Corpus, Document, Shard, read_shards
from .registry import SPECS, CorpusSpec, ReadOptions
from .sources import DEFAULT_ERRORS, _text_file_documents, json_record

__all__ = ["FORMATS", "ShardReader", "content_id", "is_shards_spec", "parse_shards_spec", "sharded_corpus"]

#: File name endings read as shards, longest first (``.jsonl.gz`` before ``.jsonl``).
FORMATS = (".jsonl.gz", ".jsonl", ".parquet", ".txt")

#: The spec's ``ID_FIELD`` meaning "no id field: content ids for every document".
NO_ID_FIELD = "-"

#: Rows of a Parquet row group turned into Python strings at a time.
PARQUET_SLICE_ROWS = 1024

#: Bytes of a JSON-lines shard read (after decompression) and decoded at a time.
READ_BLOCK_BYTES = 1 << 20

_GLOB_CHARS = re.compile(r"[*?\[]")
_FIELD_NAME = re.compile(r"[^/\\*?\[\]:]*")
_PARQUET_HINT = "pip install tokeff[parquet]"


def content_id(text: str) -> str:
    """The id of a document that has none: the BLAKE2b-128 hex digest of its UTF-8 bytes (the
    same text always has the same id, wherever it sits)."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def shard_format(path: str | Path) -> str | None:
    """The format of a shard file by its name (one of :data:`FORMATS`), else ``None``."""
    name = str(path).lower()
    return next((f for f in FORMATS if name.endswith(f)), None)


# ---------------------------------------------------------------------------------------------
# Specs


def is_shards_spec(spec: str) -> bool:
    """Whether ``spec`` names a sharded corpus: the ``shards:`` prefix, or a path pattern with a
    wildcard, or a ``.parquet`` / ``.jsonl.gz`` file (each optionally followed by ``:FIELD...``)."""
    if spec.startswith("shards:"):
        return True
    try:
        pattern, _, _ = parse_shards_spec(spec)
    except CorpusError:
        return False
    if os.path.exists(pattern):
        return shard_format(pattern) in (".parquet", ".jsonl.gz")
    return bool(_GLOB_CHARS.search(pattern)) or shard_format(pattern) in (".parquet", ".jsonl.gz")


def parse_shards_spec(spec: str) -> tuple[str, str, str | None]:
    """``[shards:]GLOB[:FIELD[:ID_FIELD]]`` as ``(glob, field, id_field)``; ``id_field`` is
    ``None`` for ``-`` (content ids only).

    A trailing ``:piece`` is a field name when it holds no ``/``, ``\\`` or wildcard and does not
    end like a shard file, so paths with colons (``C:\\data\\*.parquet``) stay whole.

    >>> parse_shards_spec("shards:data/*.parquet:content:url")
    ('data/*.parquet', 'content', 'url')
    >>> parse_shards_spec("dump/*.jsonl.gz")
    ('dump/*.jsonl.gz', 'text', 'id')
    """
    parts = spec.removeprefix("shards:").split(":")
    fields: list[str] = []
    while len(parts) > 1 and len(fields) < 2 and _FIELD_NAME.fullmatch(parts[-1]) and not shard_format(parts[-1]):
        fields.insert(0, parts.pop())
    pattern = ":".join(parts)
    if not pattern:
        raise CorpusError(f"{spec}: no file pattern; expected shards:GLOB[:FIELD[:ID_FIELD]], e.g. shards:data/*.parquet:text")
    field = fields[0] if fields and fields[0] else "text"
    id_field: str | None = fields[1] if len(fields) > 1 and fields[1] else "id"
    return pattern, field, None if id_field == NO_ID_FIELD else id_field


# ---------------------------------------------------------------------------------------------
# The corpus


def sharded_corpus(pattern: str | Path, *, field: str = "text", id_field: str | None = "id",
                   language: str = "und", language_field: str = "language", lines: bool = False,
                   errors: str = DEFAULT_ERRORS, name: str | None = None) -> Corpus:
    """Every file matching ``pattern``, sorted by path, as one corpus with one shard per file
    (see the module docstring).

    Args:
        pattern: a glob (``**`` matches any depth of folders) or one file.
        field: the text field (JSON lines) or column (Parquet).
        id_field: the field holding a stable document id; ``None``: content ids only.
        language: the tag of documents whose record has no ``language_field``.
        lines: ``.txt`` shards: one document per line (else per blank-line-separated block).
        errors: ``"strict"`` (invalid UTF-8 is an error) or ``"replace"``.
        name: the corpus's name (default: the folder the glob starts in, or the file's stem).

    Only the file names are looked at here; each shard is checked as it is read.
    """
    pattern = os.path.expanduser(str(pattern))
    # not only files: a broken link or an unreadable entry is an error when its shard is read,
    # never a shard silently left out
    paths = sorted(p for p in glob.glob(pattern, recursive=True) if not os.path.isdir(p))
    if not paths:
        raise CorpusError(f"{pattern}: no files match; give a glob of .jsonl, .jsonl.gz, .parquet or .txt shards, "
                          "e.g. shards:data/*.parquet")
    for p in paths:
        if shard_format(p) is None:
            raise CorpusError(f"{p}: not a shard format (.jsonl, .jsonl.gz, .parquet, .txt); "
                              "narrow the glob to the shards, e.g. shards:DIR/*.parquet")
    formats = sorted({str(shard_format(p)) for p in paths})
    if ".parquet" in formats:
        _pyarrow(next(p for p in paths if shard_format(p) == ".parquet"))  # missing: say so before reading
    root = _static_root(pattern)
    shards = tuple(
        Shard(name=_relative(p, root), path=p,
              open=ShardReader(p, field=field, id_field=id_field, language=language,
                               language_field=language_field, lines=lines, errors=errors))
        for p in paths)
    if name is None:
        name = _default_name(pattern, root)
    what = f"{len(paths)} shard{'s' if len(paths) != 1 else ''} ({', '.join(formats)}) matching {Path(pattern).name}"
    if formats != [".txt"]:
        ids = f"ids from {id_field!r} else the text's hash" if id_field else "ids from the text's hash"
        what += f", text field {field!r}, {ids}"
    return Corpus(name=name, open=functools.partial(read_shards, shards), parts=shards, description=what)


def _static_root(pattern: str) -> str:
    """The folder a glob starts in: its leading components without a wildcard."""
    head: list[str] = []
    for part in Path(pattern).parts[:-1]:
        if _GLOB_CHARS.search(part):
            break
        head.append(part)
    return str(Path(*head)) if head else "."


def _relative(path: str, root: str) -> str:
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return Path(path).as_posix()


def _default_name(pattern: str, root: str) -> str:
    if not _GLOB_CHARS.search(pattern):  # one file: its name without the format's ending
        base = Path(pattern).name
        fmt = shard_format(base)
        return base[: -len(fmt)] if fmt else Path(base).stem
    return Path(root).resolve().name or "shards"


# ---------------------------------------------------------------------------------------------
# Reading one shard


@dataclass(frozen=True)
class ShardReader:
    """What a :class:`~tokeff.corpus.core.Shard` calls to read its file: a plain, picklable
    object (a closure would not pickle), so a shard can be sent to another process."""

    path: str
    field: str = "text"
    id_field: str | None = "id"
    language: str = "und"
    language_field: str = "language"
    lines: bool = False
    errors: str = DEFAULT_ERRORS

    def __call__(self) -> Iterator[Document]:
        fmt = shard_format(self.path)
        try:
            if fmt == ".parquet":
                yield from self._parquet()
            elif fmt == ".txt":
                for doc in _text_file_documents(Path(self.path), lines=self.lines, language=self.language,
                                                errors=self.errors, id_prefix=self.path):
                    yield Document(doc.text, doc.language, content_id(doc.text))
            elif fmt == ".jsonl.gz":
                with gzip.open(self.path, "rb") as f:
                    yield from self._records(_lines(f, self.path, self.errors))
            else:
                with open(self.path, "rb") as f:
                    yield from self._records(_lines(f, self.path, self.errors))
        except gzip.BadGzipFile as e:
            raise CorpusError(f"{self.path}: not a gzip file ({e}); a .jsonl.gz shard must be gzip-compressed") from None
        except (EOFError, zlib.error) as e:
            raise CorpusError(f"{self.path}: the gzip stream is truncated or corrupt ({e}); "
                              "replace the shard or leave it out of the glob") from None
        except OSError as e:
            raise CorpusError(f"{self.path}: cannot read this shard ({e.strerror or e}); "
                              "check that it exists and is readable") from None

    # JSON lines -----------------------------------------------------------------------------

    def _records(self, lines: Iterable[tuple[int, str]]) -> Iterator[Document]:
        for lineno, line in lines:
            found = json_record(line, f"{self.path}: line {lineno}", self.field, "shards:GLOB:FIELD")
            if found is None:
                continue
            record, text = found
            if text is None or not text.strip():  # pretraining dumps hold empty and null texts: nothing to measure
                continue
            lang = record.get(self.language_field)
            doc_id = self._id(record.get(self.id_field) if self.id_field else None, text, f"line {lineno}")
            yield Document(text, lang if isinstance(lang, str) else self.language, doc_id)

    def _id(self, value: Any, text: str, where: str) -> str:
        """The record's id as a string, else the text's content id."""
        if value is None or value == "":
            return content_id(text)
        if isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        raise CorpusError(f"{self.path}: {where}: id field {self.id_field!r} holds {type(value).__name__}; "
                          "ids must be strings or integers (name another field as shards:GLOB:FIELD:ID_FIELD, "
                          "or - for content ids)")

    # Parquet --------------------------------------------------------------------------------

    def _parquet(self) -> Iterator[Document]:
        pa, pq = _pyarrow(self.path)
        try:
            pf = pq.ParquetFile(self.path)
        except pa.ArrowException as e:
            raise CorpusError(f"{self.path}: not a readable Parquet file ({one_line(e)})") from None
        schema = pf.schema_arrow
        if self.field not in schema.names:
            raise CorpusError(f"{self.path}: no column {self.field!r} (columns: {', '.join(schema.names)}); "
                              "name the text column as shards:GLOB:FIELD")
        text_type = schema.field(self.field).type
        if not _is_text(pa, text_type):
            raise CorpusError(f"{self.path}: column {self.field!r} holds {text_type}, not text; "
                              "name the text column as shards:GLOB:FIELD")
        id_col = self.id_field if self.id_field and self.id_field in schema.names else None
        lang_col = self.language_field if self.language_field in schema.names else None
        columns = [c for c in dict.fromkeys((self.field, id_col, lang_col)) if c]
        for g in range(pf.num_row_groups):
            try:
                table = pf.read_row_group(g, columns=columns, use_threads=False)
            except pa.ArrowException as e:
                raise CorpusError(f"{self.path}: row group {g} cannot be read ({one_line(e)})") from None
            for start in range(0, table.num_rows, PARQUET_SLICE_ROWS):
                part = table.slice(start, PARQUET_SLICE_ROWS)
                texts = self._parquet_texts(part.column(self.field), g, start)
                ids = part.column(id_col).to_pylist() if id_col else [None] * len(texts)
                langs = part.column(lang_col).to_pylist() if lang_col else [None] * len(texts)
                for i, (text, doc_id, lang) in enumerate(zip(texts, ids, langs)):
                    if text is None or not text.strip():
                        continue
                    yield Document(text, lang if isinstance(lang, str) else self.language,
                                   self._id(doc_id, text, f"row group {g}, row {start + i}"))

    def _parquet_texts(self, column: Any, group: int, start: int) -> list[str | None]:
        """A string column as Python strings. Parquet does not promise valid UTF-8, and pyarrow
        checks it only on conversion: on failure, the values are decoded one by one as bytes,
        to find the row (strict) or replace the bad bytes."""
        try:
            return column.to_pylist()
        except UnicodeDecodeError:
            pass
        import pyarrow as pa

        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        raw = column.cast(pa.large_binary(), safe=False).to_pylist()
        out: list[str | None] = []
        for i, b in enumerate(raw):
            if b is None:
                out.append(None)
                continue
            try:
                out.append(b.decode("utf-8", self.errors))
            except UnicodeDecodeError as e:
                raise CorpusError(f"{self.path}: invalid UTF-8 in column {self.field!r}, row group {group}, "
                                  f"row {start + i} (byte {e.start}); fix the shard or pass --errors replace") from None
        return out


def _is_text(pa: Any, t: Any) -> bool:
    """Whether an Arrow type holds strings (plain, large, view, or dictionary-encoded)."""
    if pa.types.is_dictionary(t):
        t = t.value_type
    view = getattr(pa.types, "is_string_view", None)  # pyarrow >= 16
    return pa.types.is_string(t) or pa.types.is_large_string(t) or (view is not None and view(t))


def _pyarrow(path: str) -> tuple[Any, Any]:
    """``pyarrow`` and ``pyarrow.parquet``, or one line saying how to install them."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise CorpusError(f"{path}: reading Parquet shards needs pyarrow: {_PARQUET_HINT}") from None
    return pa, pq


def _lines(f: BinaryIO, path: str, errors: str, block_bytes: int = READ_BLOCK_BYTES) -> Iterator[tuple[int, str]]:
    """``(line_number, text)`` of a binary stream, 1-based, without line endings (CRLF reads as
    LF). Read and decoded a block at a time, forward only (a gzip stream cannot seek back
    cheaply); a line longer than a block is carried into the next. Invalid UTF-8 is reported
    with its line and byte offset (in the decompressed stream)."""
    pending: list[bytes] = []  # the blocks of a line that has not ended yet
    lineno, offset = 1, 0  # offset: of pending's first byte
    while True:
        block = f.read(block_bytes)
        if block:
            cut = block.rfind(b"\n") + 1
            pending.append(block)
            if not cut:
                continue  # joined once its line ends, not block after block
            buf = b"".join(pending) if len(pending) > 1 else block
            end = len(buf) - len(block) + cut
        else:
            buf = b"".join(pending)
            end = len(buf)  # the last line, without "\n"
            if not end:
                return
        try:
            text = buf[:end].decode("utf-8", errors)
        except UnicodeDecodeError as e:
            line = lineno + buf.count(b"\n", 0, e.start)
            raise CorpusError(f"{path}: invalid UTF-8 at byte offset {offset + e.start} (line {line}); "
                              "re-encode the shard as UTF-8 or pass --errors replace") from None
        lines = text.split("\n")
        if block:
            lines.pop()  # after the last "\n"
        for line in lines:
            yield lineno, line.removesuffix("\r")
            lineno += 1
        if not block:
            return
        pending, offset = ([buf[end:]] if end < len(buf) else []), offset + end


def _load(spec: str, options: ReadOptions) -> list[Corpus]:
    pattern, field, id_field = parse_shards_spec(spec)
    return [sharded_corpus(pattern, field=field, id_field=id_field, language=options.language, lines=options.lines,
                           errors=options.errors)]


SPECS.register(CorpusSpec(
    "shards", "shards:GLOB[:FIELD[:ID_FIELD]]",
    "many `.jsonl`, `.jsonl.gz`, `.parquet` or `.txt` shards as one corpus, one unit of work each; ids from "
    "`ID_FIELD` (default `id`, `-` for none) else the text's hash; the prefix is optional when `GLOB` has a "
    "wildcard (quote it in a shell)",
    matches=is_shards_spec, load=_load, order=40,
))
