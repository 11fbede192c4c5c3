"""Every knob of a run, in one object that is recorded with the results.

:class:`Settings` groups the knobs by the stage that reads them: how corpora are read
(:class:`~tokeff.corpus.registry.ReadOptions`), how metrics are measured
(:class:`~tokeff.metrics.settings.MetricSettings`), which engine measures, whether and how the
shared LM is trained (:class:`TrainSettings`), and where results go. ``run.json`` records it whole,
and the results cache keys every stage on the part of it that stage reads.

The notebook API and the CLI take the same knobs as flat keywords (``seed=1``, ``bootstrap=0``,
``train=True``, ``budget="flops=1e13"``...); :meth:`Settings.build` maps them onto the groups and
refuses a keyword it does not know, naming the ones it does.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .corpus.registry import ReadOptions
from .errors import TokeffError
from .metrics.settings import MetricSettings

#: Tokenizers compared when none is named: the byte baseline, three generations of OpenAI's
#: byte-level BPE, and three tokenizers trained on the analysed text itself (4k vocabularies:
#: the size the default training budget trains on the embedded corpus).
DEFAULT_TOKENIZERS = (
    "bytes",
    "tiktoken:gpt2",
    "tiktoken:cl100k_base",
    "tiktoken:o200k_base",
    "train:hf-bpe:4096",
    "train:spm-unigram:4096",
    "train:bpe:4096",
)

#: The default corpus spec.
DEFAULT_CORPORA = ("default",)


@dataclass(frozen=True)
class TrainSettings:
    """How the shared small LM is trained under every tokenizer (:mod:`tokeff.lm`).

    Attributes:
        budget: what is held equal (``flops=1e13``, ``bytes=5e6``, ``tokens=1e6``, ``steps=200``);
            ``None``: the default budget of :mod:`tokeff.lm.budget`.
        model: the model shape preset (``tiny``, ``small``...).
        device: ``auto`` (CUDA or MPS when present, else the CPU), ``cpu``, ``cuda``, ``mps``.
        seeds: model initialisation and data order; one run per seed.
        eval_bytes: evaluation text per corpus, in UTF-8 bytes (the same text for every tokenizer).
        amp: ``"bf16"``: bf16 autocast on CUDA (ignored on other devices).
        compile: run the model through ``torch.compile``.
        losses: the training losses (:mod:`tokeff.lm.losses`): ``ce`` is the fixed default; with
            several, every tokenizer is trained under each (evaluation is always cross-entropy),
            and the first is the one ``metrics.csv`` reports.
    """

    budget: str | None = None
    model: str = "tiny"
    device: str = "auto"
    seeds: tuple[int, ...] = (0,)
    eval_bytes: int = 4_000
    amp: str | None = None
    compile: bool = False
    losses: tuple[str, ...] = ("ce",)


@dataclass(frozen=True)
class Settings:
    """Every knob of a run (see the module docstring).

    Attributes:
        read: how corpus files are read.
        metrics: how metrics are measured (bootstrap, baseline, families...).
        engine: the measuring engine (:data:`tokeff.engine.ENGINES`): ``local`` or ``dask``.
        workers: processes (local engine) or workers (a local Dask cluster); ``None``: one per core.
        scheduler: a Dask scheduler's address; ``None`` starts a cluster on this machine.
        training: how the shared LM is trained, or ``None`` to train nothing.
        cache: reuse and store results in ``TOKEFF_CACHE``; ``refresh`` recomputes and stores.
        report: write ``report.pdf`` and ``report.md`` into the results folder.
        progress: show progress bars.
    """

    read: ReadOptions = field(default_factory=ReadOptions)
    metrics: MetricSettings = field(default_factory=MetricSettings)
    engine: str = "local"
    workers: int | None = None
    scheduler: str | None = None
    training: TrainSettings | None = None
    cache: bool = True
    refresh: bool = False
    report: bool = True
    progress: bool = True

    @classmethod
    def build(cls, base: "Settings | None" = None, **options: Any) -> "Settings":
        """``base`` (default: the defaults) with the flat keywords of :data:`KEYWORDS` applied."""
        s = base or cls()
        unknown = sorted(set(options) - set(KEYWORDS))
        if unknown:
            raise TypeError(f"unknown setting{'s' * (len(unknown) > 1)} {', '.join(unknown)}; "
                            f"known: {', '.join(KEYWORDS)}")
        read = {k: options[k] for k in ("lines", "errors", "language", "languages") if k in options}
        if read.get("languages") is not None:
            read["languages"] = tuple(read["languages"])
        metrics = {_METRIC_KEYWORDS[k]: options[k] for k in _METRIC_KEYWORDS if k in options}
        if "metrics" in options:
            from .metrics.registry import resolve_profile

            try:
                metrics["families"] = resolve_profile(options["metrics"])
            except ValueError as e:
                raise TokeffError(f"--metrics {options['metrics']}: {e}") from None
        top = {k: options[k] for k in ("engine", "workers", "scheduler", "cache", "refresh", "report", "progress")
               if k in options}
        training = s.training
        train_keys = {k: options[k] for k in ("budget", "model", "device", "seeds", "eval_bytes", "amp", "compile",
                                              "losses") if k in options}
        if "losses" in train_keys:
            train_keys["losses"] = _losses(train_keys["losses"])
        if "seed" in options and "seeds" not in options:
            train_keys["seeds"] = (options["seed"],)
        if "seeds" in train_keys:
            train_keys["seeds"] = seed_list(train_keys["seeds"])
        if options.get("train") is False:
            training = None
        elif options.get("train") or (training is not None and train_keys):
            training = replace(training or TrainSettings(), **train_keys)
        given = sorted(k for k in _TRAIN_ONLY if k in options)
        if training is None and given:
            raise TokeffError(f"{', '.join(given)}: training settings, but nothing is trained; add --train "
                              "(train=True)")
        return replace(s, read=replace(s.read, **read), metrics=replace(s.metrics, **metrics), training=training,
                       **top)


def _losses(value: Any) -> tuple[str, ...]:
    """Loss specs, checked and written the one way (``"z-loss"`` -> ``"z-loss:0.0001"``)."""
    from .lm.losses import parse_losses

    text = value if isinstance(value, str) else ",".join(value)
    return tuple(loss.spec for loss in parse_losses(text))


def seed_list(value: Any) -> tuple[int, ...]:
    """A count of seeds (3: seeds 0, 1, 2) or the seeds themselves."""
    if isinstance(value, int):
        if value < 1:
            raise TokeffError(f"--seeds {value}: give a number of seeds of at least 1, or the seeds themselves")
        return tuple(range(value))
    return tuple(int(v) for v in value)


#: Keywords that only mean something when the LM is trained (model and device have defaults
#: the CLI always passes).
_TRAIN_ONLY = ("budget", "seeds", "eval_bytes", "amp", "compile", "losses")

#: Metric keywords and the :class:`MetricSettings` field each sets.
_METRIC_KEYWORDS = {
    "seed": "seed", "bootstrap": "bootstrap_replicates", "confidence": "confidence", "baseline": "baseline",
    "reference_language": "reference_language", "word_metrics": "word_metrics", "word_sample": "word_sample",
    "roundtrip": "roundtrip", "split": "split", "renyi_alpha": "renyi_alpha", "unk_threshold": "unk_threshold",
}

#: Every flat keyword :meth:`Settings.build` takes (the notebook's ``tokeff.analyze(..., KEYWORD=...)``),
#: and what it sets.
KEYWORDS: dict[str, str] = {
    "lines": "read.lines", "errors": "read.errors", "language": "read.language", "languages": "read.languages",
    **_METRIC_KEYWORDS,
    "metrics": "metrics.families (a profile: all, compression; or family names)",
    "engine": "engine", "workers": "workers", "scheduler": "scheduler",
    "train": "training (True: train the shared LM)", "budget": "training.budget", "model": "training.model",
    "device": "training.device", "seeds": "training.seeds (a count or a list)", "eval_bytes": "training.eval_bytes",
    "amp": "training.amp (bf16 on CUDA)", "compile": "training.compile",
    "losses": "training.losses (e.g. 'ce,label-smoothing:0.1,z-loss:1e-4')",
    "cache": "cache", "refresh": "refresh", "report": "report", "progress": "progress",
}


def as_dict(settings: Settings) -> dict[str, Any]:
    """``settings`` as plain JSON data, groups as nested dicts (for ``run.json`` and cache keys)."""
    return asdict(settings)
