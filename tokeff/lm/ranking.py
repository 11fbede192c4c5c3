"""Does the ranking of tokenizers survive a change of training loss? Kendall's τ over seeds.

Given a score per tokenizer, training loss and seed (bits per byte of each run, or a probe's
accuracy), :func:`ranking_agreement` ranks the tokenizers under each loss by their mean over seeds
and compares every two losses' rankings with Kendall's τ-b (:func:`tokeff.lm.compare.kendall_tau`):
1 is the same ranking, 0 unrelated, −1 reversed.

The interval is a percentile bootstrap over seeds: each replicate redraws, for every
tokenizer × loss cell, its seeds with replacement and recomputes the means and τ. It says how much
τ could move with other seeds of the same runs; with one seed per cell there is nothing to redraw
and the interval is NaN. For bits per byte, the interval over evaluation documents is
:func:`tokeff.lm.compare.kendall_interval` (the study's paired document bootstrap).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from ..metrics.bootstrap import interval
from .compare import kendall_tau


def ranking_agreement(
    results: pd.DataFrame,
    *,
    value: str = "bits_per_byte",
    items: str = "tokenizer",
    by: str = "loss",
    seed: str = "seed",
    replicates: int = 2000,
    confidence: float = 0.95,
    rng_seed: int = 0,
) -> pd.DataFrame:
    """Kendall's τ between the rankings of ``items`` under every two values of ``by``.

    Args:
        results: one row per run, with columns ``items``, ``by``, ``seed`` and ``value``; every
            item under every ``by`` value, each cell with the same number of seeds.
        value: the score ranked (lower or higher better: τ does not care, as long as it is the
            same score on both sides).

    Returns:
        One row per pair ``(a, b)`` in the order the ``by`` values first appear: ``a``, ``b``,
        ``tau`` (of the seed means), ``ci_low``, ``ci_high``, ``items``, ``seeds``.
    """
    if results.duplicated([items, by, seed]).any():
        raise ValueError(f"two rows for the same {items}, {by} and {seed}")
    groups = list(dict.fromkeys(results[by]))
    names = list(dict.fromkeys(results[items]))
    counts = results.groupby([by, items]).size()
    if len(counts) != len(groups) * len(names) or counts.nunique() != 1:
        raise ValueError(f"every {items} needs the same number of {seed}s under every {by}")
    n_seeds = int(counts.iloc[0])
    ordered = results.assign(_g=results[by].map(groups.index), _i=results[items].map(names.index))
    cube = ordered.sort_values(["_g", "_i", seed])[value].to_numpy(float).reshape(len(groups), len(names), n_seeds)
    means = cube.mean(-1)
    boot = None
    if n_seeds > 1 and replicates > 0:
        # seed s fixed the initialisation and data order of every cell alike, so a replicate draws
        # one multiset of seeds and uses it in every cell: the seed bootstrap is paired, as
        # tokeff.lm.compare pairs tokenizers by seed
        draw = np.random.default_rng(rng_seed).integers(0, n_seeds, size=(replicates, n_seeds))
        boot = cube[:, :, draw].mean(-1).transpose(2, 0, 1)  # (R, groups, items)
    rows = []
    for a, b in itertools.combinations(range(len(groups)), 2):
        low = high = math.nan
        if boot is not None:
            low, high = interval(np.asarray(kendall_tau(boot[:, a], boot[:, b])), confidence)
        rows.append({"a": groups[a], "b": groups[b], "tau": kendall_tau(means[a], means[b]),
                     "ci_low": low, "ci_high": high, "items": len(names), "seeds": n_seeds})
    return pd.DataFrame(rows, columns=["a", "b", "tau", "ci_low", "ci_high", "items", "seeds"])
