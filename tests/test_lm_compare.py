"""When a trained comparison is evidence: the paired interval, the seed spread, the trained
criterion and Spearman's rho, each pinned on hand-made numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tokeff.docid import doc_keys
from tokeff.lm.compare import (Criterion, DocLosses, bpb_interval, compare, judge_run, needed_flops, steps_to_train,
                               paired_difference, spearman, spearman_interval)
from tokeff.metrics.bootstrap import Bootstrap

LN2 = math.log(2)


def _docs(n: int, prefix: str = "d") -> np.ndarray:
    return doc_keys([f"{prefix}{i}" for i in range(n)])


def test_bits_per_byte_is_total_nats_over_ln2_times_bytes():
    losses = DocLosses(np.array([LN2 * 10, LN2 * 30]), np.array([10, 10]), _docs(2))
    assert losses.bits_per_byte == 2.0  # 40 bits over 20 bytes
    value, lo, hi = bpb_interval(losses, Bootstrap(replicates=0))
    assert value == 2.0 and math.isnan(lo) and math.isnan(hi)


def test_the_paired_interval_covers_the_true_difference_at_about_the_nominal_rate():
    # 300 synthetic evaluation sets of 120 documents of 100 bytes: tokenizer A pays
    # Normal(mu, 40) nats more than B on each document, so the population difference in bits per
    # byte is mu / (100 ln 2). Both share a large per-document difficulty (what pairing removes).
    rng = np.random.default_rng(7)
    trials, n, mu = 300, 120, 8.0
    truth = mu / (100 * LN2)
    slots = _docs(n)
    hits = {0.8: 0, 0.95: 0}
    widths = []
    for trial in range(trials):
        difficulty = rng.gamma(4.0, 60.0, n)
        b = difficulty + rng.normal(0, 5, n)
        a = b + rng.normal(mu, 40, n)
        la, lb = DocLosses(a, np.full(n, 100), slots), DocLosses(b, np.full(n, 100), slots)
        for level in hits:
            _, lo, hi = paired_difference(la, lb, Bootstrap(500, level, seed=trial))
            hits[level] += lo <= truth <= hi
        _, lo, hi = paired_difference(la, lb, Bootstrap(500, 0.95, seed=trial))
        widths.append(hi - lo)
    assert 0.74 <= hits[0.8] / trials <= 0.86
    assert 0.91 <= hits[0.95] / trials <= 0.985
    # unpaired, the shared difficulty would swamp the difference: the paired interval is far narrower
    unpaired = np.hypot(*(np.diff(bpb_interval(x, Bootstrap(500, 0.95, seed=1))[1:]) for x in (la, lb)))
    assert np.mean(widths) < unpaired[0] / 3


def test_a_paired_difference_needs_the_same_documents():
    a = DocLosses(np.ones(3), np.ones(3, dtype=int), _docs(3))
    b = DocLosses(np.ones(3), np.ones(3, dtype=int), _docs(3, "other"))
    with pytest.raises(ValueError, match="same evaluation documents"):
        paired_difference(a, b, Bootstrap(50))


def _pair(delta_per_doc: float, n: int = 200, seed: int = 0) -> tuple[DocLosses, DocLosses]:
    rng = np.random.default_rng(seed)
    base = rng.gamma(4.0, 60.0, n)
    slots = _docs(n)
    return (DocLosses(base + delta_per_doc + rng.normal(0, 1, n), np.full(n, 100), slots),
            DocLosses(base, np.full(n, 100), slots))


def test_a_tokenizer_is_better_only_when_both_tests_pass():
    a, b = _pair(-5.0)  # a is clearly better on the documents
    boot = Bootstrap(400, 0.95, seed=0)
    consistent = compare("a", "b", a, b, [3.00, 3.01, 2.99], [3.10, 3.11, 3.09], boot)
    assert consistent.verdict == "a" and consistent.seeds == 3
    assert "interval excludes 0" in consistent.decided_by and "exceeds 2 standard deviations" in consistent.decided_by
    assert consistent.ci_high < 0 and consistent.difference == pytest.approx(a.bits_per_byte - b.bits_per_byte)
    # the same documents, but the seeds disagree: the seed spread decides
    noisy = compare("a", "b", a, b, [3.00, 3.20, 2.80], [3.10, 2.90, 3.30], boot)
    assert noisy.verdict == "" and "within 2 standard deviations" in noisy.decided_by
    one_seed = compare("a", "b", a, b, [3.0], [3.1], boot)
    assert one_seed.verdict == "" and "one seed" in one_seed.decided_by
    same_a, same_b = _pair(0.0, seed=3)
    tie = compare("a", "b", same_a, same_b, [3.0, 3.0], [3.1, 3.1], boot)
    assert tie.verdict == "" and "includes 0" in tie.decided_by


CURVE = [(25, 5.0), (50, 3.6), (75, 3.30), (100, 3.2)]  # fell 3.0 % over the last quarter


def test_a_run_trains_when_it_beats_the_unigram_and_its_curve_is_flat():
    assert judge_run(CURVE, 100, 3.2, unigram=4.0).trained


@pytest.mark.parametrize(("curve", "steps", "bpb", "unigram", "why"), [
    (CURVE, 100, 3.2, 3.3, "not 5% below its unigram"),           # 3.2 > 0.95 x 3.3
    ([(25, 5.0), (50, 4.2), (75, 3.6), (100, 3.2)], 100, 3.2, 4.0, "still learning: bits per byte fell 11.1%"),
    (CURVE, 40, 3.2, 4.0, "40 steps (fewer than 50)"),
    ([(100, 3.2)], 100, 3.2, 4.0, "too few curve points"),
    (CURVE, 100, float("nan"), 4.0, "not 5% below"),
])
def test_a_run_that_does_not_train_says_why(curve, steps, bpb, unigram, why):
    verdict = judge_run(curve, steps, bpb, unigram)
    assert not verdict.trained and why in verdict.reason


def test_the_thresholds_are_settings():
    steep = [(25, 5.0), (50, 4.2), (75, 3.6), (100, 3.2)]
    assert judge_run(steep, 100, 3.2, 4.0, Criterion(flat_share=0.15)).trained
    assert not judge_run(CURVE, 100, 3.2, 3.3, Criterion(beat_unigram=0.05)).trained
    assert judge_run(CURVE, 100, 3.2, 3.3, Criterion(beat_unigram=0.01)).trained


def test_needed_flops_is_steps_times_tokens_times_flops_per_token():
    assert needed_flops(50, 1024, 2.5e6) == 50 * 1024 * 2.5e6


def test_steps_to_train_reads_the_trained_runs_that_ran_longer():
    assert steps_to_train(258, [685, 1168, 1419]) == 685  # the fewest steps that sufficed, beyond its own
    assert steps_to_train(1419, [258, 685, 1168]) == 2 * 1419  # the longest run still learning: no evidence
    assert steps_to_train(30, []) == 60


def test_spearman_by_hand():
    assert spearman(np.array([1, 2, 3, 4]), np.array([10, 20, 30, 40])) == pytest.approx(1.0)
    assert spearman(np.array([1, 2, 3, 4]), np.array([4, 3, 2, 1])) == pytest.approx(-1.0)
    # ranks (1, 2, 3, 4) against (2, 1, 4, 3): 1 - 6 * 4 / (4 * 15) = 0.6
    assert spearman(np.array([1.0, 2, 3, 4]), np.array([2.0, 1, 4, 3])) == pytest.approx(0.6)
    # a tie shares its average rank
    assert spearman(np.array([1.0, 1, 2]), np.array([1.0, 2, 3])) == pytest.approx(np.corrcoef([1.5, 1.5, 3], [1, 2, 3])[0, 1])


def test_spearman_interval_comes_from_the_replicates():
    boot = Bootstrap(4, 0.5)
    x = np.array([1.0, 2.0, 3.0])
    reps_x = np.array([[1, 2, 3], [1, 2, 3], [3, 2, 1], [1, 2, 3]], dtype=float)
    reps_y = np.array([[1, 2, 3]] * 4, dtype=float)
    rho, lo, hi = spearman_interval(reps_x, reps_y, x, x, boot)
    # replicate rhos (1, 1, -1, 1): the central 50 % by numpy's linear percentiles
    assert rho == pytest.approx(1.0)
    assert (lo, hi) == tuple(np.quantile([1.0, 1.0, -1.0, 1.0], [0.25, 0.75]))
