"""The pipeline every run goes through: load → describe → measure → train → save → report.

Each stage is a function that takes the previous stage's dataclass and the run's
:class:`~tokeff.settings.Settings`, and returns its own::

    loaded    = load(tokenizers, corpora, settings)            # Loaded: corpora, tokenizers, skipped
    described = describe(loaded, settings)                      # list[CorpusRecord]: sizes, fingerprints
    measured  = measure(loaded, described, settings, cache)     # Measurement: the tidy metrics table
    trained   = train(loaded, described, settings, cache, ...)  # Training: LM rows, curves, cost
    save(run, folder); build_report(folder)                     # the results folder

:func:`run` chains them and returns a :class:`Run`; ``tokeff.analyze`` and ``python -m tokeff
analyze`` are two faces of it, and the experiments (``sweep``, ``study``) call the same stages.
Measuring and training store their results per (corpus, tokenizer) in one cache
(:meth:`tokeff.cache.ResultsCache.cached`), keyed on everything that changes a number.

Files are written as soon as they are known (metrics before training starts, curves after every
trained tokenizer), each atomically, so an interrupted run leaves whole files.

Under ``torchrun`` (``torchrun --nproc_per_node=N -m tokeff analyze --train ...``) every process
runs this same command and the LM trains in DistributedDataParallel (:mod:`tokeff.lm.distributed`).
Rank 0 loads and trains the tokenizers, describes and measures the corpora, reads and writes the
results cache and every file; it shares the tokenizers (as :mod:`tokeff.engine.shipping` parcels),
the corpus records and its cache decisions, so every rank trains the same runs in the same order.
Without ``--train`` there is nothing to share out, and ``torchrun`` is refused. ``study`` does the
same with the same helpers (:func:`ranks_of`, :func:`rank0_tokenizers`, :func:`nothing_measured`).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import results
from .adapters import Tokenizer, is_trained_spec, load_tokenizer
from .adapters.registry import FAMILIES as TOKENIZER_FAMILIES
from .analysis import Measurement, sort_tables, with_baseline
from .corpus import Corpus, ReadOptions, load_corpora, train_texts
from .errors import TokeffError, TokenizerUnavailable
from .record import CorpusRecord, RunRecord, TokenizerRecord, TrainingRecord, versions
from .settings import Settings, as_dict

if TYPE_CHECKING:
    from .cache import ResultsCache
    from .engine import Engine
    from .lm.distributed import Group
    from .training import Training

Note = Callable[[str], None]


def print_note(msg: str) -> None:
    """The default ``note``: one line on stderr."""
    print(f"tokeff: {msg}", file=sys.stderr)


# ---------------------------------------------------------------------------------------------
# load


@dataclass
class Loaded:
    """Corpora and tokenizers ready to measure, and what could not be loaded."""

    corpora: list[Corpus]
    tokenizers: list[Tokenizer]
    skipped: list[dict[str, str]] = field(default_factory=list)


def as_corpora(corpora: Iterable[str | Corpus], options: ReadOptions | None = None) -> list[Corpus]:
    """Corpus objects for a mix of specs and ready-made corpora (names must stay unique)."""
    out: list[Corpus] = []
    for c in corpora:
        out.extend([c] if isinstance(c, Corpus) else load_corpora([c], options))
    names = [c.name for c in out]
    if len(set(names)) != len(names):
        raise TokeffError(f"two corpora share a name ({', '.join(sorted({n for n in names if names.count(n) > 1}))}); "
                          "results are keyed by corpus name, so rename one")
    if not out:
        raise TokeffError("no corpus to analyse; name one with --corpus (try: default)")
    return out


def _has_document(corpus: Corpus, split: str) -> bool:
    docs = corpus.documents(split)
    try:
        return next(docs, None) is not None
    finally:
        docs.close()  # stop reading (and close the file) at the first document


def check_splits(corpora: Sequence[Corpus], *, need_train: bool) -> None:
    """Fail with one line when a corpus has no eval document (nothing would be measured) or,
    when something learns from the train split, when no corpus has a train document."""
    for c in corpora:
        if not _has_document(c, "eval"):
            n = sum(1 for _ in c.documents("all"))
            raise TokeffError(f"corpus {c.name!r} has no document in the eval split ({n} document{'' if n == 1 else 's'} "
                              "in all; tokeff measures on a deterministic 20% of documents); give it more documents "
                              "(blank-line-separated blocks, or --lines for one per line)")
    if need_train and not any(_has_document(c, "train") for c in corpora):
        raise TokeffError("no corpus has a document in the train split (the other 80%), so nothing can be trained; "
                          "give more documents, or drop --train and the train: tokenizers")


def _interruptible(load: Callable[[], Tokenizer]) -> Tokenizer:
    """``load()`` in a helper thread while this thread waits, so that Ctrl-C stops the run at once.

    Python runs signal handlers in the main thread only, between bytecodes; SentencePiece's
    trainer stays in C++ for minutes, so Ctrl-C during ``train:spm-*`` would otherwise wait for
    it to finish. The helper is a daemon thread: an interrupted run exits without it."""
    done: dict[str, object] = {}

    def run() -> None:
        try:
            done["value"] = load()
        except BaseException as e:  # handed to the main thread as it is
            done["error"] = e

    helper = threading.Thread(target=run, name="tokeff-load-tokenizer", daemon=True)
    helper.start()
    while helper.is_alive():
        helper.join(0.1)  # a timed wait: Ctrl-C's KeyboardInterrupt is raised here
    if "error" in done:
        raise done["error"]  # type: ignore[misc]
    return done["value"]  # type: ignore[return-value]


def load(tokenizers: Iterable[str | Tokenizer], corpora: Iterable[str | Corpus], settings: Settings, *,
         note: Note = print_note) -> Loaded:
    """Load corpora, then tokenizers (training the ``train:`` ones on the corpora's train split);
    tokenizers that cannot be had here are skipped with a note."""
    tokenizers = list(tokenizers)
    cs = as_corpora(corpora, settings.read)
    check_splits(cs, need_train=settings.training is not None
                 or any(isinstance(t, str) and is_trained_spec(t) for t in tokenizers))
    toks: list[Tokenizer] = []
    skipped: list[dict[str, str]] = []
    for t in tokenizers:
        if isinstance(t, Tokenizer):
            toks.append(t)
            continue
        try:
            if is_trained_spec(t):
                note(f"training {t} on the train split of {', '.join(c.name for c in cs)}")
            toks.append(_interruptible(lambda t=t: load_tokenizer(t, train_texts=lambda: train_texts(cs))))
        except TokenizerUnavailable as e:
            note(f"skipping {t}: {e}")
            skipped.append({"tokenizer": t, "reason": str(e)})
    names = [t.name for t in toks]
    if len(set(names)) != len(names):
        raise TokeffError(f"a tokenizer is named twice ({', '.join(sorted({n for n in names if names.count(n) > 1}))}); name each once")
    if not toks:
        raise TokeffError("no tokenizer could be loaded; see the notes above for how to make them available")
    return Loaded(cs, toks, skipped)


# ---------------------------------------------------------------------------------------------
# describe


def describe_corpus(c: Corpus, progress: bool = False) -> CorpusRecord:
    """What ``run.json`` says of a corpus: the size of its eval split, its languages, and the
    fingerprint of its whole content (the results cache key), all from one streaming pass."""
    from .corpus.core import SPLIT_BATCH_CHARS, SPLIT_BATCH_DOCS
    from .corpus.fingerprint import corpus_fingerprint
    from .docid import in_train

    docs = nbytes = nchars = 0
    langs: set[str] = set()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(desc=f"reading {c.name}", unit="B", unit_scale=True, unit_divisor=1024, leave=False)
    # the eval split's share of each batch of documents, counted at once (in_train); only their
    # ids and sizes wait for it, not the documents, as Corpus.documents's batches do (holding
    # the documents made this pass slower)
    ids: list[str] = []
    sizes: list[int] = []
    lengths: list[int] = []
    languages: list[str] = []

    def settle() -> None:
        nonlocal docs, nbytes, nchars, pending
        ev = ~in_train(ids, c.train_fraction)
        docs += int(ev.sum())
        nbytes += int(np.asarray(sizes, dtype=np.int64)[ev].sum())
        nchars += int(np.asarray(lengths, dtype=np.int64)[ev].sum())
        langs.update(lang for lang, e in zip(languages, ev.tolist()) if e)
        if bar is not None:
            bar.update(sum(sizes))
        for column in (ids, sizes, lengths, languages):
            column.clear()
        pending = 0

    pending = 0  # bytes in the batch

    def documents() -> Iterator:
        nonlocal pending
        for d in c.documents("all"):
            text = d.text
            ids.append(d.doc_id)
            size = len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
            sizes.append(size)
            lengths.append(len(text))
            languages.append(d.language)
            pending += size
            if len(ids) >= SPLIT_BATCH_DOCS or pending >= SPLIT_BATCH_CHARS:
                settle()
            yield d
        settle()

    try:
        fingerprint = corpus_fingerprint(c, documents())
    finally:
        if bar is not None:
            bar.close()
    return CorpusRecord(name=c.name, documents=docs, bytes=nbytes, characters=nchars, languages=sorted(langs),
                        description=c.description, parallel=c.parallel, reference_language=c.reference_language,
                        split="eval", train_fraction=c.train_fraction, fingerprint=fingerprint)


def describe(loaded: Loaded, settings: Settings) -> list[CorpusRecord]:
    """Every corpus described (one streaming pass each)."""
    return [describe_corpus(c, settings.progress) for c in loaded.corpora]


def describe_tokenizer(t: Tokenizer) -> TokenizerRecord:
    return TokenizerRecord(name=t.name, family=t.family, vocab_size=t.vocab_size, source=t.source)


# ---------------------------------------------------------------------------------------------
# measure

#: The tables a measurement is stored as in the cache, per (corpus, tokenizer).
MEASURE_PARTS = ("metrics", "token_lengths", "dropped", "notes")
_DROPPED_COLUMNS = ["corpus", "tokenizer", "language", "reason", "unk_char_rate"]


def measure(loaded: Loaded, described: Sequence[CorpusRecord], settings: Settings,
            cache: "ResultsCache | None" = None, *, note: Note = print_note) -> Measurement:
    """The analysis pass (:func:`tokeff.analysis.measure`) on the engine the settings name,
    reusing cached results per (corpus, tokenizer).

    A pair's rows depend on the corpus content, the tokenizer's content, the metric settings and
    the baseline tokenizer (normalized sequence length divides by it); all are in the key, so
    adding one tokenizer to a run measures only that one. Each pair is stored as soon as its
    corpus is measured, so an interrupted run keeps the corpora it finished.

    The engine is kept for the whole stage (one cluster for every corpus) and closed after it.
    """
    from .engine import get_engine

    with get_engine(settings.engine, workers=settings.workers, scheduler=settings.scheduler) as engine:
        return _measure(loaded, described, settings, engine, cache, note)


def _measure(loaded: Loaded, described: Sequence[CorpusRecord], settings: Settings, engine: "Engine",
             cache: "ResultsCache | None", note: Note) -> Measurement:
    from .analysis import measure as measure_pass
    from .metrics.registry import LARGE_CORPUS_BYTES

    toks = loaded.tokenizers
    metric_settings = with_baseline(settings.metrics, [t.name for t in toks])
    total = sum(d.bytes for d in described)
    if metric_settings.families is None and total > LARGE_CORPUS_BYTES:
        note(f"the measured text is {total / 2**30:.1f} GiB (over {LARGE_CORPUS_BYTES / 2**30:g} GiB): measuring the "
             "compression profile only (bytes, characters and tokens); pass --metrics all for every metric")
        metric_settings = replace(metric_settings, families=("compression",))

    def run(corpora: list[Corpus], tokenizers: list[Tokenizer], total: int) -> Measurement:
        return measure_pass(corpora, tokenizers, settings=metric_settings, engine=engine,
                            progress=settings.progress, total_bytes=total)

    if cache is None:
        return run(loaded.corpora, toks, sum(d.bytes for d in described))
    by_name = {t.name: t for t in toks}
    base = by_name.get(metric_settings.baseline)
    prints = {t.name: t.fingerprint() for t in toks}  # hashing a large vocabulary takes a while: once
    base_print = prints[base.name] if base is not None else metric_settings.baseline
    metrics, lengths, dropped, notes = [], [], [], []
    for corpus, info in zip(loaded.corpora, described):
        entries = {t.name: cache.cached("measure", MEASURE_PARTS, corpus=corpus.name, corpus_content=info.fingerprint,
                                        tokenizer=t.name, tokenizer_content=prints[t.name], baseline=base_print,
                                        settings=metric_settings)
                   for t in toks}
        hits = {} if settings.refresh else {n: e.get() for n, e in entries.items()}
        missing = [t for t in toks if hits.get(t.name) is None]
        if len(missing) < len(toks):
            note(f"{corpus.name}: reusing cached results for {len(toks) - len(missing)} of {len(toks)} tokenizers")
        if missing:
            m = run([corpus], missing + ([base] if base is not None and base not in missing else []), info.bytes)
            for t in missing:
                pair = (m.metrics[m.metrics.tokenizer == t.name],
                        m.token_lengths[m.token_lengths.tokenizer == t.name],
                        pd.DataFrame([d for d in m.dropped if d["tokenizer"] == t.name], columns=_DROPPED_COLUMNS),
                        pd.DataFrame({"note": [n for n in m.notes if n.startswith(f"{t.name}: ")]}, dtype=str))
                entries[t.name].put(pair)
                hits[t.name] = pair
        for t in toks:
            m_rows, l_rows, d_rows, n_rows = hits[t.name]
            metrics.append(m_rows)
            lengths.append(l_rows)
            dropped += d_rows.to_dict("records")
            notes += [n for n in n_rows["note"] if n not in notes]
    all_metrics, all_lengths = sort_tables(pd.concat(metrics, ignore_index=True), pd.concat(lengths, ignore_index=True))
    return Measurement(all_metrics, all_lengths, dropped, metric_settings, notes)


# ---------------------------------------------------------------------------------------------
# the run


@dataclass
class Run:
    """What a run produced: the tables, and the record that says how.

    ``run.metrics`` is the tidy table (``corpus, language, tokenizer, metric, value, unit,
    ci_low, ci_high, n, note``); ``run.to_frame()`` returns it, and :func:`tokeff.metric_table`
    and :func:`tokeff.premium_table` take a ``Run`` as they take the table.

    Attributes:
        metrics: the tidy metrics table, LM rows included when a model was trained.
        token_lengths: token occurrences by the UTF-8 length of their piece.
        record: what ``run.json`` holds (settings, versions, corpora, tokenizers, timings...).
        curves: learning curves when a model was trained, else None.
        cost: the cost model at 125M / 1.3B / 7B when a model was trained, else None.
        lm_runs: one row per (tokenizer, seed) training run, with whether it trained.
        lm_comparisons: every pair of trained tokenizers, with the paired interval of their
            difference in bits per byte, the seed spread, and the verdict.
        lm_losses, lm_loss_agreement: with several training losses, bits per byte per (loss,
            tokenizer), and Kendall's tau between the tokenizer rankings under every two losses.
        study: a study's table (one row per budget and tokenizer, :mod:`tokeff.vocab_study`).
        folder: the results folder, when one was written.
    """

    metrics: pd.DataFrame
    token_lengths: pd.DataFrame
    record: RunRecord
    curves: pd.DataFrame | None = None
    cost: pd.DataFrame | None = None
    lm_runs: pd.DataFrame | None = None
    lm_comparisons: pd.DataFrame | None = None
    lm_losses: pd.DataFrame | None = None
    lm_loss_agreement: pd.DataFrame | None = None
    study: pd.DataFrame | None = None
    folder: Path | None = None

    def to_frame(self) -> pd.DataFrame:
        """The tidy metrics table, as a pandas DataFrame."""
        return self.metrics

    @property
    def training(self) -> TrainingRecord | None:
        return self.record.training

    def __repr__(self) -> str:
        toks = ", ".join(t.name for t in self.record.tokenizers)
        corpora = ", ".join(c.name for c in self.record.corpora)
        where = f", folder={str(self.folder)!r}" if self.folder is not None else ""
        return f"<Run {len(self.metrics)} rows; tokenizers: {toks}; corpora: {corpora}{where}>"

    def _repr_html_(self) -> str:
        from .metrics.tables import metric_table

        corpora = list(dict.fromkeys(self.metrics["corpus"]))
        parts = [f"<p>{self!r}</p>".replace("<Run", "&lt;Run").replace(">", "&gt;", 1)]
        for c in corpora:
            parts.append(f"<h4>{c}</h4>" + metric_table(self.metrics, corpus=c)._repr_html_())
        return "\n".join(parts)


def new_record(settings: Settings, tokenizers: Sequence[str | Tokenizer], corpora: Sequence[str | Corpus],
               command: str | None) -> RunRecord:
    return RunRecord(
        tokeff_version=versions().get("tokeff", "dev"),
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        command=command or "tokeff.analyze()",
        settings={"tokenizers": [t if isinstance(t, str) else t.name for t in tokenizers],
                  "corpora": [c if isinstance(c, str) else c.name for c in corpora], **as_dict(settings)},
        versions=versions(),
    )


def save_trained_tokenizers(toks: Sequence[Tokenizer], folder: Path) -> None:
    """Keep the tokenizers trained in this run beside the results, so numbers can be re-derived."""
    for t in toks:
        if not is_trained_spec(t.name) or t.family not in TOKENIZER_FAMILIES:
            continue
        save = TOKENIZER_FAMILIES.get(t.family).save
        if save is not None:
            save(t, folder / "tokenizers", t.name.replace(":", "-"))


def save(run: Run, folder: Path) -> None:
    """Write every table the run holds and its record into ``folder`` (each file atomically)."""
    results.write_csv(folder / results.METRICS_FILE, run.metrics)
    if len(run.token_lengths):
        results.write_csv(folder / results.TOKEN_LENGTHS_FILE, run.token_lengths)
    for name, table in ((results.CURVES_FILE, run.curves), (results.COST_FILE, run.cost),
                        (results.LM_RUNS_FILE, run.lm_runs), (results.LM_COMPARISONS_FILE, run.lm_comparisons),
                        (results.LM_LOSSES_FILE, run.lm_losses), (results.LM_AGREEMENT_FILE, run.lm_loss_agreement),
                        (results.STUDY_FILE, run.study)):
        if table is not None:
            results.write_csv(folder / name, table)
    run.record.save(folder)


@dataclass
class Session:
    """A run between its stages: what measuring produced, and what training and saving need.

    :func:`begin` loads, describes and measures (and writes what it has); :func:`attach` adds a
    training stage's results; :func:`finish` writes the results folder and the report. :func:`run`
    is the three in a row; an experiment (:mod:`tokeff.vocab_study`) trains several times in between.
    """

    settings: Settings
    loaded: Loaded
    result: Run
    cache: "ResultsCache | None"
    folder: Path | None
    note: Note
    started: float
    writes: bool  # this process writes files (not a torchrun rank other than 0)


def begin(tokenizers: Iterable[str | Tokenizer], corpora: Iterable[str | Corpus], settings: Settings, *,
          out: str | Path | None = None, note: Note = print_note, command: str | None = None,
          record: dict[str, Any] | None = None,
          more_tokenizers: "Callable[[list[Corpus]], list[Tokenizer]] | None" = None) -> Session:
    """Check the settings, load, describe and measure (see the module docstring); write the
    measurement before anything is trained. ``record``: fields added to the run record (an
    experiment describes itself there); ``more_tokenizers``: builds tokenizers from the loaded
    corpora (an experiment's own, trained once, on rank 0 under torchrun)."""
    from .cache import ResultsCache
    from .engine import get_engine

    started = time.time()
    tokenizers, corpora = list(tokenizers), list(corpora)
    if settings.training is not None:
        from .training import check_training_settings

        check_training_settings(settings.training)
    # an engine that cannot be had (unknown, Dask missing, bad options) fails before any work
    get_engine(settings.engine, workers=settings.workers, scheduler=settings.scheduler).close()
    ranks = ranks_of(settings)  # under torchrun: see the module docstring
    follower = ranks is not None and not ranks.main
    if follower:
        note = silent
        loaded = Loaded(as_corpora(corpora, settings.read), [])
    else:
        built: list[Tokenizer] = []
        if more_tokenizers is not None:
            cs = as_corpora(corpora, settings.read)
            check_splits(cs, need_train=True)
            built, corpora = more_tokenizers(cs), cs
        loaded = load([*tokenizers, *built], corpora, settings, note=note)
    if ranks is not None:
        loaded.tokenizers, loaded.skipped = rank0_tokenizers(ranks, loaded)
    folder = Path(out) if out is not None else None
    rec = new_record(settings, tokenizers, corpora, command)
    for key, value in (record or {}).items():
        setattr(rec, key, value)
    rec.corpora = describe(loaded, settings) if not follower else []
    if ranks is not None:
        rec.corpora = ranks.share(rec.corpora)
    rec.tokenizers = [describe_tokenizer(t) for t in loaded.tokenizers]
    rec.skipped = loaded.skipped
    cache = ResultsCache() if settings.cache and not follower else None
    t0 = time.time()
    measured = measure(loaded, rec.corpora, settings, cache, note=note) if not follower else nothing_measured(settings)
    rec.notes, rec.dropped = measured.notes, [jsonable(d) for d in measured.dropped]
    rec.timings["measure_seconds"] = round(time.time() - t0, 3)
    session = Session(settings, loaded, Run(measured.metrics, measured.token_lengths, rec, folder=folder), cache,
                      folder, note, started, writes=not follower)
    if folder is not None and session.writes:
        # written before training starts: an interrupted training run keeps these
        save_trained_tokenizers(loaded.tokenizers, folder)
        rec.wall_seconds = round(time.time() - started, 3)
        save(session.result, folder)
    return session


def train_stage(session: Session, settings: Settings | None = None, *, write: bool = True) -> "Training":
    """The training stage on the session's corpora and tokenizers (``settings``: the session's,
    or a variant of them, such as another budget); ``write``: curves go to the results folder as
    runs finish."""
    from .training import train

    return train(session.loaded, session.result.record.corpora, settings or session.settings, session.cache,
                 folder=session.folder if write else None, note=session.note)


def attach(session: Session, trained: "Training", seconds: float | None = None) -> None:
    """Add a training stage's results to the session's run: LM rows to the metrics table, the
    curves, cost, runs and comparisons, and the training record."""
    result = session.result
    if len(trained.rows):
        result.metrics = pd.concat([result.metrics, trained.rows], ignore_index=True)
    result.curves, result.cost = trained.curves, trained.cost
    result.lm_runs, result.lm_comparisons = trained.runs, trained.comparisons
    result.lm_losses, result.lm_loss_agreement = trained.loss_table, trained.loss_agreement
    result.record.training = trained.record
    if seconds is not None:
        result.record.timings["train_seconds"] = round(seconds, 3)


def finish(session: Session) -> Run:
    """Write the results folder and the report (rank 0 alone under torchrun); the run."""
    if session.folder is not None and session.writes:
        session.result.record.wall_seconds = round(time.time() - session.started, 3)
        save(session.result, session.folder)
        if session.settings.report:
            from .reporting import build_report

            build_report(session.folder)
    return session.result


def run(tokenizers: Iterable[str | Tokenizer], corpora: Iterable[str | Corpus], settings: Settings, *,
        out: str | Path | None = None, note: Note = print_note, command: str | None = None,
        record: dict[str, Any] | None = None,
        more_tokenizers: "Callable[[list[Corpus]], list[Tokenizer]] | None" = None) -> Run:
    """Every stage, in order (see the module docstring and :func:`begin` for the arguments)."""
    session = begin(tokenizers, corpora, settings, out=out, note=note, command=command, record=record,
                    more_tokenizers=more_tokenizers)
    if settings.training is not None:
        t0 = time.time()
        attach(session, train_stage(session), time.time() - t0)
    return finish(session)


def ranks_of(settings: Settings) -> "Group | None":
    """This process's place when ``torchrun`` launched several (the group joined), else None."""
    import os

    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return None
    if settings.training is None:
        raise TokeffError("torchrun runs the LM training across processes, and this run trains nothing: "
                          "add --train, or run without torchrun")
    from .lm.distributed import join
    from .lm.train import TrainConfig

    group = join()
    try:
        group.rows(TrainConfig().batch_size)
    except ValueError as e:
        raise TokeffError(f"torchrun started {group.world} processes: {e}") from None
    return group


def rank0_tokenizers(ranks: "Group", loaded: Loaded) -> tuple[list[Tokenizer], list[dict[str, str]]]:
    """Rank 0's tokenizers and skipped list on every rank: the others open rank 0's parcels, so
    a tokenizer trained on the fly is trained once and is the same everywhere."""
    from .engine.shipping import pack, unpack

    parcels, skipped = ranks.share((pack(loaded.tokenizers), loaded.skipped) if ranks.main else None)
    return (loaded.tokenizers if ranks.main else unpack(parcels)), skipped


def nothing_measured(settings: Settings) -> Measurement:
    """What ranks other than 0 have instead of a measurement: empty tables."""
    from .analysis import TOKEN_LENGTH_COLUMNS

    return Measurement(pd.DataFrame(columns=results.METRIC_COLUMNS), pd.DataFrame(columns=TOKEN_LENGTH_COLUMNS),
                       settings=settings.metrics)


def silent(msg: str) -> None:
    """The ``note`` of ranks other than 0: rank 0 says it."""


def jsonable(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` with numpy scalars as Python numbers (for ``run.json``)."""
    return {k: (v.item() if isinstance(v, np.generic) else v) for k, v in obj.items()}
