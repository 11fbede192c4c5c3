"""The results folder: what a run writes, in which schema, and how it is read back.

A run of ``analyze`` (or ``sweep``, ``study``, ``probe``) writes one folder; the report is rebuilt
from it alone::

    metrics.csv             the tidy table: one row per (corpus, language, tokenizer, metric)
    run.json                settings, versions, corpora and tokenizers described, timings (tokeff.record)
    token_lengths.csv       token occurrences by the UTF-8 length of their piece
    curves.csv              learning curves when a model was trained (tokenizer, seed, loss, step, ...)
    cost.csv                the cost model when a model was trained
    lm_runs.csv             one row per training run (tokenizer, seed, loss), and whether it trained
    lm_comparisons.csv      every pair of trained tokenizers: paired interval, seed spread, verdict
    lm_losses.csv           with several training losses: bits per byte per (loss, tokenizer)
    lm_loss_agreement.csv   Kendall's tau between the tokenizer rankings under every two losses
    study.csv               a study: one row per (budget, tokenizer)
    probe_scores.csv        a probe: accuracy per (tokenizer, loss, seed, operation, operand length)
    probe_runs.csv          a probe: one row per training run
    report.pdf, report.md, *.png   written by :mod:`tokeff.reporting`

Every write goes to a temporary file in the same folder and is then renamed over the target, so
an interrupted run never leaves a half-written file: what is there is always whole
(:func:`tokeff.files.atomic_write`, re-exported here with ``write_text`` and ``write_json``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from .files import atomic_write, write_json, write_text  # noqa: F401 (re-exported: the results folder's writers)

#: Columns of ``metrics.csv``, in order. ``language`` is ``"all"`` for a whole-corpus value;
#: ``n`` is how many units (documents, aligned lines, words) stand behind the value; ``note``
#: flags anything a reader must know (e.g. ``segmentation=characters``).
METRIC_COLUMNS = ["corpus", "language", "tokenizer", "metric", "value", "unit", "ci_low", "ci_high", "n", "note"]

METRICS_FILE = "metrics.csv"
RUN_FILE = "run.json"
CURVES_FILE = "curves.csv"
COST_FILE = "cost.csv"
TOKEN_LENGTHS_FILE = "token_lengths.csv"
LM_RUNS_FILE = "lm_runs.csv"
LM_COMPARISONS_FILE = "lm_comparisons.csv"
LM_LOSSES_FILE = "lm_losses.csv"
LM_AGREEMENT_FILE = "lm_loss_agreement.csv"
STUDY_FILE = "study.csv"
PROBE_SCORES_FILE = "probe_scores.csv"
PROBE_RUNS_FILE = "probe_runs.csv"


def finite(x: object) -> bool:
    """Whether ``x`` is a finite number (a missing value, NaN, inf or text is not)."""
    try:
        return math.isfinite(float(x))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def tidy(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows (dicts with at least corpus, language, tokenizer, metric, value, unit) as the tidy table."""
    df = pd.DataFrame(rows, columns=METRIC_COLUMNS)
    df["n"] = df["n"].fillna(0).astype("int64")
    df["note"] = df["note"].fillna("")
    return df


def write_csv(path: Path, df: pd.DataFrame) -> None:
    # A fixed float format keeps metrics.csv byte-identical between identical runs.
    atomic_write(path, lambda p: df.to_csv(p, index=False, float_format="%.10g", lineterminator="\n"))


def read_metrics(folder: Path) -> pd.DataFrame:
    df = pd.read_csv(Path(folder) / METRICS_FILE, keep_default_na=False, na_values={"value": [""], "ci_low": [""], "ci_high": [""]})
    return df


def read_run(folder: Path) -> dict[str, Any]:
    path = Path(folder) / RUN_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def read_optional_csv(folder: Path, name: str) -> pd.DataFrame | None:
    path = Path(folder) / name
    return pd.read_csv(path) if path.exists() else None
