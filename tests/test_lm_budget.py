"""Budgets: parsing, conversion to steps, and equal compute across tokenizers."""

from __future__ import annotations

import pytest
import torch

import tokeff.lm.evaluate as evaluate_module
from tokeff.adapters.simple import BytesTokenizer
from tokeff.lm import LOSS_FN, Budget, ModelConfig, TrainConfig, resolve_loss, train_lm


def test_parse() -> None:
    assert Budget.parse("flops=1e13") == Budget("flops", 1e13)
    assert Budget.parse("bytes = 5e6") == Budget("bytes", 5e6)
    assert Budget.parse("TOKENS=1000000") == Budget("tokens", 1e6)
    assert Budget.parse("steps=200") == Budget("steps", 200)
    assert str(Budget.parse("flops=1e13")) == "flops=1e+13"
    for bad in ("1e13", "watts=3", "flops=abc", "steps=0"):
        with pytest.raises(ValueError):
            Budget.parse(bad)


def test_steps_formulas_by_hand() -> None:
    kw = {"tokens_per_step": 1000, "flops_per_token": 2e6, "bytes_per_token": 4.0}
    assert Budget("flops", 2e11).steps(**kw) == 100  # 2e11 / (2e6 * 1000)
    assert Budget("bytes", 4e5).steps(**kw) == 100  # 4e5 / (4 * 1000)
    assert Budget("tokens", 1e5).steps(**kw) == 100
    assert Budget("steps", 7).steps(**kw) == 7
    assert Budget("flops", 1.0).steps(**kw) == 1  # never zero steps


def test_equal_flops_agree_across_vocabularies() -> None:
    """The conversion keeps compute within 1% of the budget for vocabularies from bytes to 200k."""
    cfg, tokens_per_step = ModelConfig(), TrainConfig().batch_size * ModelConfig().context
    budget = Budget.parse("flops=1e15")
    spent = []
    for vocab in (257, 4097, 32001, 50258, 100278, 200020):
        fpt = cfg.flops_per_token(vocab)
        steps = budget.steps(tokens_per_step=tokens_per_step, flops_per_token=fpt, bytes_per_token=3.0)
        spent.append(steps * tokens_per_step * fpt)
    assert max(spent) / min(spent) < 1.01
    assert all(abs(s / 1e15 - 1) < 0.01 for s in spent)


class PairTokenizer:
    """A second tokenizer for tests: one id per pair of bytes, hashed into 1,024 ids (lossy,
    which does not matter for counting compute)."""

    name = "byte-pairs"
    vocab_size = 1024

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        return [[(b[i] * 256 + b[i + 1]) % 1024 for i in range(0, len(b) - 1, 2)] for b in (t.encode() for t in texts)]


MICRO = ModelConfig(n_layer=1, n_head=2, d_model=32, context=32)


def test_equal_flops_runs_and_one_loss_object(tmp_path) -> None:
    """Two tokenizers under one FLOPs budget spend the same compute (within 1%), see different
    amounts of text, and both go through the one module-level loss object."""
    texts = [f"line {i}: the quick brown fox jumps over the lazy dog." for i in range(200)]
    calls: list[int] = []
    hook = LOSS_FN.register_forward_hook(lambda *_: calls.append(1))
    try:
        results = []
        for tok in (BytesTokenizer(), PairTokenizer()):
            before = len(calls)
            r = train_lm(tok, texts, texts[:5], model=MICRO, budget="flops=2.1e9", progress=False, device="cpu",
                         train_config=TrainConfig(batch_size=4))
            assert len(calls) > before  # this run called the shared loss object
            results.append(r)
    finally:
        hook.remove()
    a, b = results
    assert a.loss_function == b.loss_function == resolve_loss("ce").describe()
    # scoring is the same cross-entropy, kept per target so each document's nats add up separately
    logits, targets = torch.randn(6, 5), torch.tensor([0, 4, -1, 2, 2, 1])
    per_target = evaluate_module.LOSS_PER_TARGET(logits, targets)
    assert per_target[2] == 0 and torch.allclose(per_target.sum(), LOSS_FN(logits, targets))
    assert abs(a.train_flops / b.train_flops - 1) < 0.01
    assert abs(a.train_flops / 2.1e9 - 1) < 0.01
    assert a.train_tokens_seen > b.train_tokens_seen  # the big vocabulary's output layer costs
    assert a.steps > b.steps
