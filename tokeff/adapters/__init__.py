"""Tokenizer adapters: one interface (:class:`Tokenizer`) over every library, and the spec
strings that name a tokenizer.

Each family (tiktoken, HF ``tokenizers``, sentencepiece, tokeff's own BPE, bytes, chars) is one
module here that registers itself in :mod:`tokeff.adapters.registry`, with its spec forms; the
kinds of tokenizer trained on the fly (``train:KIND:VOCAB``) are registered by
:mod:`tokeff.adapters.trained`. ``python -m tokeff analyze --help`` and the README list them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..errors import TokenizerError
from .base import Tokenizer
from .registry import FAMILIES, TRAINERS, families, spec_help, spec_summary
from .trained import is_trained_spec

__all__ = ["Tokenizer", "load_tokenizer", "is_trained_spec", "spec_help", "spec_summary", "FAMILIES", "TRAINERS"]


def load_tokenizer(spec: str, train_texts: Callable[[], Iterable[str]] | None = None) -> Tokenizer:
    """The tokenizer a spec names.

    ``train:`` specs need ``train_texts``: a function returning the training texts (it is called
    once). Raises :class:`~tokeff.errors.TokenizerUnavailable` for a tokenizer that exists but
    cannot be loaded here (offline), and :class:`~tokeff.errors.TokenizerError` for a bad spec.
    """
    if is_trained_spec(spec):
        from .trained import parse_spec, train_tokenizer

        parse_spec(spec)
        if train_texts is None:
            raise TokenizerError(f"{spec}: a trained tokenizer needs a corpus to learn from")
        return train_tokenizer(spec, train_texts)
    for family in families():
        if family.matches(spec):
            return family.load(spec)
    known = ", ".join(sorted(f.prefix for f in FAMILIES if f.prefix))
    prefix, sep, _ = spec.partition(":")
    what = f"unknown tokenizer family {prefix!r} in {spec!r}" if sep and prefix not in ("train",) else f"unknown tokenizer {spec!r}"
    raise TokenizerError(f"{what}; a tokenizer is one of: {spec_summary()} (families: {known})")
