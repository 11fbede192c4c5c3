"""The study: what vocabulary size buys at a given compute, with seeds and intervals.

``python -m tokeff study`` (and :func:`study`) answers the question behind "what does my tokenizer
buy?" on one corpus:

1. tokeff's BPE is trained once on the train split at the largest vocabulary asked for; every
   smaller vocabulary is a prefix of its merge list (``BPEModel.truncate``), so the vocabularies
   differ in size only;
2. the shared small LM is trained under each of them, and under any other tokenizer named (the
   byte baseline by default), at equal compute, once per seed (:mod:`tokeff.training`);
3. for each budget: bits per byte against vocabulary size with intervals over evaluation
   documents and the seed spread, the vocabulary that minimizes it among those that trained, and
   the relation between compression (bytes per token on the same evaluation documents) and bits
   per byte across every trained tokenizer: Spearman's ρ with a bootstrap interval (Goldman et al.
   2024, "Unpacking Tokenization: Evaluating Text Compression and its Correlation with Model
   Performance");
4. with several budgets (``--budgets``), whether the best vocabulary grows with compute, the
   question of Tao et al. 2024, "Scaling Laws with Vocabulary: Larger Models Deserve Larger
   Vocabularies".

Presets size the runs for the hardware (:data:`PRESETS`): ``cpu`` trains models that learn in
about ten minutes on two cores, ``gpu`` a ≈25M-parameter model with bf16 autocast and
``torch.compile``. The results folder holds what ``analyze --train`` writes plus ``study.csv``
(one row per budget and tokenizer) and the study's conclusions in ``run.json``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .adapters import Tokenizer
from .corpus import Corpus, train_texts
from .errors import TokeffError
from .adapters.trained import TRAIN_BPE_PATTERN
from .pipeline import Note, Run, attach, begin, finish, print_note, train_stage
from .settings import Settings, TrainSettings

if TYPE_CHECKING:
    from .pipeline import Loaded
    from .training import Training

#: Vocabulary sizes of a study when none are given.
DEFAULT_VOCABS = (1024, 4096, 16384)



@dataclass(frozen=True)
class Preset:
    """Settings sized for a kind of hardware."""

    name: str
    help: str
    model: str
    budget: str
    seeds: int
    eval_bytes: int
    amp: str | None = None
    compile: bool = False
    device: str = "auto"


PRESETS: dict[str, Preset] = {
    "cpu": Preset("cpu", "about ten minutes on 2 CPU cores for bytes and three vocabularies up to 16k, 3 seeds, on a "
                         "few MB of text: models that train",
                  model="tiny", budget="flops=4e12", seeds=3, eval_bytes=64_000),
    "gpu": Preset("gpu", "a ≈25M-parameter model (8 layers × 512) with bf16 autocast and torch.compile on CUDA",
                  model="large", budget="flops=2e16", seeds=3, eval_bytes=1_000_000, amp="bf16", compile=True,
                  device="auto"),
}


def parse_budgets(text: str | Sequence[str | float] | None) -> list[str]:
    """``"1e12,4e12"`` or a list: budgets as ``kind=amount`` strings (a bare number is FLOPs),
    in increasing order."""
    from .lm.budget import Budget

    if text is None:
        return []
    items = [x.strip() for x in text.split(",")] if isinstance(text, str) else [str(x) for x in text]
    out = []
    for item in filter(None, items):
        spec = item if "=" in item else f"flops={item}"
        try:
            out.append(Budget.parse(spec))
        except ValueError as e:
            raise TokeffError(f"--budgets {text}: {e}") from None
    kinds = {b.kind for b in out}
    if len(kinds) > 1:
        raise TokeffError(f"--budgets {text}: give budgets of one kind (e.g. all FLOPs)")
    return [str(b) for b in sorted(out, key=lambda b: b.amount)]


def prefix_tokenizers(corpora: Sequence[Corpus], vocab_sizes: Sequence[int], pattern: str, *,
                      progress: bool = True, note: Note = print_note) -> list[Tokenizer]:
    """tokeff's BPE trained once on the corpora's train split at the largest size, and every
    smaller size as a prefix of its merges. Named ``train:bpe:N`` with the cl100k pre-split (as
    that spec trains them), ``train:bpe-PATTERN:N`` with another."""
    from .adapters.tokeff_bpe import TokeffBPETokenizer
    from .bpe import train_bpe

    if not vocab_sizes:
        raise TokeffError("no vocabulary sizes given; pass e.g. --vocab 1024,4096,16384")
    largest = max(vocab_sizes)
    note(f"training tokeff BPE to {largest} on the train split of {', '.join(c.name for c in corpora)}")
    model = train_bpe(train_texts(corpora), largest, pattern=pattern, progress=progress)
    kind = _kind(pattern)
    return [TokeffBPETokenizer(model.truncate(n) if n < model.vocab_size else model, name=f"train:{kind}:{n}",
                               source=f"tokeff BPE ({pattern}), prefix of a {largest} run")
            for n in sorted(set(vocab_sizes)) if n <= model.vocab_size]


def _kind(pattern: str) -> str:
    """The ``KIND`` of the names of tokeff BPE vocabularies with this pre-split."""
    return "bpe" if pattern == TRAIN_BPE_PATTERN else f"bpe-{pattern}"


def study(
    corpora: Iterable[str | Corpus],
    vocab_sizes: Sequence[int] = DEFAULT_VOCABS,
    *,
    tokenizers: Iterable[str | Tokenizer] = ("bytes",),
    preset: str | None = None,
    budgets: str | Sequence[str | float] | None = None,
    pattern: str = TRAIN_BPE_PATTERN,
    settings: Settings | None = None,
    out: str | Path | None = None,
    note: Note = print_note,
    command: str | None = None,
    **options: Any,
) -> Run:
    """Train the shared LM under tokeff BPE at ``vocab_sizes`` (and under ``tokenizers``) at equal
    compute with seeds, at one or several budgets; see the module docstring.

    ``preset``: ``"cpu"`` or ``"gpu"`` (:data:`PRESETS`); keywords given beside it win (``seeds=2``,
    ``budget="flops=1e12"``...). ``budgets``: several budgets (``"1e12,4e12,1.6e13"``); the largest
    is the one whose results fill ``metrics.csv`` and the training page.
    """
    options.setdefault("train", True)
    if preset is None:
        options.setdefault("seeds", 2)  # a ranking needs the seed spread
    else:
        if preset not in PRESETS:
            raise TokeffError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
        p = PRESETS[preset]
        for key, value in (("model", p.model), ("budget", p.budget), ("seeds", p.seeds), ("eval_bytes", p.eval_bytes),
                           ("amp", p.amp), ("compile", p.compile), ("device", p.device)):
            options.setdefault(key, value)
    settings = Settings.build(settings, **options)
    training = settings.training or TrainSettings()
    plan = parse_budgets(budgets) or [training.budget or _default_budget()]
    bpe_names: list[str] = []

    def vocabularies(cs: list[Corpus]) -> list[Tokenizer]:
        bpe = prefix_tokenizers(cs, vocab_sizes, pattern, progress=settings.progress, note=note)
        bpe_names.extend(t.name for t in bpe)
        return bpe

    wanted = [t for t in tokenizers if not (isinstance(t, str) and t.startswith(f"train:{_kind(pattern)}:"))]
    session = begin(wanted, corpora, settings, out=out, note=note, command=command, more_tokenizers=vocabularies)
    rows: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    bpe = bpe_names or [t.name for t in session.loaded.tokenizers if t.name.startswith(f"train:{_kind(pattern)}:")]
    for budget in plan:
        session.note(f"study: training at {budget}")
        at = replace(settings, training=replace(training, budget=budget))
        primary = budget == plan[-1]
        t0 = time.time()
        trained = train_stage(session, at, write=primary)
        table, finding = _summarize_budget(budget, trained, session.loaded, bpe, at)
        rows += table
        findings.append(finding)
        if primary:
            attach(session, trained, time.time() - t0)
    session.result.study = pd.DataFrame(rows)
    session.result.record.study = {"vocab_sizes": sorted(set(vocab_sizes)), "pattern": pattern, "preset": preset,
                                   "budgets": plan, "bpe": bpe, "per_budget": findings,
                                   "optimum_grows_with_compute": _grows(findings)}
    return finish(session)


def _default_budget() -> str:
    from .lm import DEFAULT_BUDGET

    return str(DEFAULT_BUDGET)


def _summarize_budget(budget: str, trained: "Training", loaded: "Loaded", bpe: Sequence[str],
                      settings: Settings) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """study.csv rows of one budget, and its findings: the best trained vocabulary, whether its
    neighbours are separated from it, and Spearman's ρ between compression and bits per byte."""
    from .lm.compare import compression_replicates, replicates, spearman, spearman_interval
    from .metrics.bootstrap import Bootstrap

    m = settings.metrics
    boot = Bootstrap(m.bootstrap_replicates, m.confidence, m.seed)
    main_loss = (settings.training.losses[0] if settings.training is not None else "ce")
    runs = trained.runs if trained.runs is not None else pd.DataFrame(columns=["tokenizer", "loss", "steps", "train_flops"])
    runs = runs[runs["loss"] == main_loss]
    summary = trained.summary.set_index("tokenizer") if trained.summary is not None else pd.DataFrame()
    vocab = {t.name: t.vocab_size for t in loaded.tokenizers}
    rows = []
    for name, losses in (trained.doc_losses or {}).items():
        mine, r = runs[runs["tokenizer"] == name], summary.loc[name]
        rows.append({"budget": budget, "tokenizer": name, "vocab_size": vocab.get(name, 0),
                     "bytes_per_token": float(losses.bytes.sum() / losses.tokens.sum()) if losses.tokens is not None else math.nan,
                     "bits_per_byte": r["bits_per_byte"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
                     "seed_sd": r["seed_sd"], "seeds": int(r["seeds"]), "trained": bool(r["trained"]),
                     "steps": int(mine["steps"].iloc[0]) if len(mine) else 0,
                     "train_flops": float(mine["train_flops"].iloc[0]) if len(mine) else math.nan})
    for s in trained.record.skipped:
        if not s.get("trained_but_not_ranked"):
            rows.append({"budget": budget, "tokenizer": s["tokenizer"], "vocab_size": vocab.get(s["tokenizer"], 0),
                         "trained": False, "needed_flops": s.get("needed_flops"), "reason": s.get("reason", "")})
    finding: dict[str, Any] = {"budget": budget}
    ok = [r for r in rows if r.get("trained")]
    bpe_set = set(bpe)
    bpe = [r for r in ok if r["tokenizer"] in bpe_set]
    if bpe:
        best = min(bpe, key=lambda r: r["bits_per_byte"])
        finding["best_vocab"] = int(best["vocab_size"])
        finding["best_tokenizer"] = best["tokenizer"]
        finding["best_bits_per_byte"] = best["bits_per_byte"]
        finding["ahead_untrained"] = ahead_of_best(rows, best, bpe_set)
        comps = trained.comparisons
        if comps is not None:
            comps = comps[comps["loss"] == main_loss]
            separated = []
            for r in bpe:
                if r is best:
                    continue
                c = comps[((comps["a"] == best["tokenizer"]) & (comps["b"] == r["tokenizer"]))
                          | ((comps["b"] == best["tokenizer"]) & (comps["a"] == r["tokenizer"]))]
                if len(c):
                    separated.append({"tokenizer": r["tokenizer"], "verdict": str(c["verdict"].iloc[0] or ""),
                                      "decided_by": str(c["decided_by"].iloc[0])})
            finding["against_best"] = separated
    finding["untrained"] = [r["tokenizer"] for r in rows if not r.get("trained")]
    if len(ok) >= 3 and trained.doc_losses:
        names = [r["tokenizer"] for r in ok]
        losses = [trained.doc_losses[n] for n in names]
        if all(x.tokens is not None for x in losses):
            w = None
            if boot.replicates > 0:
                from .lm.compare import doc_weights

                w = doc_weights(losses[0].slots, boot)
            x = np.array([r["bytes_per_token"] for r in ok])
            y = np.array([r["bits_per_byte"] for r in ok])
            xr = np.stack([compression_replicates(x_, boot, w) for x_ in losses], axis=1) if w is not None else None
            yr = np.stack([replicates(x_, boot, w) for x_ in losses], axis=1) if w is not None else None
            rho, lo, hi = spearman_interval(xr, yr, x, y, boot) if w is not None else (spearman(x, y), math.nan, math.nan)
            finding["spearman_rho"] = {"tokenizers": names, "rho": rho, "ci_low": lo, "ci_high": hi,
                                       "between": "bytes per token and bits per byte"}
    return rows, finding


def ahead_of_best(rows: Sequence[dict[str, Any]], best: dict[str, Any], bpe: set[str]) -> list[str]:
    """The vocabularies that did not train (still learning) yet already score lower bits per byte
    than the best one that did: with them, the budget's optimum is not determined (a run still
    learning only gets better)."""
    return [r["tokenizer"] for r in rows
            if r["tokenizer"] in bpe and not r.get("trained") and math.isfinite(r.get("bits_per_byte", math.nan))
            and r["bits_per_byte"] < best["bits_per_byte"]]


def settle(study: dict[str, Any], table: pd.DataFrame | None) -> dict[str, Any]:
    """The study's record with each budget's ``ahead_untrained`` filled from its ``study.csv`` rows
    where a folder written before that field lacks it, and the verdict on growth derived again:
    what the report says follows from the folder's tables."""
    study = dict(study)
    findings = [dict(f) for f in study.get("per_budget") or []]
    if table is not None and len(table) and "budget" in table.columns:
        bpe = set(study.get("bpe") or [])
        for f in findings:
            if f.get("best_tokenizer") and "ahead_untrained" not in f:
                rows = table[table["budget"].astype(str) == str(f["budget"])].to_dict("records")
                best = {"bits_per_byte": f["best_bits_per_byte"]}
                f["ahead_untrained"] = ahead_of_best([{**r, "trained": bool(r.get("trained"))} for r in rows], best, bpe)
    study["per_budget"] = findings
    study["optimum_grows_with_compute"] = _grows(findings)
    return study


def _grows(findings: list[dict[str, Any]]) -> str:
    """Whether the best vocabulary grows with the budget, in words (needs two budgets or more).
    Only budgets whose optimum is determined count (see :func:`ahead_of_best`)."""
    if len(findings) < 2:
        return "one budget: run --budgets with several budgets to see"
    best = [(f["budget"], f["best_vocab"]) for f in findings if f.get("best_vocab") and not f.get("ahead_untrained")]
    open_ = [f["budget"] for f in findings if f.get("best_vocab") and f.get("ahead_untrained")]
    why = (f"; at {', '.join(open_)} the optimum is not determined (vocabularies still learning already scored lower "
           "than the best that trained)") if open_ else ""
    if len(best) < 2:
        return "cannot tell: the optimum is determined at fewer than two of the budgets" + why
    sizes = [v for _, v in best]
    at = ", ".join(f"{v} at {b}" for b, v in best)
    if all(b >= a for a, b in zip(sizes, sizes[1:])) and sizes[-1] > sizes[0]:
        return f"yes: the best vocabulary grows with compute ({at}){why}"
    if len(set(sizes)) == 1:
        return f"no: the same vocabulary ({sizes[0]}) is best at every budget where the optimum is determined ({at}){why}"
    return f"not monotonically: {at}{why}"
