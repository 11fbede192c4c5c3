"""Tokenizer families and the kinds of tokenizer trained on the fly: the one list of both.

Each adapter module registers its family here (how a spec names it, how to load it, how to save
one trained in a run, which library's version to record) and, if it trains tokenizers, its
trainer kinds (``train:KIND:VOCAB``). :func:`tokeff.adapters.load_tokenizer`, the CLI help, the
README's tokenizer table, the report's short names and ``run.json``'s versions all read them.
A new family is one new module in :mod:`tokeff.adapters`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..registry import Registry

if TYPE_CHECKING:
    from .base import Tokenizer


@dataclass(frozen=True)
class TokenizerFamily:
    """One library or scheme of tokenizers.

    Attributes:
        name: the family, as :attr:`Tokenizer.family` says it (``tiktoken``, ``hf``...).
        specs: (spec form, what it names) pairs for the help and the README.
        matches: whether a spec string names a tokenizer of this family.
        load: the tokenizer a spec names.
        save: write a tokenizer of this family (one trained in a run) into a folder under a file
            stem; returns the file written. ``None``: nothing to save.
        package: the library whose version ``run.json`` records.
        prefix: the spec prefix (``tiktoken`` of ``tiktoken:NAME``), which short labels drop.
        order: where the family sits in help and tables.
    """

    name: str
    specs: tuple[tuple[str, str], ...]
    matches: Callable[[str], bool]
    load: Callable[[str], "Tokenizer"]
    save: "Callable[[Tokenizer, Path, str], Path] | None" = None
    package: str | None = None
    prefix: str | None = None
    order: int = 100


@dataclass(frozen=True)
class TrainerKind:
    """A kind of tokenizer trained on the corpora's train split: ``train:KIND:VOCAB``.

    Attributes:
        name: ``KIND`` (``hf-bpe``, ``spm-unigram``...).
        help: what is trained, one line.
        train: ``train(spec, texts, vocab_size)`` returns the trained tokenizer.
        order: where it sits in help and tables.
    """

    name: str
    help: str
    train: "Callable[[str, Iterable[str], int], Tokenizer]"
    order: int = 100
    aliases: tuple[str, ...] = field(default=())


FAMILIES: Registry[TokenizerFamily] = Registry("tokenizer family", discover="tokeff.adapters")
TRAINERS: Registry[TrainerKind] = Registry("trainer kind", discover="tokeff.adapters")


def families() -> list[TokenizerFamily]:
    return sorted(FAMILIES, key=lambda f: f.order)


def trainers() -> list[TrainerKind]:
    return sorted(TRAINERS, key=lambda k: k.order)


def prefixed(prefix: str) -> Callable[[str], bool]:
    """A ``matches`` for specs written ``PREFIX:ARGUMENT``."""
    return lambda spec: spec.startswith(prefix + ":") and len(spec) > len(prefix) + 1


def spec_help() -> list[tuple[str, str]]:
    """Every (spec form, what it names) pair, the trained kinds last."""
    rows = [pair for f in families() for pair in f.specs]
    kinds = ", ".join(k.name for k in trainers())
    rows.append(("train:KIND:VOCAB", f"trained here on the corpora's train split; KIND: {kinds}"))
    return rows


def spec_summary() -> str:
    """The spec forms on one line, for error messages."""
    return ", ".join(spec for spec, _ in spec_help())
