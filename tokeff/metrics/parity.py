"""Parity: what the same content costs in each language (Petrov et al. 2023, "Language Model
Tokenizers Introduce Unfairness Between Languages", §3).

On a parallel corpus, the **tokenization premium** of language L for tokenizer T is

    premium_T(L) = Σ_i tokens_T(line_i in L) / Σ_i tokens_T(line_i in reference)

summed over the aligned lines i present in both (Petrov et al. use FLORES-200 with English as the
reference; tokeff uses the corpus's ``reference_language``, ``eng`` for NTREX-128, unless the
settings override it). A premium of 2.0 means the same content costs twice the tokens - and so
twice the context, compute and API price - in L as in the reference. The reference itself has
premium 1.

Pairs where the tokenizer does not really cover the language are dropped, as the paper does: when
more than ``unk_threshold`` (10 %) of L's non-space characters are lost to the UNK token
(``unk_char_rate`` of :mod:`tokeff.metrics.coverage`), the premium would be flattering (an UNK is
one cheap token for a whole unknown word), so the row is kept with value NaN, a note says why,
and the pair is listed in ``Measurement.dropped``. If the reference itself is over the threshold,
every premium of that tokenizer is dropped.

The interval resamples aligned lines with the same weights in L and in the reference (the weight
hangs on the shared ``doc_id``): a paired bootstrap. ``n`` is the number of aligned lines.

Unlike the other families this keeps one small record per line and language (a parallel corpus
is a test set of a few thousand lines), because the sums must run over lines present in both
languages.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .base import Accumulator, MetricRow, RowContext
from .batch import EncodedBatch
from .bootstrap import SLOTS, SlotSums, ratio_with_ci, sum_by_key
from .registry import FAMILIES, Metric, MetricFamily

PREMIUM = Metric("premium", "tokens / reference token", "premium", "lower",
                 "tokens(L) / tokens(reference) over aligned lines (Petrov et al. 2023)")

#: Per-line record: the doc key, tokens, non-space characters, characters lost to UNK.
_FIELDS = 4


@dataclass(frozen=True)
class Dropped:
    """A (language, tokenizer) pair left out of the premiums, and why."""

    language: str
    reason: str
    unk_char_rate: float = math.nan


class ParityAccumulator(Accumulator):
    """Tokens per aligned line, per language."""

    def __init__(self, reference_language: str | None) -> None:
        self.reference_language = reference_language
        self._lines: dict[str, list[np.ndarray]] = {}
        self._pairs_cache: tuple | None = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_pairs_cache": None}

    def update(self, batch: EncodedBatch) -> None:
        self._pairs_cache = None
        t = batch.text
        nonspace = t.n_nonspace if batch.tokenizer.unk_id is not None else np.zeros(len(t.docs), dtype=np.int64)
        rec = np.stack([t.keys, batch.n_tokens, nonspace, batch.n_unk_chars], axis=1)
        for lang, ix in t.language_groups():
            self._lines.setdefault(lang, []).append(rec if len(ix) == len(rec) else rec[ix])

    def merge(self, other: "ParityAccumulator") -> None:
        self._pairs_cache = None
        for lang, parts in other._lines.items():
            self._lines.setdefault(lang, []).extend(parts)

    def _table(self, lang: str) -> np.ndarray:
        """One row per distinct line (sorted by key; a repeated id's counts are summed)."""
        rec = np.concatenate(self._lines[lang]) if self._lines.get(lang) else np.empty((0, _FIELDS), np.int64)
        keys, sums = sum_by_key(rec[:, 0], rec[:, 1:])
        return np.column_stack([keys, sums])

    def rows(self, ctx: RowContext) -> list[MetricRow]:
        rows, dropped = self.premiums(ctx)
        corpus = ctx.corpus.name if ctx.corpus is not None else ""
        ctx.extras.dropped += [dict(corpus=corpus, tokenizer=ctx.tokenizer.name, language=d.language,
                                    reason=d.reason, unk_char_rate=d.unk_char_rate) for d in dropped]
        return rows

    def _reference(self, ctx: RowContext) -> str | None:
        return ctx.settings.reference_language or self.reference_language

    def _pairs(self, ref: str) -> dict[str, tuple[np.ndarray, np.ndarray, SlotSums, SlotSums]]:
        """Per language: its line table, the keys aligned with ``ref``, and the token sums of
        those lines in the language and in the reference (built once)."""
        cached = self._pairs_cache
        if cached is not None and cached[0] == ref:
            return cached[1]
        tables = {lang: self._table(lang) for lang in sorted(self._lines)}
        ref_tab = tables[ref]
        out = {}
        for lang, tab in tables.items():
            common = np.intersect1d(tab[:, 0], ref_tab[:, 0], assume_unique=True)
            out[lang] = (tab, common, _restricted(tab, common), _restricted(ref_tab, common))
        self._pairs_cache = (ref, out)
        return out

    def slot_sums(self, ctx: RowContext) -> list[SlotSums]:
        ref = self._reference(ctx)
        if not ref or ref not in self._lines:
            return []
        return [s for _, _, num, den in self._pairs(ref).values() for s in (num, den)]

    def premiums(self, ctx: RowContext) -> tuple[list[MetricRow], list[Dropped]]:
        ref = self._reference(ctx)
        langs = sorted(self._lines)
        if not ref or not langs:
            return [], []
        if ref not in self._lines:
            return [], [Dropped(lang, f"reference language {ref!r} is not in the corpus") for lang in langs]
        threshold = ctx.settings.unk_threshold
        pairs = self._pairs(ref)

        def unk_share(tab: np.ndarray) -> float:
            return float(tab[:, 3].sum()) / float(tab[:, 2].sum()) if tab[:, 2].sum() else 0.0

        ref_tab = pairs[ref][0]
        ref_unk = unk_share(ref_tab)
        rows: list[MetricRow] = []
        dropped: list[Dropped] = []
        base_note = f"reference={ref}"
        for lang in langs:
            tab, common, num, den = pairs[lang]
            unk = unk_share(tab)
            reason = ""
            if ref_unk > threshold:
                reason = f"reference {ref} has {ref_unk:.1%} of characters lost to UNK (> {threshold:.0%})"
            elif unk > threshold:
                reason = f"{unk:.1%} of characters lost to UNK (> {threshold:.0%})"
            elif len(common) == 0:
                reason = f"no lines aligned with {ref}"
            if reason:
                dropped.append(Dropped(lang, reason, unk))
                rows.append(PREMIUM.row(lang, math.nan, n=len(common), note=f"{base_note}; dropped: {reason}"))
                continue
            v, lo, hi = ratio_with_ci(num, 0, den, 0, ctx.bootstrap)
            note = base_note
            if len(common) < max(len(tab), len(ref_tab)):
                note += f"; {len(common)} aligned lines of {len(tab)} ({lang}) and {len(ref_tab)} ({ref})"
            rows.append(PREMIUM.row(lang, v, lo, hi, len(common), note))
        return rows, dropped


def _restricted(tab: np.ndarray, keys: np.ndarray) -> SlotSums:
    """Token counts of the lines whose key is in ``keys``, as bootstrap slot sums."""
    sel = tab[np.isin(tab[:, 0], keys, assume_unique=True)]
    sums = SlotSums(1)
    sums.add(sel[:, 0] & (SLOTS - 1), sel[:, 1:2])
    return sums


FAMILIES.register(MetricFamily(
    name="parity", order=30, metrics=(PREMIUM,),
    accumulator=lambda corpus, settings: ParityAccumulator(corpus.reference_language),
    applies=lambda corpus, settings: corpus.parallel,
    source="Petrov et al. 2023, Language Model Tokenizers Introduce Unfairness Between Languages",
    summary="what the same content costs in each language",
))
