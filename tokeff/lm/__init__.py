"""Train the same small language model under each tokenizer and compare them in bits per byte.

Per-token loss and perplexity cannot be compared across tokenizers (longer tokens mean fewer,
harder predictions), so tokeff trains one model shape with one loss, optimizer, schedule, seed
and data order under every tokenizer, on the same texts and the same compute budget, and
reports the loss per byte of text::

    bits_per_byte = total_nats / (ln 2 * eval_bytes)

Quick start::

    from tokeff.adapters.simple import BytesTokenizer   # any tokenizer adapter will do
    from tokeff.lm import train_lm, cost_table

    tok = BytesTokenizer()                                  # .name, .vocab_size, .encode_batch

    result = train_lm(tok, train_texts, eval_texts)             # tiny model, default budget
    result.bits_per_byte, result.word_perplexity, result.curve  # numbers and a learning curve
    result.rows()                                               # tidy {"metric","value","unit"}

    train_lm(tok, train_texts, eval_texts, model="small", budget="bytes=5e6", seed=1,
             checkpoint_dir="runs/gpt2", resume=True)

    cost_table(tokens_per_byte=0.25, tokens_per_word=1.3, vocab_size=50257)  # 125M, 1.3B, 7B

Public API
----------
``train_lm(tokenizer, train_texts, eval_texts, *, model="tiny", budget=DEFAULT_BUDGET, seed=0,
device="auto", checkpoint_dir=None, resume=False, progress=True, eval_every=None,
checkpoint_every=None, train_config=TrainConfig(), eval_stride=None, curve_eval_bytes=2048,
compile=False, stop_at_step=None, loss="ce") -> LMResult``
    The one training loop (:mod:`tokeff.lm.train`); ``loss`` is the training loss.
``greedy_complete(model, prompts, *, max_new_tokens, stop_ids=(), stop_strings=(), decode=None)``
    Greedy, batched, deterministic completion with a trained :class:`GPT`
    (:mod:`tokeff.lm.generate`); ``load_trained(checkpoint_dir)`` rebuilds the model a run saved.
``LMResult``
    Final numbers (``bits_per_byte``, ``token_perplexity``, ``word_perplexity``,
    ``unigram_bits_per_byte``, eval bytes/tokens/words, train tokens/bytes seen, FLOPs,
    steps, wall seconds, achieved FLOP/s, training loss (``loss``, ``loss_function``), configs,
    budget, seed, device, torch version), ``curve`` (a DataFrame: step, tokens_seen,
    bytes_seen, flops, wall_seconds, bits_per_byte) and ``rows()``.
``ModelConfig``, ``PRESETS``, ``GPT``
    The model (:mod:`tokeff.lm.model`); presets ``tiny`` (2 layers x 128, context 128, the
    default), ``small`` (4 x 256, context 256), ``medium`` (6 x 384), ``large`` (8 x 512).
``Budget``, ``DEFAULT_BUDGET``
    ``Budget.parse("flops=1e13" | "bytes=5e6" | "tokens=1e6" | "steps=200")`` and its
    conversion to steps (:mod:`tokeff.lm.budget`). The default, ``flops=1.5e12``, trains the
    tiny model for about a quarter of a minute per tokenizer on two CPU cores.
``TrainConfig``
    The training recipe (batch size, learning rate, schedule, AdamW settings).
``evaluate_lm``, ``EvalResult``, ``bits_per_byte``, ``unigram_bits_per_byte``
    Scoring (:mod:`tokeff.lm.evaluate`) and the smoothed-unigram baseline.
``cost_table``, ``MODEL_SHAPES``
    The cost model at 125M / 1.3B / 7B (:mod:`tokeff.lm.cost`).
``ranking_agreement(results, value="bits_per_byte")``
    Does the tokenizer ranking survive the loss: Kendall's τ-b between every two losses'
    rankings, with a bootstrap interval over seeds (:mod:`tokeff.lm.ranking`; over evaluation
    documents: :func:`tokeff.lm.compare.kendall_interval`).
``LOSS_FN``
    Token cross-entropy: every evaluation's loss and the default training loss.
``Loss``, ``LOSSES``, ``resolve_loss``, ``parse_losses``
    Training losses (:mod:`tokeff.lm.losses`): ``ce`` (default), ``label-smoothing:ε``,
    ``z-loss:λ``, ``focal:γ``; ``resolve_loss("z-loss:1e-4")``, ``parse_losses("ce,focal:2")``.

FLOPs per token (training) everywhere: ``6N + 6 n_layer context d_model + 6 d_model V`` with
``N = 12 n_layer d_model**2`` -- Kaplan et al. plus the output layer, which is what a
vocabulary costs.

What the default buys: ``flops=1.5e12`` is hundreds of steps for bytes and a 4k vocabulary, but
tens for a 50k vocabulary and a handful at 200k -- the tiny model's output layer is most of its
compute. Runs the budget cannot give 50 steps are not started, and are listed with the budget
they would need (:mod:`tokeff.training`); for models that learn under every tokenizer, give a
budget of 1e13 or more.

Evaluation is a forward pass over every evaluation token, about a third of a training step's
cost per token, which for a 200k vocabulary means ~50 MFLOPs per token in the output layer
alone: keep evaluation text to about ten kilobytes when the training budget is a few seconds.

Importing this package is cheap: torch loads on first use of one of the names above.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "train_lm": "train",
    "LMResult": "train",
    "TrainConfig": "train",
    "resolve_device": "train",
    "ModelConfig": "config",
    "PRESETS": "config",
    "GPT": "model",
    "LOSS_FN": "model",
    "Loss": "losses",
    "LOSSES": "losses",
    "parse_losses": "losses",
    "resolve_loss": "losses",
    "greedy_complete": "generate",
    "load_trained": "generate",
    "ranking_agreement": "ranking",
    "Budget": "budget",
    "DEFAULT_BUDGET": "budget",
    "evaluate_lm": "evaluate",
    "EvalResult": "evaluate",
    "bits_per_byte": "evaluate",
    "unigram_bits_per_byte": "evaluate",
    "cost_table": "cost",
    "MODEL_SHAPES": "cost",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
