"""Corpora: named, lazy streams of documents, and the spec strings that name them.

The spec forms (``default``, ``PATH.txt``, ``parallel:DIR``, ``known:NAME``...) are registered by
the modules that read them (:mod:`tokeff.corpus.registry`); ``python -m tokeff analyze --help``
and the README list them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

from ..docid import split_of
from ..errors import CorpusError
from .core import Corpus, Document, Shard
from .default import default_corpora
from .registry import SPECS, ReadOptions, spec_summary, specs
from .shards import sharded_corpus
from .sources import folder_corpus, jsonl_corpus, parallel_corpus, text_file_corpus

__all__ = ["Corpus", "Document", "Shard", "split_of", "load_corpus", "load_corpora", "parallel_corpus",
           "text_file_corpus", "folder_corpus", "jsonl_corpus", "sharded_corpus", "default_corpora", "train_texts",
           "ReadOptions", "SPECS", "specs"]


def load_corpus(spec: str, options: ReadOptions | None = None, **changes) -> list[Corpus]:
    """The corpora a spec names (``default`` names three; every other spec one).

    ``options`` (or its fields as keywords: ``lines``, ``language``, ``errors``, ``languages``)
    say how files are read (:class:`ReadOptions`).
    """
    options = options or ReadOptions()
    if changes:
        if changes.get("languages") is not None:
            changes["languages"] = tuple(changes["languages"])
        options = replace(options, **changes)
    for form in specs():
        if form.matches(spec):
            return form.load(spec, options)
    raise CorpusError(f"unknown corpus {spec!r}: no such file or folder; a corpus is one of: {spec_summary()}")


def train_texts(corpora: Sequence[Corpus]) -> Iterator[str]:
    """The train split of every corpus, in order: what trained tokenizers and the LM learn from."""
    for c in corpora:
        yield from c.texts("train")


def load_corpora(names: Sequence[str], options: ReadOptions | None = None, **changes) -> list[Corpus]:
    """All corpora the specs name, refusing two with the same name (results are keyed by it)."""
    out: list[Corpus] = []
    for spec in names:
        out.extend(load_corpus(spec, options, **changes))
    names = [c.name for c in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise CorpusError(f"two corpora share the name {dupes[0]!r}; rename one of the files or folders")
    return out
