"""``python -m tokeff probe arithmetic``: the arithmetic probe as a results folder and a report.

Runs :func:`tokeff.probes.run.run_arithmetic` and writes, beside ``run.json``:

* ``probe_scores.csv``: one row per (tokenizer, loss, seed, operation, operand length): exact-match
  and per-digit accuracy on held-out problems, and how many;
* ``probe_runs.csv``: one row per training run (steps, FLOPs, bits per byte on held-out problems);
* ``report.pdf`` / ``report.md``: accuracy per tokenizer and operand length with the seed spread,
  and whether the tokenizer or the loss moves accuracy more.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .. import results
from ..adapters.simple import BytesTokenizer
from ..adapters.tokeff_bpe import TokeffBPETokenizer
from ..pipeline import new_record, print_note
from ..record import CorpusRecord, TokenizerRecord
from ..settings import Settings
from .arithmetic import ArithmeticTask
from .run import NUMBER_TOKENIZERS, PROBE_BUDGET, ProbeResult, factor_spread, run_arithmetic

#: The probes ``python -m tokeff probe KIND`` knows.
KINDS = ("arithmetic",)


def probe(kind: str = "arithmetic", tokenizers: Sequence[Any] = NUMBER_TOKENIZERS, *,
          task: ArithmeticTask = ArithmeticTask(), budget: str = PROBE_BUDGET, losses: Sequence[str] = ("ce",),
          seeds: Sequence[int] = (0,), vocab_size: int = 1024, device: str = "auto", out: str | Path | None = None,
          progress: bool = True, report: bool = True, note: Callable[[str], None] = print_note,
          command: str | None = None) -> ProbeResult:
    """Run a probe (``arithmetic``) and write its results folder (see the module docstring)."""
    import os

    from ..errors import TokeffError
    from ..lm.losses import parse_losses

    if kind not in KINDS:
        raise TokeffError(f"unknown probe {kind!r}; choose one of {', '.join(KINDS)}")
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise TokeffError("the probe trains its small models in one process; start it without torchrun")
    loss_specs = [loss.spec for loss in parse_losses(",".join(losses))]
    from ..lm import resolve_device

    device = str(resolve_device(device))  # the record names the device the models ran on
    note(f"probe {kind}: {len(tokenizers)} tokenizers x {len(loss_specs)} losses x {len(seeds)} seeds at {budget}")
    result = run_arithmetic(list(tokenizers), task=task, budget=budget, losses=loss_specs, seeds=list(seeds),
                            vocab_size=vocab_size, device=device, progress=progress, log=note)
    if out is not None:
        folder = Path(out)
        record = new_record(Settings(), [t if isinstance(t, str) else t.name for t in tokenizers], [kind], command)
        spread = factor_spread(result.scores)
        record.settings = {"probe": kind, "budget": budget, "losses": loss_specs, "seeds": list(seeds),
                           "vocab_size": vocab_size, "device": device, "task": asdict(task)}
        record.corpora = [CorpusRecord(name=kind, documents=int(result.scores.groupby(["operation", "digits"])["n"].first().sum()),
                                       description=_describe(task), split="held out")]
        vocab = dict(zip(result.runs["tokenizer"], result.runs["vocab_size"]))
        record.tokenizers = [TokenizerRecord(name=str(t), family=BytesTokenizer.family if t == "bytes" else
                                             TokeffBPETokenizer.family, vocab_size=int(v), source="" if t == "bytes"
                                             else f"tokeff BPE with the {t} pre-split, trained on the probe's problems")
                             for t, v in vocab.items()]
        record.extra["probe"] = {"kind": kind, "tokenizers": list(dict.fromkeys(result.runs["tokenizer"])),
                                 "factor_spread": spread.to_dict("records")}
        results.write_csv(folder / results.PROBE_SCORES_FILE, result.scores)
        results.write_csv(folder / results.PROBE_RUNS_FILE, result.runs)
        record.save(folder)
        if report:
            from ..reporting import build_report

            build_report(folder)
    return result


def _describe(task: ArithmeticTask) -> str:
    ops = []
    for op, lengths in task.trained_lengths().items():
        name = "addition" if op == "+" else "multiplication"
        tested = task.tested_lengths()[op]
        ops.append(f"{name}: trained on {', '.join(map(str, lengths))}-digit operands ({task.n_train:,} problems "
                   f"each), tested on {task.n_test:,} held-out problems of {', '.join(map(str, tested))} digits")
    return "; ".join(ops)
