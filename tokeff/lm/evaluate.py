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
from dataclasses import dataclass, field

import numpy as np
import torch

from ..text import count_words
from .model import IGNORE_INDEX

#: The evaluation loss: token-level cross-entropy in nats per target (0 for ignored ones), the
#: same loss as training's default, kept per target so each document's nats add up separately.
#: Evaluation always uses plain cross-entropy, whatever loss the model was trained with.
LOSS_PER_TARGET = torch.nn.CrossEntropyLoss(reduction="none", ignore_index=IGNORE_INDEX)

#: Logit elements computed at once in evaluation (``rows x length x vocab``): bounds memory for
#: large vocabularies (2**26 float32 logits = 256 MB).
MAX_EVAL_LOGITS = 2**26


def bits_per_byte(nats: float, n_bytes: int) -> float:
    """``nats / (ln 2 * n_bytes)``: the information cost of the text per UTF-8 byte."""
    return nats / (math.log(2) * n_bytes)


@dataclass(frozen=True)
class EvalResult:
    """Totals over the evaluation texts and the three rates computed from them.

    ``doc_nats``, ``doc_bytes`` and ``doc_tokens`` hold the same nats, bytes and tokens per text,
    in the order of the texts: a bootstrap over the evaluation documents resamples them (:mod:`tokeff.lm.compare`).
    """

    nats: float  # summed cross-entropy over every target token
    tokens: int  # target tokens (the texts' own tokens; no separators)
    bytes: int  # UTF-8 bytes of the texts
    words: int  # tokeff.text.count_words over the texts
    doc_nats: np.ndarray | None = field(default=None, repr=False, compare=False)
    doc_bytes: np.ndarray | None = field(default=None, repr=False, compare=False)
    doc_tokens: np.ndarray | None = field(default=None, repr=False, compare=False)

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
    ``IGNORE_INDEX``. Windows come document by document, in order.
    """
    return [w for doc in docs for w in doc_windows(doc, context, sep_id, stride)]


def doc_windows(doc: Sequence[int], context: int, sep_id: int, stride: int | None = None
                ) -> list[tuple[np.ndarray, np.ndarray]]:
    """The windows of one document (see :func:`eval_windows`)."""
    stride = stride or context
    if not 0 < stride <= context:
        raise ValueError(f"stride must be in 1..context ({context}), got {stride}")
    windows = []
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
    per_doc = [doc_windows(d, context, sep_id, stride) for d in docs]
    windows = [w for ws in per_doc for w in ws]
    owner = np.repeat(np.arange(len(docs)), [len(ws) for ws in per_doc])  # each window's document
    order = sorted(range(len(windows)), key=lambda k: -len(windows[k][0]))
    doc_nats = np.zeros(len(docs), dtype=np.float64)
    i = 0
    while i < len(order):
        length = len(windows[order[i]][0])
        rows = max(1, min(64, MAX_EVAL_LOGITS // (length * vocab_size)))
        batch = order[i : i + rows]
        i += rows
        x = np.zeros((len(batch), length), dtype=np.int64)  # pad inputs with id 0 ...
        y = np.full((len(batch), length), IGNORE_INDEX, dtype=np.int64)  # ... never scored
        for r, k in enumerate(batch):
            inputs, targets = windows[k]
            x[r, : len(inputs)] = inputs
            y[r, : len(targets)] = targets
        logits = model(torch.from_numpy(x).to(device))
        # nats per target (0 where ignored), summed per window, then added to the window's document
        per_target = LOSS_PER_TARGET(logits.reshape(-1, logits.shape[-1]).float(), torch.from_numpy(y).reshape(-1).to(device))
        per_window = per_target.reshape(len(batch), length).sum(dim=1).double().cpu().numpy()
        np.add.at(doc_nats, owner[batch], per_window)
    if was_training:
        model.train()
    doc_bytes = np.fromiter((len(t.encode("utf-8")) for t in texts), dtype=np.int64, count=len(texts))
    return EvalResult(
        nats=float(doc_nats.sum()),
        tokens=sum(len(d) for d in docs),
        bytes=int(doc_bytes.sum()),
        words=sum(count_words(t) for t in texts),
        doc_nats=doc_nats,
        doc_bytes=doc_bytes,
        doc_tokens=np.fromiter(map(len, docs), dtype=np.int64, count=len(docs)),
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
