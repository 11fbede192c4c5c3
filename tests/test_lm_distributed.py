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


@pytest.fixture(scope="module")
def texts(shared_dir: Path) -> list[str]:
    (corpus,) = load_corpus(str(shared_dir / "corpora" / "tinyshakespeare" / "input.txt"))
    return [d.text for _, d in zip(range(220), corpus)]


def test_two_processes_train_the_one_process_curve(texts: list[str], tmp_path: Path) -> None:
    (tmp_path / "texts.json").write_text(json.dumps(texts), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                           str(HERE / "lm_distributed_run.py"), str(tmp_path / "texts.json"), str(tmp_path)],
                          capture_output=True, text=True, timeout=180)
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
    assert (tmp_path / "checkpoints-0" / "checkpoint.pt").exists()
    assert not (tmp_path / "checkpoints-1").exists()  # only rank 0 writes


def test_a_global_batch_is_cut_into_equal_contiguous_blocks() -> None:
    assert [Group(r, 4).rows(8) for r in range(4)] == [slice(0, 2), slice(2, 4), slice(4, 6), slice(6, 8)]
    assert Group().rows(8) == slice(0, 8)
    with pytest.raises(ValueError, match="8 rows does not split evenly over 3 processes"):
        Group(0, 3).rows(8)
