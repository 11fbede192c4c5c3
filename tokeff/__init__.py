"""tokeff: what does my choice of tokenizer cost me, and what does it buy?

The notebook API, in the order of the pipeline::

    import tokeff
    corpora = tokeff.load_corpus("parallel:../shared/corpora/ntrex128")   # -> list[Corpus]
    tok = tokeff.load_tokenizer("tiktoken:cl100k_base")                    # -> Tokenizer
    run = tokeff.analyze(["bytes", "tiktoken:cl100k_base", "train:hf-bpe:8192"], ["default"], seed=0)
    run.metrics                    # the tidy table (a pandas DataFrame); run.record: how it was made
    tokeff.metric_table(run)       # tokenizer x metric, units in the headers
    tokeff.premium_table(run)      # tokenizer x language, parallel corpora
    run = tokeff.analyze(..., train=True, seeds=3, budget="flops=1e12")    # + the shared LM, bits per byte
    run = tokeff.study("known:gutenberg-en", [1024, 4096, 16384], preset="cpu")   # vocabulary x compute
    tokeff.probe("arithmetic", ["digits", "l2r3", "r2l3", "gpt2"], losses=["ce", "focal:2"], seeds=[0, 1, 2])
    model = tokeff.train_bpe(texts, 8192)                                  # tokeff's own BPE
    result = tokeff.train_lm(tok, train_texts, eval_texts)                 # bits per byte
    tokeff.report("results/")      # rebuild report.pdf / report.md from a results folder

Everything returns plain data: pandas DataFrames in the tidy schema of :mod:`tokeff.results`
and dataclasses. ``analyze`` takes every setting of :class:`Settings` as a keyword
(``tokeff.settings.KEYWORDS`` lists them). Imports are lazy so ``import tokeff`` stays fast (torch loads only to train).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "analyze", "sweep", "study", "probe", "load_corpus", "load_tokenizer", "train_bpe", "train_lm", "report",
    "metric_table", "premium_table", "Run", "Settings", "Corpus", "Document", "Tokenizer", "TokeffError",
    "DEFAULT_TOKENIZERS",
]

_LAZY = {
    "analyze": ("tokeff.api", "analyze"),
    "sweep": ("tokeff.api", "sweep"),
    "study": ("tokeff.vocab_study", "study"),
    "probe": ("tokeff.probes.experiment", "probe"),
    "DEFAULT_TOKENIZERS": ("tokeff.settings", "DEFAULT_TOKENIZERS"),
    "Run": ("tokeff.pipeline", "Run"),
    "Settings": ("tokeff.settings", "Settings"),
    "load_corpus": ("tokeff.corpus", "load_corpus"),
    "load_tokenizer": ("tokeff.adapters", "load_tokenizer"),
    "train_bpe": ("tokeff.bpe", "train_bpe"),
    "train_lm": ("tokeff.lm", "train_lm"),
    "report": ("tokeff.reporting", "build_report"),
    "metric_table": ("tokeff.metrics.tables", "metric_table"),
    "premium_table": ("tokeff.metrics.tables", "premium_table"),
    "Corpus": ("tokeff.corpus", "Corpus"),
    "Document": ("tokeff.corpus", "Document"),
    "Tokenizer": ("tokeff.adapters", "Tokenizer"),
    "TokeffError": ("tokeff.errors", "TokeffError"),
}

if TYPE_CHECKING:
    from .adapters import Tokenizer, load_tokenizer
    from .api import analyze, sweep
    from .pipeline import Run
    from .probes.experiment import probe
    from .vocab_study import study
    from .settings import DEFAULT_TOKENIZERS, Settings
    from .bpe import train_bpe
    from .corpus import Corpus, Document, load_corpus
    from .errors import TokeffError
    from .lm import train_lm
    from .metrics.tables import metric_table, premium_table
    from .reporting import build_report as report


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'tokeff' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
