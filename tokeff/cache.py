"""The results cache: every stage's finished work, stored under a key naming all it depends on.

Users rerun ``analyze`` many times, usually changing one thing (one tokenizer added, one metric
setting changed). Each stage of the pipeline (:mod:`tokeff.pipeline`) stores its results per
(corpus, tokenizer) with :meth:`ResultsCache.cached`, so a rerun recomputes only what is new::

    <cache>/corpora/<name>/...   downloaded corpora (see :mod:`tokeff.corpus.known`)
    <cache>/results/<key>.json   one cached table per key

The cache folder is ``$TOKEFF_CACHE`` if set, else the platform's user cache folder
(``~/.cache/tokeff`` on Linux).

What goes into a key. A cached result is only reused when *every* input that could change it is
the same, so a key is a hash over:

* the stage (``measure``, ``train``) and the names that appear in its rows (corpus, tokenizer);
* the corpus **content** (:func:`tokeff.corpus.fingerprint.corpus_fingerprint`: every document's
  id, language and text, and the train fraction that decides the splits);
* the tokenizer fingerprint (the adapter's job: a hash of its vocabulary/merges or its name and
  version), and that of any other tokenizer its numbers depend on (the baseline);
* the whole settings object of the stage (:class:`~tokeff.metrics.settings.MetricSettings`,
  :class:`~tokeff.settings.TrainSettings`), every field of it, so a new setting is in the key
  the day it is added;
* the tokeff version and a hash of its code, added by :meth:`ResultsCache.key` itself, so an
  upgrade that fixes a metric never serves numbers computed by the old code.

Storage. Each entry is a small JSON file (columns, dtypes, values), chosen over pickle so that a
cache file can never run code when read and survives pandas upgrades, and over CSV so that floats
come back bit for bit (JSON floats are written with ``repr``). Writes are atomic (temporary file
plus rename, :func:`tokeff.files.atomic_write`): an interrupted run leaves whole entries or
none. An entry that cannot be read back (truncated by a full disk, edited by hand) is a *miss*
with a :class:`CacheWarning`, never an error and never a wrong number.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path
from typing import IO, Any

import pandas as pd

from .files import atomic_write, cache_root

#: Bump when the on-disk layout of a cache entry changes; older entries then read as misses.
CACHE_FORMAT = 1

RESULTS_DIR = "results"


class CacheWarning(UserWarning):
    """A cache entry was unusable and is being ignored (it will be recomputed)."""


def tokeff_version() -> str:
    """The tokeff version plus a hash of its source code.

    The release number alone is not enough: in a development checkout the code changes under the
    same version, and a cached number computed by yesterday's metric code must not come back.
    """
    try:
        from importlib.metadata import PackageNotFoundError, version

        release = version("tokeff")
    except PackageNotFoundError:
        import tokeff

        release = str(getattr(tokeff, "__version__", "0+unknown"))
    return f"{release}+{code_fingerprint()[:16]}"


#: The files whose contents can change a number: the Python code and the compiled core's sources.
CODE_SUFFIXES = (".py", ".c", ".h")


def code_fingerprint(root: Path | None = None) -> str:
    """SHA-256 over tokeff's own source files (``.py`` and the compiled core's ``.c``/``.h``:
    paths and contents, in sorted order) under ``root`` (default: the installed package)."""
    root = Path(__file__).resolve().parent if root is None else Path(root)
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.suffix in CODE_SUFFIXES and p.is_file()):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def stable_hash(*parts: Any) -> str:
    """A SHA-256 hex digest of JSON-serializable ``parts`` that is stable across runs and machines.

    Dicts are hashed with sorted keys (so ``{"a": 1, "b": 2}`` and ``{"b": 2, "a": 1}`` agree),
    tuples hash like lists, and floats by their shortest exact repr. NaN and infinity are refused
    (``ValueError``) because they have no canonical JSON form; anything that is not JSON raises
    ``TypeError`` rather than being hashed by its ``repr``, which could change between runs.
    """
    text = json.dumps(list(parts), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class ResultsCache:
    """Cached result tables under ``<root>/results/``, one JSON file per key.

    Typical use (one tokenizer at a time, so adding one recomputes only that one)::

        cache = ResultsCache()                    # or ResultsCache(tmp_path) in a test
        entry = cache.cached("measure", ("metrics", "token_lengths"), corpus=fingerprint,
                             tokenizer=tok.fingerprint(), settings=metric_settings)
        tables = entry.get()                      # None on a miss
        if tables is None:
            tables = compute(...)
            entry.put(tables)

    Attributes:
        root: the cache folder (default :func:`cache_root`).
        version: mixed into every key (default the installed tokeff version).
    """

    root: Path | None = None
    version: str = field(default_factory=tokeff_version)

    def __post_init__(self) -> None:
        self.root = Path(self.root) if self.root is not None else cache_root()

    @property
    def folder(self) -> Path:
        """Where the entries live: ``<root>/results``."""
        assert self.root is not None
        return self.root / RESULTS_DIR

    def key(self, *parts: Any) -> str:
        """The key for ``parts`` (JSON-serializable) under this tokeff version and cache format."""
        return stable_hash("tokeff-results", CACHE_FORMAT, self.version, *parts)

    def cached(self, stage: str, parts: Sequence[str], **key: Any) -> "Entry":
        """The entry of ``stage`` whose tables are named ``parts``, under a key made of every
        keyword (dataclasses count field by field: a settings object is keyed whole)."""
        return Entry(self, self.key(stage, {k: _plain(v) for k, v in key.items()}), tuple(parts))

    def path(self, key: str) -> Path:
        if not key or not all(c in "0123456789abcdef" for c in key):
            # Keys come from key(); refusing anything else keeps a bad key from escaping the folder.
            raise ValueError(f"not a cache key: {key!r}")
        return self.folder / f"{key}.json"

    def get(self, key: str) -> pd.DataFrame | None:
        """The cached table for ``key``, or None on a miss (absent, unreadable or stale entry)."""
        path = self.path(key)
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as err:
            warnings.warn(f"ignoring unreadable cache entry {path}: {err}; it will be recomputed", CacheWarning, stacklevel=2)
            return None
        try:
            return _decode(raw, key)
        except Exception as err:  # noqa: BLE001 - any decoding failure means "recompute", never "crash"
            warnings.warn(
                f"ignoring corrupt cache entry {path} ({type(err).__name__}: {err}); it will be recomputed",
                CacheWarning,
                stacklevel=2,
            )
            return None

    def put(self, key: str, df: pd.DataFrame) -> Path:
        """Store ``df`` under ``key`` atomically and return the entry's path.

        Cells must be JSON values (str, int, float, bool, None); anything else raises
        ``TypeError`` and leaves the cache as it was (an existing entry stays whole).
        """
        path = self.path(key)

        def write(tmp: Path) -> None:
            with tmp.open("w", encoding="utf-8") as f:
                _encode(df, key, f)

        atomic_write(path, write)
        return path

    def get_parts(self, key: str, names: Sequence[str]) -> tuple[pd.DataFrame, ...] | None:
        """The tables stored by :meth:`put_parts` under ``key``, or None unless all of them are there."""
        parts = [self.get(self.key(key, name)) for name in names]
        return None if any(p is None for p in parts) else tuple(parts)

    def put_parts(self, key: str, names: Sequence[str], tables: Sequence[pd.DataFrame]) -> None:
        """Store several tables that belong together (one result) under ``key``."""
        for name, df in zip(names, tables, strict=True):
            self.put(self.key(key, name), df.reset_index(drop=True))

    def __contains__(self, key: str) -> bool:
        return self.path(key).is_file()

    def keys(self) -> list[str]:
        """Keys of all stored entries."""
        if not self.folder.is_dir():
            return []
        return sorted(p.stem for p in self.folder.glob("*.json"))

    def clear(self) -> int:
        """Delete every cached result (downloaded corpora are kept); return how many were removed."""
        n = len(self.keys())
        if self.folder.is_dir():
            shutil.rmtree(self.folder)
        return n


@dataclass(frozen=True)
class Entry:
    """One stage result in the cache: several tables stored and read together."""

    cache: ResultsCache
    key: str
    parts: tuple[str, ...]

    def get(self) -> tuple[pd.DataFrame, ...] | None:
        """The stored tables, or None unless all of them are there."""
        return self.cache.get_parts(self.key, self.parts)

    def put(self, tables: Sequence[pd.DataFrame]) -> None:
        self.cache.put_parts(self.key, self.parts, tables)


def _plain(value: Any) -> Any:
    """``value`` as JSON data for a key: dataclasses as dicts of every field, tuples as lists."""
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return value


def _encode(df: pd.DataFrame, key: str, f: IO[str]) -> None:
    """Write ``df`` as JSON to ``f``, column by column (a failure mid-way leaves a partial file)."""
    columns = [str(c) for c in df.columns]
    if len(set(columns)) != len(columns):
        raise ValueError(f"cannot cache a table with duplicate column names: {columns}")
    header = {"format": CACHE_FORMAT, "key": key, "columns": columns, "dtypes": {c: str(t) for c, t in zip(columns, df.dtypes)}}
    f.write(json.dumps(header)[:-1] + ',"data":{')
    for i, (name, col) in enumerate(zip(columns, _columns(df))):
        # tolist() turns numpy scalars into Python ones; JSON floats then round-trip exactly.
        f.write(("," if i else "") + json.dumps(name) + ":" + json.dumps(col.tolist()))
    f.write("}}\n")


def _columns(df: pd.DataFrame) -> Iterable[pd.Series]:
    return (df.iloc[:, i] for i in range(df.shape[1]))


def _decode(raw: str, key: str) -> pd.DataFrame:
    data = json.loads(raw)
    if data.get("format") != CACHE_FORMAT:
        raise ValueError(f"cache format {data.get('format')!r}, expected {CACHE_FORMAT}")
    if data.get("key") != key:
        raise ValueError("entry was stored under another key")
    columns: list[str] = data["columns"]
    values = data["data"]
    df = pd.DataFrame({c: values[c] for c in columns}, columns=columns)
    return df.astype(data["dtypes"])
