"""The saved results folder, loaded once for every page (the report never recomputes anything)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import TokeffError
from ..metrics.registry import all_metrics
from ..metrics.registry import metric as registered_metric
from ..record import CorpusRecord, RunRecord, TrainingRecord
from .. import results
from ..results import COST_FILE, CURVES_FILE, METRIC_COLUMNS, METRICS_FILE, TOKEN_LENGTHS_FILE, read_metrics, read_optional_csv
from ..results import finite  # noqa: F401  (the pages read it from here)
from .names import language_label, short_names
from .style import TokenizerStyle


#: Note value marking fertility computed with the character fallback (no-space scripts).
CHAR_SEGMENTATION = "segmentation=characters"


def is_count(metric: str) -> bool:
    """Counts are written in full with thousands separators, never as 1.2×10⁷."""
    info = registered_metric(metric)
    return info is not None and info.count


def metric_value(metric: str, value: object) -> str:
    """A metric value formatted for tables."""
    from . import fmt

    return fmt.count(value) if is_count(metric) else fmt.num(value)


def metric_label(metric: str) -> str:
    """Reader's name of a metric (``continued_word_rate`` → ``continued-word rate``)."""
    info = registered_metric(metric)
    return info.label if info else metric.replace("_", " ")


def metric_sort_key(metric: str) -> tuple[int, str]:
    """Tables list metrics in the registry's order (family by family); unknown ones after, by name."""
    order = list(all_metrics())
    return (order.index(metric), "") if metric in order else (len(order), metric)


@dataclass
class ReportData:
    """Everything a page may draw from, plus the shared tokenizer style.

    Attributes:
        folder: the results folder.
        metrics: the tidy metrics table (see :mod:`tokeff.results`).
        run: run.json as a :class:`~tokeff.record.RunRecord` (empty when absent).
        curves, cost, token_lengths: the optional tables, ``None`` when absent or empty.
        lm_runs, lm_comparisons: the training runs (one per tokenizer and seed, with whether each
            trained) and the pairwise comparisons of trained tokenizers, ``None`` when absent.
        study: a study's table (one row per budget and tokenizer), ``None`` when absent.
        lm_losses, lm_loss_agreement: bits per byte per (training loss, tokenizer) and Kendall's
            tau between the rankings under every two losses, ``None`` unless several losses ran.
        probe_scores, probe_runs: an arithmetic probe's accuracies and training runs
            (:mod:`tokeff.probes.experiment`), ``None`` when absent.
        style: labels, colours and markers of every tokenizer.
        corpora: corpus names in run order.
    """

    folder: Path
    metrics: pd.DataFrame
    run: RunRecord
    curves: pd.DataFrame | None
    cost: pd.DataFrame | None
    token_lengths: pd.DataFrame | None
    style: TokenizerStyle
    lm_runs: pd.DataFrame | None = None
    lm_comparisons: pd.DataFrame | None = None
    study: pd.DataFrame | None = None
    lm_losses: pd.DataFrame | None = None
    lm_loss_agreement: pd.DataFrame | None = None
    probe_scores: pd.DataFrame | None = None
    probe_runs: pd.DataFrame | None = None
    corpora: list[str] = field(default_factory=list)
    _by_metric: dict[str, pd.DataFrame] | None = field(default=None, repr=False)
    _index: dict[tuple[str, str, str, str], dict[str, Any]] | None = field(default=None, repr=False)

    # ----- lookups -----

    def has(self, metric: str) -> bool:
        """True when at least one finite value of ``metric`` exists."""
        m = self.metrics
        return bool(((m["metric"] == metric) & m["value"].notna()).any())

    def rows(self, metric: str, corpus: str | None = None, language: str | None = None) -> pd.DataFrame:
        """Rows of one metric, optionally of one corpus and/or language, values present."""
        if self._by_metric is None:
            # Pages ask for one metric at a time, many times: split the table once.
            present = self.metrics[self.metrics["value"].notna()]
            self._by_metric = {k: g for k, g in present.groupby("metric", sort=False)}
        m = self._by_metric.get(metric, self.metrics.iloc[0:0])
        if corpus is not None:
            m = m[m["corpus"] == corpus]
        if language is not None:
            m = m[m["language"] == language]
        return m

    def value(self, metric: str, corpus: str, language: str, tokenizer: str) -> dict[str, Any] | None:
        """The row of (metric, corpus, language, tokenizer) as a dict, or None."""
        if self._index is None:
            self._index = {}
            for row in self.metrics[self.metrics["value"].notna()].to_dict("records"):
                key = (row["metric"], row["corpus"], row["language"], row["tokenizer"])
                self._index.setdefault(key, row)
        return self._index.get((metric, corpus, language, tokenizer))

    def cell(self, metric: str, corpus: str, language: str, tokenizer: str, with_ci: bool = True) -> str:
        """A formatted table cell: value (with CI when known), ``–`` when absent."""
        from . import fmt

        r = self.value(metric, corpus, language, tokenizer)
        if r is None:
            return "–"
        if with_ci and not is_count(metric):
            return fmt.value_ci(r["value"], r["ci_low"], r["ci_high"])
        return metric_value(metric, r["value"])

    def corpora_with(self, metric: str, language: str | None = "all") -> list[str]:
        """Corpora (run order) that have ``metric`` (for ``language``; any when None)."""
        present = set(self.rows(metric, language=language)["corpus"])
        return [c for c in self.corpora if c in present]

    def unit(self, metric: str) -> str:
        """The unit metrics.csv gives for ``metric`` (first non-empty), or ``''``."""
        units = [u for u in self.rows(metric)["unit"].astype(str) if u and u.lower() != "nan"]
        return units[0] if units else ""

    def axis_label(self, metric: str) -> str:
        """``bytes per token (bytes/token)``: the reader's name with the unit."""
        unit = self.unit(metric)
        label = metric_label(metric)
        return f"{label} ({unit})" if unit else label

    def bpb_label(self) -> str:
        """The bits-per-byte axis label, also for a folder whose tables lack the metric's unit."""
        return self.axis_label("bits_per_byte") if self.has("bits_per_byte") else "bits per byte (bits/byte)"

    def ordered(self, names: list[str] | set[str]) -> list[str]:
        """Tokenizer names in the report's fixed order."""
        names = set(names)
        return [n for n in self.style.order if n in names]

    def label(self, tokenizer: str) -> str:
        return self.style.label.get(tokenizer, tokenizer)

    def colour(self, tokenizer: str) -> str:
        return self.style.colour.get(tokenizer, "#444444")

    def marker(self, tokenizer: str) -> str:
        return self.style.marker.get(tokenizer, "o")

    def corpus_info(self, corpus: str) -> CorpusRecord:
        return self.run.corpus(corpus) or CorpusRecord(name=corpus)

    def language_names(self) -> dict[str, str]:
        """Language names a run may carry (``language_names`` per corpus), merged."""
        names: dict[str, str] = {}
        for c in self.run.corpora:
            names.update(c.language_names or {})
        return names

    def lang(self, tag: str) -> str:
        """Display label of a language tag."""
        return language_label(tag, self.language_names())

    def reference_language(self, corpus: str) -> str:
        """The language premiums of ``corpus`` are relative to (run.json, else a row note)."""
        ref = self.corpus_info(corpus).reference_language
        if ref:
            return str(ref)
        return note_value(self.rows("premium", corpus)["note"], "reference")

    def dropped(self) -> set[tuple[str, str, str]]:
        """(corpus, language, tokenizer) triples the run left out of some results (run.json)."""
        out = set()
        for x in self.run.dropped:
            if isinstance(x, dict):
                out.add((str(x.get("corpus", "")), str(x.get("language", "all")), str(x.get("tokenizer", ""))))
        return out

    def training(self) -> TrainingRecord | None:
        return self.run.training

    def trained(self, tokenizer: str) -> bool | None:
        """Whether every training run of ``tokenizer`` trained (None: no runs recorded)."""
        runs = self.lm_runs
        if runs is None or "trained" not in runs.columns:
            return None
        mine = runs[runs["tokenizer"].astype(str) == tokenizer]
        return None if mine.empty else bool(mine["trained"].astype(bool).all())

    def not_trained(self) -> list[dict[str, Any]]:
        """Tokenizers the budget could not train, with why and the budget they would need."""
        training = self.run.training
        return [s for s in (training.skipped if training is not None else []) if isinstance(s, dict)]


def _nonempty(df: pd.DataFrame | None) -> pd.DataFrame | None:
    return df if df is not None and len(df) else None


def _tokenizer_order(run: RunRecord, metrics: pd.DataFrame, *extra: pd.DataFrame | None) -> list[str]:
    """Run order first (what the user asked for), then anything else found, sorted."""
    order: list[str] = []
    for t in run.tokenizers:
        if t.name and t.name not in order:
            order.append(t.name)
    found: set[str] = set(metrics["tokenizer"].astype(str))
    for df in extra:
        if df is not None and "tokenizer" in df.columns:
            found |= set(df["tokenizer"].astype(str))
    order += sorted(found - set(order))
    return order


def load(folder: Path) -> ReportData:
    """Read a results folder. Raises :class:`TokeffError` when it holds no metrics."""
    folder = Path(folder)
    probe_scores = _nonempty(read_optional_csv(folder, results.PROBE_SCORES_FILE))
    if (folder / METRICS_FILE).exists():
        metrics = read_metrics(folder)
    elif probe_scores is not None:  # a probe's folder: no tokenizer metrics, only its own tables
        metrics = pd.DataFrame(columns=METRIC_COLUMNS)
    else:
        raise TokeffError(f"{folder} has no {METRICS_FILE}: run `tokeff analyze --out {folder}` first")
    for col in ("corpus", "language", "tokenizer", "metric", "unit", "note"):
        metrics[col] = metrics[col].fillna("").astype(str)
    for col in ("value", "ci_low", "ci_high"):
        metrics[col] = pd.to_numeric(metrics[col], errors="coerce")
    metrics["language"] = metrics["language"].replace("", "all")
    run = RunRecord.load(folder)
    curves = _nonempty(read_optional_csv(folder, CURVES_FILE))
    cost = _nonempty(read_optional_csv(folder, COST_FILE))
    lengths = _nonempty(read_optional_csv(folder, TOKEN_LENGTHS_FILE))
    order = _tokenizer_order(run, metrics, curves, cost, lengths, probe_scores)
    style = TokenizerStyle.build(order, short_names(order))
    corpora = [c.name for c in run.corpora if c.name]
    corpora += sorted(set(metrics["corpus"]) - set(corpora) - {""})
    # the training page and the conclusions speak of the first training loss (metrics.csv's);
    # the losses page reads lm_losses.csv for all of them
    main_loss = _main_loss(run)
    return ReportData(folder, metrics, run, _of_loss(curves, main_loss), cost, lengths, style, corpora=corpora,
                      lm_runs=_of_loss(_nonempty(read_optional_csv(folder, results.LM_RUNS_FILE)), main_loss),
                      lm_comparisons=_of_loss(_nonempty(read_optional_csv(folder, results.LM_COMPARISONS_FILE)), main_loss),
                      study=_nonempty(read_optional_csv(folder, results.STUDY_FILE)),
                      lm_losses=_nonempty(read_optional_csv(folder, results.LM_LOSSES_FILE)),
                      lm_loss_agreement=_nonempty(read_optional_csv(folder, results.LM_AGREEMENT_FILE)),
                      probe_scores=probe_scores, probe_runs=_nonempty(read_optional_csv(folder, results.PROBE_RUNS_FILE)))


def _main_loss(run: RunRecord) -> str | None:
    """The first training loss of the run (the one metrics.csv reports), when it trained."""
    losses = ((run.settings.get("training") or {}).get("losses")) if isinstance(run.settings, dict) else None
    return str(losses[0]) if losses else None


def _of_loss(table: pd.DataFrame | None, loss: str | None) -> pd.DataFrame | None:
    """The rows of ``table`` trained under ``loss`` (tables without a loss column as they are)."""
    if table is None or loss is None or "loss" not in table.columns:
        return table
    return _nonempty(table[table["loss"].astype(str) == loss].reset_index(drop=True))


def note_value(notes: "pd.Series | list[str]", key: str) -> str:
    """The value of ``key=value`` in the first note that has it (notes may hold several, split
    by ``;`` or ``,``), or ``''``."""
    for note in notes:
        for part in str(note).replace(",", ";").split(";"):
            k, _, v = part.strip().partition("=")
            if k.strip() == key and v.strip():
                return v.strip()
    return ""
