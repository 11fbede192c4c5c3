"""The run record: what ``run.json`` holds, as typed dataclasses the report reads back.

A run writes :class:`RunRecord` as ``run.json`` beside its tables; the report, and anyone
comparing runs, reads it with :meth:`RunRecord.load`. Every field says what produced the numbers:
the command, the settings whole, the versions of everything that can change a number, the
corpora (their sizes and content fingerprints) and tokenizers, what was skipped or dropped and
why, and timings. Reading tolerates fields an older tokeff did not write (they take their
defaults) and keeps fields a newer one wrote (in ``extra``).
"""

from __future__ import annotations

import importlib.metadata
import json
import platform
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

from .files import write_json

RUN_FILE = "run.json"


@dataclass
class CorpusRecord:
    """A corpus as measured: its eval split's size and languages, and its content fingerprint."""

    name: str
    documents: int = 0
    bytes: int = 0
    characters: int = 0
    languages: list[str] = field(default_factory=list)
    description: str = ""
    parallel: bool = False
    reference_language: str | None = None
    split: str = "eval"
    train_fraction: float = 0.8
    fingerprint: str = ""
    language_names: dict[str, str] = field(default_factory=dict)


@dataclass
class TokenizerRecord:
    name: str
    family: str = ""
    vocab_size: int = 0
    source: str = ""


@dataclass
class TrainingRecord:
    """How the shared LM was trained, and one entry per run (tokenizer and seed).

    ``runs`` entries hold ``tokenizer``, ``seed``, ``steps``, ``wall_seconds``, ``train_flops``,
    ``tokens_per_step``, ``achieved_flops_per_second`` and, where measured, ``mfu``.
    """

    corpus: str = ""
    budget: str = ""
    model: str = ""
    seeds: list[int] = field(default_factory=list)
    eval_texts: int = 0
    eval_bytes: int = 0
    loss_function: str = ""
    model_config: dict[str, Any] = field(default_factory=dict)
    device: str = ""
    processes: int = 1  # ranks that trained each model (torchrun), and threads per rank:
    threads: int = 0  # float sums, and so the numbers, depend on both
    train_texts: int = 0
    peak_flops_per_second: float | None = None
    skipped: list[dict[str, Any]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class RunRecord:
    """Everything ``run.json`` says (see the module docstring).

    ``settings`` is :class:`tokeff.settings.Settings` as nested dicts, with the tokenizers and
    corpora asked for; ``study`` and ``sweep`` describe the experiment when the run was one.
    """

    tokeff_version: str = ""
    created: str = ""
    command: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    corpora: list[CorpusRecord] = field(default_factory=list)
    tokenizers: list[TokenizerRecord] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    dropped: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    wall_seconds: float | None = None
    training: TrainingRecord | None = None
    sweep: dict[str, Any] | None = None
    study: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    # ----- settings the report asks for -----

    def metric_setting(self, name: str, default: Any = None) -> Any:
        """A field of the run's :class:`~tokeff.metrics.settings.MetricSettings`."""
        return (self.settings.get("metrics") or {}).get(name, default)

    def corpus(self, name: str) -> CorpusRecord | None:
        return next((c for c in self.corpora if c.name == name), None)

    # ----- reading and writing -----

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        extra = out.pop("extra")
        return {**out, **extra}

    def save(self, folder: Path) -> Path:
        path = Path(folder) / RUN_FILE
        write_json(path, self.to_dict())
        return path

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RunRecord":
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known and k != "extra"}
        values["corpora"] = [_build(CorpusRecord, c) for c in values.get("corpora") or [] if isinstance(c, dict)]
        values["tokenizers"] = [_build(TokenizerRecord, t if isinstance(t, dict) else {"name": str(t)})
                                for t in values.get("tokenizers") or []]
        if isinstance(values.get("training"), dict):
            values["training"] = _build(TrainingRecord, values["training"])
        return cls(**values, extra={k: v for k, v in data.items() if k not in known})

    @classmethod
    def load(cls, folder: Path) -> "RunRecord":
        """The record of a results folder (an empty one when it has no ``run.json``)."""
        path = Path(folder) / RUN_FILE
        if not path.exists():
            return cls()
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))


T = TypeVar("T")


def _build(kind: type[T], data: dict[str, Any]) -> T:
    names = {f.name for f in fields(kind)}  # type: ignore[arg-type]
    return kind(**{k: v for k, v in data.items() if k in names})


#: Libraries whose version can change a number, besides the tokenizer libraries the adapters name.
CORE_PACKAGES = ("tokeff", "torch", "numpy", "pandas", "regex", "matplotlib")


def versions() -> dict[str, str]:
    """Versions of everything that can change a number: Python, the platform, tokeff, and every
    library a tokenizer family or a stage uses."""
    from .adapters.registry import families

    out = {"python": platform.python_version(), "platform": platform.platform()}
    packages = [*CORE_PACKAGES[:1], *(f.package for f in families() if f.package), *CORE_PACKAGES[1:]]
    for pkg in dict.fromkeys(packages):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            pass
    return out
