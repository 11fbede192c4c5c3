"""The analysis pass: every metric of every tokenizer on every corpus, in one streaming pass.

For each corpus, documents of the chosen split (``eval`` by default) are read in chunks of
``MetricSettings.chunk_docs`` documents (and at most ``chunk_chars`` characters). What does not
depend on the tokenizer (bytes, characters, words, bootstrap slots) is computed once per chunk;
then each tokenizer encodes the chunk once with its ``encode_batch`` and that one encoding feeds
every accumulator of every metric family (:data:`tokeff.metrics.registry.FAMILIES`) that applies.

Memory is flat in corpus size: accumulators keep integer sums per language and bootstrap slot
(at most 65,536 slots), unigram counts (at most |V| per language), and a bounded table of
distinct words with each tokenizer's token count per word; parallel corpora additionally keep
one small record per aligned line.

The pass is split in two halves joined by an engine (:mod:`tokeff.engine`):

* **states**: the engine feeds chunks to :func:`update` and :func:`merge`\\s the states of its
  workers or shards. Every state is integer sums, so which process measured which chunk changes
  no number: any engine gives bit-identical results to a single pass.
* **finish** (:func:`finish`): all floating-point work (ratios, intervals, entropies) happens
  once, on the merged state, so the output is a pure function of the inputs and the seed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import pandas as pd

from .adapters.base import Tokenizer
from .corpus.core import Corpus, Document
from .errors import TokeffError
from .metrics.base import Accumulator, Extras, RowContext
from .metrics.batch import EncodedBatch, TextBatch, WordTable
from .metrics.bootstrap import Bootstrap, precompute_replicates
from .metrics.compression import COUNTED_BASELINES
from .metrics.registry import MetricFamily, families
from .metrics.settings import MetricSettings
from .metrics.token_lengths import TOKEN_LENGTH_COLUMNS, token_length_rows
from .results import METRIC_COLUMNS, tidy

if TYPE_CHECKING:
    from .engine import Engine

__all__ = ["MetricSettings", "Measurement", "measure", "TOKEN_LENGTH_COLUMNS"]

#: One corpus's state: tokenizer name -> metric family -> accumulator.
State = dict[str, dict[str, Accumulator]]


@dataclass
class Measurement:
    """What :func:`measure` returns.

    Attributes:
        metrics: the tidy table, columns exactly :data:`tokeff.results.METRIC_COLUMNS`; for
            each (corpus, tokenizer, metric) a ``language == "all"`` row (premium excepted: it
            only exists per language) and one row per language; sorted.
        token_lengths: occurrences of tokens by the UTF-8 length of their piece, columns
            :data:`TOKEN_LENGTH_COLUMNS` (for a histogram; see :mod:`tokeff.metrics.token_lengths`).
        dropped: (language, tokenizer) pairs left out of premiums, as dicts with ``corpus``,
            ``language``, ``tokenizer``, ``reason`` and ``unk_char_rate``.
        settings: the settings used (the seed among them).
        notes: one line per thing a reader should know (e.g. token lengths from decoded pieces).
        seconds: wall time of the pass.
    """

    metrics: pd.DataFrame
    token_lengths: pd.DataFrame
    dropped: list[dict[str, Any]] = field(default_factory=list)
    settings: MetricSettings = field(default_factory=MetricSettings)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


# ---------------------------------------------------------------------------------------------
# States: what engines call


def active_families(corpus: Corpus, settings: MetricSettings) -> list[MetricFamily]:
    """The measured families that run on ``corpus``: those the settings select and that apply."""
    chosen = settings.families
    return [f for f in families() if f.accumulator is not None and (chosen is None or f.name in chosen)
            and f.applies(corpus, settings)]


def new_state(corpus: Corpus, tokenizers: Sequence[Tokenizer], settings: MetricSettings) -> State:
    """Empty accumulators of every active family, per tokenizer."""
    active = active_families(corpus, settings)
    return {tok.name: {f.name: f.accumulator(corpus, settings) for f in active} for tok in tokenizers}


def chunks(corpus: Corpus, settings: MetricSettings) -> Iterator[list[Document]]:
    """The split's documents in chunks of at most ``chunk_docs`` documents and (but for a single
    longer document) ``chunk_chars`` characters; a document without an id gets its position as one."""
    chunk: list[Document] = []
    chars = 0
    max_docs, max_chars = settings.chunk_docs, settings.chunk_chars  # read once: this loop runs per document
    for i, doc in enumerate(corpus.documents(settings.split)):
        if not doc.doc_id:
            doc = Document(doc.text, doc.language, f"#{i}")
        n = len(doc.text)
        if chunk and chars + n > max_chars:
            yield chunk
            chunk, chars = [], 0
        chunk.append(doc)
        chars += n
        if len(chunk) >= max_docs:
            yield chunk
            chunk, chars = [], 0
    if chunk:
        yield chunk


def counts_words(state: State) -> bool:
    """Whether any accumulator of ``state`` reads words (the text scan then finds them too)."""
    return any("words" in accs for accs in state.values())


def update(state: State, table: WordTable, docs: Sequence[Document], tokenizers: Sequence[Tokenizer],
           settings: MetricSettings, on_bytes=None) -> None:
    """Feed one chunk to every accumulator of every tokenizer (``table``: the word ids shared by
    the chunks of one corpus in this process)."""
    text = TextBatch(docs, settings.word_sample, table, count_words=counts_words(state))
    for tok in tokenizers:
        batch = EncodedBatch(text, tok.encode_batch(text.texts), tok)
        for acc in state[tok.name].values():
            acc.update(batch)
    if on_bytes is not None:
        on_bytes(int(text.n_bytes.sum()))


def merge(into: State, other: State) -> None:
    """Fold ``other`` (the same corpus, measured elsewhere) into ``into``."""
    for name, accs in other.items():
        for family, acc in accs.items():
            into[name][family].merge(acc)


def measure_corpus(corpus: Corpus, tokenizers: Sequence[Tokenizer], settings: MetricSettings,
                   on_bytes=None) -> State:
    """The state of a whole corpus, measured in this process."""
    state = new_state(corpus, tokenizers, settings)
    table = WordTable()
    for docs in chunks(corpus, settings):
        update(state, table, docs, tokenizers, settings, on_bytes)
    return state


# ---------------------------------------------------------------------------------------------
# Finish: from merged states to tables


def finish(corpora: Sequence[Corpus], tokenizers: Sequence[Tokenizer], settings: MetricSettings,
           states: Sequence[State]) -> tuple[list[dict], Extras]:
    """Every family's rows of every tokenizer on every corpus, and what they report besides."""
    boot = Bootstrap(settings.bootstrap_replicates, settings.confidence, settings.seed)
    extras = Extras()
    rows: list[dict] = []
    for corpus, state in zip(corpora, states):
        def context(tok: Tokenizer) -> RowContext:
            return RowContext(tok, settings, boot, corpus, state, extras)

        # all replicates of a corpus in one pass per language (they share their weights)
        precompute_replicates([sums for tok in tokenizers for acc in state[tok.name].values()
                               for sums in acc.slot_sums(context(tok))], boot)
        for tok in tokenizers:
            ctx = context(tok)
            for acc in state[tok.name].values():
                rows += [dict(corpus=corpus.name, tokenizer=tok.name, **r.as_dict()) for r in acc.rows(ctx)]
            # the token-length histogram reads the information family's unigram counts
            if "information" in state[tok.name]:
                token_length_rows(state[tok.name]["information"], ctx)
    return rows, extras


def measure(corpora: Sequence[Corpus], tokenizers: Sequence[Tokenizer], *,
            settings: MetricSettings | None = None, workers: int | None = None,
            engine: "Engine | None" = None, progress: bool = True,
            total_bytes: int | None = None) -> Measurement:
    """Measure every tokenizer on every corpus (see the module docstring).

    Args:
        corpora: the corpora; documents of ``settings.split`` are measured.
        tokenizers: the tokenizers, with unique names.
        settings: metric settings (defaults: :class:`MetricSettings`).
        workers: processes of the default local engine, this one included (default: the
            machine's CPU count); 1 runs in this process alone.
        engine: the engine that computes the states (default: the local engine with ``workers``).
        progress: show a tqdm bar of text processed.
        total_bytes: UTF-8 bytes of the documents to be measured, when the caller knows them
            (they give the progress bar its ETA).
    """
    from .engine import LocalEngine

    tokenizers = list(tokenizers)
    corpora = list(corpora)
    names = [t.name for t in tokenizers]
    if len(set(names)) != len(names):
        raise TokeffError(f"tokenizer names must be unique, got {names}")
    settings = with_baseline(settings or MetricSettings(), names)
    engine = engine or LocalEngine(workers=max(1, workers if workers is not None else (os.cpu_count() or 1)))
    start = time.perf_counter()

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(desc="measuring", total=total_bytes, unit="B", unit_scale=True, unit_divisor=1024, leave=False)
    try:
        states = engine.states(corpora, tokenizers, settings, bar.update if bar is not None else None)
    finally:
        if bar is not None:
            bar.close()
    rows, extras = finish(corpora, tokenizers, settings, states)

    token_lengths = pd.DataFrame(extras.token_lengths, columns=TOKEN_LENGTH_COLUMNS).astype(
        {"token_bytes": "int64", "count": "int64"})
    metrics, token_lengths = sort_tables(tidy(rows), token_lengths)
    return Measurement(metrics, token_lengths, extras.dropped, settings, extras.notes, time.perf_counter() - start)


def with_baseline(settings: MetricSettings, names: Sequence[str]) -> MetricSettings:
    """``settings`` with the baseline of normalized sequence length resolved: the one named, else
    the first tokenizer. It must be among ``names`` or a counted baseline (``bytes``, ``chars``)."""
    baseline = settings.baseline or (names[0] if names else None)
    if baseline is not None and baseline not in names and baseline not in COUNTED_BASELINES:
        raise TokeffError(f"baseline tokenizer {baseline!r} is not among the measured tokenizers "
                          f"({', '.join(names)}); name one of them, or 'bytes' or 'chars'")
    return replace(settings, baseline=baseline)


def sort_tables(metrics: pd.DataFrame, token_lengths: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The canonical row order of both tables, so that the same results always give the same
    bytes on disk (whether measured in one run or pieced together from the cache)."""
    metrics = metrics.assign(_all_first=metrics["language"] != "all")
    metrics = (metrics.sort_values(["corpus", "tokenizer", "metric", "_all_first", "language"], kind="stable")
               .drop(columns="_all_first").reset_index(drop=True))[METRIC_COLUMNS]
    token_lengths = token_lengths.sort_values(TOKEN_LENGTH_COLUMNS[:3]).reset_index(drop=True)
    return metrics, token_lengths
