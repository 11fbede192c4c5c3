"""The arithmetic probe: train the shared LM under each tokenizer and loss, score held-out sums.

For each tokenizer × loss × seed, :func:`run_arithmetic` trains the one model of
:func:`tokeff.lm.train_lm` on the task's training problems (the same texts, one problem per text,
for every tokenizer; ``[SEP]`` between problems), under the same budget, then gives it
``[SEP] a+b=`` for each held-out problem and lets it write greedily until it writes ``[SEP]``
(:func:`tokeff.lm.generate.greedy_complete`). The completion is scored against the answer
(:mod:`tokeff.probes.arithmetic`), per operation and operand length, the longer-than-trained
lengths included. Training also reports bits per byte on held-out problems of the trained
lengths (plain cross-entropy, whatever the training loss).

Tokenizers are named by spec:

* ``digits``, ``l2r3``, ``r2l3``, ``gpt2`` or any other BPE pattern preset
  (:mod:`tokeff.bpe.patterns`): tokeff's BPE trained on the task's training texts with that
  pre-split, up to ``vocab_size`` tokens. With ``digits`` nothing is left to merge in
  arithmetic text, so that tokenizer is the 256 bytes;
* ``bytes``: UTF-8 bytes;
* or any tokenizer object (``name``, ``vocab_size``, ``encode_batch``, ``decode``), used as is.

Usage::

    result = run_arithmetic(["digits", "l2r3", "r2l3", "gpt2"], losses=["ce", "focal:2"], seeds=[0, 1])
    result.scores     # tokenizer, loss, seed, operation, digits, longer, exact_match, ...
    result.runs       # one row per training run: steps, bits per byte, seconds
    summarize(result.scores)       # mean and spread over seeds
    factor_spread(result.scores)   # does the tokenizer or the loss move accuracy more?
"""

from __future__ import annotations

import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..bpe import PRESETS, BPEModel, BPETrainingError, Pattern, train_bpe
from ..errors import TokeffError
from .arithmetic import OPERATIONS, ArithmeticTask, Problem, Score, score

if TYPE_CHECKING:  # torch loads when a run starts, not when the probe is imported
    from ..lm import GPT, LMResult, ModelConfig, TrainConfig

#: The four ways of cutting numbers the probe compares (gpt2 with only its number rule changed).
NUMBER_TOKENIZERS = ("digits", "l2r3", "r2l3", "gpt2")

#: The probe's model, recipe and budget (the defaults of :func:`run_arithmetic`): the ``tiny``
#: body with a context of 32 tokens (two to five problems) and 32 rows a step. Problems sit at
#: any offset of the packed stream and the model has learned positions, so a short context
#: leaves fewer offsets to learn the same sum at. Sized so that two-digit addition ends at a
#: middling accuracy, neither near 0 nor near 100 %: a probe that everything passes or fails
#: tells nothing.
PROBE_MODEL = {"n_layer": 2, "n_head": 4, "d_model": 128, "context": 32}
PROBE_TRAIN = {"batch_size": 32, "lr": 3e-3}
PROBE_BUDGET = "flops=1e13"

SCORE_COLUMNS = ["tokenizer", "loss", "seed", "operation", "digits", "longer", "exact_match", "digit_accuracy", "n"]
RUN_COLUMNS = ["tokenizer", "loss", "seed", "vocab_size", "steps", "train_tokens_seen", "train_flops",
               "bits_per_byte", "train_seconds", "score_seconds"]


@dataclass
class ProbeResult:
    """Scores (one row per run and test set), runs (one row per training run) and each run's
    :class:`tokeff.lm.LMResult`, keyed by ``(tokenizer, loss, seed)``."""

    scores: pd.DataFrame
    runs: pd.DataFrame
    task: ArithmeticTask
    lm_results: dict[tuple[str, str, int], LMResult] = field(default_factory=dict, repr=False)


def probe_tokenizer(spec: Any, texts: Sequence[str], vocab_size: int) -> Any:
    """The tokenizer a spec names, trained on ``texts`` when it is a BPE pattern (module docstring)."""
    from ..adapters.simple import BytesTokenizer
    from ..adapters.tokeff_bpe import TokeffBPETokenizer

    if not isinstance(spec, str):
        return spec
    if spec == "bytes":
        return BytesTokenizer()
    if spec not in PRESETS:
        raise TokeffError(f"unknown probe tokenizer {spec!r}; use bytes, a BPE pattern ({', '.join(PRESETS)})"
                          " or a tokenizer object")
    with warnings.catch_warnings():  # a pattern that leaves few pairs stops early; its size is reported
        warnings.filterwarnings("ignore", "the corpus ran out of pairs")
        try:
            model = train_bpe(texts, vocab_size, pattern=spec)
        except BPETrainingError:
            pattern = Pattern.resolve(spec)
            if any(len(chunk.encode()) > 1 for text in texts for chunk in pattern.iter_split(text)):
                raise
            model = BPEModel([], pattern.regex, pattern.name)  # every chunk is one byte: no merge exists
    return TokeffBPETokenizer(model, name=spec, source=f"tokeff BPE ({spec} pre-split) on the probe's training problems")


def run_arithmetic(
    tokenizers: Sequence[Any] = NUMBER_TOKENIZERS,
    *,
    task: ArithmeticTask = ArithmeticTask(),
    budget: str = PROBE_BUDGET,
    model: str | ModelConfig | None = None,
    losses: Sequence[str] = ("ce",),
    seeds: Sequence[int] = (0,),
    vocab_size: int = 1024,
    device: str = "auto",
    train_config: TrainConfig | None = None,
    eval_problems: int = 300,
    progress: bool = False,
    log: Callable[[str], None] | None = None,
) -> ProbeResult:
    """Train and score every tokenizer × loss × seed on ``task`` (see the module docstring).

    Args:
        tokenizers: specs (``"digits"``, ``"l2r3"``, ``"r2l3"``, ``"gpt2"``, ``"bytes"``...) or
            tokenizer objects.
        task: the problems; the same for every run.
        budget, model, train_config, device: as for :func:`tokeff.lm.train_lm`, equal for every
            run; ``model`` and ``train_config`` default to :data:`PROBE_MODEL`, :data:`PROBE_TRAIN`.
        losses: training loss specs (:mod:`tokeff.lm.losses`).
        seeds: model seeds (initialisation and data order); the problems stay the task's.
        vocab_size: the vocabulary trained BPE tokenizers may grow to.
        eval_problems: held-out problems of the trained lengths scored in bits per byte.
        progress: training progress bars.
        log: called with one line per finished run (e.g. ``print``).
    """
    from ..lm import ModelConfig, TrainConfig, load_trained, resolve_device, resolve_loss, train_lm

    device = resolve_device(device)  # "auto" means one device for training, loading and scoring

    model = ModelConfig(**PROBE_MODEL) if model is None else model
    train_config = TrainConfig(**PROBE_TRAIN) if train_config is None else train_config
    train_texts = task.train_texts()
    test_sets = task.test_sets()
    trained = task.trained_lengths()
    seen_lengths = [ps for (op, d), ps in test_sets.items() if d in trained[op]]
    bpb_texts = [p.text for ps in seen_lengths for p in ps[: eval_problems // len(seen_lengths)]]
    loss_specs = [resolve_loss(s).spec for s in losses]
    toks = [probe_tokenizer(t, train_texts, vocab_size) for t in tokenizers]
    scores, runs, lm_results = [], [], {}
    for tok in toks:
        sep = tok.vocab_size
        prompts = {key: [[sep, *ids] for ids in tok.encode_batch([p.prompt for p in ps])] for key, ps in test_sets.items()}
        for loss in loss_specs:
            for seed in seeds:
                with tempfile.TemporaryDirectory(prefix="tokeff-probe-") as ckpt:
                    result = train_lm(tok, train_texts, bpb_texts, model=model, budget=budget, seed=seed, loss=loss,
                                      device=device, progress=progress, checkpoint_dir=ckpt, checkpoint_every=10**12,
                                      train_config=train_config)
                    net = load_trained(ckpt, device=device)
                t0 = time.perf_counter()
                for (op, d), s in score_model(net, tok, test_sets, prompts, device=device).items():
                    scores.append({"tokenizer": tok.name, "loss": loss, "seed": seed, "operation": OPERATIONS[op],
                                   "digits": d, "longer": d > max(trained[op]), "exact_match": s.exact_match,
                                   "digit_accuracy": s.digit_accuracy, "n": s.n})
                score_seconds = time.perf_counter() - t0
                runs.append({"tokenizer": tok.name, "loss": loss, "seed": seed, "vocab_size": tok.vocab_size,
                             "steps": result.steps, "train_tokens_seen": result.train_tokens_seen,
                             "train_flops": result.train_flops, "bits_per_byte": result.bits_per_byte,
                             "train_seconds": result.wall_seconds, "score_seconds": score_seconds})
                lm_results[(tok.name, loss, seed)] = result
                if log is not None:
                    rows = [r for r in scores if r["tokenizer"] == tok.name and r["loss"] == loss and r["seed"] == seed]
                    acc = ", ".join(f"{r['operation'][:3]}{r['digits']} {r['exact_match']:.0%}" for r in rows)
                    log(f"{tok.name} / {loss} / seed {seed}: {acc}; {result.bits_per_byte:.3f} bits/byte, "
                        f"{result.steps} steps, {result.wall_seconds:.0f} s")
    return ProbeResult(pd.DataFrame(scores, columns=SCORE_COLUMNS), pd.DataFrame(runs, columns=RUN_COLUMNS), task,
                       lm_results)


def score_model(
    net: GPT,
    tok: Any,
    test_sets: dict[tuple[str, int], list[Problem]],
    prompts: dict[tuple[str, int], list[list[int]]],
    *,
    device: str = "cpu",
) -> dict[tuple[str, int], Score]:
    """Greedy completions of every test set's prompts (``[SEP]`` + the prompt's ids), cut at
    ``[SEP]`` or a newline, scored against the answers."""
    from ..lm import greedy_complete

    sep = tok.vocab_size
    out = {}
    for key, problems in test_sets.items():
        longest = max(len(p.answer) for p in problems)  # room for one wrong extra digit, then stop
        written = greedy_complete(net, prompts[key], max_new_tokens=longest + 2, stop_ids=(sep,),
                                  stop_strings=("\n",), decode=tok.decode, device=device)
        out[key] = score(problems, [tok.decode(ids).split("\n")[0] for ids in written])
    return out


def summarize(scores: pd.DataFrame, metric: str = "exact_match") -> pd.DataFrame:
    """Mean, standard deviation, min and max over seeds of ``metric``, per tokenizer, loss,
    operation and operand length."""
    keys = ["tokenizer", "loss", "operation", "digits", "longer"]
    out = scores.groupby(keys, sort=False)[metric].agg(["mean", "std", "min", "max", "count"]).reset_index()
    return out.rename(columns={"count": "seeds"})


def factor_spread(scores: pd.DataFrame, metric: str = "exact_match") -> pd.DataFrame:
    """Which moves ``metric`` more, the tokenizer or the loss, per operation and operand length.

    For each factor, the range (max − min) of its marginal means (averaged over the other factor
    and the seeds), beside the seed noise: the mean over tokenizer × loss cells of the standard
    deviation across seeds. A factor whose range is not well above the noise moves nothing the
    seeds can tell apart.
    """
    rows = []
    for (op, d), g in scores.groupby(["operation", "digits"], sort=False):
        cell_std = g.groupby(["tokenizer", "loss"])[metric].std()
        rows.append({
            "operation": op, "digits": d, "longer": bool(g["longer"].iloc[0]),
            "tokenizer_range": float(_range(g.groupby("tokenizer")[metric].mean())),
            "loss_range": float(_range(g.groupby("loss")[metric].mean())),
            "seed_std": float(cell_std.mean()) if cell_std.notna().any() else float("nan"),
        })
    return pd.DataFrame(rows)


def _range(s: pd.Series) -> float:
    return s.max() - s.min()
