"""The study end to end, small enough for CI: two vocabularies and bytes, two seeds, two budgets."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tokeff.vocab_study import parse_budgets, study
from tokeff.errors import TokeffError

from .test_cli import tokeff


def _corpus(tmp_path: Path) -> Path:
    """English prose every Python has: the first 1,500 paragraphs of pydoc's topics."""
    from tokeff.corpus.default import pydoc_corpus

    path = tmp_path / "prose.txt"
    texts = [d.text for _, d in zip(range(1500), pydoc_corpus().documents("all"))]
    path.write_text("\n\n".join(t.replace("\n\n", "\n") for t in texts), encoding="utf-8")
    return path


def test_a_tiny_study_runs_end_to_end(tmp_path: Path):
    out = tmp_path / "study"
    run = study([str(_corpus(tmp_path))], [300, 400], budgets="3e9,6e9", model="micro", seeds=2, bootstrap=200,
                out=out, cache=False, progress=False, note=lambda _: None)
    table = pd.read_csv(out / "study.csv")
    assert set(table["budget"]) == {"flops=3e+09", "flops=6e+09"}
    assert set(table["tokenizer"]) == {"bytes", "train:bpe:300", "train:bpe:400"}
    ran = table[table["bits_per_byte"].notna()]
    assert (ran["seeds"] == 2).all()
    assert (ran["ci_low"] <= ran["bits_per_byte"]).all() and (ran["bits_per_byte"] <= ran["ci_high"]).all()
    # the BPE vocabularies are prefixes of one training run: the larger compresses at least as well
    bpt = ran.set_index(["budget", "tokenizer"])["bytes_per_token"]
    assert bpt[("flops=6e+09", "train:bpe:400")] >= bpt[("flops=6e+09", "train:bpe:300")] > 1.0
    record = json.loads((out / "run.json").read_text())
    assert record["study"]["budgets"] == ["flops=3e+09", "flops=6e+09"]
    assert len(record["study"]["per_budget"]) == 2
    assert "optimum_grows_with_compute" in record["study"]
    # the largest budget fills the metrics table, the runs and the comparisons
    runs = pd.read_csv(out / "lm_runs.csv")
    assert len(runs) == 3 * 2 and set(runs["seed"]) == {0, 1}
    assert run.study is not None and len(run.study) == len(table)
    assert (out / "report.pdf").exists() and "Study: what a vocabulary size buys" in (out / "report.md").read_text()


def test_seeds_change_the_numbers_and_the_same_seed_repeats_them(tmp_path: Path):
    corpus = _corpus(tmp_path)
    args = dict(budgets="3e9", model="micro", bootstrap=0, cache=False, progress=False, report=False,
                note=lambda _: None, tokenizers=["bytes"])
    a = study([str(corpus)], [300], seeds=[0], out=tmp_path / "a", **args).lm_runs
    b = study([str(corpus)], [300], seeds=[0], out=tmp_path / "b", **args).lm_runs
    c = study([str(corpus)], [300], seeds=[1], out=tmp_path / "c", **args).lm_runs
    pd.testing.assert_series_equal(a["bits_per_byte"], b["bits_per_byte"], check_exact=True)
    assert (a["bits_per_byte"] != c["bits_per_byte"]).all()
    curves = [pd.read_csv(tmp_path / x / "curves.csv") for x in "ab"]
    pd.testing.assert_series_equal(curves[0]["bits_per_byte"], curves[1]["bits_per_byte"], check_exact=True)


def test_budgets_parse_and_bad_ones_are_one_line():
    assert parse_budgets("4e12,1e12") == ["flops=1e+12", "flops=4e+12"]
    assert parse_budgets(["steps=20", "steps=5"]) == ["steps=5", "steps=20"]
    with pytest.raises(TokeffError, match="one kind"):
        parse_budgets("flops=1e12,steps=5")
    with pytest.raises(TokeffError, match="not a number"):
        parse_budgets("lots")


def test_the_study_command_refuses_an_unknown_preset(tmp_path: Path):
    proc = tokeff("study", "--corpus", str(_corpus(tmp_path)), "--preset", "tpu", "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and proc.stderr.strip() == "tokeff: error: unknown preset 'tpu'; choose one of cpu, gpu"


def test_the_gpu_preset_is_a_25m_model_with_bf16_and_compile_that_a_cpu_runs_without_them():
    from tokeff.lm import TrainConfig, train_lm
    from tokeff.lm.config import model_config
    from tokeff.adapters.simple import BytesTokenizer
    from tokeff.vocab_study import PRESETS

    gpu = PRESETS["gpu"]
    assert (gpu.amp, gpu.compile, gpu.device) == ("bf16", True, "auto")
    params = model_config(gpu.model).non_embedding_params()
    assert 20e6 < params < 30e6  # "≈25M parameters" in the README and the help
    assert params == 8 * 12 * 512**2  # 8 blocks of 12·d² (attention 4·d², MLP 8·d²) at d = 512
    texts = ["the study of tokenizers " * 20] * 8
    result = train_lm(BytesTokenizer(), texts, texts[:2], model="micro", budget="steps=2", amp="bf16",
                      device="cpu", progress=False, train_config=TrainConfig(batch_size=2))
    assert result.amp is None and result.device == "cpu"  # autocast is for CUDA only; the run records that


def test_a_budget_where_a_vocabulary_still_learning_already_scores_lower_has_no_optimum():
    from tokeff.vocab_study import _grows, ahead_of_best

    rows = [{"tokenizer": "train:bpe:1024", "trained": True, "bits_per_byte": 2.84},
            {"tokenizer": "train:bpe:4096", "trained": False, "bits_per_byte": 2.62},
            {"tokenizer": "train:bpe:16384", "trained": False, "bits_per_byte": 2.90},
            {"tokenizer": "bytes", "trained": False, "bits_per_byte": 2.50},  # not a vocabulary of the study
            {"tokenizer": "train:bpe:65536", "trained": False}]  # not run at all: nothing to compare
    bpe = {"train:bpe:1024", "train:bpe:4096", "train:bpe:16384", "train:bpe:65536"}
    assert ahead_of_best(rows, rows[0], bpe) == ["train:bpe:4096"]
    findings = [{"budget": "flops=1e12", "best_vocab": 1024, "ahead_untrained": ["train:bpe:4096"]},
                {"budget": "flops=4e12", "best_vocab": 4096, "ahead_untrained": []},
                {"budget": "flops=1.6e13", "best_vocab": 4096, "ahead_untrained": []}]
    verdict = _grows(findings)
    assert verdict.startswith("no: the same vocabulary (4096)") and "at flops=1e12 the optimum is not determined" in verdict
    findings[0]["ahead_untrained"] = []  # had 1024 been the optimum at 1e12, the optimum would grow
    assert _grows(findings).startswith("yes")
    assert _grows(findings[:1]).startswith("one budget")
    findings[1]["ahead_untrained"] = findings[2]["ahead_untrained"] = ["x"]
    assert _grows(findings).startswith("cannot tell")


def test_a_folder_written_before_ahead_untrained_is_settled_from_its_table():
    from tokeff.vocab_study import settle

    table = pd.DataFrame([
        {"budget": "flops=1e12", "tokenizer": "train:bpe:1024", "bits_per_byte": 2.84, "trained": True},
        {"budget": "flops=1e12", "tokenizer": "train:bpe:4096", "bits_per_byte": 2.62, "trained": False},
        {"budget": "flops=4e12", "tokenizer": "train:bpe:1024", "bits_per_byte": 2.29, "trained": True},
        {"budget": "flops=4e12", "tokenizer": "train:bpe:4096", "bits_per_byte": 2.20, "trained": True}])
    old = {"bpe": ["train:bpe:1024", "train:bpe:4096"], "budgets": ["flops=1e12", "flops=4e12"],
           "optimum_grows_with_compute": "yes: the best vocabulary grows with compute",
           "per_budget": [{"budget": "flops=1e12", "best_vocab": 1024, "best_tokenizer": "train:bpe:1024",
                           "best_bits_per_byte": 2.84},
                          {"budget": "flops=4e12", "best_vocab": 4096, "best_tokenizer": "train:bpe:4096",
                           "best_bits_per_byte": 2.20}]}
    settled = settle(old, table)
    assert [f["ahead_untrained"] for f in settled["per_budget"]] == [["train:bpe:4096"], []]
    assert settled["optimum_grows_with_compute"].startswith("cannot tell")
    assert "ahead_untrained" not in old["per_budget"][0]  # the record read from the folder is left as it was
