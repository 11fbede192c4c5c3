"""Run by ``tests/test_lm_distributed.py`` under ``torchrun``: every process trains the micro LM
three ways (whole; stopped at step 3; resumed from that checkpoint), then under focal loss, and
writes what it returned.

Usage: ``torchrun --standalone --nproc_per_node=N tests/lm_distributed_run.py TEXTS.json OUT_DIR``
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from tokeff.adapters.simple import BytesTokenizer
from tokeff.lm import GPT, ModelConfig, TrainConfig, train_lm

MICRO = ModelConfig(n_layer=1, n_head=2, d_model=32, context=32)
RECIPE = dict(model=MICRO, budget="steps=6", seed=1, progress=False, device="cpu", eval_every=1,
              train_config=TrainConfig(batch_size=8))


def summary(result) -> dict:
    return {"curve": result.curve["bits_per_byte"].tolist(), "bits_per_byte": result.bits_per_byte,
            "steps": result.steps, "tokens_seen": result.train_tokens_seen, "eval_tokens": result.eval_tokens}


def count_rows(rows: list[int]) -> None:
    """Count the rows of every training forward pass of the model (evaluation runs in eval mode)."""
    forward = GPT.forward

    def counted(self, idx, *args, **kwargs):
        if self.training:
            rows.append(idx.shape[0])
        return forward(self, idx, *args, **kwargs)

    GPT.forward = counted


def main(texts_file: str, out: str) -> None:
    texts = json.loads(Path(texts_file).read_text(encoding="utf-8"))
    train, evals = texts[:-20], texts[-20:]
    rank = int(os.environ["RANK"])
    folder = Path(out)
    tok = BytesTokenizer()
    rows: list[int] = []
    count_rows(rows)
    whole = train_lm(tok, train, evals, **RECIPE)
    (folder / f"rows-{rank}.json").write_text(json.dumps(sum(rows)))
    # each rank names its own folder: only rank 0's may get a checkpoint
    ckpt = folder / f"checkpoints-{rank}"
    train_lm(tok, train, evals, **RECIPE, checkpoint_dir=ckpt, stop_at_step=3)
    resumed = train_lm(tok, train, evals, **RECIPE, checkpoint_dir=ckpt, resume=True)
    focal = train_lm(tok, train, evals, **RECIPE, loss="focal:2")  # another training loss, the same split
    (folder / f"rank-{rank}.json").write_text(json.dumps({"whole": summary(whole), "resumed": summary(resumed),
                                                          "focal": summary(focal)}))


if __name__ == "__main__":
    main(*sys.argv[1:])
