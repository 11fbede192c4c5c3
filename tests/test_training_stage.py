"""The training stage through the pipeline: several losses, what is cached, and what the report says.

Every run here is the 1-layer ``micro`` model on the embedded pydoc prose, a few dozen steps:
seconds, and enough to check which numbers go where (not whether the models are good)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import tokeff
from tokeff.lm.compare import DocLosses
from tokeff.metrics.bootstrap import SLOTS
from tokeff.record import TrainingRecord
from tokeff.vocab_study import _summarize_budget
from tokeff.settings import Settings
from tokeff.training import Training

from .test_study import _corpus

QUIET = dict(progress=False, note=lambda _: None, bootstrap=100, model="micro", train=True)


@pytest.fixture(scope="module")
def prose(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(_corpus(tmp_path_factory.mktemp("prose")))


@pytest.fixture(scope="module")
def two_losses(prose: str, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("losses") / "run"
    run = tokeff.analyze(["bytes", "train:bpe:300", "train:bpe:400"], [prose], out=out, cache=True, seeds=2,
                         budget="steps=40", losses="ce,focal:2", **QUIET)
    return run, out


def test_every_tokenizer_trains_under_every_loss_and_metrics_csv_reports_the_first(two_losses):
    run, out = two_losses
    losses = run.lm_losses
    assert sorted(set(losses["loss"])) == ["ce", "focal:2"] and len(losses) == 3 * 2
    assert len(pd.read_csv(out / "lm_losses.csv")) == 6
    runs = run.lm_runs
    assert len(runs) == 3 * 2 * 2 and set(runs["seed"]) == {0, 1}
    # the first loss is metrics.csv's: its bits per byte are the ce rows of lm_losses.csv exactly
    bpb = run.metrics.query("metric == 'bits_per_byte'").set_index("tokenizer")["value"]
    ce = losses[losses["loss"] == "ce"].set_index("tokenizer")["bits_per_byte"]
    pd.testing.assert_series_equal(bpb.sort_index(), ce.sort_index(), check_names=False, check_exact=True)
    focal = losses[losses["loss"] == "focal:2"].set_index("tokenizer")["bits_per_byte"]
    assert (focal.sort_index() != ce.sort_index()).all()  # another loss trains another model
    # the mean over seeds of each run's bits per byte (the same evaluation bytes for every run)
    mean = runs[runs["loss"] == "ce"].groupby("tokenizer")["bits_per_byte"].mean()
    assert np.allclose(mean.sort_index(), ce.sort_index(), rtol=1e-12)
    agreement = pd.read_csv(out / "lm_loss_agreement.csv")
    assert list(agreement[["a", "b"]].iloc[0]) == ["ce", "focal:2"]


def test_the_report_speaks_of_the_first_loss_and_has_a_losses_page(two_losses):
    _, out = two_losses
    md = (out / "report.md").read_text()
    assert "## Training losses: does the ranking survive?" in md
    assert "focal:2: −(1−p_t)^γ·ln p_t per target" in md  # the loss's own description
    curves = pd.read_csv(out / "curves.csv")
    assert set(curves["loss"]) == {"ce", "focal:2"}
    from tokeff.reporting.data import load

    d = load(out)
    assert set(d.curves["loss"]) == {"ce"} and set(d.lm_runs["loss"]) == {"ce"}  # the training page: ce


def test_a_training_run_is_cached_under_its_loss_seed_and_settings(prose: str, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TOKEFF_CACHE", str(tmp_path / "cache"))
    notes: list[str] = []
    base = dict(QUIET, note=notes.append, cache=True, budget="steps=20")

    def trained(**changes) -> list[str]:
        notes.clear()
        tokeff.analyze(["bytes"], [prose], **{**base, **changes})
        return [n for n in notes if n.startswith("trained ") or "reusing the cached training run" in n]

    assert trained()[0].startswith("trained bytes (seed 0)")
    assert trained() == ["bytes (seed 0): reusing the cached training run"]
    assert trained(losses="focal:2")[0].startswith("trained bytes (seed 0, loss focal:2)")
    assert trained(seeds=[1])[0].startswith("trained bytes (seed 1)")
    assert trained(eval_bytes=3000)[0].startswith("trained bytes (seed 0)")
    assert trained(budget="steps=21")[0].startswith("trained bytes (seed 0)")
    assert trained()[0] == "bytes (seed 0): reusing the cached training run"


def _losses(nats: list[float], tokens: list[int]) -> DocLosses:
    n = len(nats)
    return DocLosses(np.array(nats, dtype=float), np.full(n, 100), np.arange(n) & (SLOTS - 1), np.array(tokens))


def test_the_study_summary_of_one_budget_by_hand():
    # three tokenizers on four documents of 100 bytes: bits per byte falls as compression rises
    names = ["bytes", "train:bpe:300", "train:bpe:400"]
    doc_losses = {"bytes": _losses([300, 300, 300, 300], [100] * 4),
                  "train:bpe:300": _losses([280, 280, 280, 280], [60] * 4),
                  "train:bpe:400": _losses([250, 250, 250, 250], [50] * 4)}
    summary = pd.DataFrame([{"tokenizer": n, "bits_per_byte": doc_losses[n].bits_per_byte, "ci_low": 0.0,
                             "ci_high": 9.0, "seed_sd": 0.01, "seeds": 2, "trained": True} for n in names])
    runs = pd.DataFrame([{"tokenizer": n, "loss": "ce", "seed": s, "steps": 100, "train_flops": 1e9}
                         for n in names for s in (0, 1)])
    comparisons = pd.DataFrame([
        {"loss": "ce", "a": "train:bpe:400", "b": "train:bpe:300", "verdict": "train:bpe:400", "decided_by": "both"},
        {"loss": "ce", "a": "train:bpe:400", "b": "bytes", "verdict": "train:bpe:400", "decided_by": "both"},
        {"loss": "focal:2", "a": "train:bpe:400", "b": "train:bpe:300", "verdict": "", "decided_by": "other loss"}])
    trained = Training(pd.DataFrame(), None, None, runs, comparisons, TrainingRecord(), doc_losses, summary=summary)

    class Tok:
        def __init__(self, name: str, v: int) -> None:
            self.name, self.vocab_size = name, v

    class Loaded:
        tokenizers = [Tok("bytes", 256), Tok("train:bpe:300", 300), Tok("train:bpe:400", 400)]

    rows, finding = _summarize_budget("flops=1e9", trained, Loaded(), names[1:],
                                      Settings.build(train=True, bootstrap=0))
    by = {r["tokenizer"]: r for r in rows}
    assert by["train:bpe:400"]["bytes_per_token"] == 2.0 and by["bytes"]["bytes_per_token"] == 1.0
    assert finding["best_vocab"] == 400 and finding["best_tokenizer"] == "train:bpe:400"
    assert finding["against_best"] == [{"tokenizer": "train:bpe:300", "verdict": "train:bpe:400", "decided_by": "both"}]
    # more bytes per token, fewer bits per byte: a perfect inverse ranking
    assert finding["spearman_rho"]["rho"] == pytest.approx(-1.0)
    assert finding["untrained"] == []


def test_the_probe_writes_its_folder_and_report(tmp_path: Path):
    from tokeff.probes import ArithmeticTask
    from tokeff.reporting import build_report

    from .test_cli import tokeff as cli

    task = ArithmeticTask(n_train=400, n_test=20)
    result = tokeff.probe("arithmetic", ["digits", "bytes"], task=task, budget="steps=5", losses=["ce", "focal:2"],
                          seeds=[0], out=tmp_path / "probe", progress=False, note=lambda _: None)
    scores = pd.read_csv(tmp_path / "probe" / "probe_scores.csv")
    assert len(scores) == 2 * 2 * 3  # tokenizers x losses x operand lengths (2, 3 trained; 4 longer)
    assert set(scores["digits"]) == {2, 3, 4} and scores.loc[scores["digits"] == 4, "longer"].all()
    assert (scores["n"] == 20).all() and scores["exact_match"].between(0, 1).all()
    pd.testing.assert_frame_equal(scores, result.scores, check_dtype=False)
    md = (tmp_path / "probe" / "report.md").read_text()
    assert "## Arithmetic probe" in md and "exact match moves" in md
    (tmp_path / "probe" / "report.md").unlink()
    proc = cli("report", str(tmp_path / "probe"))  # the report is rebuilt from the folder alone
    assert proc.returncode == 0, proc.stderr
    by_command = (tmp_path / "probe" / "report.md").read_text()
    assert "## Arithmetic probe" in by_command
    (tmp_path / "probe" / "report.md").unlink()
    build_report(tmp_path / "probe")  # the library call writes what the command wrote
    assert (tmp_path / "probe" / "report.md").read_text() == by_command
