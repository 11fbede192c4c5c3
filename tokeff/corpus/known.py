"""Known public corpora: downloaded once with a verified checksum, then read from the cache.

``known:NAME`` names an entry of the manifest ``corpora/known.json`` (described, with every entry
and its licence, in ``corpora/KNOWN.md``). Each entry lists files by URL -- pinned to a commit,
so the bytes never change -- with their SHA-256 and size. The first use downloads them into::

    <cache>/corpora/<NAME>/<file name>      (<cache> = $TOKEFF_CACHE or the user cache folder)

and every later use reads them from there without touching the network. A parallel entry
(NTREX-128) names its files ``<lang>.txt``, so its cache folder is itself a ``parallel:DIR``
corpus; ``known:ntrex128:deu,jpn`` downloads and reads only those languages (plus the reference
language, English, which premiums are measured against).

What can go wrong, and what the user sees -- always one line (:class:`~tokeff.errors.CorpusError`)
and never a half-written file in the cache:

* **offline** (``TOKEFF_OFFLINE=1`` or ``HF_HUB_OFFLINE=1``) and not cached: the URL to fetch and
  the exact path to put it at by hand. tokeff then never opens a connection.
* **HTTP error / no network / timeout**: the URL and the reason. Every socket operation has a
  timeout (``TOKEFF_DOWNLOAD_TIMEOUT`` seconds, default 60), so a dead server fails instead of
  hanging.
* **truncated transfer** (fewer bytes than ``Content-Length`` or than the manifest's size) and
  **wrong checksum**: the download goes to a temporary file beside the target and is renamed into
  place only after size and SHA-256 match, so a bad transfer leaves nothing behind.
* **a cached file that changed** (disk error, hand-placed wrong file): it is re-hashed on every
  load (about 50 ms for all of NTREX-128) and a mismatch says which file to delete.

Entries whose upstream publishes no fixed bytes may record ``"sha256": null``: the first download
is trusted, its checksum recorded in ``<cache>/corpora/<NAME>/.tofu.json`` with one
:class:`UnverifiedDownloadWarning`, and every later load is checked against that record
(trust on first use). The shipped manifest has no such entry; every checksum in it was computed
from a byte-identical copy of the upstream file.

``hf:DATASET[@CONFIG][:SPLIT][:FIELD]`` (:func:`hf_corpus`) reads a Hugging Face dataset through
the optional ``datasets`` library, which keeps its own cache.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import socket
import sys
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import chain, count
from pathlib import Path
from typing import Any

from ..errors import CorpusError
from ..files import atomic_write, cache_root, write_json
from .core import Corpus, Document
from .sources import parallel_corpus, text_file_corpus

MANIFEST_NAME = "known.json"
MANIFEST_FORMAT = 1
KINDS = ("parallel", "text", "lines")
DEFAULT_TIMEOUT = 60.0
TOFU_FILE = ".tofu.json"
_CHUNK = 1 << 16
_SHA256 = re.compile(r"[0-9a-f]{64}")
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class UnverifiedDownloadWarning(UserWarning):
    """A file with no published checksum was trusted on first use (its hash is now recorded)."""


@dataclass(frozen=True)
class KnownFile:
    """One file of a known corpus.

    Attributes:
        name: file name in the cache folder (``<lang>.txt`` in a parallel corpus).
        url: where it is downloaded from.
        sha256: expected SHA-256 (hex), or None for trust on first use.
        size: expected size in bytes, or None if unknown.
        language: language tag of its documents.
        title: human-readable name (a language name, a book title).
    """

    name: str
    url: str
    sha256: str | None
    size: int | None
    language: str = "und"
    title: str = ""


@dataclass(frozen=True)
class KnownEntry:
    """One corpus of the manifest (see ``corpora/KNOWN.md`` for the fields)."""

    name: str
    title: str
    description: str
    kind: str
    licence: str
    homepage: str
    citation: str
    files: tuple[KnownFile, ...]
    reference_language: str | None = None

    @property
    def languages(self) -> list[str]:
        return list(dict.fromkeys(f.language for f in self.files))

    @property
    def size(self) -> int:
        return sum(f.size or 0 for f in self.files)


# --------------------------------------------------------------------------- the manifest

def default_manifest_path() -> Path:
    """``known.json`` in the corpora folder tokeff ships (``TOKEFF_CORPORA`` overrides the folder)."""
    from .default import corpora_dir

    return corpora_dir() / MANIFEST_NAME


def load_manifest(manifest: str | Path | Mapping[str, Any] | None = None) -> dict[str, KnownEntry]:
    """The manifest's entries by name, validated.

    Args:
        manifest: a path to a manifest file, an already-parsed manifest (tests point entries at
            a local server this way), or None for the shipped ``corpora/known.json``.
    """
    if manifest is None or isinstance(manifest, (str, Path)):
        path = Path(manifest) if manifest is not None else default_manifest_path()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CorpusError(f"{path}: known-corpus manifest not found; set TOKEFF_CORPORA to the tokeff corpora folder") from None
        except (OSError, ValueError) as e:
            raise CorpusError(f"{path}: cannot read the known-corpus manifest: {_one_line(e)}") from None
    else:
        data = manifest
    if data.get("format") != MANIFEST_FORMAT:
        raise CorpusError(f"known-corpus manifest has format {data.get('format')!r}; this tokeff reads format {MANIFEST_FORMAT}")
    return {name: _parse_entry(name, raw) for name, raw in data.get("corpora", {}).items()}


def _parse_entry(name: str, raw: Mapping[str, Any]) -> KnownEntry:
    def bad(why: str) -> CorpusError:
        return CorpusError(f"known-corpus manifest: entry {name!r}: {why}")

    if not _SAFE_NAME.fullmatch(name):
        raise bad("names are letters, digits, '.', '_' and '-'")
    kind = raw.get("kind", "text")
    if kind not in KINDS:
        raise bad(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    base = raw.get("base_url", "")
    files = []
    for f in raw.get("files", []):
        fname = f.get("name", "")
        # The name becomes a path in the cache: no separators, no hidden files, no '..'.
        if not _SAFE_NAME.fullmatch(fname) or ".." in fname:
            raise bad(f"file name {fname!r} is not a plain file name")
        sha = f.get("sha256")
        if sha is not None and not _SHA256.fullmatch(sha):
            raise bad(f"{fname}: sha256 must be 64 lower-case hex digits or null")
        size = f.get("size")
        if size is not None and (not isinstance(size, int) or size < 0):
            raise bad(f"{fname}: size must be a byte count or null")
        url = f.get("url") or (base + f["path"] if base and f.get("path") else "")
        if not url:
            raise bad(f"{fname}: give a url, or a path and the entry's base_url")
        language = f.get("language", "und")
        if kind == "parallel" and fname != f"{language}.txt":
            raise bad(f"{fname}: files of a parallel corpus are named <language>.txt")
        files.append(KnownFile(fname, url, sha, size, language, f.get("title", "")))
    if not files:
        raise bad("no files")
    if len({f.name for f in files}) != len(files):
        raise bad("two files share a name")
    ref = raw.get("reference_language")
    if kind == "parallel" and ref not in {f.language for f in files}:
        raise bad(f"reference_language {ref!r} has no file")
    return KnownEntry(name=name, title=raw.get("title", name), description=raw.get("description", ""), kind=kind,
                      licence=raw.get("licence", "unknown"), homepage=raw.get("homepage", ""),
                      citation=raw.get("citation", ""), files=tuple(files), reference_language=ref)


# --------------------------------------------------------------------------- public API

def corpus_folder(name: str, cache_dir: str | Path | None = None) -> Path:
    """Where known corpus ``name`` is cached: ``<cache>/corpora/<name>``."""
    return (Path(cache_dir) if cache_dir is not None else cache_root()) / "corpora" / name


def is_offline() -> bool:
    """True when ``TOKEFF_OFFLINE`` or ``HF_HUB_OFFLINE`` is set to 1/true/yes/on."""
    return _offline_var() is not None


def list_known(*, manifest: str | Path | Mapping[str, Any] | None = None,
               cache_dir: str | Path | None = None) -> list[dict[str, Any]]:
    """One dict per known corpus, for ``--help`` and a ``tokeff corpora`` listing.

    Keys: ``name``, ``spec`` (``known:NAME``), ``title``, ``description``, ``kind``,
    ``languages``, ``files``, ``bytes`` (download size), ``licence``, ``homepage``, ``citation``,
    ``cached`` (every file present in the cache; not re-verified here) and ``path`` (the cache
    folder, where files can also be placed by hand).
    """
    out = []
    for entry in load_manifest(manifest).values():
        folder = corpus_folder(entry.name, cache_dir)
        out.append({
            "name": entry.name, "spec": f"known:{entry.name}", "title": entry.title,
            "description": entry.description, "kind": entry.kind, "languages": entry.languages,
            "files": len(entry.files), "bytes": entry.size, "licence": entry.licence,
            "homepage": entry.homepage, "citation": entry.citation,
            "cached": all((folder / f.name).is_file() for f in entry.files), "path": str(folder),
        })
    return out


def known_corpus(name: str, *, languages: list[str] | None = None,
                 manifest: str | Path | Mapping[str, Any] | None = None,
                 cache_dir: str | Path | None = None, offline: bool | None = None,
                 timeout: float | None = None, progress: bool | None = None) -> Corpus:
    """The known corpus ``name`` (the part of a spec after ``known:``), downloading it if needed.

    Always returns one :class:`Corpus`.

    Args:
        name: ``NAME`` or, for a parallel corpus, ``NAME:LANG,LANG`` to fetch and read only those
            languages (the reference language is always included).
        languages: the same choice as a list (added to any given in ``name``).
        manifest: manifest path or parsed dict (default: the shipped ``corpora/known.json``).
        cache_dir: the tokeff cache folder (default ``$TOKEFF_CACHE`` / the user cache folder);
            files go to ``<cache_dir>/corpora/<NAME>/``.
        offline: never use the network (default: from ``TOKEFF_OFFLINE`` / ``HF_HUB_OFFLINE``).
        timeout: seconds any one network operation may take (default
            ``TOKEFF_DOWNLOAD_TIMEOUT`` or 60).
        progress: show a progress bar (default: only when stderr is a terminal).

    Raises:
        CorpusError: unknown name or language, offline and not cached, download failed, a
            checksum or size mismatch. The message is one line and says what to do.
    """
    base, _, langs = name.removeprefix("known:").partition(":")
    if languages:
        langs = ",".join([*filter(None, langs.split(",")), *languages])
    entries = load_manifest(manifest)
    entry = entries.get(base)
    if entry is None:
        raise CorpusError(f"unknown known corpus {base!r}; known corpora are: {', '.join(sorted(entries))}")
    files = _select(entry, langs)
    folder = corpus_folder(entry.name, cache_dir)
    _ensure_cached(entry, files, folder, offline=is_offline() if offline is None else offline,
                   timeout=timeout if timeout is not None else _default_timeout(), progress=progress)
    return _build(entry, files, folder)


# --------------------------------------------------------------------------- fetching

def _select(entry: KnownEntry, langs: str) -> list[KnownFile]:
    if not langs:
        return list(entry.files)
    if entry.kind != "parallel":
        raise CorpusError(f"known:{entry.name} is not a parallel corpus; use known:{entry.name} without a language list")
    wanted = [x.strip() for x in langs.split(",") if x.strip()]
    have = {f.language: f for f in entry.files}
    missing = [x for x in wanted if x not in have]
    if missing:
        raise CorpusError(f"known:{entry.name} has no language {', '.join(missing)}; it has {', '.join(have)}")
    # Premiums are measured against the reference language, so it always comes along, first.
    order = [entry.reference_language] + [x for x in wanted if x != entry.reference_language]
    return [have[x] for x in order if x is not None]


def _ensure_cached(entry: KnownEntry, files: list[KnownFile], folder: Path, *, offline: bool,
                   timeout: float, progress: bool | None) -> None:
    """Verify the cached files and download the missing ones (or explain how, offline)."""
    missing = [f for f in files if not (folder / f.name).is_file()]
    for f in files:
        if f not in missing:
            _verify_cached(entry, f, folder)
    if not missing:
        return
    if offline:
        first = missing[0]
        n = len(missing) - 1
        more = f" (and {n} more file{'s' * (n > 1)} into the same folder; corpora/KNOWN.md lists their URLs)" if n else ""
        raise CorpusError(
            f"known:{entry.name} is not cached and {_offline_var() or 'offline mode'} forbids downloading: "
            f"download {first.url} and save it as {folder / first.name}{more}"
        )
    total = sum(f.size or 0 for f in missing) or None
    sys.stderr.write(f"tokeff: downloading known:{entry.name} ({len(missing)} file{'s' * (len(missing) > 1)}"
                     f"{f', {total / 2**20:.1f} MiB' if total else ''}, {entry.licence}) into {folder}\n")
    from tqdm import tqdm

    with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=f"known:{entry.name}",
              disable=(not progress) if progress is not None else None, leave=False) as bar:
        for f in missing:
            digest = fetch(f.url, folder / f.name, sha256=f.sha256, size=f.size, timeout=timeout, on_bytes=bar.update)
            if f.sha256 is None:
                _tofu_record(entry, f, folder, digest, downloaded=True)


def fetch(url: str, dest: Path, *, sha256: str | None, size: int | None, timeout: float = DEFAULT_TIMEOUT,
          on_bytes: Callable[[int], object] | None = None) -> str:
    """Download ``url`` to ``dest`` atomically and return its SHA-256.

    The body streams into a temporary file beside ``dest`` while being hashed; only when the byte
    count matches ``Content-Length`` and ``size``, and the hash matches ``sha256`` (when given),
    is it renamed over ``dest``. On any failure the temporary file is removed and a one-line
    :class:`CorpusError` says what happened.
    """
    digest = ""

    def download(tmp: Path) -> None:
        nonlocal digest
        h = hashlib.sha256()
        received = 0
        with tmp.open("wb") as out:
            request = urllib.request.Request(url, headers={"User-Agent": "tokeff (known-corpus download)"})
            try:
                with urllib.request.urlopen(request, timeout=timeout) as resp:
                    declared = _content_length(resp.headers.get("Content-Length"))
                    while chunk := resp.read(_CHUNK):
                        out.write(chunk)
                        h.update(chunk)
                        received += len(chunk)
                        if on_bytes is not None:
                            on_bytes(len(chunk))
                        if size is not None and received > size:
                            raise CorpusError(f"download of {url} is larger than the {size} bytes recorded in the manifest; "
                                              "the upstream file changed: nothing was saved")
            except urllib.error.HTTPError as e:
                e.close()  # it holds the open response
                raise CorpusError(f"download of {url} failed: HTTP {e.code} {_one_line(e.reason)}; nothing was saved") from None
            except urllib.error.URLError as e:
                if isinstance(e.reason, TimeoutError):
                    raise CorpusError(f"download of {url} timed out (no answer for {timeout:g} s); nothing was saved; "
                                      "try again, or raise TOKEFF_DOWNLOAD_TIMEOUT") from None
                raise CorpusError(f"cannot download {url}: {_one_line(e.reason)}; check the network, "
                                  "or set TOKEFF_OFFLINE=1 and place the file by hand") from None
            except (TimeoutError, socket.timeout):
                raise CorpusError(f"download of {url} timed out (no answer for {timeout:g} s); nothing was saved; "
                                  "try again, or raise TOKEFF_DOWNLOAD_TIMEOUT") from None
            except (http.client.HTTPException, ConnectionError) as e:
                raise CorpusError(f"download of {url} broke off after {received} bytes ({_one_line(e) or type(e).__name__}); "
                                  "nothing was saved; try again") from None
            except OSError as e:  # e.g. the disk filled up while writing
                raise CorpusError(f"download of {url} into {dest.parent} failed: {_one_line(e)}; nothing was saved") from None
        expected = declared if declared is not None else size
        if expected is not None and received < expected:
            raise CorpusError(f"download of {url} was truncated: got {received} of {expected} bytes; nothing was saved; try again")
        if size is not None and received != size:
            raise CorpusError(f"download of {url} has {received} bytes but the manifest records {size}: the transfer "
                              "was truncated or the upstream file changed; nothing was saved; try again")
        digest = h.hexdigest()
        if sha256 is not None and digest != sha256:
            raise CorpusError(f"download of {url} has the wrong SHA-256 ({digest[:16]}..., expected {sha256[:16]}...); "
                              "nothing was saved; the upstream file changed or the transfer was corrupted")

    # The temporary file starts with '.' and does not end in .txt, so no corpus reader sees it.
    try:
        atomic_write(dest, download)
    except OSError as e:  # the folder or the temporary file could not be made, or the rename failed
        raise CorpusError(f"cannot write to the cache folder {dest.parent}: {_one_line(e)}; "
                          "set TOKEFF_CACHE to a writable folder") from None
    return digest


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in chunks (memory stays flat)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _verify_cached(entry: KnownEntry, f: KnownFile, folder: Path) -> None:
    path = folder / f.name
    expected = f.sha256
    if expected is None:
        record = _tofu_load(folder).get(f.name)
        if record is None:  # placed by hand before any download: trust it now, once
            _tofu_record(entry, f, folder, file_sha256(path), downloaded=False)
            return
        expected = record["sha256"]
    actual_size = path.stat().st_size
    if f.size is not None and actual_size != f.size:
        raise CorpusError(f"{path}: cached file has {actual_size} bytes, expected {f.size}; "
                          f"delete it so tokeff downloads it again, or replace it with {f.url}")
    digest = file_sha256(path)
    if digest != expected:
        raise CorpusError(f"{path}: cached file does not match its recorded SHA-256 ({digest[:16]}..., expected "
                          f"{expected[:16]}...); delete it so tokeff downloads it again, or replace it with {f.url}")


def _tofu_load(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((folder / TOFU_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        raise CorpusError(f"{folder / TOFU_FILE}: unreadable checksum record ({_one_line(e)}); "
                          "delete it and the files beside it to download them again") from None


def _tofu_record(entry: KnownEntry, f: KnownFile, folder: Path, digest: str, *, downloaded: bool) -> None:
    records = _tofu_load(folder)
    records[f.name] = {"sha256": digest, "size": (folder / f.name).stat().st_size, "url": f.url,
                       "first_seen": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    write_json(folder / TOFU_FILE, records)
    how = "downloaded" if downloaded else "found in the cache"
    warnings.warn(f"known:{entry.name}: {f.name} has no published checksum; trusting the copy {how} "
                  f"(sha256 {digest}) and checking it against that from now on", UnverifiedDownloadWarning, stacklevel=4)


# --------------------------------------------------------------------------- reading

def _build(entry: KnownEntry, files: list[KnownFile], folder: Path) -> Corpus:
    """The cached files as a Corpus, read by the readers in :mod:`tokeff.corpus.sources`."""
    if entry.kind == "parallel":
        corpus = parallel_corpus(folder, reference_language=entry.reference_language, name=entry.name,
                                 languages=[f.language for f in files])
    else:
        parts = [text_file_corpus(folder / f.name, lines=entry.kind == "lines", language=f.language, name=entry.name)
                 for f in files]

        def documents() -> Iterator[Document]:
            return chain.from_iterable(p.open() for p in parts)

        corpus = Corpus(name=entry.name, open=documents)
    corpus.description = f"{entry.description} ({entry.licence}; {entry.homepage})"
    return corpus


# --------------------------------------------------------------------------- hf: datasets

def parse_hf_spec(spec: str) -> tuple[str, str | None, str, str]:
    """``DATASET[@CONFIG][:SPLIT][:FIELD]`` (the part after ``hf:``) as (dataset, config, split, field).

    >>> parse_hf_spec("wikitext@wikitext-2-raw-v1:test")
    ('wikitext', 'wikitext-2-raw-v1', 'test', 'text')

    The ``hf:`` prefix itself may be included or not.
    """
    spec = spec.removeprefix("hf:")
    parts = spec.split(":")
    if not parts[0] or len(parts) > 3:
        raise CorpusError(f"hf:{spec}: expected hf:DATASET[@CONFIG][:SPLIT][:FIELD], e.g. hf:wikitext@wikitext-2-raw-v1:test:text")
    dataset, _, config = parts[0].partition("@")
    split = parts[1] if len(parts) > 1 and parts[1] else "train"
    field = parts[2] if len(parts) > 2 and parts[2] else "text"
    return dataset, config or None, split, field


def hf_corpus(spec: str, *, language: str = "und", offline: bool | None = None) -> Corpus:
    """A Hugging Face dataset split as a corpus: one document per row, text in ``FIELD``.

    ``spec`` is the whole spec or the part after ``hf:``. Needs the optional ``datasets`` library. Online the split
    is *streamed* (nothing is held in memory or fully downloaded first); offline
    (``TOKEFF_OFFLINE`` / ``HF_HUB_OFFLINE``) it is read from the ``datasets`` cache.
    """
    spec = spec.removeprefix("hf:")
    dataset, config, split, field = parse_hf_spec(spec)
    offline = is_offline() if offline is None else offline
    if offline:
        # datasets reads this when it is imported; tokeff's own switch must reach it too.
        os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    try:
        import datasets
    except ImportError:
        raise CorpusError(f"hf:{spec} needs the Hugging Face datasets library: pip install datasets") from None
    try:
        ds = datasets.load_dataset(dataset, config, split=split, streaming=not offline)
    except Exception as e:  # noqa: BLE001 - datasets raises many types; the user needs one line
        raise CorpusError(f"hf:{spec}: cannot load dataset {dataset!r} split {split!r}: {_one_line(e)}") from None

    def documents() -> Iterator[Document]:
        rows = iter(ds)
        for i in count():
            try:
                row = next(rows)
            except StopIteration:
                return
            except Exception as e:  # noqa: BLE001 - a stream can fail mid-way (network, cache)
                raise CorpusError(f"hf:{spec}: reading row {i} failed: {_one_line(e)}") from None
            if not isinstance(row, Mapping) or field not in row:
                fields = ", ".join(row) if isinstance(row, Mapping) else "?"
                raise CorpusError(f"hf:{spec}: row {i} has no text field {field!r} (fields: {fields}); "
                                  f"name the field as hf:{_hf_name(dataset, config)}:{split}:FIELD")
            text = row[field]
            if text is not None and not isinstance(text, str):
                raise CorpusError(f"hf:{spec}: row {i}: field {field!r} holds {type(text).__name__}, not text")
            if text and text.strip():
                yield Document(text, language, f"{split}:{i}")

    name = re.sub(r"[^A-Za-z0-9._-]+", "-", "-".join(x for x in (dataset, config, split) if x))
    return Corpus(name=name, open=documents, description=f"Hugging Face dataset {dataset}"
                  f"{f' ({config})' if config else ''}, split {split}, field {field!r}")


def _hf_name(dataset: str, config: str | None) -> str:
    return f"{dataset}@{config}" if config else dataset


# --------------------------------------------------------------------------- helpers

def _offline_var() -> str | None:
    for var in ("TOKEFF_OFFLINE", "HF_HUB_OFFLINE"):
        if os.environ.get(var, "").strip().lower() in {"1", "true", "yes", "on"}:
            return f"{var}={os.environ[var]}"
    return None


def _default_timeout() -> float:
    raw = os.environ.get("TOKEFF_DOWNLOAD_TIMEOUT")
    try:
        return float(raw) if raw else DEFAULT_TIMEOUT
    except ValueError:
        raise CorpusError(f"TOKEFF_DOWNLOAD_TIMEOUT={raw!r} is not a number of seconds") from None


def _content_length(raw: str | None) -> int | None:
    return int(raw) if raw and raw.strip().isdigit() else None


def _one_line(x: object) -> str:
    return " ".join(str(x).split())
