"""Word-level metrics (Rust et al. 2021, "How Good is Your Tokenizer? On the Monolingual
Performance of Multilingual Language Models", §4.1).

Words are those of :mod:`tokeff.text` (letter/mark/digit runs; one grapheme per "word" in scripts
written without spaces). With f_T(w) the number of tokens tokenizer T gives word w:

* ``fertility`` = Σ_words f_T(w) / #words: tokens per word, **each word tokenized on its own**
  as in the paper (not in its sentence context).
* ``continued_word_rate`` = #{words with f_T(w) ≥ 2} / #words: the paper's "proportion of
  continued words" (words split into at least two tokens).
* ``single_token_word_rate`` = #{words with f_T(w) = 1} / #words (1 − the continued rate, less
  the rare words a normalizer deletes entirely, f = 0).
* ``fertility_in_context`` = Σ_d tokens(d) / Σ_d words(d): the tokens the text really costs per
  word, punctuation and spaces included.

**Standalone means exactly the word's characters**: ``encode(w)`` with no space added, for every
tokenizer alike. Tokenizers that mark a preceding space inside the token react differently:
SentencePiece adds its dummy prefix "▁" itself, so it sees the word in its mid-sentence form;
byte-level BPEs (GPT-2 "Ġ", tiktoken) see it without its leading space, i.e. in its
sentence-initial form, which for a common word can be a different (sometimes longer) split than
mid-sentence. We do not prepend a space because that would add a separate space token for
byte, character and WordPiece tokenizers; ``fertility_in_context`` shows the in-context cost.
Each distinct word is encoded once per tokenizer (an array of f_T(w) by word id, see
:class:`~tokeff.metrics.batch.WordTable`).

With ``MetricSettings.word_sample`` < 1 the family is computed on a fixed share of documents
(chosen by hash of ``doc_id``, so the same aligned lines in every language and tokenizer): all five
numbers then come from those documents only, ``n`` counts them, and the note says so. The family
is the costliest of the analysis pass. Segmenting and numbering the words is cheap with the C core
and shared by all tokenizers, but encoding each distinct word once per tokenizer is the library's
own work and cannot be shared: about half of what encoding the text itself costs
(``bench/README.md`` has the figures). On large corpora a 10-20 % sample gives the same
fertility to the third digit at a fraction of that cost.

Rows over words of scripts without spaces (the character fallback) carry the note
``segmentation=characters`` (or the share of such words when only some are); ``n`` is the number
of documents (the bootstrap unit), the word count is the separate ``words`` row.
"""

from __future__ import annotations

import numpy as np

from ..adapters.base import Tokenizer
from .base import Accumulator, MetricRow, RowContext, Strata
from .batch import EncodedBatch, WordTable
from .bootstrap import with_room
from .registry import FAMILIES, Metric, MetricFamily

COLUMNS = ("docs", "words", "fallback_words", "tokens", "word_tokens", "continued", "single")

WORDS = Metric("words", "words", "words", definition="words of the measured text (`tokeff/text.py`)", count=True)
FERTILITY = Metric("fertility", "tokens / word (standalone)", "fertility", "lower",
                   "tokens per word, each word tokenized alone (Rust et al. 2021)")
FERTILITY_IN_CONTEXT = Metric("fertility_in_context", "tokens / word (in context)", "fertility in context", "lower",
                              "tokens of the text / words of the text")
CONTINUED_WORD_RATE = Metric("continued_word_rate", "split words / word", "continued-word rate", "lower",
                             "words split into ≥ 2 tokens (Rust et al. 2021)")
SINGLE_TOKEN_WORD_RATE = Metric("single_token_word_rate", "single-token words / word", "single-token word rate",
                                "higher", "words that are one token")

#: (metric, numerator column, denominator column) of the ratios.
RATIOS = ((FERTILITY, "word_tokens", "words"), (FERTILITY_IN_CONTEXT, "tokens", "words"),
          (CONTINUED_WORD_RATE, "continued", "words"), (SINGLE_TOKEN_WORD_RATE, "single", "words"))


def segmentation_note(fallback_words: int, words: int) -> str:
    """``segmentation=characters`` when all words came from the character fallback, the share
    when some did, nothing when none did."""
    if not fallback_words or not words:
        return ""
    if fallback_words == words:
        return "segmentation=characters"
    return f"segmentation=characters for {fallback_words / words:.1%} of words"


class WordsAccumulator(Accumulator):
    """Per-document word and word-token counts, with this tokenizer's f_T(w) for every word of
    the shard's :class:`~tokeff.metrics.batch.WordTable` (an array indexed by word id)."""

    def __init__(self) -> None:
        self.strata = Strata(COLUMNS)
        self._f = np.empty(0, dtype=np.int64)
        self._known = 0  # entries of _f filled (the rest is room to grow)
        self._generation = -1

    def __getstate__(self) -> dict:
        # the per-word counts are a speed-up only; shards do not ship them back
        return {"strata": self.strata, "_f": np.empty(0, dtype=np.int64), "_known": 0, "_generation": -1}

    def word_tokens(self, table: WordTable, tokenizer: Tokenizer) -> np.ndarray:
        """f_T(w) for every word id of ``table``, encoding only the words added since the last call."""
        if table.generation != self._generation:
            self._f, self._known, self._generation = np.empty(0, dtype=np.int64), 0, table.generation
        known, total = self._known, len(table.words)
        if total > known:
            self._f = with_room(self._f, known, total)  # concatenating per chunk would copy it each time
            new = table.words[known:]
            self._f[known:total] = np.fromiter(map(len, tokenizer.encode_words(new)), dtype=np.int64, count=len(new))
            self._known = total
        return self._f[:total]

    def update(self, batch: EncodedBatch) -> None:
        t = batch.text
        word_ids = t.word_ids
        f = self.word_tokens(t.table, batch.tokenizer)[word_ids]
        values = np.empty((len(t.docs), len(COLUMNS)), dtype=np.int64)
        values[:, 0] = t.word_mask
        values[:, 1] = t.n_words
        values[:, 2] = t.n_fallback_words
        values[:, 3] = batch.n_tokens
        values[:, 4] = t.per_doc_words(f)
        values[:, 5] = t.per_doc_words(f >= 2)
        values[:, 6] = t.per_doc_words(f == 1)
        if t.word_sample < 1.0:
            values[~t.word_mask] = 0  # documents outside the sample count for nothing, tokens included
        self.strata.add(t, values)

    def merge(self, other: "WordsAccumulator") -> None:
        self.strata.merge(other.strata)

    def rows(self, ctx: RowContext) -> list[MetricRow]:
        boot, s = ctx.bootstrap, self.strata
        out: list[MetricRow] = []
        sample = ctx.settings.word_sample
        for lang, sums in s.items():
            n, nw = s.total(sums, "docs"), s.total(sums, "words")
            note = segmentation_note(s.total(sums, "fallback_words"), nw)
            if sample < 1.0:
                note = "; ".join(filter(None, [note, f"words of a {sample:.0%} sample of documents"]))
            out.append(WORDS.row(lang, float(nw), n=n, note=note))
            if not nw:
                continue
            for metric, num, den in RATIOS:
                out.append(metric.row(lang, *s.ratio(sums, num, den, boot), n=n, note=note))
        return out


FAMILIES.register(MetricFamily(
    name="words", order=20, metrics=(WORDS, FERTILITY, FERTILITY_IN_CONTEXT, CONTINUED_WORD_RATE, SINGLE_TOKEN_WORD_RATE),
    accumulator=lambda corpus, settings: WordsAccumulator(),
    applies=lambda corpus, settings: settings.word_metrics,
    source="Rust et al. 2021, How Good is Your Tokenizer?",
    summary="what a word costs",
))
