"""Known public corpora (``known:NAME``): downloaded once with a verified checksum, then read from
the cache.

``known:NAME`` names an entry of the manifest ``corpora/known.json`` (described, with every entry
and its licence, in ``corpora/KNOWN.md``). The first use downloads its files into
``<cache>/corpora/<NAME>/`` and every later use reads them from there without touching the
network. A parallel entry (NTREX-128) names its files ``<lang>.txt``, so its cache folder is
itself a ``parallel:DIR`` corpus; ``known:ntrex128:deu,jpn`` downloads and reads only those
languages (plus the reference language, English, which premiums are measured against).

The parts, one module each:

* :mod:`tokeff.corpus.manifest`: the manifest (``KnownEntry``, ``KnownFile``, ``load_manifest``,
  ``list_known``) and where an entry is cached (``corpus_folder``);
* :mod:`tokeff.corpus.download`: fetching with pooch and verifying the cached files; offline use,
  timeouts, truncated transfers, wrong checksums and trust on first use
  (``UnverifiedDownloadWarning``) -- every failure one :class:`~tokeff.errors.CorpusError` line,
  and never a half-written file in the cache;
* :mod:`tokeff.corpus.hf_datasets`: ``hf:`` specs, Hugging Face datasets read through ``datasets``;
* this module: :func:`known_corpus`, which joins them, and reads the cached files as a corpus.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from itertools import chain
from pathlib import Path
from typing import Any

from ..errors import CorpusError
from .core import Corpus, Document
from .download import UnverifiedDownloadWarning, default_timeout, ensure_cached, is_offline
from .manifest import KnownEntry, KnownFile, corpus_folder, default_manifest_path, list_known, load_manifest
from .registry import SPECS, CorpusSpec
from .sources import parallel_corpus, text_file_corpus

# the names people import from here (the CLI, corpora/KNOWN.md)
__all__ = ["known_corpus", "list_known", "load_manifest", "default_manifest_path", "corpus_folder", "KnownEntry",
           "KnownFile", "UnverifiedDownloadWarning", "is_offline"]


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
    ensure_cached(entry, files, folder, offline=is_offline() if offline is None else offline,
                  timeout=timeout if timeout is not None else default_timeout(), progress=progress)
    return _build(entry, files, folder)


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


SPECS.register(CorpusSpec(
    "known", "known:NAME", "a public corpus downloaded once, checksum-verified, cached in `TOKEFF_CACHE` "
    "(`python -m tokeff corpora` lists them; `corpora/KNOWN.md`)",
    matches=lambda spec: spec.startswith("known:"),
    load=lambda spec, o: [known_corpus(spec.removeprefix("known:"), languages=list(o.languages) if o.languages else None)],
    order=20,
))
