"""Bits per byte, perplexities and the unigram baseline, checked against hand computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from tokeff.lm.evaluate import EvalResult, bits_per_byte, eval_windows, evaluate_lm, unigram_bits_per_byte
from tokeff.lm.model import IGNORE_INDEX


class FixedModel:
    """Predicts the same distribution (given as logits) at every position, whatever the input."""

    def __init__(self, logits: list[float]) -> None:
        self.logits = torch.tensor(logits, dtype=torch.float32)

    def __call__(self, idx: torch.Tensor) -> torch.Tensor:
        return self.logits.expand(*idx.shape, len(self.logits)).clone()


def test_bits_per_byte_by_hand() -> None:
    # Ids 0 and 1 are text tokens, 2 is the separator. p(0) = 1/4, p(1) = 1/2, p(sep) = 1/4.
    model = FixedModel([math.log(1), math.log(2), math.log(1)])
    docs = [[0, 1, 1], [1]]
    texts = ["xyz", "w"]  # 4 UTF-8 bytes, 2 words
    res = evaluate_lm(model, docs, texts, context=8, sep_id=2, vocab_size=3)
    # nats = -(ln 1/4 + 3 ln 1/2) = 5 ln 2 -> 5 bits over 4 bytes and 4 tokens, 2 words.
    assert res.nats == pytest.approx(5 * math.log(2), rel=1e-6)
    assert (res.tokens, res.bytes, res.words) == (4, 4, 2)
    assert res.bits_per_byte == pytest.approx(5 / 4, rel=1e-6)
    assert res.token_perplexity == pytest.approx(2 ** (5 / 4), rel=1e-6)
    assert res.word_perplexity == pytest.approx(2 ** (5 / 2), rel=1e-6)
    assert bits_per_byte(5 * math.log(2), 4) == pytest.approx(1.25)


def test_multibyte_text_counts_utf8_bytes() -> None:
    res = EvalResult(nats=math.log(2) * 6, tokens=2, bytes=len("héllo".encode()), words=1)
    assert res.bytes == 6 and res.bits_per_byte == pytest.approx(1.0)


@pytest.mark.parametrize(("context", "stride"), [(64, None), (4, None), (4, 1), (4, 3), (1, 1)])
def test_uniform_model_gives_log2_v_per_token(context: int, stride: int | None) -> None:
    """A uniform model pays log2(V) bits for every token, however texts are windowed; the
    separator is context only, never a target, and adds no bytes."""
    V = 7  # 6 text ids + separator id 6
    rng = np.random.default_rng(0)
    texts = ["a" * n for n in (1, 5, 13, 0, 40)]
    docs = [rng.integers(0, 6, len(t)).tolist() for t in texts]
    res = evaluate_lm(FixedModel([0.0] * V), docs, texts, context=context, sep_id=6, vocab_size=V, stride=stride)
    tokens = sum(len(d) for d in docs)
    assert res.tokens == tokens == 59 and res.bytes == 59
    assert res.bits_per_byte == pytest.approx(math.log2(V) * tokens / res.bytes, rel=1e-6)


def test_separator_is_never_a_target_and_every_token_is_scored_once() -> None:
    docs = [[5, 5, 5, 5, 5, 5, 5, 5, 5, 5], [3], [4, 4, 4]]
    sep = 9
    for context, stride in [(4, 4), (4, 2), (3, 1), (16, 16)]:
        windows = eval_windows(docs, context, sep, stride)
        targets = np.concatenate([t for _, t in windows])
        scored = targets[targets != IGNORE_INDEX]
        assert sep not in scored
        assert sorted(scored.tolist()) == sorted(sum(docs, []))
        for inputs, t in windows:
            assert len(inputs) == len(t) <= context
        # every document's first window starts at the separator
        assert sum(1 for inputs, _ in windows if inputs[0] == sep) == len(docs)


def test_separator_probability_does_not_change_the_score() -> None:
    """Only the text's own tokens are targets: changing the logit of the separator changes the
    normalisation, and nothing else (no separator term in the nats)."""
    docs, texts = [[0, 1], [1, 1, 0]], ["ab", "cde"]
    low = evaluate_lm(FixedModel([0.0, 0.0, -50.0]), docs, texts, context=8, sep_id=2, vocab_size=3)
    # p(sep) ~ 0: every text token has p = 1/2 -> 5 bits over 5 bytes.
    assert low.bits_per_byte == pytest.approx(1.0, rel=1e-6)


def test_unigram_baseline_by_hand() -> None:
    # train counts over V=3: id0 x3, id1 x1, id2 x0; add-one: p = (4, 2, 1) / 7
    train = np.array([0, 0, 0, 1])
    ev = np.array([0, 1, 2])
    nats = -(math.log(4 / 7) + math.log(2 / 7) + math.log(1 / 7))
    assert unigram_bits_per_byte(train, ev, 5, 3) == pytest.approx(nats / (math.log(2) * 5))
