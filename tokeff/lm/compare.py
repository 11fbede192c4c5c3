"""When a trained comparison is evidence: intervals, seed spread, and which runs count as trained.

A comparison of tokenizers by bits per byte is only a finding when (1) the models trained, and
(2) the difference is larger than what the evaluation text and the training seed alone would
move it by. This module holds the three tests, defined once:

**Trained** (:func:`judge_run`). A run counts as trained when it beats its unigram baseline
clearly, ``bpb ≤ (1 − beat_unigram) · unigram_bpb`` (a model that ignores context gets the
unigram's bits per byte), and its learning curve has flattened: over the last quarter of the run
bits per byte improved by less than ``flat_share`` of its value at the three-quarter point. A
run with fewer than :attr:`Criterion.min_steps` steps is not trained at all (the budget buys it
too few updates); what budget it would need follows from the FLOPs formula
(:func:`needed_flops`).

**Interval over evaluation documents** (:func:`bpb_interval`, :func:`paired_difference`). Bits per
byte is Σ_d nats(d) / (ln 2 · Σ_d bytes(d)) over evaluation documents d, a ratio of sums like the
intrinsic metrics, and gets the same hashed Poisson bootstrap
(:mod:`tokeff.metrics.bootstrap`): a document's weight in replicate r depends only on its id, so
every tokenizer is resampled on the same documents and the interval of a *difference* between two
tokenizers is the paired one (Koehn 2004, "Statistical significance tests for machine
translation evaluation", for the paired bootstrap over test items). With several seeds, each
document's nats are first averaged over the seeds.

**Seed spread** (:func:`compare`). Training seeds change the model's initialisation and the data
order; a difference that the choice of seed could produce is not a finding. With seeds s = 1..k
shared by both tokenizers, the per-seed differences Δ_s = bpb_A,s − bpb_B,s have a standard
deviation sd(Δ); the difference exceeds the seed spread when |mean Δ| > ``seed_sds`` · sd(Δ).

One tokenizer is called better than another only when both tests pass; :class:`Comparison` says
which test decided.

**Rank agreement** (:func:`spearman_interval`, :func:`kendall_interval`): whether two orderings of
the tokenizers agree (compression against bits per byte; bits per byte under two training
losses), with an interval from the same paired document replicates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..metrics.bootstrap import SLOTS, Bootstrap, percentiles

LN2 = math.log(2)


@dataclass(frozen=True)
class Criterion:
    """The thresholds of the three tests (see the module docstring).

    Attributes:
        beat_unigram: a trained run's bits per byte is at most ``1 − beat_unigram`` times its
            unigram baseline's.
        flat_share: over the last quarter of a trained run, bits per byte improved by less than
            this share of its value at three quarters.
        min_steps: fewer optimizer steps than this is no training (the run is not started).
        seed_sds: a difference exceeds the seed spread when it is larger than this many standard
            deviations of the per-seed differences.
    """

    beat_unigram: float = 0.05
    flat_share: float = 0.05
    min_steps: int = 50
    seed_sds: float = 2.0


@dataclass(frozen=True)
class RunVerdict:
    """Whether one run trained, and why not."""

    trained: bool
    reason: str = ""


def judge_run(curve: Sequence[tuple[int, float]], steps: int, bits_per_byte: float, unigram: float,
              criterion: Criterion = Criterion()) -> RunVerdict:
    """Whether a run counts as trained. ``curve``: (step, bits per byte) points of its learning
    curve (on a fixed slice of the evaluation text), in step order."""
    if steps < criterion.min_steps:
        return RunVerdict(False, f"{steps} steps (fewer than {criterion.min_steps})")
    if not math.isfinite(bits_per_byte) or bits_per_byte > (1 - criterion.beat_unigram) * unigram:
        return RunVerdict(False, f"{bits_per_byte:.3f} bits/byte is not {criterion.beat_unigram:.0%} below its "
                                 f"unigram baseline ({unigram:.3f})")
    points = sorted(curve)
    if len(points) < 2:
        return RunVerdict(False, "too few curve points to see it flatten")
    last_step, last = points[-1]
    mid_step, mid = min(points[:-1], key=lambda p: abs(p[0] - 0.75 * last_step))
    gain = (mid - last) / mid if mid > 0 else 0.0
    if gain >= criterion.flat_share:
        return RunVerdict(False, f"still learning: bits per byte fell {gain:.1%} from step {mid_step} to {last_step} "
                                 f"(flat means < {criterion.flat_share:.0%})")
    return RunVerdict(True)


def needed_flops(steps: int, tokens_per_step: int, flops_per_token: float) -> float:
    """Training FLOPs of ``steps`` optimizer steps at this vocabulary: steps × tokens per step ×
    flops per token (:meth:`tokeff.lm.model.ModelConfig.flops_per_token`)."""
    return float(steps) * tokens_per_step * flops_per_token


def steps_to_train(steps: int, trained_steps: Sequence[int]) -> int:
    """An estimate of the steps a run that did not train would need: the fewest steps among the
    trained runs that had more than it (they show what sufficed at this budget), else twice its own
    (a run still learning at its end needs a later last quarter; no trained run says how much)."""
    longer = [s for s in trained_steps if s > steps]
    return min(longer) if longer else max(2 * steps, steps + 1)


@dataclass
class DocLosses:
    """One tokenizer's losses on the evaluation documents (averaged over its seeds).

    Attributes:
        nats: nats per document; bytes: UTF-8 bytes per document (the same for every tokenizer);
        slots: each document's bootstrap slot (from its id, :func:`tokeff.docid.doc_key`);
        tokens: the tokenizer's tokens per document, when known (for compression on the same
            documents, :func:`compression_replicates`).
    """

    nats: np.ndarray
    bytes: np.ndarray
    slots: np.ndarray
    tokens: np.ndarray | None = None

    @property
    def bits_per_byte(self) -> float:
        return float(self.nats.sum() / (LN2 * self.bytes.sum()))


def doc_weights(slots: np.ndarray, boot: Bootstrap) -> np.ndarray:
    """The bootstrap weights of documents by their slots, shape ``(documents, B)``: the same for
    every tokenizer and loss, which is what makes every interval here a paired one."""
    return boot.weights(np.asarray(slots, dtype=np.int64) & (SLOTS - 1))


def replicates(losses: DocLosses, boot: Bootstrap, weights: np.ndarray | None = None) -> np.ndarray:
    """Bits per byte in each bootstrap replicate, shape ``(B,)``."""
    w = doc_weights(losses.slots, boot) if weights is None else weights
    with np.errstate(divide="ignore", invalid="ignore"):
        return (w.T @ losses.nats) / (LN2 * (w.T @ losses.bytes.astype(np.float64)))


def compression_replicates(losses: DocLosses, boot: Bootstrap, weights: np.ndarray | None = None) -> np.ndarray:
    """Bytes per token on the evaluation documents in each bootstrap replicate, shape ``(B,)``."""
    if losses.tokens is None:
        raise ValueError("these losses carry no token counts")
    w = doc_weights(losses.slots, boot) if weights is None else weights
    with np.errstate(divide="ignore", invalid="ignore"):
        return (w.T @ losses.bytes.astype(np.float64)) / (w.T @ losses.tokens.astype(np.float64))


def bpb_interval(losses: DocLosses, boot: Bootstrap) -> tuple[float, float, float]:
    """Bits per byte and its bootstrap interval over documents: (value, low, high)."""
    if boot.replicates <= 0:
        return losses.bits_per_byte, math.nan, math.nan
    lo, hi = boot.interval(replicates(losses, boot))
    return losses.bits_per_byte, lo, hi


def paired_difference(a: DocLosses, b: DocLosses, boot: Bootstrap) -> tuple[float, float, float]:
    """bpb(a) − bpb(b) and its paired interval: both resampled with the same document weights."""
    if len(a.slots) != len(b.slots) or not np.array_equal(a.slots, b.slots):
        raise ValueError("a paired difference needs the same evaluation documents on both sides")
    diff = a.bits_per_byte - b.bits_per_byte
    if boot.replicates <= 0:
        return diff, math.nan, math.nan
    w = doc_weights(a.slots, boot)
    lo, hi = boot.interval(replicates(a, boot, w) - replicates(b, boot, w))
    return diff, lo, hi


def seed_sd(values: Sequence[float]) -> float:
    """Sample standard deviation over seeds (NaN with fewer than two)."""
    v = np.asarray(values, dtype=np.float64)
    return float(v.std(ddof=1)) if len(v) >= 2 else math.nan


@dataclass(frozen=True)
class Comparison:
    """Tokenizer ``a`` against ``b`` by bits per byte (a negative difference: ``a`` is better).

    ``verdict`` is ``"a"``, ``"b"`` (the better one) or ``""`` (not separated); ``decided_by`` says
    which test decided, in words a report can print.
    """

    a: str
    b: str
    difference: float
    ci_low: float
    ci_high: float
    seed_sd: float
    seeds: int
    verdict: str
    decided_by: str


def compare(a: str, b: str, losses_a: DocLosses, losses_b: DocLosses, seeds_a: Sequence[float],
            seeds_b: Sequence[float], boot: Bootstrap, criterion: Criterion = Criterion()) -> Comparison:
    """Whether ``a`` or ``b`` has the lower bits per byte by both tests (module docstring).
    ``seeds_a``/``seeds_b``: bits per byte of each seed's run, seed by seed (the same seeds)."""
    diff, lo, hi = paired_difference(losses_a, losses_b, boot)
    per_seed = [x - y for x, y in zip(seeds_a, seeds_b)]
    sd = seed_sd(per_seed)
    k = len(per_seed)
    interval_excludes_zero = math.isfinite(lo) and (hi < 0 or lo > 0)
    if not math.isfinite(lo):
        verdict, why = "", "no interval (bootstrap off)"
    elif not interval_excludes_zero:
        verdict, why = "", "the paired interval of the difference includes 0"
    elif k < 2:
        verdict, why = "", "one seed: the seed spread is unknown (train with --seeds 2 or more)"
    elif abs(diff) <= criterion.seed_sds * sd:
        verdict, why = "", (f"the difference is within {criterion.seed_sds:g} standard deviations of the per-seed "
                            "differences")
    else:
        verdict = a if diff < 0 else b
        why = (f"the paired interval excludes 0 and the difference exceeds {criterion.seed_sds:g} standard deviations "
               "of the per-seed differences")
    return Comparison(a, b, diff, lo, hi, sd, k, verdict, why)


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rank correlation of two vectors (average ranks for ties)."""
    rx, ry = _ranks(np.asarray(x, dtype=np.float64)), _ranks(np.asarray(y, dtype=np.float64))
    if rx.std() == 0 or ry.std() == 0:
        return math.nan
    return float(np.corrcoef(rx, ry)[0, 1])


def _ranks(v: np.ndarray) -> np.ndarray:
    order = np.argsort(v, kind="stable")
    ranks = np.empty(len(v), dtype=np.float64)
    ranks[order] = np.arange(len(v), dtype=np.float64)
    for value in np.unique(v):  # ties share their average rank
        same = v == value
        if same.sum() > 1:
            ranks[same] = ranks[same].mean()
    return ranks


def kendall_tau(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> np.ndarray | float:
    """Kendall's τ-b between scorings ``x`` and ``y`` of the same items (the last axis; leading
    axes are batches, e.g. bootstrap replicates). Kendall 1945::

        τ_b = (C − D) / sqrt((n₀ − t_x)(n₀ − t_y))

    over the ``n₀ = n(n − 1)/2`` pairs of items: ``C`` ordered the same way by both, ``D`` the
    opposite way, ``t_x``, ``t_y`` tied in one. 1: the same ranking, −1: reversed; with 4 items one
    swapped pair moves it by 1/3. NaN when either scoring ranks nothing (all tied, < 2 items)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    i, j = np.triu_indices(x.shape[-1], k=1)
    sx, sy = np.sign(x[..., i] - x[..., j]), np.sign(y[..., i] - y[..., j])
    with np.errstate(invalid="ignore", divide="ignore"):
        tau = (sx * sy).sum(-1) / np.sqrt((sx != 0).sum(-1) * (sy != 0).sum(-1))
    return float(tau) if np.ndim(tau) == 0 else tau


def kendall_interval(x_replicates: np.ndarray | None, y_replicates: np.ndarray | None, x: np.ndarray, y: np.ndarray,
                     boot: Bootstrap) -> tuple[float, float, float]:
    """Kendall's τ between ``x`` and ``y`` (one value per tokenizer, e.g. bits per byte under two
    training losses) and its interval from paired replicates, shape ``(B, tokenizers)`` each (the
    same document weights in both), as :func:`spearman_interval`."""
    tau = kendall_tau(x, y)
    if boot.replicates <= 0 or len(x) < 3:
        return tau, math.nan, math.nan
    lo, hi = boot.interval(np.asarray(kendall_tau(x_replicates, y_replicates)))
    return tau, lo, hi


def spearman_interval(x_replicates: np.ndarray, y_replicates: np.ndarray, x: np.ndarray, y: np.ndarray,
                      boot: Bootstrap) -> tuple[float, float, float]:
    """Spearman's ρ between ``x`` and ``y`` (one value per tokenizer) and its interval from paired
    replicates, shape ``(B, tokenizers)`` each (the same document weights in both)."""
    rho = spearman(x, y)
    if boot.replicates <= 0 or len(x) < 3:
        return rho, math.nan, math.nan
    reps = np.array([spearman(xr, yr) for xr, yr in zip(x_replicates, y_replicates)])
    lo, hi = boot.interval(reps)
    return rho, lo, hi


__all__ = ["Criterion", "RunVerdict", "judge_run", "needed_flops", "steps_to_train", "DocLosses", "replicates", "compression_replicates", "bpb_interval",
           "paired_difference", "seed_sd", "Comparison", "compare", "spearman", "spearman_interval", "kendall_tau",
           "kendall_interval", "percentiles"]
