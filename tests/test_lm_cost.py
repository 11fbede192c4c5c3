"""The cost model, one case checked by hand."""

from __future__ import annotations

import pytest

from tokeff.lm.cost import MODEL_SHAPES, cost_table
from tokeff.lm.model import ModelConfig


def test_cost_125m_by_hand() -> None:
    df = cost_table(tokens_per_byte=0.25, tokens_per_word=1.3, vocab_size=50257, models=["125M"], train_bytes=1e12)
    row = df.iloc[0]
    # 12 layers, d_model 768, context 2048, tied.
    n = 12 * 12 * 768**2
    assert n == 84_934_656 and row["non_embedding_params"] == n
    assert row["embedding_params"] == 50257 * 768 == 38_597_376
    assert row["embedding_param_share"] == pytest.approx(38_597_376 / (84_934_656 + 38_597_376))
    # 6N + 6 * 12 * 2048 * 768 + 6 * 768 * 50257
    fpt = 509_607_936 + 113_246_208 + 231_584_256
    assert row["flops_per_token"] == fpt == 854_438_400
    assert row["output_layer_flops_share"] == pytest.approx(231_584_256 / 854_438_400)
    assert row["train_tokens"] == 2.5e11
    assert row["train_flops"] == pytest.approx(2.5e11 * 854_438_400)
    assert row["inference_tokens_per_1000_words"] == pytest.approx(1300)
    assert row["context_bytes"] == 8192


def test_default_sizes_and_untied_7b() -> None:
    df = cost_table(0.3, 1.5, 32000, tokenizer="mistral")
    assert df["model"].tolist() == ["125M", "1.3B", "7B"]
    assert df["tokenizer"].unique().tolist() == ["mistral"]
    seven = df.set_index("model").loc["7B"]
    assert seven["embedding_params"] == 2 * 32000 * 4096  # input and output matrices
    # Llama-2-7B shape at its own vocabulary is about 6.7B parameters.
    assert 6.6e9 < seven["non_embedding_params"] + seven["embedding_params"] < 6.8e9
    assert MODEL_SHAPES["1.3B"].d_model == 2048


def test_custom_config_and_bigger_vocab_costs_more() -> None:
    cfg = ModelConfig(n_layer=2, n_head=2, d_model=64, context=32)
    small, big = (cost_table(0.3, 1.3, v, models=[cfg]).iloc[0] for v in (1000, 100_000))
    assert big["flops_per_token"] > small["flops_per_token"]
    assert big["embedding_param_share"] > small["embedding_param_share"]
    with pytest.raises(ValueError):
        cost_table(0.3, 1.3, 1000, models=["13B"])
