"""The training stage: the shared small LM trained under every tokenizer of a run, on the same text.

Every tokenizer gets the same training text (the corpora's train split), the same evaluation
documents (a fixed slice of their eval split, the same bytes for every tokenizer), the same model
shape, loss, optimizer, schedule, seeds and budget: only the tokenizer changes. Each seed is one
run (model initialisation and data order). What comes out:

* metric rows for ``metrics.csv``: per tokenizer, bits per byte averaged over seeds with its
  bootstrap interval over evaluation documents, the seed spread, perplexities beside it, the
  unigram baseline and the compute spent (:mod:`tokeff.metrics.training`);
* ``lm_runs.csv``: one row per (tokenizer, seed), with whether that run trained
  (:func:`tokeff.lm.compare.judge_run`) and its FLOP/s and MFU;
* ``lm_comparisons.csv``: every pair of trained tokenizers, with the paired interval of their
  difference, the seed spread, and the verdict of :func:`tokeff.lm.compare.compare`;
* ``curves.csv`` (per tokenizer, seed and step) and ``cost.csv`` (the cost model).

A tokenizer whose equal-compute budget (``flops=...``) buys fewer than
:attr:`~tokeff.lm.compare.Criterion.min_steps` steps is not trained: it is listed with the budget
it would need. One that trains but does not meet the
criterion is listed as untrained, with its numbers, and never ranked.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import results
from .corpus import Corpus, Document, train_texts
from .errors import TokeffError
from .record import CorpusRecord, TrainingRecord
from .settings import Settings, TrainSettings

if TYPE_CHECKING:
    from .adapters.base import Tokenizer
    from .cache import ResultsCache
    from .lm.compare import Criterion, DocLosses
    from .pipeline import Loaded

#: Tokenizers with more ids than this get no LM: the embedding would dwarf the model
#: (``chars`` has all of Unicode, 1,114,112 ids).
MAX_LM_VOCAB = 262_144



@dataclass
class Training:
    """What the training stage produced (see the module docstring)."""

    rows: pd.DataFrame
    curves: pd.DataFrame | None
    cost: pd.DataFrame | None
    runs: pd.DataFrame | None
    comparisons: pd.DataFrame | None
    record: TrainingRecord
    #: per tokenizer, its losses on the evaluation documents averaged over seeds, under the first
    #: training loss (for experiments that compare further, such as the study's Spearman rho)
    doc_losses: "dict[str, DocLosses] | None" = None
    #: with several training losses: bits per byte per (loss, tokenizer), and Kendall's tau
    #: between the tokenizer rankings under every two losses
    loss_table: pd.DataFrame | None = None
    loss_agreement: pd.DataFrame | None = None
    #: per tokenizer under the first training loss: bits per byte, its interval, the seed spread,
    #: seeds and whether every run trained (the rows of ``loss_table`` for that loss)
    summary: pd.DataFrame | None = None


def lm_eval_documents(corpora: Sequence[Corpus], eval_bytes: Sequence[int] | None = None,
                      per_corpus: int = TrainSettings.eval_bytes) -> list[Document]:
    """The LM's evaluation documents: from each corpus, every k-th eval document, k chosen so about
    ``per_corpus`` bytes are taken. A stride rather than a prefix, so that a corpus stored
    language by language (a parallel corpus) is scored in all its languages, not only the first
    one. ``eval_bytes``: each corpus's eval-split size in UTF-8 bytes when the caller has it (else
    it is counted). The training texts are the whole train split (``train_texts``)."""
    evals: list[Document] = []
    for i, c in enumerate(corpora):
        size = eval_bytes[i] if eval_bytes is not None else sum(len(t.encode("utf-8")) for t in c.texts("eval"))
        stride = max(1, math.ceil(size / per_corpus))
        evals += [d for k, d in enumerate(c.documents("eval")) if k % stride == 0]
    return evals


def check_training_settings(training: TrainSettings) -> None:
    """Fail with one line, before any work, on a budget or model preset the LM loop would refuse
    (it would otherwise only find out after the measurement pass)."""
    from .lm.budget import Budget
    from .lm.config import model_config

    if training.budget is not None:
        try:
            Budget.parse(training.budget)
        except ValueError as e:
            raise TokeffError(f"--budget {training.budget}: {e}; e.g. --budget steps=200") from None
    try:
        model_config(training.model)
    except ValueError as e:
        raise TokeffError(f"--model-size {training.model}: {e}") from None
    if not training.seeds:
        raise TokeffError("--seeds: give at least one seed")
    twice = sorted({s for s in training.seeds if training.seeds.count(s) > 1})
    if twice:
        raise TokeffError(f"--seeds: seed {twice[0]} is given twice; each seed is one run, give each once")


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in name)[:80]


#: The tables one (tokenizer, seed) run is cached as.
_RUN_PARTS = ("run", "curve", "docs")


@dataclass
class _Plan:
    """One tokenizer's place in the training stage: its compute per token and the steps it gets."""

    tokenizer: "Tokenizer"
    flops_per_token: float
    tokens_per_step: int
    steps: int | None  # None when the budget's steps depend on the text (bytes=...)
    equal_compute: bool  # the budget holds FLOPs equal, so a large vocabulary buys fewer steps


def _plan(tok: "Tokenizer", training: TrainSettings, budget: str) -> _Plan:
    from .lm.budget import Budget
    from .lm.config import model_config
    from .lm.train import TrainConfig

    cfg = model_config(training.model)
    tps = TrainConfig().batch_size * cfg.context
    fpt = cfg.flops_per_token(tok.vocab_size + 1)  # the separator id
    b = Budget.parse(budget)
    steps = None if b.kind == "bytes" else b.steps(tokens_per_step=tps, flops_per_token=fpt, bytes_per_token=1.0)
    return _Plan(tok, fpt, tps, steps, b.kind == "flops")


def train(loaded: "Loaded", described: Sequence[CorpusRecord], settings: Settings,
          cache: "ResultsCache | None" = None, *, folder: Path | None = None,
          note: Callable[[str], None] = print, criterion: "Criterion | None" = None) -> Training:
    """Train one LM per tokenizer, seed and loss, and judge the runs (see the module docstring).

    Writes ``curves.csv`` after every run, so an interrupted run keeps what finished, and
    checkpoints let a rerun resume the one in flight. With a results ``cache`` (keyed by the
    corpora's content, the tokenizer, the seed, the loss and every other training setting) a run
    already made under the same settings is not made again; its checkpoint folder is removed once
    its results are stored (the optimizer state of a large vocabulary is hundreds of megabytes).
    ``settings.refresh`` trains again and replaces what is cached."""
    from .lm import DEFAULT_BUDGET
    from .lm.compare import Criterion
    from .lm.distributed import launched
    from .lm.train import resolve_device

    import torch

    criterion = criterion or Criterion()
    training = settings.training or TrainSettings()
    corpora: list[Corpus] = loaded.corpora
    evals = lm_eval_documents(corpora, [d.bytes for d in described], training.eval_bytes)
    budget = str(training.budget or DEFAULT_BUDGET)
    stage = _Stage(training=training, budget=budget, device=resolve_device(training.device).type, corpora=corpora,
                   described=described, evals=evals, cache=cache, settings=settings, folder=folder, note=note,
                   ranks=launched(), train_texts=_Lazy(lambda: list(train_texts(corpora))))
    record = TrainingRecord(corpus=stage.corpus_name, budget=budget, model=training.model, seeds=list(training.seeds),
                            eval_texts=len(evals), eval_bytes=sum(len(d.text.encode("utf-8")) for d in evals),
                            processes=stage.ranks.world, threads=torch.get_num_threads())
    runs: list[dict[str, Any]] = []
    curves: list[pd.DataFrame] = []
    docs: dict[tuple[str, str, int], np.ndarray] = {}
    plans: list[_Plan] = []
    for tok in loaded.tokenizers:
        if tok.vocab_size > MAX_LM_VOCAB:
            note(f"no LM for {tok.name}: {tok.vocab_size:,} ids is too many for an embedding table")
            record.skipped.append({"tokenizer": tok.name, "reason": f"vocabulary of {tok.vocab_size} ids"})
            continue
        plan = _plan(tok, training, budget)
        # only an equal-compute budget decides the steps for the user: steps=N or tokens=N says them
        if plan.equal_compute and plan.steps is not None and plan.steps < criterion.min_steps:
            need = criterion.min_steps * plan.tokens_per_step * plan.flops_per_token
            reason = f"the budget buys {plan.steps} steps (fewer than {criterion.min_steps})"
            note(f"no LM for {tok.name}: {reason}; it needs a budget of about flops={need:.1e}")
            record.skipped.append({"tokenizer": tok.name, "reason": reason, "needed_flops": need})
            continue
        plans.append(plan)
    for loss in training.losses:
        for plan in plans:
            for seed in training.seeds:
                run, curve, doc_nats = stage.run(plan.tokenizer, seed, loss)
                runs.append(run)
                curves.append(curve)
                docs[(loss, plan.tokenizer.name, seed)] = doc_nats
                if folder is not None and stage.ranks.main:
                    results.write_csv(folder / results.CURVES_FILE, _curves(curves))
    peaks = [r["peak_flops_per_second"] for r in runs if results.finite(r.get("peak_flops_per_second"))]
    record.peak_flops_per_second = max(peaks) if peaks else None
    return _summarize(_Summary(plans, runs, curves, docs, evals, training, settings, record, criterion,
                               stage.corpus_name))


class _Lazy:
    """A value computed at its first use, then kept."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make, self.value = make, None

    def __call__(self) -> Any:
        if self.value is None:
            self.value = self.make()
        return self.value


@dataclass
class _Stage:
    """What every run of one training stage shares, and what it computes once for all of them:
    the training texts (read at the first run not cached; if all are, never), each tokenizer's
    fingerprint and ids of the texts, and the machine's matmul peak (at the first run trained)."""

    training: TrainSettings
    budget: str
    device: str
    corpora: Sequence[Corpus]
    described: Sequence[CorpusRecord]
    evals: list[Document]
    cache: "ResultsCache | None"
    settings: Settings
    folder: Path | None
    note: Callable[[str], None]
    ranks: Any
    train_texts: _Lazy
    prints: dict[str, str] = field(default_factory=dict)
    encoded: dict[str, tuple[list[list[int]], list[list[int]]]] = field(default_factory=dict)
    peak: float | None = None

    @property
    def corpus_name(self) -> str:
        return "+".join(c.name for c in self.corpora)

    def run(self, tok: "Tokenizer", seed: int, loss: str) -> tuple[dict[str, Any], pd.DataFrame, np.ndarray]:
        """One (tokenizer, seed, loss) run: from the cache, or trained (and stored). Under torchrun,
        rank 0's cache decides for every rank, and only rank 0 has a cache and removes checkpoints."""
        import torch

        if tok.name not in self.prints:
            self.prints[tok.name] = tok.fingerprint()
        # the key: every training setting, with this seed and loss, the device as it resolves here,
        # and the processes and threads that train (float sums differ with how work is split)
        keyed = replace(self.training, budget=self.budget, seeds=(seed,), losses=(loss,), device=self.device)
        entry = None
        if self.cache is not None:
            entry = self.cache.cached("train", _RUN_PARTS, corpus=self.corpus_name,
                                      corpora_content=[d.fingerprint for d in self.described], tokenizer=tok.name,
                                      tokenizer_content=self.prints[tok.name], settings=keyed,
                                      processes=self.ranks.world, threads=torch.get_num_threads())
        stored = self.ranks.share(None if self.settings.refresh or entry is None else entry.get())
        if stored is None:
            name = f"{tok.name}-seed{seed}" + (f"-{loss}" if loss != "ce" else "")
            ckpt = self.folder / "checkpoints" / _slug(name) if self.folder is not None else None
            stored = self._train(tok, seed, loss, ckpt)
            if entry is not None:
                entry.put(stored)
            if ckpt is not None and self.ranks.main:
                shutil.rmtree(ckpt, ignore_errors=True)
        else:
            self.note(f"{_what(tok.name, seed, loss)}: reusing the cached training run")
        run_table, curve, doc_table = stored
        run = run_table.iloc[0].to_dict()
        run["doc_tokens"] = doc_table["tokens"].to_numpy(dtype=np.int64)
        return run, curve, doc_table["nats"].to_numpy(dtype=np.float64)

    def _train(self, tok: "Tokenizer", seed: int, loss: str,
               ckpt: Path | None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """Train (or resume) one run; its run row, learning curve and per-document nats."""
        from .lm import train_lm
        from .lm.throughput import mfu, peak_flops

        training, texts = self.training, self.train_texts()
        eval_texts = [d.text for d in self.evals]
        if tok.name not in self.encoded:  # every seed and loss trains on the same ids
            self.encoded[tok.name] = (tok.encode_batch(texts), tok.encode_batch(eval_texts))
        if self.peak is None:
            self.peak = peak_flops(self.device, "bfloat16" if training.amp == "bf16" and self.device == "cuda"
                                   else "float32")
        kwargs = dict(model=training.model, budget=self.budget, seed=seed, device=training.device,
                      progress=self.settings.progress, amp=training.amp, compile=training.compile, loss=loss,
                      encoded=self.encoded[tok.name])
        what = _what(tok.name, seed, loss)
        if ckpt is not None and (ckpt / "checkpoint.pt").exists():
            self.note(f"{what}: resuming from the checkpoint in {ckpt}")
        try:
            result = train_lm(tok, texts, eval_texts, checkpoint_dir=ckpt, resume=ckpt is not None, **kwargs)
        except ValueError as e:
            if ckpt is None or "different run" not in str(e):
                raise
            self.note(f"{what}: the checkpoint in {ckpt} is from other settings; starting afresh")
            shutil.rmtree(ckpt, ignore_errors=True)
            result = train_lm(tok, texts, eval_texts, checkpoint_dir=ckpt, resume=True, **kwargs)
        self.note(f"trained {what}: {result.bits_per_byte:.3f} bits/byte after {result.steps} steps "
                  f"({result.train_bytes_seen / 1e6:.2f} MB seen, {result.wall_seconds:.1f} s)")
        run = pd.DataFrame([{
            "tokenizer": tok.name, "seed": seed, "loss": loss, "vocab_size": tok.vocab_size, "steps": result.steps,
            "bits_per_byte": result.bits_per_byte, "unigram_bits_per_byte": result.unigram_bits_per_byte,
            "token_perplexity": result.token_perplexity, "word_perplexity": result.word_perplexity,
            "eval_nats": result.eval_nats, "eval_tokens": result.eval_tokens, "eval_bytes": result.eval_bytes,
            "eval_words": result.eval_words, "train_flops": result.train_flops,
            "train_tokens_seen": result.train_tokens_seen, "train_bytes_seen": result.train_bytes_seen,
            "flops_per_token": result.flops_per_token, "tokens_per_step": result.tokens_per_step,
            "wall_seconds": round(result.wall_seconds, 3), "achieved_flops_per_second": result.achieved_flops_per_second,
            "peak_flops_per_second": self.peak, "mfu": mfu(result.achieved_flops_per_second, self.peak),
            "loss_function": result.loss_function, "device": result.device, "train_texts": len(texts),
            "model_config": json.dumps(result.model_config.to_dict()),
        }])
        curve = result.curve.assign(tokenizer=tok.name, seed=seed, loss=loss)
        return run, curve, pd.DataFrame({"nats": result.doc_nats, "tokens": result.doc_tokens})


def _what(name: str, seed: int, loss: str) -> str:
    return f"{name} (seed {seed}" + (f", loss {loss})" if loss != "ce" else ")")


#: Columns of ``lm_runs.csv``, in order.
RUN_COLUMNS = ["tokenizer", "seed", "loss", "vocab_size", "steps", "trained", "reason", "bits_per_byte", "unigram_bits_per_byte",
               "token_perplexity", "word_perplexity", "train_flops", "train_tokens_seen", "train_bytes_seen",
               "flops_per_token", "wall_seconds", "achieved_flops_per_second", "peak_flops_per_second", "mfu"]


@dataclass
class _Summary:
    """Everything one training stage ran, for :func:`_summarize`."""

    plans: list[_Plan]
    runs: list[dict[str, Any]]
    curves: list[pd.DataFrame]
    docs: dict[tuple[str, str, int], np.ndarray]
    evals: list[Document]
    training: TrainSettings
    settings: Settings
    record: TrainingRecord
    criterion: "Criterion"
    corpus_name: str


def _summarize(t: _Summary) -> Training:
    """Judge every run, average over seeds with intervals, compare the trained tokenizers (under
    each loss), and say whether the ranking of tokenizers survives the loss."""
    plans, runs, curves, docs, evals = t.plans, t.runs, t.curves, t.docs, t.evals
    training, settings, record, criterion, corpus_name = t.training, t.settings, t.record, t.criterion, t.corpus_name
    from .docid import doc_keys
    from .lm.compare import judge_run
    from .metrics.bootstrap import Bootstrap

    m = settings.metrics
    boot = Bootstrap(m.bootstrap_replicates, m.confidence, m.seed)
    slots = doc_keys([d.doc_id or f"#{i}" for i, d in enumerate(evals)])
    doc_bytes = np.fromiter((len(d.text.encode("utf-8")) for d in evals), dtype=np.int64, count=len(evals))
    for run in runs:
        curve = next(c for c in curves if (c["tokenizer"].iloc[0], c["seed"].iloc[0], c["loss"].iloc[0])
                     == (run["tokenizer"], run["seed"], run["loss"]))
        verdict = judge_run(list(zip(curve["step"], curve["bits_per_byte"])), int(run["steps"]), run["bits_per_byte"],
                            run["unigram_bits_per_byte"], criterion)
        run["trained"], run["reason"] = verdict.trained, verdict.reason
    trained_steps = [int(r["steps"]) for r in runs if r["trained"]]
    per_loss = {loss: _one_loss(loss, plans, [r for r in runs if r["loss"] == loss], docs, doc_bytes, slots, boot,
                                criterion, trained_steps, corpus_name, len(evals))
                for loss in training.losses}
    main = per_loss[training.losses[0]]
    record.skipped += main.skipped
    first_run = runs[0] if runs else {}
    record.loss_function = "; ".join(dict.fromkeys(str(r.get("loss_function", "")) for r in runs))
    record.device = str(first_run.get("device", ""))
    record.train_texts = int(first_run.get("train_texts", 0) or 0)
    record.model_config = json.loads(first_run["model_config"]) if runs else {}
    record.runs = [{k: _plain(r[k]) for k in ("tokenizer", "seed", "loss", "steps", "trained", "reason", "wall_seconds",
                                              "train_flops", "tokens_per_step", "achieved_flops_per_second", "mfu")
                    if k in r} for r in runs]
    runs_table = pd.DataFrame(runs, columns=RUN_COLUMNS) if runs else None
    comparisons = [c for part in per_loss.values() for c in part.comparisons]
    comparison_table = pd.DataFrame(comparisons) if comparisons else None
    losses_table = agreement = None
    if len(training.losses) > 1:
        losses_table = pd.DataFrame([row for part in per_loss.values() for row in part.summary])
        agreement = _loss_agreement(per_loss, runs, boot)
    table = results.tidy(main.rows) if main.rows else pd.DataFrame(columns=results.METRIC_COLUMNS)
    return Training(table, _curves(curves) if curves else None, main.cost, runs_table, comparison_table, record,
                    main.losses, losses_table, agreement, pd.DataFrame(main.summary) if main.summary else None)


@dataclass
class _LossSummary:
    """One training loss's results: metric rows, the per-tokenizer summary, comparisons."""

    rows: list[dict[str, Any]]
    summary: list[dict[str, Any]]
    comparisons: list[dict[str, Any]]
    losses: dict[str, Any]
    trained: list[str]
    skipped: list[dict[str, Any]]
    cost: pd.DataFrame | None


def _one_loss(loss: str, plans: list[_Plan], runs: list[dict[str, Any]], docs: dict[tuple[str, str, int], np.ndarray],
              doc_bytes: np.ndarray, slots: np.ndarray, boot: Any, criterion: "Criterion", trained_steps: list[int],
              corpus_name: str, n_docs: int) -> _LossSummary:
    """Average one loss's runs over seeds with intervals, and compare the tokenizers that trained."""
    from .lm import cost_table
    from .lm.compare import DocLosses, bpb_interval, compare, needed_flops, seed_sd, steps_to_train
    from .metrics.training import (BITS_PER_BYTE, BITS_PER_BYTE_SEED_SD, TOKEN_PERPLEXITY, TRAIN_BYTES_SEEN,
                                   TRAIN_FLOPS, TRAIN_TOKENS_SEEN, UNIGRAM_BITS_PER_BYTE, WORD_PERPLEXITY)

    rows: list[dict[str, Any]] = []
    summary: list[dict[str, Any]] = []
    losses: dict[str, DocLosses] = {}
    seed_bpb: dict[str, list[float]] = {}
    skipped: list[dict[str, Any]] = []
    costs: list[pd.DataFrame] = []
    for plan in plans:
        name = plan.tokenizer.name
        mine = [r for r in runs if r["tokenizer"] == name]
        if not mine:
            continue
        first = mine[0]
        nats = np.mean([docs[(loss, name, r["seed"])] for r in mine], axis=0)
        losses[name] = DocLosses(nats, doc_bytes, slots, first["doc_tokens"])
        seed_bpb[name] = [float(r["bits_per_byte"]) for r in mine]
        value, lo, hi = bpb_interval(losses[name], boot)
        sd = seed_sd(seed_bpb[name])
        untrained = [r for r in mine if not r["trained"]]
        note = f"seeds={len(mine)}" + (f"; seed sd={sd:.4f}" if len(mine) > 1 else "")
        if loss != "ce":
            note = f"loss={loss}; " + note
        if untrained:
            need = needed_flops(steps_to_train(int(first["steps"]), trained_steps), plan.tokens_per_step,
                                plan.flops_per_token)
            why = untrained[0]["reason"]
            note += f"; untrained: {why}; needs about flops={need:.1e}"
            skipped.append({"tokenizer": name, "reason": f"did not train: {why}", "needed_flops": need,
                            "trained_but_not_ranked": True})
        summary.append({"loss": loss, "tokenizer": name, "bits_per_byte": value, "ci_low": lo, "ci_high": hi,
                        "seed_sd": sd, "seeds": len(mine), "trained": not untrained})
        eval_tokens, eval_words = int(first["eval_tokens"]), int(first["eval_words"])
        mean_nats = float(nats.sum())
        base = dict(corpus=corpus_name, language="all", tokenizer=name)
        out = [BITS_PER_BYTE.row("all", value, lo, hi, n_docs, note),
               TOKEN_PERPLEXITY.row("all", _exp(mean_nats / eval_tokens) if eval_tokens else math.nan, n=eval_tokens),
               WORD_PERPLEXITY.row("all", _exp(mean_nats / eval_words) if eval_words else math.nan, n=eval_words),
               UNIGRAM_BITS_PER_BYTE.row("all", float(first["unigram_bits_per_byte"]), n=eval_tokens),
               TRAIN_FLOPS.row("all", float(first["train_flops"]), n=int(first["steps"])),
               TRAIN_BYTES_SEEN.row("all", float(first["train_bytes_seen"]), n=int(first["steps"])),
               TRAIN_TOKENS_SEEN.row("all", float(first["train_tokens_seen"]), n=int(first["steps"]))]
        if len(mine) > 1:
            out.append(BITS_PER_BYTE_SEED_SD.row("all", sd, n=len(mine)))
        rows += [{**base, **r.as_dict()} for r in out]
        costs.append(cost_table(eval_tokens / int(first["eval_bytes"]), eval_tokens / max(1, eval_words),
                                plan.tokenizer.vocab_size, tokenizer=name))
    # every pair of tokenizers all of whose runs trained
    ranked = [n for n in losses if all(r["trained"] for r in runs if r["tokenizer"] == n)]
    ranked.sort(key=lambda n: losses[n].bits_per_byte)
    comparisons = [{"loss": loss, **asdict(compare(a, b, losses[a], losses[b], seed_bpb[a], seed_bpb[b], boot, criterion))}
                   for a, b in combinations(ranked, 2)]
    cost = pd.concat(costs, ignore_index=True) if costs else None
    return _LossSummary(rows, summary, comparisons, losses, ranked, skipped, cost)


def _loss_agreement(per_loss: dict[str, _LossSummary], runs: list[dict[str, Any]], boot: Any) -> pd.DataFrame | None:
    """Kendall's τ between the rankings of the tokenizers (by bits per byte) under every two
    losses, over the tokenizers that trained under both: its interval over evaluation documents
    (paired replicates) and, with two seeds or more, over seeds (:func:`tokeff.lm.ranking.ranking_agreement`)."""
    from .lm.compare import doc_weights, kendall_interval, replicates
    from .lm.ranking import ranking_agreement

    out = []
    names = list(per_loss)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            both = [t for t in per_loss[a].trained if t in per_loss[b].trained]
            row: dict[str, Any] = {"a": a, "b": b, "tokenizers": len(both)}
            if len(both) < 3:
                row.update(tau=math.nan, ci_low=math.nan, ci_high=math.nan, seed_ci_low=math.nan,
                           seed_ci_high=math.nan, note="fewer than 3 tokenizers trained under both losses")
                out.append(row)
                continue
            x = np.array([per_loss[a].losses[t].bits_per_byte for t in both])
            y = np.array([per_loss[b].losses[t].bits_per_byte for t in both])
            xr = yr = None
            if boot.replicates > 0:
                w = doc_weights(per_loss[a].losses[both[0]].slots, boot)
                xr = np.stack([replicates(per_loss[a].losses[t], boot, w) for t in both], axis=1)
                yr = np.stack([replicates(per_loss[b].losses[t], boot, w) for t in both], axis=1)
            tau, lo, hi = kendall_interval(xr, yr, x, y, boot)
            row.update(tau=tau, ci_low=lo, ci_high=hi, seed_ci_low=math.nan, seed_ci_high=math.nan, note="")
            table = pd.DataFrame([r for r in runs if r["loss"] in (a, b) and r["tokenizer"] in both],
                                 columns=["tokenizer", "loss", "seed", "bits_per_byte"])
            if table["seed"].nunique() >= 2:
                seeds = ranking_agreement(table, replicates=boot.replicates, confidence=boot.confidence,
                                          rng_seed=boot.seed)
                if len(seeds):
                    row.update(seed_ci_low=float(seeds["ci_low"].iloc[0]), seed_ci_high=float(seeds["ci_high"].iloc[0]))
            out.append(row)
    return pd.DataFrame(out) if out else None


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def _curves(curves: list[pd.DataFrame]) -> pd.DataFrame:
    df = pd.concat(curves, ignore_index=True)
    first = ["tokenizer", "seed", "loss"]
    return df[first + [c for c in df.columns if c not in first]]
