"""Kendall's τ between tokenizer rankings under two losses, with a bootstrap interval over seeds
or over evaluation documents."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tokeff.lm.compare import DocLosses, kendall_interval, kendall_tau, replicates
from tokeff.lm.ranking import ranking_agreement
from tokeff.metrics.bootstrap import Bootstrap


def test_kendall_tau_by_hand() -> None:
    assert kendall_tau([1, 2, 3, 4], [10, 20, 30, 40]) == 1.0
    assert kendall_tau([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0
    assert kendall_tau([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx((5 - 1) / 6)  # one swapped pair of 6
    # τ-b with a tie in y: of the 6 pairs, (0,1), (0,2) agree, (0,3), (1,3), (2,3) disagree and
    # (1,2) is tied in y, so 5 pairs are untied in y
    assert kendall_tau([1, 2, 3, 4], [1, 2, 2, 0]) == pytest.approx((2 - 3) / math.sqrt(6 * 5))
    assert math.isnan(kendall_tau([1, 1, 1], [1, 2, 3]))
    batch = kendall_tau(np.array([[1, 2, 3], [3, 2, 1]]), np.array([[1, 2, 3], [1, 2, 3]]))
    assert batch.tolist() == [1.0, -1.0]


def grid(values: dict[tuple[str, str], list[float]]) -> pd.DataFrame:
    return pd.DataFrame([{"tokenizer": t, "loss": l, "seed": s, "bits_per_byte": v}
                         for (t, l), vs in values.items() for s, v in enumerate(vs)])


def test_same_ranking_with_clear_gaps_is_tau_one_with_a_tight_interval() -> None:
    df = grid({(t, l): [base + shift + 0.001 * s for s in range(3)]
               for t, base in (("a", 1.0), ("b", 1.2), ("c", 1.4), ("d", 1.6)) for l, shift in (("ce", 0), ("z", 0.3))})
    row = ranking_agreement(df).iloc[0]
    assert (row["a"], row["b"], row["tau"], row["ci_low"], row["ci_high"]) == ("ce", "z", 1.0, 1.0, 1.0)
    assert (row["items"], row["seeds"]) == (4, 3)


def test_a_swap_within_seed_noise_widens_the_interval() -> None:
    # under "ls" tokenizers b and c swap by less than b's seed spread: a quarter of the redraws
    # (both of b's seeds at 1.25) put them back in ce's order
    values = {("a", "ce"): [1.0, 1.0], ("b", "ce"): [1.2, 1.3], ("c", "ce"): [1.4, 1.5], ("d", "ce"): [2.0, 2.0],
              ("a", "ls"): [1.0, 1.0], ("b", "ls"): [1.5, 1.25], ("c", "ls"): [1.3, 1.3], ("d", "ls"): [2.0, 2.0]}
    row = ranking_agreement(grid(values), replicates=4000).iloc[0]
    assert row["tau"] == pytest.approx(4 / 6)
    assert row["ci_low"] == pytest.approx(4 / 6) and row["ci_high"] == 1.0  # some redraws un-swap them


def test_pairs_one_seed_and_bad_grids() -> None:
    df = grid({(t, l): [v] for t, v in (("a", 1), ("b", 2), ("c", 3)) for l in ("ce", "ls", "z")})
    out = ranking_agreement(df)
    assert list(zip(out["a"], out["b"])) == [("ce", "ls"), ("ce", "z"), ("ls", "z")]
    assert out["tau"].tolist() == [1.0, 1.0, 1.0] and out["ci_low"].isna().all()  # one seed: no interval
    with pytest.raises(ValueError, match="same number of seeds"):
        ranking_agreement(df.iloc[1:])
    with pytest.raises(ValueError, match="two rows"):
        ranking_agreement(pd.concat([df, df.iloc[:1]]))


def test_kendall_interval_over_documents() -> None:
    """Two losses, three tokenizers; the same 200 documents, resampled with the same weights."""
    rng = np.random.default_rng(0)
    n = 200
    slots = np.arange(n, dtype=np.int64)
    nbytes = rng.integers(50, 150, n)
    boot = Bootstrap(500, 0.95, seed=1)

    def losses(bpb: float, noise: float) -> DocLosses:
        return DocLosses(nats=nbytes * math.log(2) * (bpb + noise * rng.standard_normal(n)), bytes=nbytes, slots=slots)

    def tau(gaps: tuple[float, float, float], noise: float) -> tuple[float, float, float]:
        under = [[losses(g + shift, noise) for g in gaps] for shift in (0.0, 0.2)]
        x, y = (np.array([d.bits_per_byte for d in ds]) for ds in under)
        w = boot.weights(slots)
        xr, yr = (np.stack([replicates(d, boot, w) for d in ds], axis=1) for ds in under)
        return kendall_interval(xr, yr, x, y, boot)

    value, low, high = tau((1.0, 1.5, 2.0), noise=0.05)  # far apart: the same order in every replicate
    assert (value, low, high) == (1.0, 1.0, 1.0)
    value, low, high = tau((1.0, 1.001, 1.002), noise=0.5)  # within the document noise: τ moves
    assert low < value <= high and low < 0 < high


def test_kendall_interval_by_hand() -> None:
    # four replicates: three keep the order (τ = 1), one reverses it (τ = −1); the 2.5th percentile
    # (linear interpolation) of [−1, 1, 1, 1] is −1 + 0.075·2 = −0.85, the 97.5th is 1
    ordered, reversed_ = [1, 2, 3], [3, 2, 1]
    xr, yr = np.array([ordered] * 3 + [reversed_]), np.array([ordered] * 4)
    value, low, high = kendall_interval(xr, yr, np.array(ordered), np.array(ordered), Bootstrap(4, 0.95, seed=0))
    assert (value, high) == (1.0, 1.0) and low == pytest.approx(-0.85)
