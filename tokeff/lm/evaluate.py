"""Evaluation in bits per byte, with per-token and per-word perplexity beside it.

Why bits per byte
-----------------
Per-token loss cannot be compared across tokenizers: a tokenizer with longer tokens makes fewer,
harder predictions over the same text. Dividing the *total* loss by the size of the text in
UTF-8 bytes -- which no tokenizer can change -- makes the numbers comparable::

    bits_per_byte    = total_nats / (ln 2 * eval_bytes)
    token_perplexity = exp(total_nats / eval_tokens)
    word_perplexity  = exp(total_nats / eval_words)

* ``total_nats`` is the sum, over every token of every evaluation text, of ``-ln p(token |
  tokens before it in the same text)`` -- the one loss, :data:`tokeff.lm.model.LOSS_FN`.
* ``eval_bytes`` is the UTF-8 length of the evaluation texts; ``eval_words`` is
  :func:`tokeff.text.count_words` over them (the project's one definition of a word).
* ``eval_tokens`` counts the texts' own tokens only.

The separator is a special token and is never counted: each text is scored as
``[SEP] t1 t2 ... tn``, the separator is the context that ``t1`` is predicted from (so the first
token is paid for, like every other), and the separator itself is never a target; it adds no
bytes. Every byte of every text is therefore paid for exactly once. (A tokenizer that turns
non-empty text into no tokens still has that text's bytes in the denominator: the bytes were
not predicted, which is what such a tokenizer costs.)

Texts longer than the context are scored with windows of ``context`` tokens that start every
``stride`` tokens; each window scores only the targets no earlier window scored, so every
token is predicted exactly once. ``stride = context`` (the default) is plain chunking: each
chunk starts with no context from the chunk before. A smaller stride gives each prediction at
least ``context - stride`` tokens of context, at ``context / stride`` times the compute. A
text's last window always starts ``context`` tokens before its end (or at its start), so the
tail is never predicted from less context than the text offers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ..text import count_words
from .model import IGNORE_INDEX, LOSS_FN

#: Logit elements computed at once in evaluation (``rows x length x vocab``): bounds memory for
#: large vocabularies (2**26 float32 logits = 256 MB).
MAX_EVAL_LOGITS = 2**26


def bits_per_byte(nats: float, n_bytes: int) -> float:
    """``nats / (ln 2 * n_bytes)``: the information cost of the text per UTF-8 byte."""
    return nats / (math.log(2) * n_bytes)


@dataclass(frozen=True)
class EvalResult:
    """Totals over the evaluation texts and the three rates computed from them."""

    nats: float  # summed cross-entropy over every target token
    tokens: int  # target tokens (the texts' own tokens; no separators)
    bytes: int  # UTF-8 bytes of the texts
    words: int  # tokeff.text.count_words over the texts

    @property
    def bits_per_byte(self) -> float:
        return bits_per_byte(self.nats, self.bytes)

    @property
    def token_perplexity(self) -> float:
        return _exp(self.nats / self.tokens) if self.tokens else float("nan")

    @property
    def word_perplexity(self) -> float:
        return _exp(self.nats / self.words) if self.words else float("nan")


def _exp(x: float) -> float:
    """``exp(x)``, infinite rather than an error when it overflows (an untrained model on text
    with very few words)."""
    try:
        return math.exp(x)
    except OverflowError:
        return float("inf")


def eval_windows(
    docs: Sequence[Sequence[int]], context: int, sep_id: int, stride: int | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(inputs, targets)`` windows that predict every token of every document exactly once.

    Each document is read as ``[sep_id] + doc``; a window holds at most ``context`` inputs and
    their next tokens as targets, with targets that an earlier window already scored set to
    ``IGNORE_INDEX``.
    """
    stride = stride or context
    if not 0 < stride <= context:
        raise ValueError(f"stride must be in 1..context ({context}), got {stride}")
    windows = []
    for doc in docs:
        seq = np.concatenate([[sep_id], np.asarray(doc, dtype=np.int64)])
        n = len(seq) - 1  # targets are seq[1..n]
        start, scored = 0, 0  # scored: targets seq[1..scored] are done
        while scored < n:
            end = min(start + context, n)
            first = max(0, end - context)  # a text's last window reaches back to fill the context
            inputs = seq[first:end]  # targets are the next tokens, seq[first + 1 : end + 1]
            targets = seq[first + 1 : end + 1].copy()
            targets[: scored - first] = IGNORE_INDEX  # already scored by an earlier window
            windows.append((inputs, targets))
            scored = end
            start += stride
    return windows


@torch.inference_mode()
def evaluate_lm(
    model: Callable[[torch.Tensor], torch.Tensor],
    docs: Sequence[Sequence[int]],
    texts: Sequence[str],
    *,
    context: int,
    sep_id: int,
    vocab_size: int,
    stride: int | None = None,
    device: torch.device | str = "cpu",
) -> EvalResult:
    """Score every token of ``docs`` (the token ids of ``texts``) with ``model``.

    Args:
        model: maps int64 ids ``(B, T)`` to logits ``(B, T, vocab_size)``; a :class:`GPT` or any
            callable (tests use a uniform one).
        docs: token ids of each text, without separators.
        texts: the texts themselves, for the byte and word counts.
        context, sep_id, stride: see :func:`eval_windows`.
        vocab_size: number of logits, to size batches.
    """
    if len(docs) != len(texts):
        raise ValueError(f"{len(docs)} token lists for {len(texts)} texts")
    was_training = getattr(model, "training", False)
    if was_training:
        model.eval()
    # Batch windows of similar length together so short texts are not padded to the context.
    windows = sorted(eval_windows(docs, context, sep_id, stride), key=lambda w: -len(w[0]))
    nats = 0.0
    i = 0
    while i < len(windows):
        length = len(windows[i][0])
        rows = max(1, min(64, MAX_EVAL_LOGITS // (length * vocab_size)))
        batch = windows[i : i + rows]
        i += rows
        x = np.zeros((len(batch), length), dtype=np.int64)  # pad inputs with id 0 ...
        y = np.full((len(batch), length), IGNORE_INDEX, dtype=np.int64)  # ... never scored
        for r, (inputs, targets) in enumerate(batch):
            x[r, : len(inputs)] = inputs
            y[r, : len(targets)] = targets
        logits = model(torch.from_numpy(x).to(device))
        nats += float(LOSS_FN(logits.reshape(-1, logits.shape[-1]).float(), torch.from_numpy(y).reshape(-1).to(device)))
    if was_training:
        model.train()
    return EvalResult(
        nats=nats,
        tokens=sum(len(d) for d in docs),
        bytes=sum(len(t.encode("utf-8")) for t in texts),
        words=sum(count_words(t) for t in texts),
    )


def unigram_bits_per_byte(
    train_ids: np.ndarray, eval_ids: np.ndarray, eval_bytes: int, vocab_size: int, alpha: float = 1.0
) -> float:
    """Bits per byte of an add-``alpha`` smoothed unigram model over the tokenizer's ids.

    ``p(i) = (count_train(i) + alpha) / (n_train + alpha * vocab_size)``; the score is
    ``-sum(ln p(t) for t in eval_ids) / (ln 2 * eval_bytes)``. A trained LM should beat it: it is
    what a model that ignores context achieves. Pass ids without separators.
    """
    counts = np.bincount(np.asarray(train_ids, dtype=np.int64), minlength=vocab_size).astype(np.float64)
    log_p = np.log(counts + alpha) - math.log(counts.sum() + alpha * vocab_size)
    nats = -float(log_p[np.asarray(eval_ids, dtype=np.int64)].sum())
    return bits_per_byte(nats, eval_bytes)
