"""``python -m tokeff`` end to end, and every user mistake as one line without a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tokeff.results import METRIC_COLUMNS

REPO = Path(__file__).resolve().parents[1]


def tokeff(*args: str, env: dict[str, str] | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tokeff", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def assert_one_line_error(proc: subprocess.CompletedProcess, *fragments: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("tokeff: error:")]
    assert len(errors) == 1, proc.stderr
    for f in fragments:
        assert f in errors[0], errors[0]


def test_help_teaches_the_specs() -> None:
    proc = tokeff("analyze", "--help")
    assert proc.returncode == 0
    for spec in ("parallel:DIR", "tiktoken:NAME", "spm:PATH.model", "train:KIND:VOCAB", "known:NAME"):
        assert spec in proc.stdout


def test_analyze_default_corpus_end_to_end(tmp_path: Path, shared_dir: Path) -> None:
    out = tmp_path / "res"
    env = {"TIKTOKEN_CACHE_DIR": str(shared_dir / "tokenizers" / "tiktoken")}
    proc = tokeff("analyze", "--out", str(out), "--no-progress", "--bootstrap", "50",
                  "--tokenizer", "bytes", "--tokenizer", "tiktoken:cl100k_base", "--tokenizer", "train:hf-bpe:1024",
                  "--tokenizer", "train:spm-unigram:4000", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "bytes_per_token" in proc.stdout and "[UTF-8 bytes / token]" in proc.stdout  # unit under each metric
    df = pd.read_csv(out / "metrics.csv")
    assert list(df.columns) == METRIC_COLUMNS
    assert set(df["corpus"]) == {"pydoc-topics", "stdlib-code", "tokeff-parallel"}
    assert set(df["tokenizer"]) == {"bytes", "tiktoken:cl100k_base", "train:hf-bpe:1024", "train:spm-unigram:4000"}
    bpt = df[(df.metric == "bytes_per_token") & (df.language == "all")].set_index(["corpus", "tokenizer"])["value"]
    assert (bpt.xs("bytes", level="tokenizer") == 1.0).all()  # the baseline, by construction
    cl100k = bpt.xs("tiktoken:cl100k_base", level="tokenizer")
    assert cl100k["pydoc-topics"] > 4 and cl100k["stdlib-code"] > 3.5  # English and code: ~4 bytes a token
    assert cl100k["tokeff-parallel"] < cl100k["pydoc-topics"]  # other scripts cost cl100k more tokens
    assert len(df[(df.corpus == "tokeff-parallel")]["language"].unique()) >= 17  # 16+ languages and "all"
    run = json.loads((out / "run.json").read_text())
    assert run["versions"]["tokenizers"] and {t["family"] for t in run["tokenizers"]} >= {"bytes", "tiktoken", "hf", "sentencepiece"}
    assert (out / "report.pdf").read_bytes()[:5] == b"%PDF-"


def test_analyze_ntrex_parallel(tmp_path: Path, shared_dir: Path) -> None:
    out = tmp_path / "ntrex"
    proc = tokeff("analyze", "--corpus", f"parallel:{shared_dir / 'corpora' / 'ntrex128'}",
                  "--languages", "eng,deu,rus,zho-CN,jpn,arb,hin,tha", "--out", str(out), "--no-progress",
                  "--bootstrap", "50", "--no-report",
                  "--tokenizer", "bytes", "--tokenizer", f"spm:{shared_dir / 'tokenizers' / 'spm' / 'mistral-7b-v0.1.model'}",
                  "--tokenizer", f"hf:{shared_dir / 'tokenizers' / 'hf' / 'gpt2'}")
    assert proc.returncode == 0, proc.stderr
    df = pd.read_csv(out / "metrics.csv")
    premium = df[df.metric == "premium"].set_index(["tokenizer", "language"])["value"]
    gpt2 = f"hf:{shared_dir / 'tokenizers' / 'hf' / 'gpt2'}"
    assert premium[(gpt2, "eng")] == pytest.approx(1.0)
    # GPT-2's English-centric BPE makes Hindi and Thai pay several times English's tokens
    assert premium[(gpt2, "hin")] > 3 and premium[(gpt2, "tha")] > 3
    assert premium[("bytes", "deu")] > 1


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["analyze", "--corpus", "/no/such/file.txt"], ["no such file"]),
        (["analyze", "--tokenizer", "nonsense:x"], ["unknown tokenizer family"]),
        (["analyze", "--tokenizer", "hf:some-org/not-cached"], ["no tokenizer could be loaded"]),
        (["report", "/no/such/folder"], ["no metrics.csv"]),
    ],
)
def test_user_mistakes(args: list[str], fragments: list[str], tmp_path: Path) -> None:
    proc = tokeff(*args, "--out", str(tmp_path / "o"), env={"HF_HUB_OFFLINE": "1"}) if args[0] == "analyze" else tokeff(*args)
    assert_one_line_error(proc, *fragments)


def test_bad_corpus_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert_one_line_error(tokeff("analyze", "--corpus", str(empty), "--tokenizer", "bytes"), "empty")
    binary = tmp_path / "blob.txt"
    binary.write_bytes(bytes(range(256)) * 4)
    assert_one_line_error(tokeff("analyze", "--corpus", str(binary), "--tokenizer", "bytes"), "binary")
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("déjà vu\n".encode("latin-1"))
    proc = tokeff("analyze", "--corpus", str(latin1), "--tokenizer", "bytes", "--out", str(tmp_path / "o"))
    assert_one_line_error(proc, "invalid UTF-8 at byte offset 1", "--errors replace")


def test_debug_shows_the_traceback() -> None:
    proc = tokeff("analyze", "--corpus", "/no/such/file.txt", "--debug")
    assert proc.returncode != 0 and "Traceback" in proc.stderr


def test_results_cache_measures_only_what_is_new(tmp_path: Path, shared_dir: Path) -> None:
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n\n".join(f"Paragraph {i}: the cache keeps finished work, élan {i * 7}." for i in range(60)),
                      encoding="utf-8")
    env = {"TOKEFF_CACHE": str(tmp_path / "cache")}
    common = ["analyze", "--corpus", str(corpus), "--no-progress", "--no-report", "--bootstrap", "30"]
    first = tokeff(*common, "--tokenizer", "bytes", "--out", str(tmp_path / "a"), env=env)
    assert first.returncode == 0, first.stderr
    assert "reusing" not in first.stderr
    second = tokeff(*common, "--tokenizer", "bytes", "--tokenizer", "tiktoken:gpt2", "--out", str(tmp_path / "b"), env=env)
    assert "reusing cached results for 1 of 2 tokenizers" in second.stderr
    fresh = tokeff(*common, "--tokenizer", "bytes", "--tokenizer", "tiktoken:gpt2", "--out", str(tmp_path / "c"), "--no-cache", env=env)
    assert "reusing" not in fresh.stderr
    # pieced together from the cache or measured afresh: the same bytes on disk
    assert (tmp_path / "b" / "metrics.csv").read_bytes() == (tmp_path / "c" / "metrics.csv").read_bytes()
    refreshed = tokeff(*common, "--tokenizer", "bytes", "--out", str(tmp_path / "d"), "--refresh", env=env)
    assert "reusing" not in refreshed.stderr


def test_training_runs_are_cached_and_metrics_csv_is_reproducible(tmp_path: Path) -> None:
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n\n".join(f"Line {i}: small models learn small texts, {i % 7} times." for i in range(120)),
                      encoding="utf-8")
    env = {"TOKEFF_CACHE": str(tmp_path / "cache")}
    common = ["analyze", "--corpus", str(corpus), "--tokenizer", "bytes", "--train", "--budget", "steps=3",
              "--no-progress", "--no-report", "--bootstrap", "20"]
    first = tokeff(*common, "--out", str(tmp_path / "a"), env=env)
    assert first.returncode == 0, first.stderr
    assert not list((tmp_path / "a" / "checkpoints").glob("*"))  # finished runs leave no optimizer state
    second = tokeff(*common, "--out", str(tmp_path / "b"), env=env)
    assert "reusing the cached training run" in second.stderr
    fresh = tokeff(*common, "--out", str(tmp_path / "c"), "--no-cache", env=env)
    assert "trained bytes" in fresh.stderr
    # timings live in run.json, so a retrained run writes the very same metrics.csv
    assert (tmp_path / "a" / "metrics.csv").read_bytes() == (tmp_path / "c" / "metrics.csv").read_bytes()
    assert (tmp_path / "b" / "metrics.csv").read_bytes() == (tmp_path / "c" / "metrics.csv").read_bytes()
    run = json.loads((tmp_path / "c" / "run.json").read_text())
    assert run["training"]["runs"][0]["achieved_flops_per_second"] > 0
