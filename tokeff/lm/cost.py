"""What a tokenizer costs at real model sizes, from its measured rates alone (no training).

Inputs are a tokenizer's measured ``tokens_per_byte`` and ``tokens_per_word`` on the user's text
and its ``vocab_size``; for each model size the table gives:

=================================  ==========================================================
column                             formula
=================================  ==========================================================
``non_embedding_params``           ``N = 12 * n_layer * d_model**2``
``embedding_params``               ``V * d_model``, twice when input and output are untied
``embedding_param_share``          ``embedding_params / (N + embedding_params)``
``flops_per_token``                ``6N + 6 n_layer context d_model + 6 d_model V`` (training)
``output_layer_flops_share``       ``6 d_model V / flops_per_token``
``train_tokens``                   ``train_bytes * tokens_per_byte``
``train_flops``                    ``train_tokens * flops_per_token``
``inference_tokens_per_1000_words`` ``1000 * tokens_per_word``
``context_bytes``                  ``context / tokens_per_byte``: text that fits in the window
=================================  ==========================================================

The FLOPs formula is :meth:`tokeff.lm.model.ModelConfig.flops_per_token` (Kaplan et al. 2020 with
the output layer's matmul added; the input embedding is a lookup and costs no FLOPs).
Position embeddings are left out of the parameter counts.

Default model sizes (:data:`MODEL_SHAPES`), standard published shapes with the body held fixed
while the vocabulary changes:

* ``125M``: 12 layers, d_model 768, 12 heads, context 2048, tied embeddings (GPT-3 Small).
* ``1.3B``: 24 layers, d_model 2048, 16 heads, context 2048, tied embeddings (GPT-3 XL).
* ``7B``:   32 layers, d_model 4096, 32 heads, context 4096, untied embeddings (Llama 2 7B;
  its gated MLP, 3 x 4096 x 11008, is also about ``8 d_model**2`` per layer).

The names are the sizes at the models' original vocabularies (50k, 50k, 32k); at another
vocabulary the body stays and only the embedding and output layer change.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .config import PRESETS, ModelConfig

MODEL_SHAPES: dict[str, ModelConfig] = {
    "125M": ModelConfig(n_layer=12, n_head=12, d_model=768, context=2048, tie_embeddings=True),
    "1.3B": ModelConfig(n_layer=24, n_head=16, d_model=2048, context=2048, tie_embeddings=True),
    "7B": ModelConfig(n_layer=32, n_head=32, d_model=4096, context=4096, tie_embeddings=False),
}

#: One terabyte of training text.
DEFAULT_TRAIN_BYTES = 1e12


def cost_table(
    tokens_per_byte: float,
    tokens_per_word: float,
    vocab_size: int,
    *,
    models: Sequence[str | ModelConfig] = ("125M", "1.3B", "7B"),
    train_bytes: float = DEFAULT_TRAIN_BYTES,
    tokenizer: str | None = None,
) -> pd.DataFrame:
    """One row per model size; columns as in the module docstring (units in the names).

    Args:
        tokens_per_byte, tokens_per_word: the tokenizer's measured rates on the user's text.
        vocab_size: its vocabulary size ``V`` (the number of logits).
        models: names from :data:`MODEL_SHAPES` or the training presets, or configs.
        train_bytes: size of the training text (default 1e12 bytes, about 1 TB).
        tokenizer: a name to put in a ``tokenizer`` column, for stacking several tables.
    """
    rows = []
    for m in models:
        if isinstance(m, ModelConfig):
            name, cfg = f"{m.n_layer}x{m.d_model}", m
        elif m in MODEL_SHAPES or m in PRESETS:
            name, cfg = m, MODEL_SHAPES.get(m) or PRESETS[m]
        else:
            raise ValueError(f"unknown model size {m!r}; choose from {sorted(MODEL_SHAPES) + sorted(PRESETS)} or pass a ModelConfig")
        n = cfg.non_embedding_params()
        emb = vocab_size * cfg.d_model * (1 if cfg.tie_embeddings else 2)
        fpt = cfg.flops_per_token(vocab_size)
        train_tokens = train_bytes * tokens_per_byte
        rows.append(
            {
                "tokenizer": tokenizer,
                "model": name,
                "n_layer": cfg.n_layer,
                "d_model": cfg.d_model,
                "context_tokens": cfg.context,
                "vocab_size": vocab_size,
                "tied_embeddings": cfg.tie_embeddings,
                "non_embedding_params": n,
                "embedding_params": emb,
                "embedding_param_share": emb / (n + emb),
                "flops_per_token": fpt,
                "output_layer_flops_share": 6 * cfg.d_model * vocab_size / fpt,
                "train_bytes": train_bytes,
                "train_tokens": train_tokens,
                "train_flops": train_tokens * fpt,
                "inference_tokens_per_1000_words": 1000 * tokens_per_word,
                "context_bytes": cfg.context / tokens_per_byte,
            }
        )
    df = pd.DataFrame(rows)
    return df if tokenizer is not None else df.drop(columns="tokenizer")
