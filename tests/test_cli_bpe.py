"""``train-bpe`` and ``sweep`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import tiktoken.load
from tokenizers import Tokenizer

from tokeff.adapters import load_tokenizer

from .test_cli import assert_one_line_error, tokeff


def _corpus(tmp_path: Path) -> Path:
    from tokeff.corpus.default import pydoc_corpus

    path = tmp_path / "prose.txt"
    texts = [t for _, t in zip(range(400), pydoc_corpus().texts())]
    path.write_text("\n\n".join(texts), encoding="utf-8")
    return path


def test_train_bpe_in_every_format_encodes_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = _corpus(tmp_path)
    outs = {fmt: tmp_path / f"bpe.{fmt}" for fmt in ("tokeff", "hf", "tiktoken")}
    for fmt, out in outs.items():
        proc = tokeff("train-bpe", "--corpus", str(corpus), "--vocab-size", "600", "--out", str(out),
                      "--format", fmt, "--no-progress")
        assert proc.returncode == 0, proc.stderr
    sample = "The interpreter evaluates expressions; naïve café 你好."
    ours = load_tokenizer(f"tokeff:{outs['tokeff']}")
    assert ours.vocab_size == 600
    assert Tokenizer.from_file(str(outs["hf"])).encode(sample).ids == ours.encode(sample)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")  # tiktoken would copy the file into its cache folder
    ranks = tiktoken.load.load_tiktoken_bpe(str(outs["tiktoken"]))
    assert len(ranks) == 600
    assert json.loads(outs["tokeff"].read_text(encoding="utf-8"))  # documented JSON


def test_train_bpe_rejects_tiny_vocab(tmp_path: Path) -> None:
    proc = tokeff("train-bpe", "--corpus", str(_corpus(tmp_path)), "--vocab-size", "100", "--out", str(tmp_path / "x.json"))
    assert_one_line_error(proc, "100")


def test_sweep_measures_every_prefix(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    proc = tokeff("sweep", "--corpus", str(_corpus(tmp_path)), "--vocab", "300,600,1200", "--out", str(out),
                  "--no-progress", "--bootstrap", "20")
    assert proc.returncode == 0, proc.stderr
    df = pd.read_csv(out / "metrics.csv")
    bpt = df[(df.metric == "bytes_per_token") & (df.language == "all")].set_index("tokenizer")["value"]
    # a larger vocabulary is a superset of merges, so it compresses at least as well
    assert bpt["train:bpe:300"] < bpt["train:bpe:600"] < bpt["train:bpe:1200"]
    run = json.loads((out / "run.json").read_text())
    assert [t["vocab_size"] for t in run["sweep"]["tokenizers"]] == [300, 600, 1200]
    assert (out / "report.pdf").exists()
