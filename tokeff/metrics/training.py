"""What a tokenizer buys: the numbers of the shared small LM trained under it (:mod:`tokeff.lm`).

They are not measured by the analysis pass (this family has no accumulator) but by the training
stage; they are defined here so that every metric tokeff writes has one definition, unit and
direction. The formulas are those of :mod:`tokeff.lm.evaluate`:

* ``bits_per_byte`` = total nats on the evaluation text / (ln 2 × its UTF-8 bytes): the only LM
  number comparable across tokenizers.
* ``token_perplexity`` = exp(nats / tokens) and ``word_perplexity`` = exp(nats / words): shown
  beside bits per byte, never alone (longer tokens make fewer, harder predictions).
* ``unigram_bits_per_byte``: an add-one unigram model over the tokenizer's ids on the same text,
  the bar a trained model must clear.
"""

from __future__ import annotations

from .registry import FAMILIES, Metric, MetricFamily

BITS_PER_BYTE = Metric("bits_per_byte", "bits/byte", "bits per byte", "lower",
                       "total nats on the eval text / (ln 2 × its UTF-8 bytes) — the only LM number comparable "
                       "across tokenizers")
TOKEN_PERPLEXITY = Metric("token_perplexity", "per token", "per-token perplexity", "lower",
                          "exp(nats / tokens), shown beside bits per byte, never alone")
WORD_PERPLEXITY = Metric("word_perplexity", "per word", "per-word perplexity", "lower",
                         "exp(nats / words), shown beside bits per byte, never alone")
UNIGRAM_BITS_PER_BYTE = Metric("unigram_bits_per_byte", "bits/byte", "unigram baseline", "lower",
                               "bits per byte of an add-one unigram model over the same ids: the bar to clear")
TRAIN_FLOPS = Metric("train_flops", "FLOPs", "training FLOPs", "",
                     "steps × tokens per step × (6N + 6·n_layer·context·d_model + 6·d_model·V)")
TRAIN_BYTES_SEEN = Metric("train_bytes_seen", "bytes", "training bytes seen", "", "UTF-8 bytes of text trained on",
                          count=True)
TRAIN_TOKENS_SEEN = Metric("train_tokens_seen", "tokens", "training tokens seen", "", "tokens trained on", count=True)
ACHIEVED_FLOPS = Metric("achieved_flops_per_second", "FLOP/s", "achieved FLOP/s", "higher",
                        "training FLOPs / training wall time (run.json only: a timing)")

FAMILIES.register(MetricFamily(
    name="training", order=60,
    metrics=(BITS_PER_BYTE, UNIGRAM_BITS_PER_BYTE, TOKEN_PERPLEXITY, WORD_PERPLEXITY, TRAIN_FLOPS,
             TRAIN_BYTES_SEEN, TRAIN_TOKENS_SEEN, ACHIEVED_FLOPS),
    source="bits per byte: e.g. Gao et al. 2020 (The Pile); equal-compute budgets: Kaplan et al. 2020",
    summary="what the tokenizer buys: the shared small LM at equal compute",
))
