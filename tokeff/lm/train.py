"""The one training loop every tokenizer goes through.

What is held fixed across tokenizers (so that only the tokenizer differs):

* the loss: token-level cross-entropy (:data:`tokeff.lm.model.LOSS_FN`) unless ``loss`` names
  another training loss (:mod:`tokeff.lm.losses`); evaluation is always cross-entropy, so bits
  per byte stay comparable across losses (the training loss is recorded in every result);
* the model body (:class:`~tokeff.lm.model.ModelConfig`; only the embedding and output layer
  grow with the vocabulary) and its initial weights (same seed, separate random stream);
* the optimizer (AdamW), the schedule (linear warmup, then cosine decay) and the batch shape
  (:class:`TrainConfig`);
* the data order: training texts are shuffled once with the seed -- a permutation of the
  *texts*, the same for every tokenizer -- packed into one stream and read front to back, so two
  tokenizers given the same bytes budget see exactly the same text;
* the evaluation texts.

The packed stream is ``[SEP] text_1 [SEP] text_2 ... [SEP] text_n``, read circularly (after
``text_n`` comes ``[SEP] text_1``). ``SEP`` is an extra id, ``tokenizer.vocab_size``, added to
the embedding, so the model sees ``vocab_size + 1`` ids. Ids are stored as ``numpy.uint16``
while ``vocab_size + 1 <= 65535`` and as ``uint32`` above that. Step ``s`` trains on stream
tokens ``[s * tokens_per_step, (s + 1) * tokens_per_step + 1)`` (modulo the stream length),
cut into ``batch_size`` rows of ``context`` inputs and their next tokens; the data position is
therefore a function of the step, which makes resuming exact.

Bytes seen are estimated as ``tokens_seen * train_bytes / stream_tokens`` (exact whenever the
stream has been read a whole number of times).
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from ..files import atomic_write
from . import distributed
from .budget import DEFAULT_BUDGET, Budget
from .evaluate import EvalResult, evaluate_lm, unigram_bits_per_byte
from .losses import Loss, resolve_loss
from .model import GPT, ModelConfig, model_config

#: Logit elements one forward/backward pass may hold (``rows x context x vocab``). Batches whose
#: logits would be larger are split into micro-batches with gradient accumulation -- the same
#: optimizer step, in bounded memory, for vocabularies of 100k+ ids.
MAX_TRAIN_LOGITS = 2**25

CHECKPOINT_FILE = "checkpoint.pt"


class TokenizerLike(Protocol):
    """What the loop needs from a tokenizer (``tokeff.adapters.base.Tokenizer`` has it)."""

    name: str
    vocab_size: int

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]: ...


@dataclass(frozen=True)
class TrainConfig:
    """The training recipe, identical for every tokenizer."""

    batch_size: int = 8  # sequences per optimizer step; tokens_per_step = batch_size * context
    lr: float = 2e-3  # peak learning rate, reached after warmup
    min_lr_ratio: float = 0.1  # cosine decays to lr * min_lr_ratio at the last step
    warmup_frac: float = 0.1  # share of steps spent warming up linearly (at least one step)
    weight_decay: float = 0.1  # on matrices and embeddings only, not biases or LayerNorm gains
    betas: tuple[float, float] = (0.9, 0.95)
    grad_clip: float = 1.0  # max global gradient norm


def lr_at(step: int, steps: int, cfg: TrainConfig) -> float:
    """Learning rate at ``step`` (0-based) of ``steps``: linear warmup, then cosine decay.

    ``warmup = max(1, round(warmup_frac * steps))``; for ``step < warmup`` the rate is
    ``lr * (step + 1) / warmup``; after it, ``min_lr + (lr - min_lr) * (1 + cos(pi * p)) / 2``
    with ``p = (step - warmup) / max(1, steps - 1 - warmup)`` going from 0 to 1.
    """
    warmup = max(1, round(cfg.warmup_frac * steps))
    if step < warmup:
        return cfg.lr * (step + 1) / warmup
    min_lr = cfg.lr * cfg.min_lr_ratio
    p = min(1.0, (step - warmup) / max(1, steps - 1 - warmup))
    return min_lr + (cfg.lr - min_lr) * 0.5 * (1.0 + math.cos(math.pi * p))


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"``: CUDA, else Apple MPS, else CPU. On CPU every core is put to work, unless
    ``OMP_NUM_THREADS`` says how many threads to use (on a machine shared with other jobs, fewer
    threads than cores can be much faster: idle-waiting threads spin)."""
    if str(device) == "auto":
        if torch.cuda.is_available():
            device = "cuda"
        elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            device = "mps"
        else:
            device = "cpu"
    dev = torch.device(device)
    if dev.type == "cpu" and not os.environ.get("OMP_NUM_THREADS"):
        torch.set_num_threads(os.cpu_count() or 1)  # unless the user chose a number of threads
    return dev


def fused_adamw(dev: torch.device) -> bool:
    """One AdamW kernel for all parameters instead of one per tensor: on CUDA, and on CPU from
    torch 2.4 (where it first exists)."""
    return dev.type == "cuda" or (dev.type == "cpu" and torch.__version__ >= (2, 4))


def token_dtype(n_ids: int) -> type[np.unsignedinteger]:
    """``uint16`` while every id fits (``n_ids <= 65535``), else ``uint32``."""
    return np.uint16 if n_ids <= 65535 else np.uint32


def pack(docs: Sequence[Sequence[int]], sep_id: int, order: Sequence[int] | None = None) -> np.ndarray:
    """``[sep] doc [sep] doc ...`` in ``order``, as ``uint16``/``uint32`` (see :func:`token_dtype`)."""
    order = range(len(docs)) if order is None else order
    stream = np.empty(sum(len(d) + 1 for d in docs), dtype=token_dtype(sep_id + 1))
    pos = 0
    for i in order:
        doc = docs[i]
        stream[pos] = sep_id
        stream[pos + 1 : pos + 1 + len(doc)] = doc
        pos += len(doc) + 1
    return stream


def batch_at(stream: np.ndarray, step: int, batch_size: int, context: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs and targets ``(batch_size, context)`` for ``step`` (the data order is the step)."""
    n = batch_size * context
    idx = (step * n + np.arange(n + 1)) % len(stream)
    chunk = torch.from_numpy(stream[idx].astype(np.int64))
    return chunk[:-1].view(batch_size, context), chunk[1:].view(batch_size, context)


@dataclass
class LMResult:
    """Everything one training run measured. ``rows()`` gives the tidy metric rows."""

    tokenizer: str
    vocab_size: int  # the tokenizer's; the model has one more id (the separator)
    bits_per_byte: float
    token_perplexity: float
    word_perplexity: float
    unigram_bits_per_byte: float  # add-one unigram over the tokenizer's ids, same texts
    eval_nats: float
    eval_bytes: int
    eval_tokens: int
    eval_words: int
    train_tokens_seen: int
    train_bytes_seen: float
    train_flops: float  # steps * tokens_per_step * flops_per_token
    flops_per_token: float
    tokens_per_step: int
    steps: int
    wall_seconds: float  # training steps only (no tokenization or evaluation)
    tokenize_seconds: float
    eval_seconds: float  # final evaluation, learning-curve points and checkpoint writes
    achieved_flops_per_second: float  # train_flops / wall_seconds
    loss_function: str  # the training loss's spec, formula and source (evaluation is always ce)
    model_config: ModelConfig
    train_config: TrainConfig
    budget: Budget
    seed: int
    device: str
    torch_version: str
    n_params: int
    non_embedding_params: int
    curve: pd.DataFrame = field(repr=False)  # step, tokens_seen, bytes_seen, flops, wall_seconds, bits_per_byte
    doc_nats: np.ndarray | None = field(default=None, repr=False)  # final evaluation, per evaluation text
    doc_bytes: np.ndarray | None = field(default=None, repr=False)
    doc_tokens: np.ndarray | None = field(default=None, repr=False)
    amp: str | None = None  # the autocast dtype on CUDA ("bf16"), or None
    loss: str = "ce"  # the training loss's spec (tokeff.lm.losses)

    def rows(self) -> list[dict]:
        """Tidy ``{"metric", "value", "unit"}`` rows for the results table."""
        metrics = [
            ("bits_per_byte", self.bits_per_byte, "bits/byte"),
            ("token_perplexity", self.token_perplexity, "per token"),
            ("word_perplexity", self.word_perplexity, "per word"),
            ("unigram_bits_per_byte", self.unigram_bits_per_byte, "bits/byte"),
            ("train_flops", self.train_flops, "FLOPs"),
            ("train_bytes_seen", self.train_bytes_seen, "bytes"),
            ("train_tokens_seen", float(self.train_tokens_seen), "tokens"),
            ("achieved_flops_per_second", self.achieved_flops_per_second, "FLOP/s"),
        ]
        return [{"metric": m, "value": float(v), "unit": u} for m, v, u in metrics]


def _curve_subset(texts: Sequence[str], max_bytes: int) -> list[int]:
    """Indices of the first texts that fit in ``max_bytes`` (at least one): the same texts for
    every tokenizer, so learning curves are comparable."""
    chosen, total = [], 0
    for i, t in enumerate(texts):
        n = len(t.encode("utf-8"))
        if chosen and total + n > max_bytes:
            break
        chosen.append(i)
        total += n
    return chosen


def train_lm(
    tokenizer: TokenizerLike,
    train_texts: Sequence[str],
    eval_texts: Sequence[str],
    *,
    model: str | ModelConfig = "tiny",
    budget: str | Budget = DEFAULT_BUDGET,
    seed: int = 0,
    device: str | torch.device = "auto",
    checkpoint_dir: str | os.PathLike | None = None,
    resume: bool = False,
    progress: bool = True,
    eval_every: int | None = None,
    checkpoint_every: int | None = None,
    train_config: TrainConfig = TrainConfig(),
    eval_stride: int | None = None,
    curve_eval_bytes: int = 2048,
    compile: bool = False,
    stop_at_step: int | None = None,
    amp: str | None = None,
    loss: str | Loss = "ce",
    encoded: tuple[list[list[int]], list[list[int]]] | None = None,
) -> LMResult:
    """Train the shared small LM on ``train_texts`` tokenized by ``tokenizer``; score ``eval_texts``.

    Under ``torchrun`` every process calls this with the same arguments and the model trains in
    DistributedDataParallel (:mod:`tokeff.lm.distributed`): the same global batch, update and
    budget as in one process; rank 0 evaluates and writes checkpoints, and every rank returns
    rank 0's result.

    Args:
        tokenizer: anything with ``.name``, ``.vocab_size`` and ``.encode_batch(texts)``.
        train_texts, eval_texts: the same texts for every tokenizer being compared.
        model: a preset name (:data:`tokeff.lm.model.PRESETS`) or a :class:`ModelConfig`.
        budget: ``"flops=..."``, ``"bytes=..."``, ``"tokens=..."``, ``"steps=..."`` or a
            :class:`Budget`; the default holds compute equal (see :mod:`tokeff.lm.budget`).
        seed: model initialisation, text order (and dropout, if any).
        device: ``"auto"`` (CUDA, MPS, else CPU on all cores), or a torch device.
        checkpoint_dir: where to save ``checkpoint.pt`` every ``checkpoint_every`` steps
            (default: at each learning-curve point) and at the end; ``None`` saves nothing.
        resume: continue from ``checkpoint_dir``'s checkpoint when there is one; the run ends
            bit-identical to one that was never interrupted.
        progress: show a progress bar with tokens/s.
        eval_every: steps between learning-curve points (bits per byte on the first
            ``curve_eval_bytes`` of the evaluation texts); default four points per run. Each
            point is a forward pass over that text, which for a large vocabulary costs about as
            much as a training step, so keep points few when the budget is small.
        checkpoint_every: steps between checkpoints (default ``eval_every``).
        train_config: the recipe (batch size, learning rate, ...); keep it equal across tokenizers.
        eval_stride: window stride for texts longer than the context (default: the context).
        curve_eval_bytes: size of the learning-curve subset: the first evaluation texts up to
            this many bytes (at least one text), the same texts for every tokenizer.
        compile: run the model through ``torch.compile`` (a few percent faster on CPU, slow
            to start).
        encoded: the ids of ``train_texts`` and ``eval_texts`` when the caller has them (the
            training stage encodes once for every seed and loss).
        amp: ``"bf16"`` runs the forward and backward passes under bf16 autocast on CUDA (the
            weights, the optimizer and the evaluation stay float32); ignored elsewhere.
        stop_at_step: stop after this many steps (checkpointing first), as if interrupted; the
            result then describes the partial run.
        loss: the training loss, a spec of :mod:`tokeff.lm.losses` (``"ce"``,
            ``"label-smoothing:0.1"``, ``"z-loss:1e-4"``, ``"focal:2"``) or a ``Loss``.
            Evaluation is cross-entropy whatever it is.
    """
    loss_fn = resolve_loss(loss)
    ranks = distributed.join()  # one process unless launched by torchrun (see tokeff.lm.distributed)
    dev = ranks.place(resolve_device(device))
    cfg = model_config(model)
    budget = Budget.parse(budget)
    tc = train_config

    # --- data: tokenize once, pack the training texts, keep evaluation texts whole ----------
    t0 = time.perf_counter()
    train_texts, eval_texts = list(train_texts), list(eval_texts)
    if encoded is not None:  # the caller encoded these very texts already (one encoding for many runs)
        train_docs, eval_docs = encoded
        if len(train_docs) != len(train_texts) or len(eval_docs) != len(eval_texts):
            raise ValueError("encoded ids do not match the texts: one id list per text, training then evaluation")
    else:
        train_docs = tokenizer.encode_batch(train_texts)
        eval_docs = tokenizer.encode_batch(eval_texts)
    tokenize_seconds = time.perf_counter() - t0
    sep_id = tokenizer.vocab_size
    n_ids = sep_id + 1
    order = np.random.default_rng(seed).permutation(len(train_docs))
    stream = pack(train_docs, sep_id, order)
    if len(stream) < 2:
        raise ValueError("the training texts produced no tokens")
    if not any(eval_texts):
        raise ValueError("bits per byte needs evaluation text: eval_texts is empty")
    train_bytes = sum(len(t.encode("utf-8")) for t in train_texts)
    bytes_per_token = train_bytes / len(stream)

    # --- budget -> steps ----------------------------------------------------------------------
    tokens_per_step = tc.batch_size * cfg.context
    flops_per_token = cfg.flops_per_token(n_ids)
    steps = budget.steps(tokens_per_step=tokens_per_step, flops_per_token=flops_per_token, bytes_per_token=bytes_per_token)
    eval_every = eval_every or max(1, math.ceil(steps / 4))
    checkpoint_every = checkpoint_every or eval_every
    last_step = steps if stop_at_step is None else min(steps, stop_at_step)

    # --- model and optimizer --------------------------------------------------------------------
    torch.manual_seed(seed)
    net = GPT(cfg, n_ids, seed=seed).to(dev)
    decay = [p for p in net.parameters() if p.dim() >= 2]
    no_decay = [p for p in net.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": tc.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=tc.lr,
        betas=tc.betas,
        fused=fused_adamw(dev),
    )
    rows = ranks.rows(tc.batch_size)  # this process's block of every global batch
    wrapped = ranks.wrap(net, dev)
    forward = torch.compile(wrapped) if compile else wrapped
    autocast = (torch.autocast(device_type="cuda", dtype=torch.bfloat16) if amp == "bf16" and dev.type == "cuda"
                else contextlib.nullcontext())
    rows_per_micro = max(1, min(rows.stop - rows.start, MAX_TRAIN_LOGITS // (cfg.context * n_ids)))

    curve_idx = _curve_subset(eval_texts, curve_eval_bytes)
    curve_docs = [eval_docs[i] for i in curve_idx]
    curve_texts = [eval_texts[i] for i in curve_idx]

    def eval_on(docs: list[list[int]], texts: list[str]) -> EvalResult:
        return evaluate_lm(net, docs, texts, context=cfg.context, sep_id=sep_id, vocab_size=n_ids, stride=eval_stride, device=dev)

    # --- resume ---------------------------------------------------------------------------------
    fingerprint = {
        "tokenizer": tokenizer.name, "vocab_size": n_ids, "stream_tokens": len(stream), "model": cfg.to_dict(),
        "train_config": asdict(tc), "budget": str(budget), "seed": seed, "steps": steps, "loss": loss_fn.spec,
    }
    ckpt_path = Path(checkpoint_dir) / CHECKPOINT_FILE if checkpoint_dir is not None else None
    start, wall, eval_seconds, curve = 0, 0.0, 0.0, []
    state = None
    if ranks.main and resume and ckpt_path is not None and ckpt_path.exists():
        state = torch.load(ckpt_path, map_location=dev if ranks.world == 1 else "cpu", weights_only=False)
    state = ranks.share(state)  # rank 0's checkpoint, on every rank
    if state is not None:
        if state["fingerprint"] != fingerprint:
            raise ValueError(f"{ckpt_path} is from a different run: {state['fingerprint']} != {fingerprint}")
        net.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["rng_cpu"])
        if dev.type == "cuda" and state.get("rng_cuda") is not None:
            torch.cuda.set_rng_state_all(state["rng_cuda"])
        start, wall, eval_seconds, curve = state["step"], state["wall_seconds"], state["eval_seconds"], state["curve"]
        assert state["data_position"] == start * tokens_per_step

    def save_checkpoint(step: int) -> None:
        state = {
            "fingerprint": fingerprint, "model": net.state_dict(), "optimizer": opt.state_dict(),
            "step": step, "data_position": step * tokens_per_step,  # schedule and data follow the step
            "rng_cpu": torch.get_rng_state(),
            "rng_cuda": torch.cuda.get_rng_state_all() if dev.type == "cuda" else None,
            "wall_seconds": wall, "eval_seconds": eval_seconds, "curve": curve,
        }
        # interrupted mid-write, the last whole checkpoint stays: never a half-written one
        atomic_write(ckpt_path, lambda p: torch.save(state, p))

    # --- the loop ---------------------------------------------------------------------------------
    net.train()
    # unit_scale turns the step counter into tokens, so the bar's rate reads in tokens/s.
    bar = tqdm(
        total=steps, initial=start, disable=not progress or not ranks.main, unit="tok", unit_scale=tokens_per_step,
        desc=f"train {tokenizer.name}", leave=False,
    )
    tick = time.perf_counter()
    for step in range(start, last_step):
        lr = lr_at(step, steps, tc)
        for group in opt.param_groups:
            group["lr"] = lr
        x, y = batch_at(stream, step, tc.batch_size, cfg.context)
        x, y = x[rows].to(dev, non_blocking=True), y[rows].to(dev, non_blocking=True)
        for r in range(0, len(x), rows_per_micro):
            with ranks.accumulate(wrapped, last=r + rows_per_micro >= len(x)):
                with autocast:
                    logits = forward(x[r : r + rows_per_micro])
                # Summed nats / tokens in this process's rows: micro-batch gradients add up to
                # the gradient of their mean loss, and DDP's average over the processes' equal
                # blocks makes it the global batch's
                batch_loss = loss_fn(logits.reshape(-1, n_ids).float(), y[r : r + rows_per_micro].reshape(-1)) / y.numel()
                batch_loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), tc.grad_clip)
        opt.step()
        opt.zero_grad(set_to_none=True)
        done = step + 1
        at_curve = ranks.main and (done % eval_every == 0 or done == steps)  # rank 0 evaluates and writes
        at_checkpoint = ranks.main and ckpt_path is not None and (done % checkpoint_every == 0 or done == last_step)
        if at_curve or at_checkpoint or done == last_step:
            # Stop the training clock: curve points and checkpoints are not training time.
            if dev.type == "cuda":
                torch.cuda.synchronize()
            now = time.perf_counter()
            wall += now - tick
            if at_curve:
                point = eval_on(curve_docs, curve_texts)
                tokens_seen = done * tokens_per_step
                curve.append({
                    "step": done, "tokens_seen": tokens_seen, "bytes_seen": tokens_seen * bytes_per_token,
                    "flops": tokens_seen * flops_per_token, "wall_seconds": wall, "bits_per_byte": point.bits_per_byte,
                })
                bar.set_postfix(bpb=f"{point.bits_per_byte:.3f}", refresh=False)
            if at_checkpoint:
                save_checkpoint(done)
            tick = time.perf_counter()
            eval_seconds += tick - now
        bar.update(1)
    bar.close()

    # --- final evaluation -----------------------------------------------------------------------
    t0 = time.perf_counter()
    final = eval_on(eval_docs, eval_texts) if ranks.main else None
    eval_seconds += time.perf_counter() - t0
    final, curve, wall, eval_seconds = ranks.share((final, curve, wall, eval_seconds))  # rank 0's, everywhere
    unigram = unigram_bits_per_byte(
        stream[stream != sep_id], np.fromiter(itertools.chain.from_iterable(eval_docs), dtype=np.int64),
        final.bytes, tokenizer.vocab_size,
    )
    tokens_seen = last_step * tokens_per_step
    train_flops = tokens_seen * flops_per_token
    return LMResult(
        tokenizer=tokenizer.name,
        vocab_size=tokenizer.vocab_size,
        bits_per_byte=final.bits_per_byte,
        token_perplexity=final.token_perplexity,
        word_perplexity=final.word_perplexity,
        unigram_bits_per_byte=unigram,
        eval_nats=final.nats,
        eval_bytes=final.bytes,
        eval_tokens=final.tokens,
        eval_words=final.words,
        train_tokens_seen=tokens_seen,
        train_bytes_seen=tokens_seen * bytes_per_token,
        train_flops=train_flops,
        flops_per_token=flops_per_token,
        tokens_per_step=tokens_per_step,
        steps=last_step,
        wall_seconds=wall,
        tokenize_seconds=tokenize_seconds,
        eval_seconds=eval_seconds,
        achieved_flops_per_second=train_flops / wall if wall > 0 else float("nan"),
        loss_function=loss_fn.describe(),
        model_config=cfg,
        train_config=tc,
        budget=budget,
        seed=seed,
        device=str(dev),
        torch_version=torch.__version__,
        n_params=net.num_params(non_embedding=False),
        non_embedding_params=net.num_params(non_embedding=True),
        curve=pd.DataFrame(curve, columns=["step", "tokens_seen", "bytes_seen", "flops", "wall_seconds", "bits_per_byte"]),
        doc_nats=final.doc_nats,
        doc_bytes=final.doc_bytes,
        doc_tokens=final.doc_tokens,
        amp=amp if amp == "bf16" and dev.type == "cuda" else None,
        loss=loss_fn.spec,
    )
