"""Confidence intervals for ratio metrics: a hashed Poisson bootstrap over documents.

Almost every tokenizer metric is a *ratio of sums over documents*: bytes per token is
Σ_d bytes(d) / Σ_d tokens(d), fertility is Σ tokens / Σ words, a premium is
Σ_lines tokens(L) / Σ_lines tokens(reference). The unit of sampling is the document (for a
parallel corpus, the aligned line), so the interval must resample documents, not tokens: tokens
of one document are not independent draws.

**Poisson bootstrap** (Hanley & MacGibbon 2006; Chamandy et al. 2012, "Estimating uncertainty for
massive data streams"). Instead of drawing n documents with replacement, every document gets, in
replicate r, an independent weight w_{d,r} ~ Poisson(1); replicate r's ratio is
Σ_d w_{d,r} x_d / Σ_d w_{d,r} y_d. For n beyond a few dozen this matches the multinomial
bootstrap, and it needs no knowledge of n, so it streams.

**Hashed weights.** w_{d,r} is a deterministic function of (seed, slot(d), r), where
slot(d) = the low 16 bits of a BLAKE2b hash of the ``doc_id`` (:func:`tokeff.docid.doc_key`). Hence:

* The state per stratum (language) is one vector of integer sums *per occupied slot*
  (:class:`SlotSums`), at most 65,536 of them whatever the corpus size: memory is flat, and
  because the sums are integers, merging shards is exact and order-free.
* The same document gets the same weights in every tokenizer and every language (aligned lines
  share their ``doc_id``), so ratios *across* tokenizers (normalized sequence length) and
  *across* languages (premium) use paired replicates for free.
* Documents whose ids share a slot share their weights: the resampling unit becomes a random
  group of documents. Random grouping keeps the bootstrap valid (group totals are still
  i.i.d.), and for evaluation sets of up to a few thousand documents collisions are rare.

The interval is the percentile interval of the B replicate ratios (default B = 1000, 95 %).
Replicates whose denominator is zero are left out.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

#: Number of hash slots (resampling groups); a power of two.
SLOTS = 1 << 16

_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def sum_by_key(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ``keys`` (sorted) and, for each, the sum of its rows of ``values`` (int64:
    exact, so any grouping of the same rows into shards gives the same sums)."""
    uniq, inverse = np.unique(keys, return_inverse=True)
    sums = np.zeros((len(uniq),) + values.shape[1:], dtype=np.int64)
    np.add.at(sums, inverse.reshape(-1), values)
    return uniq, sums


def with_room(array: np.ndarray, filled: int, rows: int, cap: int | None = None) -> np.ndarray:
    """``array`` if it has ``rows`` rows, else a larger copy of its first ``filled`` rows (twice
    the size, at most ``cap``): for tables that grow a few rows at a time, where concatenating
    each time would copy the whole table again."""
    if rows <= len(array):
        return array
    size = max(rows, 2 * len(array))
    grown = np.empty((min(size, cap) if cap else size,) + array.shape[1:], dtype=array.dtype)
    grown[:filled] = array[:filled]
    return grown


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """The SplitMix64 finalizer (Steele et al. 2014) on uint64 arrays: a fast, well-mixed hash.
    Works in place: ``x`` is overwritten and returned."""
    x += np.uint64(0x9E3779B97F4A7C15)
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


# CDF of Poisson(1) at k = 0..15 as thresholds on a uniform 64-bit hash: the weight is the
# number of thresholds the hash reaches (inverse-CDF sampling). P(weight > 15) < 1e-13: the
# truncation is never met in practice.
_POISSON1_CDF = np.cumsum([math.exp(-1.0) / math.factorial(k) for k in range(16)])
_THRESHOLDS = [np.uint64(min(int(c * 2.0**64), 2**64 - 1)) for c in _POISSON1_CDF]
_TAIL_THRESHOLDS = np.asarray(_THRESHOLDS[3:], dtype=np.uint64)

#: Slots hashed at a time: 64 x 1000 replicates of uint64 is 512 KB, so the dozen passes over a
#: block and its temporaries stay in the core's own cache.
_BLOCK = 64


def poisson_weights(slots: np.ndarray, replicates: int, seed: int) -> np.ndarray:
    """Poisson(1) weights, shape ``(len(slots), replicates)``, a pure function of (seed, slot, r)."""
    out = np.empty((len(slots), replicates), dtype=np.uint8)
    with np.errstate(over="ignore"):
        base = _splitmix64(np.asarray([seed & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64))[0]
        r = np.arange(replicates, dtype=np.uint64)[None, :] * np.uint64(0x8CB92BA72F3D8DD7)
        for start in range(0, len(slots), _BLOCK):
            s = np.asarray(slots[start:start + _BLOCK], dtype=np.uint64)[:, None] * np.uint64(0xD1B54A32D192ED03)
            s ^= base
            h = _splitmix64(_splitmix64(s) + r)
            # The weight is the number of thresholds h reaches. Three comparisons over the block
            # settle 92 % of the entries (weights 0-2); only the rest are looked up among the
            # remaining thirteen thresholds: the same integers as sixteen full comparisons.
            w = out[start:start + _BLOCK]
            np.greater_equal(h, _THRESHOLDS[0], out=w.view(bool))
            w += h >= _THRESHOLDS[1]
            w += h >= _THRESHOLDS[2]
            flat_h, flat_w = h.reshape(-1), w.reshape(-1)
            tail = np.flatnonzero(flat_h >= _THRESHOLDS[3])
            flat_w[tail] += np.searchsorted(_TAIL_THRESHOLDS, flat_h[tail], side="right").astype(np.uint8)
    return out


def interval(replicate_values: np.ndarray, confidence: float) -> tuple[float, float]:
    """Central percentile interval at ``confidence`` of the finite replicate values (NaN, NaN when
    there are none)."""
    v = np.asarray(replicate_values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return math.nan, math.nan
    a = (1.0 - confidence) / 2.0
    return percentiles(v, (a, 1.0 - a))


@dataclass
class Bootstrap:
    """Settings of the interval, and the weights of the slots seen so far.

    Weights are computed once per slot and kept as a row of B uint8, in a table that holds only
    the slots asked for (at most 65,536 × B bytes however large the corpus; a table of every
    slot up front would pay its page faults in every measurement).
    """

    replicates: int = 1000
    confidence: float = 0.95
    seed: int = 0
    _table: np.ndarray | None = field(default=None, repr=False, compare=False)
    _rows: int = field(default=0, repr=False, compare=False)
    _row_of: np.ndarray | None = field(default=None, repr=False, compare=False)

    def weights(self, slots: np.ndarray) -> np.ndarray:
        """float64 weights of ``slots``, shape ``(len(slots), B)``."""
        if self._row_of is None:
            self._row_of = np.full(SLOTS, -1, dtype=np.int64)
            self._table = np.empty((0, self.replicates), dtype=np.uint8)
        missing = np.unique(slots[self._row_of[slots] < 0])
        if len(missing):
            need = self._rows + len(missing)
            self._table = with_room(self._table, self._rows, need, SLOTS)  # blocks come a few thousand slots at a time
            self._table[self._rows:need] = poisson_weights(missing, self.replicates, self.seed)
            self._row_of[missing] = np.arange(self._rows, need)
            self._rows = need
        return self._table[self._row_of[slots]].astype(np.float64)

    def interval(self, replicate_values: np.ndarray) -> tuple[float, float]:
        """Percentile interval of the finite replicate values (NaN, NaN when there are none)."""
        if self.replicates <= 0:
            return math.nan, math.nan
        return interval(replicate_values, self.confidence)


def percentiles(values: np.ndarray, qs: tuple[float, ...]) -> tuple[float, ...]:
    """``np.quantile(values, qs)`` (its default, linear method: Hyndman & Fan's type 7), to the
    bit, from one ``np.partition``: a finish asks for hundreds of intervals, and ``np.quantile``'s
    generic path costs ten times as much per call.

    The arithmetic is numpy's own: virtual index h = (n − 1)·q, neighbours x⌊h⌋ and x⌊h⌋+1 (the
    last value when h ≥ n − 1), γ = h − ⌊h⌋, and numpy's ``_lerp``: a + (b − a)·γ, or
    b − (b − a)·(1 − γ) when γ ≥ 0.5. Python floats are IEEE doubles like float64, so the same
    operations give the same bits (tested against ``np.quantile``)."""
    n = len(values)
    at: list[tuple[int, int, float]] = []
    for q in qs:
        h = (n - 1) * q
        lo = math.floor(h)
        if h >= n - 1:
            at.append((n - 1, n - 1, h - lo))
        else:
            at.append((lo, lo + 1, h - lo))
    kth = sorted({k for lo, hi, _ in at for k in (lo, hi)})
    part = np.partition(values, kth)
    out = []
    for lo, hi, gamma in at:
        a, b = float(part[lo]), float(part[hi])
        diff = b - a
        out.append(b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma)
    return tuple(out)


class SlotSums:
    """Integer sums of k per-document statistics, kept per bootstrap slot.

    ``add`` takes a batch of documents (their slots and a ``(n, k)`` integer matrix); rows are
    folded into one row per slot every few thousand documents, so memory stays bounded by
    :data:`SLOTS`. All arithmetic is on ``int64``: any grouping of the same documents into
    shards gives bit-identical totals.
    """

    __slots__ = ("k", "_slots", "_sums", "_pending", "_npending", "_reps", "_parts", "_totals")

    def __init__(self, k: int) -> None:
        self.k = k
        self._slots = np.empty(0, dtype=np.int64)
        self._sums = np.empty((0, k), dtype=np.int64)
        self._pending: list[tuple[np.ndarray, np.ndarray]] = []
        self._npending = 0
        self._reps: tuple | None = None
        self._parts: list[SlotSums] | None = None
        self._totals: np.ndarray | None = None

    def add(self, slots: np.ndarray, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=np.int64).reshape(len(slots), self.k)
        self._pending.append((np.asarray(slots, dtype=np.int64), values))
        self._npending += len(slots)
        self._totals = None
        if self._npending > 8192:
            self._compact()

    def _compact(self) -> None:
        if not self._pending:
            return
        slots = np.concatenate([self._slots] + [p[0] for p in self._pending])
        values = np.concatenate([self._sums] + [p[1] for p in self._pending])
        self._pending, self._npending, self._reps, self._parts = [], 0, None, None
        self._slots, self._sums = sum_by_key(slots, values)

    def merge(self, other: "SlotSums") -> None:
        other._compact()
        self._pending.append((other._slots, other._sums))
        self._npending += len(other._slots)
        self._totals = None
        self._compact()

    @classmethod
    def combined(cls, parts: list["SlotSums"], k: int) -> "SlotSums":
        """The sum of ``parts``, compacted once (merging them one by one compacted the growing
        total once per part: quadratic in the number of languages)."""
        out = cls(k)
        for p in parts:
            p._compact()
            out._pending.append((p._slots, p._sums))
        out._compact()
        return out

    @property
    def slots(self) -> np.ndarray:
        self._compact()
        return self._slots

    @property
    def sums(self) -> np.ndarray:
        self._compact()
        return self._sums

    def totals(self) -> np.ndarray:
        """Column totals, shape ``(k,)`` (kept until the next add or merge: a finish asks for
        them once per metric, language and tokenizer)."""
        if self._totals is None:
            self._totals = self.sums.sum(axis=0)
        return self._totals

    def replicates(self, boot: Bootstrap) -> np.ndarray:
        """Weighted column totals per replicate, shape ``(B, k)`` (computed once; see
        :func:`precompute_replicates` for doing many that share their slots at once)."""
        key = (boot.seed, boot.replicates)
        if self._reps is None or self._reps[0] != key:
            precompute_replicates([self], boot)
        return self._reps[1]

    @classmethod
    def combined_replicates(cls, parts: list["SlotSums"], k: int) -> "SlotSums":
        """The sum of ``parts`` (e.g. all languages). Its replicates are the sum of the parts'
        replicates (weights are linear in the sums), so they cost no extra pass."""
        out = cls.combined(parts, k)
        out._parts = parts
        return out

    def __getstate__(self) -> tuple:
        self._compact()
        return (self.k, self._slots, self._sums)

    def __setstate__(self, state: tuple) -> None:
        self.k, self._slots, self._sums = state
        self._pending, self._npending, self._reps, self._parts, self._totals = [], 0, None, None, None


def precompute_replicates(members: list[SlotSums], boot: Bootstrap) -> None:
    """Compute the replicate totals of many :class:`SlotSums` at once.

    Members over the same documents (every family and tokenizer of one language) share their
    slots, so their weight block is gathered once per group and multiplied with all their columns
    together. Combined members (``"all"``) add up their parts' replicates.

    The products are tall and thin (B x slots times slots x a few dozen columns): BLAS on one
    thread does them faster than on several, which spend their time waking each other; hence
    the limit, for these calls only.
    """
    with _blas_controller().limit(limits=1, user_api="blas"):
        _precompute(members, boot)


@functools.cache
def _blas_controller():
    """One ``threadpoolctl`` controller for the process: making one scans every loaded library
    (3 ms), and a finish limits BLAS once per family."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _precompute(members: list[SlotSums], boot: Bootstrap) -> None:
    key = (boot.seed, boot.replicates)
    todo = [m for m in members if m._reps is None or m._reps[0] != key]
    combined = [m for m in todo if m._parts is not None]
    groups: dict[bytes, list[SlotSums]] = {}
    for m in todo:
        if m._parts is None:
            groups.setdefault(m.slots.tobytes(), []).append(m)
    B = max(boot.replicates, 0)
    for group in groups.values():
        slots = group[0].slots
        outs = [np.zeros((B, m.k)) for m in group]
        if B:
            bounds = np.cumsum([0] + [m.k for m in group])
            # every member's columns side by side: one matrix product per block (a BLAS call
            # costs more to start than many of these small products take to compute). A column
            # that several members keep (documents, bytes, each family's tokens) or that is all
            # zeros (the UNK counts of a tokenizer without one) is multiplied once: a third to a
            # half of the columns. The products are exact whatever BLAS's order of summation:
            # weights and sums are integers, and so is every partial sum, far below 2**53.
            distinct, inverse = _distinct_columns(np.concatenate([m.sums for m in group], axis=1))
            total = np.zeros((B, distinct.shape[1]))
            for start in range(0, len(slots), 4096):
                w = boot.weights(slots[start:start + 4096])
                total += w.T @ distinct[start:start + 4096].astype(np.float64)
            product = total[:, inverse]
            for i, out in enumerate(outs):
                out += product[:, bounds[i]:bounds[i + 1]]
        for m, out in zip(group, outs):
            m._reps = (key, out)
    for m in combined:
        parts = m._parts or []
        _precompute(parts, boot)
        m._reps = (key, sum((p._reps[1] for p in parts), np.zeros((B, m.k))))


def _distinct_columns(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the distinct columns of ``matrix`` in order of first appearance, for each column the index
    of its copy among them). By the columns' bytes: ``np.unique(axis=1)`` sorts them as records,
    far slower."""
    columns = np.ascontiguousarray(matrix.T)
    index: dict[bytes, int] = {}
    keep: list[int] = []
    inverse = np.empty(len(columns), dtype=np.intp)
    for j, column in enumerate(columns):
        d = index.setdefault(column.tobytes(), len(keep))
        if d == len(keep):
            keep.append(j)
        inverse[j] = d
    return columns[keep].T, inverse


def ratio_with_ci(num: SlotSums, num_col: int, den: SlotSums, den_col: int,
                  boot: Bootstrap) -> tuple[float, float, float]:
    """Σ num[:, num_col] / Σ den[:, den_col] and its bootstrap interval (value, low, high).

    ``num`` and ``den`` may be different strata (two tokenizers, two languages): the replicate
    totals of both come from the same slot weights, so the interval is that of the paired ratio.
    """
    n_tot, d_tot = num.totals()[num_col], den.totals()[den_col]
    value = float(n_tot) / float(d_tot) if d_tot else math.nan
    if not d_tot or boot.replicates <= 0:
        return value, math.nan, math.nan
    rn = num.replicates(boot)[:, num_col]
    rd = rn if den is num and den_col == num_col else den.replicates(boot)[:, den_col]
    with np.errstate(divide="ignore", invalid="ignore"):
        lo, hi = boot.interval(rn / rd)
    return value, lo, hi
