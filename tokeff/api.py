"""The functions behind ``python -m tokeff analyze`` and ``tokeff.analyze(...)``.

This module only joins the parts: it loads corpora and tokenizers from their specs, trains the
on-the-fly tokenizers on the corpora's train split, hands everything to the one measurement pass
(:mod:`tokeff.analysis`), optionally trains the shared small LM per tokenizer (:mod:`tokeff.lm`),
saves the results folder (:mod:`tokeff.results`) and builds the report (:mod:`tokeff.report`).
The CLI and the notebook API are two thin faces over :func:`analyze`.
"""

from __future__ import annotations

import importlib.metadata
import platform
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import results
from .adapters import Tokenizer, is_trained_spec, load_tokenizer
from .corpus import Corpus, load_corpora, train_texts
from .errors import TokeffError, TokenizerUnavailable

if TYPE_CHECKING:
    from .cache import ResultsCache

#: Tokenizers compared when none is named: the byte baseline, three generations of OpenAI's
#: byte-level BPE, and three tokenizers trained on the analysed text itself.
DEFAULT_TOKENIZERS = (
    "bytes",
    "tiktoken:gpt2",
    "tiktoken:cl100k_base",
    "tiktoken:o200k_base",
    "train:hf-bpe:8192",
    "train:spm-unigram:8192",
    "train:bpe:8192",
)

Note = Callable[[str], None]


def _print_note(msg: str) -> None:
    print(f"tokeff: {msg}", file=sys.stderr)


@dataclass
class Loaded:
    """Corpora and tokenizers ready to measure, and what could not be loaded."""

    corpora: list[Corpus]
    tokenizers: list[Tokenizer]
    skipped: list[dict[str, str]] = field(default_factory=list)


def as_corpora(corpora: Iterable[str | Corpus], **corpus_options) -> list[Corpus]:
    """Corpus objects for a mix of specs and ready-made corpora (names must stay unique)."""
    out: list[Corpus] = []
    for c in corpora:
        out.extend([c] if isinstance(c, Corpus) else load_corpora([c], **corpus_options))
    names = [c.name for c in out]
    if len(set(names)) != len(names):
        raise TokeffError(f"two corpora share a name ({', '.join(sorted({n for n in names if names.count(n) > 1}))}); "
                          "results are keyed by corpus name, so rename one")
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


def load_all(tokenizers: Iterable[str | Tokenizer], corpora: Iterable[str | Corpus], *,
             note: Note = _print_note, need_train: bool = False, **corpus_options) -> Loaded:
    """Load corpora, then tokenizers; tokenizers unavailable here are skipped with a note.
    ``need_train``: something besides trained tokenizers (the LM) learns from the train split."""
    tokenizers = list(tokenizers)
    cs = as_corpora(corpora, **corpus_options)
    if not cs:
        raise TokeffError("no corpus to analyse; name one with --corpus (try: default)")
    check_splits(cs, need_train=need_train or any(isinstance(t, str) and is_trained_spec(t) for t in tokenizers))
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


def measure_cached(corpora: Sequence[Corpus], toks: Sequence[Tokenizer], settings, *, workers: int | None,
                   progress: bool, cache: "ResultsCache | None", refresh: bool = False, note: Note = _print_note,
                   fingerprints: Sequence[str] | None = None, eval_bytes: Sequence[int] | None = None):
    """:func:`tokeff.analysis.measure`, reusing cached results per (corpus, tokenizer).

    A pair's rows depend on the corpus content, the tokenizer's content, the metric settings,
    the baseline tokenizer (normalized sequence length divides by it) and tokeff's code; all of
    them are in the key, so adding one tokenizer to a run measures only that one. Each pair is
    stored as soon as its corpus is measured, so an interrupted run keeps the corpora it finished.
    ``fingerprints``, ``eval_bytes``: the corpora's content fingerprints and eval-split sizes,
    when the caller has them already (the sizes give the progress bar an ETA).
    """
    from dataclasses import asdict

    from .analysis import Measurement, measure, sort_tables, with_baseline
    from .cache import corpus_fingerprint

    if cache is None:
        return measure(corpora, toks, settings=settings, workers=workers, progress=progress,
                       total_bytes=sum(eval_bytes) if eval_bytes is not None else None)
    settings = with_baseline(settings, [t.name for t in toks])
    by_name = {t.name: t for t in toks}
    base = by_name.get(settings.baseline)
    prints = {t.name: t.fingerprint() for t in toks}  # a 200k vocabulary takes 0.1 s to hash: once
    base_print = prints[base.name] if base is not None else settings.baseline
    metrics, lengths, dropped, notes = [], [], [], []
    for i, corpus in enumerate(corpora):
        cfp = fingerprints[i] if fingerprints is not None else corpus_fingerprint(corpus)
        keys = {t.name: cache.key("measure", corpus.name, t.name, cfp, prints[t.name], base_print, asdict(settings))
                for t in toks}
        hits = {} if refresh else {n: cache.get_parts(k, _PAIR_PARTS) for n, k in keys.items()}
        missing = [t for t in toks if hits.get(t.name) is None]
        if len(missing) < len(toks):
            note(f"{corpus.name}: reusing cached results for {len(toks) - len(missing)} of {len(toks)} tokenizers")
        if missing:
            run = missing + ([base] if base is not None and base not in missing else [])
            m = measure([corpus], run, settings=settings, workers=workers, progress=progress,
                        total_bytes=eval_bytes[i] if eval_bytes is not None else None)
            notes += [n for n in m.notes if n not in notes]
            for t in missing:
                pair = (m.metrics[m.metrics.tokenizer == t.name],
                        m.token_lengths[m.token_lengths.tokenizer == t.name],
                        pd.DataFrame([d for d in m.dropped if d["tokenizer"] == t.name], columns=_DROPPED_COLUMNS))
                cache.put_parts(keys[t.name], _PAIR_PARTS, pair)
                hits[t.name] = pair
        for t in toks:
            m_rows, l_rows, d_rows = hits[t.name]
            metrics.append(m_rows)
            lengths.append(l_rows)
            dropped += d_rows.to_dict("records")
    all_metrics, all_lengths = sort_tables(pd.concat(metrics, ignore_index=True), pd.concat(lengths, ignore_index=True))
    return Measurement(all_metrics, all_lengths, dropped, settings, notes)


_PAIR_PARTS = ("metrics", "token_lengths", "dropped")
_DROPPED_COLUMNS = ["corpus", "tokenizer", "language", "reason", "unk_char_rate"]



def versions() -> dict[str, str]:
    """Versions of everything that can change a number."""
    out = {"python": platform.python_version(), "platform": platform.platform()}
    for pkg in ("tokeff", "tokenizers", "sentencepiece", "tiktoken", "torch", "numpy", "pandas", "regex", "matplotlib"):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            pass
    return out


def describe_tokenizer(t: Tokenizer) -> dict[str, object]:
    return {"name": t.name, "family": t.family, "vocab_size": t.vocab_size, "source": t.source}


def describe_corpus(c: Corpus, progress: bool = False) -> dict[str, object]:
    """What ``run.json`` says of a corpus: the size of its eval split, its languages, and the
    fingerprint of its whole content (the results cache key), all from one streaming pass."""
    from .cache import corpus_fingerprint
    from .corpus.core import SPLIT_BATCH_CHARS, SPLIT_BATCH_DOCS, in_train

    docs = nbytes = nchars = 0
    langs: set[str] = set()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(desc=f"reading {c.name}", unit="B", unit_scale=True, unit_divisor=1024, leave=False)
    # the eval split's share of each batch of documents, counted at once (in_train); only their
    # ids and sizes wait for it, not the documents, as Corpus.documents's batches do (holding
    # the documents made this pass 20 % slower)
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
    return {"name": c.name, "documents": docs, "bytes": nbytes, "characters": nchars,
            "languages": sorted(langs), "description": c.description, "parallel": c.parallel,
            "reference_language": c.reference_language, "split": "eval", "train_fraction": c.train_fraction,
            "fingerprint": fingerprint}


def save_trained_tokenizers(toks: Sequence[Tokenizer], folder: Path) -> None:
    """Keep the tokenizers trained in this run beside the results, so numbers can be re-derived."""
    for t in toks:
        if not t.name.startswith("train:"):
            continue
        stem = t.name.replace(":", "-")
        if hasattr(t, "to_json"):
            results.write_text(folder / "tokenizers" / f"{stem}.json", t.to_json())
        elif hasattr(t, "model_proto"):
            results.atomic_write(folder / "tokenizers" / f"{stem}.model", lambda p, t=t: p.write_bytes(t.model_proto))
        elif hasattr(t, "model") and hasattr(t.model, "save"):
            results.atomic_write(folder / "tokenizers" / f"{stem}.json", lambda p, t=t: t.model.save(p))


def analyze(
    tokenizers: Iterable[str | Tokenizer] = DEFAULT_TOKENIZERS,
    corpora: Iterable[str | Corpus] = ("default",),
    *,
    out: str | Path | None = None,
    train: bool = False,
    budget: str | None = None,
    model: str = "tiny",
    device: str = "auto",
    seed: int = 0,
    bootstrap: int = 1000,
    baseline: str | None = None,
    reference_language: str | None = None,
    confidence: float = 0.95,
    word_metrics: bool = True,
    roundtrip: bool = True,
    workers: int | None = None,
    cache: bool = True,
    refresh: bool = False,
    progress: bool = True,
    report: bool = True,
    note: Note = _print_note,
    command: str | None = None,
    run_info: dict[str, object] | None = None,
    **corpus_options,
) -> pd.DataFrame:
    """Measure every tokenizer on every corpus and return the tidy metrics table.

    Args:
        tokenizers: specs (``"tiktoken:cl100k_base"``, ``"train:hf-bpe:8192"``...) or
            :class:`~tokeff.adapters.Tokenizer` objects.
        corpora: specs (``"default"``, ``"parallel:DIR"``, a path...) or :class:`~tokeff.corpus.Corpus`.
        out: a results folder to write (``metrics.csv``, ``run.json``, ``report.pdf``...).
        train: also train the shared small LM per tokenizer and add bits per byte.
        budget: the training budget (``"flops=1e13"``, ``"bytes=5e6"``, ``"tokens=1e6"``,
            ``"steps=200"``); default equal compute.
        model: model size preset for training (``"tiny"``, ``"small"``...).
        seed: seeds the bootstrap and the training run.
        reference_language: the language premiums are relative to (default: each parallel
            corpus's own, ``eng`` for NTREX-128).
        confidence: coverage of the bootstrap intervals.
        word_metrics, roundtrip: turn off the word-level metrics or the decode check (faster).
        cache: reuse results cached per (corpus, tokenizer) in ``TOKEFF_CACHE``; ``refresh``
            recomputes them (and stores the new ones).
        run_info: extra entries for ``run.json`` (the sweep records itself there).
        bootstrap: bootstrap replicates for confidence intervals (0 turns them off).
        baseline: the tokenizer normalized sequence length is measured against (default: the
            first tokenizer, so list the one you use now first).

    Returns:
        The tidy table: ``corpus, language, tokenizer, metric, value, unit, ci_low, ci_high, n, note``.
    """
    from .metrics.settings import MetricSettings

    started = time.time()
    tokenizers = list(tokenizers)
    if train:
        from .training import check_training_options

        check_training_options(budget, model)
    loaded = load_all(tokenizers, corpora, note=note, need_train=train, **corpus_options)
    folder = Path(out) if out is not None else None
    described = [describe_corpus(c, progress) for c in loaded.corpora]
    settings = MetricSettings(baseline=baseline, bootstrap_replicates=bootstrap, seed=seed, confidence=confidence,
                              reference_language=reference_language, word_metrics=word_metrics, roundtrip=roundtrip)
    run: dict[str, object] = {
        "tokeff_version": versions().get("tokeff", "dev"),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": command or "tokeff.analyze()",
        "settings": {"tokenizers": [t if isinstance(t, str) else t.name for t in tokenizers],
                     "metrics": _jsonable(settings), "train": train, "seed": seed,
                     **{k: v for k, v in corpus_options.items()}},
        "versions": versions(),
        "corpora": described,
        "tokenizers": [describe_tokenizer(t) for t in loaded.tokenizers],
        "skipped": loaded.skipped,
        "timings": {},
        **(run_info or {}),
    }
    t0 = time.time()
    from .cache import ResultsCache

    store = ResultsCache() if cache else None
    measurement = measure_cached(loaded.corpora, loaded.tokenizers, settings, workers=workers, progress=progress,
                                 cache=store, refresh=refresh, note=note,
                                 fingerprints=[str(d["fingerprint"]) for d in described],
                                 eval_bytes=[int(d["bytes"]) for d in described])
    run["notes"] = measurement.notes
    run["timings"]["measure_seconds"] = round(time.time() - t0, 3)
    metrics = measurement.metrics
    if folder is not None:
        # Written before training starts: an interrupted training run keeps these.
        save_trained_tokenizers(loaded.tokenizers, folder)
        results.write_csv(folder / results.METRICS_FILE, metrics)
        if len(measurement.token_lengths):
            results.write_csv(folder / results.TOKEN_LENGTHS_FILE, measurement.token_lengths)
        run["dropped"] = [_jsonable(d) for d in measurement.dropped]
        run["wall_seconds"] = round(time.time() - started, 3)
        results.write_json(folder / results.RUN_FILE, run)
    if train:
        from .training import train_all

        t0 = time.time()
        metrics, training = train_all(loaded, metrics, budget=budget, model=model, device=device, seed=seed,
                                      progress=progress, folder=folder, note=note, cache=store, refresh=refresh,
                                      fingerprints=[str(d["fingerprint"]) for d in described],
                                      eval_bytes=[int(d["bytes"]) for d in described])
        run["training"] = training
        run["timings"]["train_seconds"] = round(time.time() - t0, 3)
    if folder is not None:
        results.write_csv(folder / results.METRICS_FILE, metrics)
        run["wall_seconds"] = round(time.time() - started, 3)
        results.write_json(folder / results.RUN_FILE, run)
        if report:
            from .report import build_report

            build_report(folder)
    return metrics


def _jsonable(obj: object) -> object:
    from dataclasses import asdict, is_dataclass

    if is_dataclass(obj) and not isinstance(obj, type):
        return asdict(obj)
    return obj


#: Metrics in the printed summary, in order (those present in the results).
SUMMARY_METRICS = ("bytes_per_token", "chars_per_token", "fertility", "continued_word_rate",
                   "vocab_utilization", "bits_per_byte", "token_perplexity")


def summary_table(df: pd.DataFrame, metrics: Sequence[str] = SUMMARY_METRICS) -> str:
    """A plain-text table per corpus: tokenizer × metric over all languages, units in the headers."""
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


def train_bpe_cli(corpora: Sequence[str], vocab_size: int, *, pattern: str = "gpt2",
                  special_tokens: Sequence[str] = (), min_frequency: int = 2, out: str | Path,
                  fmt: str = "tokeff", progress: bool = True, **corpus_options) -> Path:
    """``python -m tokeff train-bpe``: learn from all of the corpora, save in the chosen format."""
    from .bpe import train_bpe

    cs = as_corpora(corpora, **corpus_options)
    model = train_bpe((t for c in cs for t in c.texts("all")), vocab_size, pattern=pattern,
                      special_tokens=tuple(special_tokens), min_frequency=min_frequency, progress=progress)
    path = Path(out)
    save = {"tokeff": model.save, "hf": model.export_hf, "tiktoken": model.export_tiktoken}[fmt]
    results.atomic_write(path, save)
    return path


def sweep(
    corpora: Iterable[str | Corpus],
    vocab_sizes: Sequence[int],
    *,
    pattern: str = "gpt2",
    out: str | Path | None = None,
    progress: bool = True,
    note: Note = _print_note,
    **options,
) -> pd.DataFrame:
    """Vocabulary-size sweep: train tokeff's BPE once at the largest size on the train split and
    measure every smaller size as a prefix of its merge list (``model.truncate``)."""
    from .adapters.tokeff_bpe import TokeffBPETokenizer
    from .bpe import train_bpe

    if not vocab_sizes:
        raise TokeffError("no vocabulary sizes given; pass e.g. --vocab 1024,4096,16384")
    corpus_options = {k: options.pop(k) for k in ("lines", "errors", "languages") if k in options}
    cs = as_corpora(corpora, **corpus_options)
    check_splits(cs, need_train=True)
    if options.get("train"):
        from .training import check_training_options

        check_training_options(options.get("budget"), options.get("model", "tiny"))
    largest = max(vocab_sizes)
    note(f"training tokeff BPE to {largest} on the train split of {', '.join(c.name for c in cs)}")
    model = train_bpe(train_texts(cs), largest, pattern=pattern, progress=progress)
    toks = [TokeffBPETokenizer(model.truncate(n) if n < model.vocab_size else model,
                               name=f"train:bpe:{n}", source=f"tokeff BPE ({pattern}), prefix of a {largest} run")
            for n in sorted(vocab_sizes) if n <= model.vocab_size]
    info = {"sweep": {"base": f"train:bpe:{largest}", "pattern": pattern,
                      "tokenizers": [{"name": t.name, "vocab_size": t.vocab_size} for t in toks]}}
    return analyze(toks, cs, out=out, progress=progress, note=note, run_info=info, **options)
