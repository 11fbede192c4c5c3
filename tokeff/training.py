"""The training stage: the shared small LM trained under every tokenizer of a run, on the same text.

Every tokenizer gets the same training text (the corpora's train split), the same evaluation
text (a fixed slice of their eval split, the same bytes for every tokenizer), the same model
shape, loss, optimizer, schedule, seed and budget: only the tokenizer changes. The numbers land
in the same tidy table as the compression metrics, with the learning curves in ``curves.csv``
and the cost model in ``cost.csv``.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from . import results
from .corpus import Corpus, train_texts
from .errors import TokeffError
from .record import CorpusRecord, TrainingRecord
from .settings import Settings, TrainSettings

if TYPE_CHECKING:
    from .cache import ResultsCache
    from .pipeline import Loaded

#: Tokenizers with more ids than this get no LM: the embedding would dwarf the model
#: (``chars`` has all of Unicode, 1,114,112 ids).
MAX_LM_VOCAB = 262_144


@dataclass
class Training:
    """What the training stage produced: LM rows for the metrics table, the learning curves, the
    cost model, and the record of how (``run.json``'s ``training``)."""

    rows: pd.DataFrame
    curves: pd.DataFrame | None
    cost: pd.DataFrame | None
    record: TrainingRecord


def lm_eval_texts(corpora: Sequence[Corpus], eval_bytes: Sequence[int] | None = None,
                  per_corpus: int = TrainSettings.eval_bytes) -> list[str]:
    """The LM's evaluation texts: from each corpus, every k-th eval document, k chosen so about
    ``per_corpus`` bytes are taken. A stride rather than a prefix, so that a corpus stored
    language by language (a parallel corpus) is scored in all its languages, not only the first
    one. ``eval_bytes``: each corpus's eval-split size in UTF-8 bytes when the caller has it (else
    it is counted). The training texts are the whole train split (``train_texts``)."""
    evals: list[str] = []
    for i, c in enumerate(corpora):
        size = eval_bytes[i] if eval_bytes is not None else sum(len(t.encode("utf-8")) for t in c.texts("eval"))
        stride = max(1, math.ceil(size / per_corpus))
        evals += [t for k, t in enumerate(c.texts("eval")) if k % stride == 0]
    return evals


def check_training_settings(training: TrainSettings) -> None:
    """Fail with one line, before any work, on a budget or model preset the LM loop would refuse
    (it would otherwise only find out after the measurement pass)."""
    from .lm.budget import Budget
    from .lm.model import model_config

    if training.budget is not None:
        try:
            Budget.parse(training.budget)
        except ValueError as e:
            raise TokeffError(f"--budget {training.budget}: {e}; e.g. --budget steps=200") from None
    try:
        model_config(training.model)
    except ValueError as e:
        raise TokeffError(f"--model-size {training.model}: {e}") from None


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in name)[:80]


#: LM numbers that are timings: recorded in run.json, kept out of metrics.csv so that the same
#: command gives the same metrics.csv byte for byte.
TIMING_METRICS = ("achieved_flops_per_second",)


def train(loaded: "Loaded", described: Sequence[CorpusRecord], settings: Settings,
          cache: "ResultsCache | None" = None, *, folder: Path | None = None,
          note: Callable[[str], None] = print) -> Training:
    """Train one LM per tokenizer (see the module docstring).

    Writes ``curves.csv``/``cost.csv`` after every tokenizer, so an interrupted run keeps what
    finished, and checkpoints let a rerun resume the one in flight. With a results ``cache``
    (keyed by the corpora's content, the tokenizer and every training setting) a tokenizer
    already trained under the same settings is not trained again; its checkpoint folder is
    removed once its results are stored (the optimizer state of a 200k vocabulary is hundreds of
    megabytes). ``settings.refresh`` trains again and replaces what is cached."""
    from .lm import DEFAULT_BUDGET
    from .lm.train import resolve_device

    training = settings.training or TrainSettings()
    corpora: list[Corpus] = loaded.corpora
    evals = lm_eval_texts(corpora, [d.bytes for d in described], training.eval_bytes)
    train_set: list[str] | None = None  # read at the first run that is not cached (if all are: never)
    corpus_name = "+".join(c.name for c in corpora)
    budget = str(training.budget or DEFAULT_BUDGET)
    seed = training.seeds[0]
    curves: list[pd.DataFrame] = []
    costs: list[pd.DataFrame] = []
    lm_rows: list[pd.DataFrame] = []
    record = TrainingRecord(corpus=corpus_name, budget=budget, model=training.model, seeds=[seed],
                            eval_texts=len(evals), eval_bytes=sum(len(t.encode("utf-8")) for t in evals))
    # the key: every training setting, with the device as it resolves here ("auto" is not a device)
    keyed = replace(training, budget=budget, seeds=(seed,), device=resolve_device(training.device).type)
    for tok in loaded.tokenizers:
        if tok.vocab_size > MAX_LM_VOCAB:
            note(f"no LM for {tok.name}: {tok.vocab_size:,} ids is too many for an embedding table")
            record.skipped.append({"tokenizer": tok.name, "reason": f"vocabulary of {tok.vocab_size} ids"})
            continue
        entry = None
        if cache is not None:
            entry = cache.cached("train", _RUN_PARTS, corpus=corpus_name, corpora_content=[d.fingerprint for d in described],
                                 tokenizer=tok.name, tokenizer_content=tok.fingerprint(), settings=keyed)
        stored = None if settings.refresh or entry is None else entry.get()
        if stored is None:
            ckpt = folder / "checkpoints" / _slug(tok.name) if folder is not None else None
            if train_set is None:
                train_set = list(train_texts(corpora))
            stored = _train_one(tok, train_set, evals, corpus_name, ckpt, note,
                                dict(model=training.model, budget=budget, seed=seed, device=training.device,
                                     progress=settings.progress))
            if entry is not None:
                entry.put(stored)
            if ckpt is not None:
                shutil.rmtree(ckpt, ignore_errors=True)
        else:
            note(f"{tok.name}: reusing the cached training run")
        rows, curve, cost, run = stored
        lm_rows.append(rows)
        curves.append(curve)
        costs.append(cost)
        run_info = run.iloc[0].to_dict()
        record.loss_function = record.loss_function or run_info["loss_function"]
        record.device = record.device or run_info["device"]
        record.train_texts = record.train_texts or int(run_info["train_texts"])
        record.model_config = record.model_config or json.loads(run_info["model_config"])
        record.runs.append({k: v for k, v in run_info.items() if k in _RUN_INFO})
        if folder is not None:
            results.write_csv(folder / results.CURVES_FILE, _curves(curves))
            results.write_csv(folder / results.COST_FILE, pd.concat(costs, ignore_index=True))
    rows = pd.concat(lm_rows, ignore_index=True) if lm_rows else pd.DataFrame(columns=results.METRIC_COLUMNS)
    return Training(rows, _curves(curves) if curves else None,
                    pd.concat(costs, ignore_index=True) if costs else None, record)


_RUN_PARTS = ("metrics", "curve", "cost", "run")
_RUN_INFO = ("tokenizer", "steps", "wall_seconds", "train_flops", "tokens_per_step", "achieved_flops_per_second")



def _train_one(tok, train_texts: list[str], eval_texts: list[str], corpus_name: str, ckpt: Path | None,
               note: Callable[[str], None], kwargs: dict) -> tuple[pd.DataFrame, ...]:
    """Train (or resume) one run; its metric rows, curve, cost table and run record."""
    from .lm import cost_table, train_lm

    if ckpt is not None and (ckpt / "checkpoint.pt").exists():
        note(f"{tok.name}: resuming from the checkpoint in {ckpt}")
    try:
        result = train_lm(tok, train_texts, eval_texts, checkpoint_dir=ckpt, resume=ckpt is not None, **kwargs)
    except ValueError as e:
        if ckpt is None or "different run" not in str(e):
            raise
        note(f"{tok.name}: the checkpoint in {ckpt} is from other settings; starting afresh")
        shutil.rmtree(ckpt, ignore_errors=True)
        result = train_lm(tok, train_texts, eval_texts, checkpoint_dir=ckpt, resume=True, **kwargs)
    note(f"trained {tok.name}: {result.bits_per_byte:.3f} bits/byte after {result.steps} steps "
         f"({result.train_bytes_seen / 1e6:.2f} MB seen, {result.wall_seconds:.1f} s)")
    rows = results.tidy([{"corpus": corpus_name, "language": "all", "tokenizer": tok.name, **r,
                          "ci_low": math.nan, "ci_high": math.nan, "n": result.eval_tokens, "note": ""}
                         for r in result.rows() if r["metric"] not in TIMING_METRICS])
    cost = cost_table(result.eval_tokens / result.eval_bytes, result.eval_tokens / max(1, result.eval_words),
                      tok.vocab_size, tokenizer=tok.name)
    run = pd.DataFrame([{"tokenizer": tok.name, "steps": result.steps, "wall_seconds": round(result.wall_seconds, 3),
                         "train_flops": result.train_flops, "tokens_per_step": result.tokens_per_step,
                         "achieved_flops_per_second": result.achieved_flops_per_second,
                         "loss_function": result.loss_function, "device": result.device,
                         "train_texts": len(train_texts),
                         "model_config": json.dumps(result.model_config.to_dict())}])
    return rows, result.curve.assign(tokenizer=tok.name), cost, run


def _curves(curves: list[pd.DataFrame]) -> pd.DataFrame:
    df = pd.concat(curves, ignore_index=True)
    return df[["tokenizer"] + [c for c in df.columns if c != "tokenizer"]]
