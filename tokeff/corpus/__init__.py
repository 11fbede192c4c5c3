"""Corpora: named, lazy streams of documents, and the spec strings that name them.

Spec strings (the CLI's ``--corpus`` and :func:`load_corpus`):

=============================  ===================================================================
``default``                    the embedded default: ``pydoc-topics``, ``stdlib-code``, ``tokeff-parallel``
``PATH.txt``                   one document per blank-line-separated block (per line with ``lines=True``)
``DIR``                        every ``*.txt`` file below a folder
``PATH.jsonl[:FIELD]``         JSON lines, text in ``FIELD`` (default ``text``)
``parallel:DIR``               ``<lang>.txt`` files aligned line by line (NTREX-128 layout)
``known:NAME``                 a public corpus downloaded once with a verified checksum, then cached
``hf:DATASET[:SPLIT][:FIELD]``  a Hugging Face dataset, when the ``datasets`` package is installed
=============================  ===================================================================
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from ..docid import split_of
from ..errors import CorpusError
from .core import Corpus, Document
from .default import default_corpora
from .sources import folder_corpus, jsonl_corpus, parallel_corpus, text_file_corpus

__all__ = ["Corpus", "Document", "split_of", "load_corpus", "load_corpora", "parallel_corpus",
           "text_file_corpus", "folder_corpus", "jsonl_corpus", "default_corpora", "train_texts"]

SPEC_HELP = "default, PATH.txt, DIR, PATH.jsonl[:FIELD], parallel:DIR, known:NAME, hf:DATASET"


def load_corpus(spec: str, *, lines: bool = False, language: str = "und", errors: str = "strict",
                languages: list[str] | None = None) -> list[Corpus]:
    """The corpora a spec names (``default`` names three; every other spec one).

    ``lines``: one document per line in ``.txt`` files; ``language``: the tag of documents that
    carry none; ``errors``: ``"strict"`` or ``"replace"`` for invalid UTF-8; ``languages``: read
    only these languages of a parallel corpus.
    """
    if spec == "default":
        return default_corpora()
    if spec.startswith("parallel:"):
        return [parallel_corpus(spec.removeprefix("parallel:"), errors=errors, languages=languages)]
    if spec.startswith("known:"):
        from .known import known_corpus

        return [known_corpus(spec.removeprefix("known:"), languages=languages)]
    if spec.startswith("hf:"):
        from .hf_datasets import hf_corpus

        return [hf_corpus(spec, language=language)]
    path, _, field = spec.partition(".jsonl:")
    if field or spec.endswith(".jsonl"):
        path = path + ".jsonl" if field else spec
        return [jsonl_corpus(path, field=field or "text", language=language, errors=errors)]
    p = Path(spec)
    if p.is_dir():
        return [folder_corpus(p, lines=lines, language=language, errors=errors)]
    if p.exists() or spec.endswith(".txt"):
        return [text_file_corpus(p, lines=lines, language=language, errors=errors)]
    raise CorpusError(f"unknown corpus {spec!r}: no such file or folder; a corpus is one of: {SPEC_HELP}")


def train_texts(corpora: Sequence[Corpus]) -> Iterator[str]:
    """The train split of every corpus, in order: what trained tokenizers and the LM learn from."""
    for c in corpora:
        yield from c.texts("train")


def load_corpora(specs: list[str] | tuple[str, ...], **kwargs) -> list[Corpus]:
    """All corpora the specs name, refusing two with the same name (results are keyed by it)."""
    out: list[Corpus] = []
    for spec in specs:
        out.extend(load_corpus(spec, **kwargs))
    names = [c.name for c in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise CorpusError(f"two corpora share the name {dupes[0]!r}; rename one of the files or folders")
    return out
