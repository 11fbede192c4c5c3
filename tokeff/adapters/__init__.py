"""Tokenizer adapters: one interface (:class:`Tokenizer`) over every library, and the spec
strings that name a tokenizer.

=========================  ================================================================
spec                       tokenizer
=========================  ================================================================
``bytes``                  UTF-8 bytes (the baseline: 1 byte per token)
``chars``                  Unicode code points
``tiktoken:NAME``          a tiktoken encoding (``gpt2``, ``cl100k_base``, ``o200k_base``...)
``tiktoken:PATH.tiktoken`` a tiktoken ranks file (e.g. from ``train-bpe --format tiktoken``),
                           pre-split like cl100k; ``PATH.tiktoken@gpt2`` (``@cl100k``, ``@o200k``)
                           chooses the pattern
``hf:NAME_OR_PATH``        HF ``tokenizers``: a ``tokenizer.json``, a folder, or a hub name
``spm:PATH.model``         a SentencePiece model
``tokeff:PATH.json``       a model saved by tokeff's own BPE trainer
``train:KIND:VOCAB``       trained on the fly on the corpora's train split
                           (KIND: ``hf-bpe``, ``spm-unigram``, ``spm-bpe``, ``bpe``)
=========================  ================================================================
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..errors import TokenizerError
from .base import Tokenizer
from .simple import BytesTokenizer, CharsTokenizer

__all__ = ["Tokenizer", "load_tokenizer", "is_trained_spec", "SPEC_HELP"]

SPEC_HELP = "bytes, chars, tiktoken:NAME, tiktoken:PATH.tiktoken[@PATTERN], hf:NAME_OR_PATH, spm:PATH.model, tokeff:PATH.json, train:KIND:VOCAB"


def is_trained_spec(spec: str) -> bool:
    return spec.startswith("train:")


def load_tokenizer(spec: str, train_texts: Callable[[], Iterable[str]] | None = None) -> Tokenizer:
    """The tokenizer a spec names.

    ``train:`` specs need ``train_texts``: a function returning the training texts (it is called
    once). Raises :class:`~tokeff.errors.TokenizerUnavailable` for a tokenizer that exists but
    cannot be loaded here (offline), and :class:`~tokeff.errors.TokenizerError` for a bad spec.
    """
    if spec == "bytes":
        return BytesTokenizer()
    if spec == "chars":
        return CharsTokenizer()
    family, sep, arg = spec.partition(":")
    if not sep or not arg:
        raise TokenizerError(f"unknown tokenizer {spec!r}; a tokenizer is one of: {SPEC_HELP}")
    if family == "tiktoken":
        from .tiktoken_ import TiktokenTokenizer

        return TiktokenTokenizer(arg)
    if family == "hf":
        from .hf import HFTokenizer

        return HFTokenizer(arg)
    if family == "spm":
        from .spm import SentencePieceTokenizer

        return SentencePieceTokenizer(arg)
    if family == "tokeff":
        from .tokeff_bpe import TokeffBPETokenizer

        return TokeffBPETokenizer.from_file(arg)
    if family == "train":
        from .trained import parse_spec, train_tokenizer

        parse_spec(spec)
        if train_texts is None:
            raise TokenizerError(f"{spec}: a trained tokenizer needs a corpus to learn from")
        return train_tokenizer(spec, train_texts)
    raise TokenizerError(f"unknown tokenizer family {family!r} in {spec!r}; a tokenizer is one of: {SPEC_HELP}")
