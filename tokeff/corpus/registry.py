"""Corpus specs: the one list of the strings that name a corpus (``--corpus SPEC``).

Each reader module registers the spec forms it reads (:class:`CorpusSpec`): how to recognise
one, how to load it, and a line of help. :func:`tokeff.corpus.load_corpus` tries them in order;
the CLI help and the README's corpus table are written from the same list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..registry import Registry

if TYPE_CHECKING:
    from .core import Corpus


@dataclass(frozen=True)
class ReadOptions:
    """How files are read, whatever the spec.

    Attributes:
        lines: one document per line in ``.txt`` files (default: per blank-line-separated block).
        language: the tag of documents that carry none.
        errors: invalid UTF-8: ``"strict"`` stops with its byte offset, ``"replace"`` uses U+FFFD.
        languages: read only these languages of a parallel corpus.
    """

    lines: bool = False
    language: str = "und"
    errors: str = "strict"
    languages: tuple[str, ...] | None = None


@dataclass(frozen=True)
class CorpusSpec:
    """One form of corpus spec.

    Attributes:
        name: a short name for the form (``parallel``).
        form: how it is written (``parallel:DIR``).
        help: what it reads, one line.
        matches: whether a spec string has this form.
        load: the corpora it names.
        order: forms are tried in this order (exact prefixes before paths).
    """

    name: str
    form: str
    help: str
    matches: Callable[[str], bool]
    load: "Callable[[str, ReadOptions], list[Corpus]]"
    order: int = 100
    examples: tuple[str, ...] = field(default=())


SPECS: Registry[CorpusSpec] = Registry("corpus spec", discover="tokeff.corpus")


def specs() -> list[CorpusSpec]:
    return sorted(SPECS, key=lambda s: s.order)


def spec_summary() -> str:
    return ", ".join(s.form for s in specs())
