"""The hashed Poisson bootstrap: weights, exact merging, and coverage at the nominal rate."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tokeff.docid import doc_key
from tokeff.metrics.bootstrap import SLOTS, Bootstrap, SlotSums, percentiles, poisson_weights, ratio_with_ci


def test_weights_are_poisson_one_and_a_pure_function_of_seed_slot_replicate():
    w = poisson_weights(np.arange(2000), 500, seed=1)
    assert w.shape == (2000, 500)
    assert w.mean() == pytest.approx(1.0, abs=0.01)   # Poisson(1): mean 1, variance 1
    assert w.var() == pytest.approx(1.0, abs=0.02)
    assert (w == 0).mean() == pytest.approx(np.exp(-1), abs=0.005)
    # the same slot gets the same row whatever else is asked for with it
    assert np.array_equal(poisson_weights(np.array([7, 1999]), 500, seed=1), w[[7, 1999]])
    assert not np.array_equal(poisson_weights(np.array([7]), 500, seed=2), w[[7]])


def test_slot_sums_merge_exactly_in_any_grouping():
    rng = np.random.default_rng(0)
    slots = rng.integers(0, SLOTS, 5000)
    values = rng.integers(0, 10**12, (5000, 3))
    whole = SlotSums(3)
    whole.add(slots, values)
    parts = [SlotSums(3) for _ in range(3)]
    for i in range(0, 5000, 100):  # dealt round-robin in uneven chunks
        parts[(i // 100) % 3].add(slots[i:i + 100], values[i:i + 100])
    merged = SlotSums(3)
    for p in reversed(parts):
        merged.merge(p)
    assert np.array_equal(whole.slots, merged.slots)
    assert np.array_equal(whole.sums, merged.sums)
    assert whole.totals().tolist() == values.sum(axis=0).tolist()


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=60),
       qs=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=3))
def test_percentiles_are_numpys_quantiles_to_the_bit(values, qs):
    v = np.asarray(values)
    assert percentiles(v.copy(), tuple(qs)) == tuple(np.quantile(v, qs).tolist())


def test_percentiles_of_replicate_ratios_match_numpy_at_the_default_confidence():
    rng = np.random.default_rng(3)
    for n in (1, 2, 3, 40, 999, 1000):
        v = rng.gamma(2.0, size=n) / rng.gamma(2.0, size=n)
        assert percentiles(v, (0.025, 0.975)) == tuple(np.quantile(v, [0.025, 0.975]).tolist())


def test_totals_follow_every_add_and_merge():
    s = SlotSums(2)
    s.add(np.array([1, 2]), np.array([[1, 10], [2, 20]]))
    assert s.totals().tolist() == [3, 30]
    s.add(np.array([2]), np.array([[5, 50]]))
    assert s.totals().tolist() == [8, 80]
    other = SlotSums(2)
    other.add(np.array([9]), np.array([[100, 1000]]))
    s.merge(other)
    assert s.totals().tolist() == [108, 1080]


def test_interval_covers_the_true_ratio_at_about_the_nominal_rate():
    # 200 synthetic evaluation sets of 150 documents: tokens x ~ 1 + Poisson(20), bytes
    # y ~ Poisson(3 x), so the true bytes per token E[y] / E[x] is exactly 3. Each set's 50 %,
    # 80 % and 95 % intervals (from the same replicates) cover 3 about that often, and nest.
    rng = np.random.default_rng(123)
    trials, n = 200, 150
    levels = (0.5, 0.8, 0.95)
    hits = dict.fromkeys(levels, 0)
    for trial in range(trials):
        x = 1 + rng.poisson(20, n)
        y = rng.poisson(3 * x)
        slots = np.array([doc_key(f"{trial}/{i}") for i in range(n)]) & (SLOTS - 1)
        sums = SlotSums(2)
        sums.add(slots, np.stack([y, x], axis=1))
        bounds = []
        for level in levels:
            _, lo, hi = ratio_with_ci(sums, 0, sums, 1, Bootstrap(replicates=400, seed=trial, confidence=level))
            hits[level] += lo <= 3.0 <= hi
            bounds.append((lo, hi))
        (lo50, hi50), (lo80, hi80), (lo95, hi95) = bounds
        assert lo95 < lo80 < lo50 < hi50 < hi80 < hi95
    # the binomial standard error over 200 trials is 3.5 points at 50 %, 2.8 at 80 %, 1.5 at 95 %
    assert 0.40 <= hits[0.5] / trials <= 0.60
    assert 0.72 <= hits[0.8] / trials <= 0.88
    assert 0.90 <= hits[0.95] / trials <= 0.99


def test_interval_is_the_central_percentile_range_of_the_replicates():
    # replicate ratios 0, 1, ..., 100: the q-quantile (numpy's linear rule) is 100 q
    values = np.arange(101, dtype=np.float64)
    assert Bootstrap(confidence=0.95).interval(values) == pytest.approx((2.5, 97.5))
    assert Bootstrap(confidence=0.5).interval(values) == pytest.approx((25.0, 75.0))
    assert Bootstrap(confidence=0.9).interval(values) == pytest.approx((5.0, 95.0))
    # replicates whose denominator was zero (inf, nan) are left out: 0..100 again
    assert Bootstrap(confidence=0.5).interval(np.append(values, [np.inf, np.nan])) == pytest.approx((25.0, 75.0))


def test_no_replicates_means_no_interval():
    sums = SlotSums(2)
    sums.add(np.array([1, 2]), np.array([[3, 1], [5, 2]]))
    value, lo, hi = ratio_with_ci(sums, 0, sums, 1, Bootstrap(replicates=0))
    assert value == pytest.approx(8 / 3)
    assert np.isnan(lo) and np.isnan(hi)


def test_poisson_weights_equal_the_sixteen_threshold_definition():
    # the fast path counts the thresholds a hash reaches in two steps; the definition counts
    # them all (inverse-CDF sampling of Poisson(1))
    from tokeff.metrics.bootstrap import _THRESHOLDS, _splitmix64

    slots, replicates = np.arange(0, SLOTS, 7), 64
    for seed in (0, 1, 2**63 + 5):
        with np.errstate(over="ignore"):
            base = _splitmix64(np.asarray([seed & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64))[0]
            s = slots.astype(np.uint64)[:, None] * np.uint64(0xD1B54A32D192ED03)
            r = np.arange(replicates, dtype=np.uint64)[None, :] * np.uint64(0x8CB92BA72F3D8DD7)
            h = _splitmix64(_splitmix64(s ^ base) + r)
        expected = sum((h >= t).astype(np.uint8) for t in _THRESHOLDS)
        got = poisson_weights(slots, replicates, seed)
        assert got.dtype == np.uint8 and np.array_equal(got, expected)
        assert got.max() >= 5  # the tail lookup was exercised
