"""The training loop under ``torchrun``: two CPU processes (gloo) train to the loss curve one
process trains with the same global batch, resume from rank 0's checkpoint as one process does,
and agree on every number; only rank 0 writes. Real text: Tiny Shakespeare's opening speeches."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tokeff.adapters.simple import BytesTokenizer
from tokeff.corpus import load_corpus
from tokeff.lm import train_lm
from tokeff.lm.distributed import Group

from .lm_distributed_run import RECIPE

HERE = Path(__file__).resolve().parent


def torchrun(*args: str, timeout: int = 180) -> subprocess.CompletedProcess:
    """``torchrun --standalone --nproc_per_node=2 ARGS``. On a timeout the launcher is sent SIGTERM,
    which it passes on to the processes it started (each in a session of its own: killing the
    launcher alone would leave them waiting in a collective)."""
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.terminate()
        out, err = proc.communicate(timeout=60)
        pytest.fail(f"torchrun did not finish in {timeout} s: {err[-2000:]}")
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


@pytest.fixture(scope="module")
def texts(shared_dir: Path) -> list[str]:
    (corpus,) = load_corpus(str(shared_dir / "corpora" / "tinyshakespeare" / "input.txt"))
    return [d.text for _, d in zip(range(220), corpus)]


def test_two_processes_train_the_one_process_curve(texts: list[str], tmp_path: Path) -> None:
    (tmp_path / "texts.json").write_text(json.dumps(texts), encoding="utf-8")
    proc = torchrun(str(HERE / "lm_distributed_run.py"), str(tmp_path / "texts.json"), str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank-{r}.json").read_text()) for r in (0, 1)]
    one = train_lm(BytesTokenizer(), texts[:-20], texts[-20:], **RECIPE)

    two = ranks[0]["whole"]
    assert two["steps"] == one.steps == 6 and two["tokens_seen"] == one.train_tokens_seen == 6 * 8 * 32
    assert two["curve"] == pytest.approx(one.curve["bits_per_byte"].tolist(), rel=1e-5)
    assert two["bits_per_byte"] == pytest.approx(one.bits_per_byte, rel=1e-5)
    assert two["curve"][0] != two["curve"][-1]  # it learned: the points are not all the first one
    # each process trained on its half of every global batch of 8 rows
    assert [json.loads((tmp_path / f"rows-{r}.json").read_text()) for r in (0, 1)] == [6 * 4, 6 * 4]
    # every rank returns rank 0's numbers; a resumed run ends where the whole one did
    assert ranks[1] == ranks[0]
    assert ranks[0]["resumed"] == two
    # another training loss splits the same way: each process's summed loss over its rows
    focal = train_lm(BytesTokenizer(), texts[:-20], texts[-20:], **RECIPE, loss="focal:2")
    assert ranks[0]["focal"]["curve"] == pytest.approx(focal.curve["bits_per_byte"].tolist(), rel=1e-5)
    assert ranks[0]["focal"]["curve"] != two["curve"]
    assert (tmp_path / "checkpoints-0" / "checkpoint.pt").exists()
    assert not (tmp_path / "checkpoints-1").exists()  # only rank 0 writes


def test_a_global_batch_is_cut_into_equal_contiguous_blocks() -> None:
    assert [Group(r, 4).rows(8) for r in range(4)] == [slice(0, 2), slice(2, 4), slice(4, 6), slice(6, 8)]
    assert Group().rows(8) == slice(0, 8)
    with pytest.raises(ValueError, match="8 rows does not split evenly over 3 processes"):
        Group(0, 3).rows(8)


def test_analyze_train_under_torchrun_writes_what_one_process_writes(texts: list[str], tmp_path: Path) -> None:
    import pandas as pd

    import tokeff

    corpus = tmp_path / "speeches.txt"
    corpus.write_text("\n\n".join(texts), encoding="utf-8")
    args = ["--corpus", str(corpus), "--tokenizer", "bytes", "--tokenizer", "train:bpe:300", "--train",
            "--budget", "steps=4", "--bootstrap", "50", "--no-cache", "--no-report", "--no-progress"]
    proc = torchrun("-m", "tokeff", "analyze", *args, "--out", str(tmp_path / "two"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("== speeches ==") == 1  # rank 0 reports
    assert proc.stderr.count("training train:bpe:300") == 1  # trained once, shipped to rank 1
    tokeff.analyze(["bytes", "train:bpe:300"], [str(corpus)], out=tmp_path / "one", train=True, budget="steps=4",
                   bootstrap=50, cache=False, report=False, progress=False, note=lambda msg: None)
    one, two = (pd.read_csv(tmp_path / d / "metrics.csv") for d in ("one", "two"))
    lm = one.metric.isin(["bits_per_byte", "token_perplexity", "word_perplexity"])
    pd.testing.assert_frame_equal(two[~lm], one[~lm], check_exact=True)
    assert two[lm].value.tolist() == pytest.approx(one[lm].value.tolist(), rel=1e-5)
    assert sorted(p.name for p in (tmp_path / "two" / "tokenizers").iterdir()) == ["train-bpe-300.json"]


def test_torchrun_without_training_is_refused(texts: list[str], tmp_path: Path, monkeypatch) -> None:
    import tokeff
    from tokeff.errors import TokeffError

    corpus = tmp_path / "speeches.txt"
    corpus.write_text("\n\n".join(texts), encoding="utf-8")
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(TokeffError, match="add --train, or run without torchrun"):
        tokeff.analyze(["bytes"], [str(corpus)], cache=False, report=False, progress=False)
