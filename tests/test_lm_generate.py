"""Greedy completion: stop ids and strings, order kept across length buckets, batching changes nothing,
and the model a training run saved comes back."""

from __future__ import annotations

import pytest
import torch

from tokeff.adapters.simple import BytesTokenizer
from tokeff.lm import GPT, ModelConfig, TrainConfig, evaluate_lm, greedy_complete, load_trained, train_lm


class Countdown(GPT):
    """A 'model' whose next id is always (last id - 1) mod 10: greedy output is known in advance."""

    def __init__(self) -> None:
        super().__init__(ModelConfig(n_layer=1, n_head=1, d_model=8, context=4), vocab_size=10)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        nxt = (idx - 1) % 10
        return torch.nn.functional.one_hot(nxt, 10).float()


def test_greedy_complete_stops_and_keeps_order() -> None:
    prompts = [[5], [9, 3], [2], [7, 8, 9, 9, 9, 9]]  # different lengths, batched apart
    out = greedy_complete(Countdown(), prompts, max_new_tokens=4, stop_ids=(0,), batch_size=2)
    assert out == [[4, 3, 2, 1], [2, 1], [1], [8, 7, 6, 5]]  # the stop id is not returned
    out = greedy_complete(Countdown(), [[5], [9], [8]], max_new_tokens=6, stop_strings=("7",),
                          decode=lambda ids: "".join(map(str, ids)))
    assert out == [[4, 3, 2, 1, 0, 9], [8, 7], [7]]  # the id that wrote the 7 is kept
    with pytest.raises(ValueError, match="decode"):
        greedy_complete(Countdown(), [[5]], max_new_tokens=2, stop_strings=("7",))


def test_greedy_complete_matches_one_prompt_at_a_time() -> None:
    net = GPT(ModelConfig(n_layer=1, n_head=2, d_model=16, context=8), vocab_size=12, seed=3)
    prompts = [[11, 1, 2], [11], [11, 5, 6, 7, 8, 9, 1, 2, 3], [11, 4, 4]]  # one longer than the context
    together = greedy_complete(net, prompts, max_new_tokens=5, stop_ids=(11,))
    assert together == [greedy_complete(net, [p], max_new_tokens=5, stop_ids=(11,))[0] for p in prompts]


def test_load_trained_is_the_model_the_run_scored(tmp_path) -> None:
    cfg = ModelConfig(n_layer=1, n_head=2, d_model=16, context=16)
    texts = [f"{i}+{i}={2 * i}" for i in range(50)]
    result = train_lm(BytesTokenizer(), texts, texts[:5], model=cfg, budget="steps=3", progress=False, device="cpu",
                      train_config=TrainConfig(batch_size=2), checkpoint_dir=tmp_path, seed=4)
    net = load_trained(tmp_path)
    assert not net.training and net.cfg == cfg and net.vocab_size == 257
    again = evaluate_lm(net, BytesTokenizer().encode_batch(texts[:5]), texts[:5], context=16, sep_id=256, vocab_size=257)
    assert again.nats == pytest.approx(result.eval_nats, rel=1e-6)
