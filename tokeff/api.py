"""The notebook API: ``tokeff.analyze``, ``tokeff.sweep`` and their helpers.

Thin faces over :mod:`tokeff.pipeline`, as the CLI is: a notebook user passes tokenizers,
corpora and the settings that matter to them as keywords, and gets a :class:`~tokeff.pipeline.Run`
back (``run.metrics`` is the tidy table).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .adapters import Tokenizer
from .adapters.trained import TRAIN_BPE_PATTERN
from .corpus import Corpus
from .files import atomic_write
from .pipeline import Note, Run, as_corpora, print_note, run
from .settings import DEFAULT_CORPORA, DEFAULT_TOKENIZERS, Settings

__all__ = ["analyze", "sweep", "summary_table", "train_bpe_file", "DEFAULT_TOKENIZERS", "Settings", "Run"]


def analyze(
    tokenizers: Iterable[str | Tokenizer] = DEFAULT_TOKENIZERS,
    corpora: Iterable[str | Corpus] = DEFAULT_CORPORA,
    *,
    settings: Settings | None = None,
    out: str | Path | None = None,
    note: Note = print_note,
    command: str | None = None,
    **options: Any,
) -> Run:
    """Measure every tokenizer on every corpus (and, with ``train=True``, train the shared LM
    under each); return the :class:`~tokeff.pipeline.Run`.

    Args:
        tokenizers: specs (``"tiktoken:cl100k_base"``, ``"train:hf-bpe:8192"``...) or
            :class:`~tokeff.adapters.Tokenizer` objects.
        corpora: specs (``"default"``, ``"parallel:DIR"``, a path...) or :class:`~tokeff.corpus.Corpus`.
        settings: a :class:`~tokeff.settings.Settings`; ``options`` change it field by field.
        out: a results folder to write (``metrics.csv``, ``run.json``, ``report.pdf``...).
        options: any keyword of :data:`tokeff.settings.KEYWORDS`, e.g. ``seed=1``,
            ``bootstrap=0``, ``baseline="bytes"``, ``metrics="compression"``, ``train=True``,
            ``budget="flops=1e13"``, ``model="small"``, ``cache=False``, ``progress=False``.

    Returns:
        A :class:`~tokeff.pipeline.Run`: ``run.metrics`` is the tidy table ``corpus, language,
        tokenizer, metric, value, unit, ci_low, ci_high, n, note``; ``run.record`` what
        ``run.json`` holds.
    """
    try:
        settings = Settings.build(settings, **options)
    except TypeError as e:
        raise TypeError(f"tokeff.analyze: {e}") from None
    return run(tokenizers, corpora, settings, out=out, note=note, command=command)


#: Metrics in the printed summary, in order (those present in the results).
SUMMARY_METRICS = ("bytes_per_token", "chars_per_token", "fertility", "continued_word_rate",
                   "vocab_utilization", "bits_per_byte", "token_perplexity")


def summary_table(df: pd.DataFrame | Run, metrics: Sequence[str] = SUMMARY_METRICS) -> str:
    """A plain-text table per corpus: tokenizer × metric over all languages, units in the headers."""
    df = df.metrics if isinstance(df, Run) else df
    rows = df[(df["language"] == "all") & df["metric"].isin(metrics)]
    if rows.empty:
        return "(no metrics)"
    blocks = []
    for corpus, part in rows.groupby("corpus", sort=False):
        units = part.drop_duplicates("metric").set_index("metric")["unit"]
        table = part.pivot_table(index="tokenizer", columns="metric", values="value", aggfunc="first", sort=False)
        table = table[[m for m in metrics if m in table.columns]]
        # two header rows: the metric, then its unit
        table.columns = pd.MultiIndex.from_tuples([(m, f"[{units.get(m, '')}]") for m in table.columns])
        blocks.append(f"== {corpus} ==\n" + table.to_string(float_format=lambda v: f"{v:.3f}"))
    return "\n\n".join(blocks)


def train_bpe_file(corpora: Sequence[str], vocab_size: int, *, pattern: str = "gpt2",
                   special_tokens: Sequence[str] = (), min_frequency: int = 2, out: str | Path,
                   fmt: str = "tokeff", progress: bool = True, **read: Any) -> Path:
    """``python -m tokeff train-bpe``: learn from all of the corpora, save in the chosen format."""
    from .bpe import train_bpe

    cs = as_corpora(corpora, Settings.build(**read).read)
    model = train_bpe((t for c in cs for t in c.texts("all")), vocab_size, pattern=pattern,
                      special_tokens=tuple(special_tokens), min_frequency=min_frequency, progress=progress)
    path = Path(out)
    save = {"tokeff": model.save, "hf": model.export_hf, "tiktoken": model.export_tiktoken}[fmt]
    atomic_write(path, save)
    return path


def sweep(
    corpora: Iterable[str | Corpus],
    vocab_sizes: Sequence[int],
    *,
    pattern: str = TRAIN_BPE_PATTERN,
    settings: Settings | None = None,
    out: str | Path | None = None,
    note: Note = print_note,
    command: str | None = None,
    **options: Any,
) -> Run:
    """Vocabulary-size sweep: train tokeff's BPE once at the largest size on the train split and
    measure every smaller size as a prefix of its merge list (``model.truncate``). With training
    and seeds, :func:`tokeff.vocab_study.study` is the fuller experiment."""
    from .vocab_study import prefix_tokenizers

    settings = Settings.build(settings, **options)
    info: dict[str, Any] = {"pattern": pattern}

    def vocabularies(cs: list[Corpus]) -> list[Tokenizer]:
        toks = prefix_tokenizers(cs, vocab_sizes, pattern, progress=settings.progress, note=note)
        info.update(base=toks[-1].name if toks else "", tokenizers=[{"name": t.name, "vocab_size": t.vocab_size}
                                                                    for t in toks])
        return toks

    return run([], corpora, settings, out=out, note=note, command=command, record={"sweep": info},
               more_tokenizers=vocabularies)
