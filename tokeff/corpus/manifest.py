"""The manifest of known corpora (``corpora/known.json``): what each ``known:NAME`` is, and where
its files are cached.

Each entry lists files by URL -- pinned to a commit, so the bytes never change -- with their
SHA-256 and size (``corpora/KNOWN.md`` describes the format and every entry with its licence).
:func:`load_manifest` validates it: every mistake in it is one :class:`~tokeff.errors.CorpusError`
naming the entry and the field. A file's place in the cache is::

    <cache>/corpora/<NAME>/<file name>      (<cache> = $TOKEFF_CACHE or the user cache folder)
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import CorpusError, one_line
from ..files import cache_root

MANIFEST_NAME = "known.json"
MANIFEST_FORMAT = 1
KINDS = ("parallel", "text", "lines")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


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


# --------------------------------------------------------------------------- reading and listing

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
            raise CorpusError(f"{path}: cannot read the known-corpus manifest: {one_line(e)}") from None
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


def corpus_folder(name: str, cache_dir: str | Path | None = None) -> Path:
    """Where known corpus ``name`` is cached: ``<cache>/corpora/<name>``."""
    return (Path(cache_dir) if cache_dir is not None else cache_root()) / "corpora" / name


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
