"""Tokenizers trained on the fly on the analysed corpora: ``train:KIND:VOCAB``.

They learn from the *train* split of the corpora being analysed and, like every tokenizer, are
measured on the *eval* split, so no tokenizer is scored on text it was fitted to.

=================  ==========================================================================
KIND               what is trained
=================  ==========================================================================
``hf-bpe``         HF ``tokenizers`` byte-level BPE (GPT-2 style: ByteLevel pre-tokenizer with
                   its regex, the 256 byte symbols as initial alphabet, ``min_frequency=2``)
``spm-unigram``    SentencePiece unigram LM (Kudo 2018) with byte fallback, identity normalization
``spm-bpe``        SentencePiece BPE with byte fallback, identity normalization
``bpe``            tokeff's own byte-level BPE (``tokeff.bpe``) with the cl100k pre-split (digits
                   in groups of three, case-insensitive contractions); with the GPT-2 pre-split it
                   learns exactly what ``hf-bpe`` learns, so it shows what the pattern changes
=================  ==========================================================================

SentencePiece is trained with ``normalization_rule_name="identity"`` and
``remove_extra_whitespaces=False`` so that, like the byte-level BPEs, it is lossless: the
comparison is then about segmentation, not about normalization.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable, Iterable, Iterator

from ..errors import TokeffError, TokenizerError
from .base import Tokenizer
from .registry import TRAINERS, TrainerKind

# SentencePiece skips "sentences" longer than this many bytes, so documents are fed line by line.
_SPM_MAX_SENTENCE = 16384


def is_trained_spec(spec: str) -> bool:
    return spec.startswith("train:")


#: The pre-split of ``train:bpe:N`` (and of the vocabularies a sweep or a study names ``train:bpe:N``).
TRAIN_BPE_PATTERN = "cl100k"


def parse_spec(spec: str) -> tuple[str, int]:
    """``"train:hf-bpe:8192"`` -> ``("hf-bpe", 8192)``."""
    parts = spec.split(":")
    if len(parts) != 3 or parts[1] not in TRAINERS or not parts[2].isdigit():
        raise TokenizerError(f"{spec}: expected train:KIND:VOCAB with KIND one of {', '.join(TRAINERS.names())} "
                             "and VOCAB a whole number, e.g. train:hf-bpe:8192")
    return parts[1], int(parts[2])


def _check_vocab(spec: str, vocab: int, minimum: int) -> None:
    if vocab < minimum:
        raise TokenizerError(f"{spec}: vocabulary size {vocab} is too small; it must be at least {minimum} "
                             "(the byte alphabet plus special symbols)")


def train_hf_bpe(spec: str, texts: Iterable[str], vocab_size: int) -> Tokenizer:
    from tokenizers import Tokenizer as HFTok, decoders, models, pre_tokenizers, trainers

    from .hf import HFTokenizer

    _check_vocab(spec, vocab_size, 257)
    tok = HFTok(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer)
    if tok.get_vocab_size() < vocab_size:
        warnings.warn(f"{spec}: the training text supports only {tok.get_vocab_size()} tokens", stacklevel=2)
    return HFTokenizer(spec, tok, name=spec, source="HF BpeTrainer on the train split")


def _lines(texts: Iterable[str]) -> Iterator[str]:
    for text in texts:
        for line in text.split("\n"):
            if line.strip():
                yield line[:_SPM_MAX_SENTENCE]


def train_spm(spec: str, texts: Iterable[str], vocab_size: int, model_type: str) -> Tokenizer:
    import sentencepiece as spm

    from .spm import SentencePieceTokenizer

    _check_vocab(spec, vocab_size, 256 + 4)  # byte pieces + <unk>, <s>, </s> and one more piece
    model = io.BytesIO()
    try:
        spm.SentencePieceTrainer.train(
            sentence_iterator=_lines(texts), model_writer=model, vocab_size=vocab_size,
            model_type=model_type, byte_fallback=True, character_coverage=0.9995,
            normalization_rule_name="identity", remove_extra_whitespaces=False,
            max_sentence_length=_SPM_MAX_SENTENCE, num_threads=2, minloglevel=2, hard_vocab_limit=False,
        )
    except RuntimeError as e:
        if "required_chars" in str(e):
            raise TokenizerError(f"{spec}: the training text has more distinct characters than {vocab_size} pieces "
                                 "(SentencePiece keeps every character as a piece); use a larger vocabulary") from None
        raise TokenizerError(f"{spec}: SentencePiece could not train ({str(e).strip().splitlines()[-1][:160]}); "
                             "try a smaller vocabulary or more text") from None
    tok = SentencePieceTokenizer(model_proto=model.getvalue(), name=spec,
                                 source=f"SentencePiece {model_type} on the train split")
    if tok.vocab_size < vocab_size:
        warnings.warn(f"{spec}: the training text supports only {tok.vocab_size} pieces", stacklevel=2)
    return tok


def train_tokeff_bpe(spec: str, texts: Iterable[str], vocab_size: int) -> Tokenizer:
    from ..bpe import train_bpe

    from .tokeff_bpe import TokeffBPETokenizer

    try:
        model = train_bpe(texts, vocab_size, pattern=TRAIN_BPE_PATTERN)
    except TokeffError as e:
        raise TokenizerError(f"{spec}: {e}") from None
    return TokeffBPETokenizer(model, name=spec, source=f"tokeff BPE ({TRAIN_BPE_PATTERN} pre-split) on the train split")


def train_tokenizer(spec: str, texts: Callable[[], Iterable[str]]) -> Tokenizer:
    """Train the tokenizer ``spec`` names on the texts ``texts()`` yields (called once)."""
    kind, vocab = parse_spec(spec)
    return TRAINERS.get(kind).train(spec, texts(), vocab)


TRAINERS.register(TrainerKind("hf-bpe", "HF tokenizers byte-level BPE (GPT-2 pre-split)", train_hf_bpe, order=0))
TRAINERS.register(TrainerKind("spm-unigram", "SentencePiece unigram LM with byte fallback",
                              lambda spec, texts, vocab: train_spm(spec, texts, vocab, "unigram"), order=1))
TRAINERS.register(TrainerKind("spm-bpe", "SentencePiece BPE with byte fallback",
                              lambda spec, texts, vocab: train_spm(spec, texts, vocab, "bpe"), order=2))
TRAINERS.register(TrainerKind("bpe", f"tokeff's own byte-level BPE ({TRAIN_BPE_PATTERN} pre-split)", train_tokeff_bpe,
                              order=3))
