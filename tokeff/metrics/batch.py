"""What an accumulator is fed: a chunk of documents, and one tokenizer's encoding of it.

The analysis pass works chunk by chunk. Everything about a chunk that does not depend on the
tokenizer (byte and character counts, the words, the bootstrap slots) is computed once in a
:class:`TextBatch` and shared by every tokenizer; an :class:`EncodedBatch` adds one tokenizer's
ids and computes per-document token statistics lazily, so a statistic no accumulator asks for
costs nothing, and one that several ask for is computed once. Words are numbered in a
:class:`WordTable` that lives for the whole shard, so each distinct word is handled once per run
(not once per chunk) and per-word counts are arrays indexed by word id.

**C core.** When the package's C core is built (:mod:`tokeff._native`), the per-document counts
and the word ids of a chunk come from one C pass over its texts (``scan_texts``), or the counts
alone from a cheaper one (``text_sizes``) when no family reads words, and a tokenizer's ids are
flattened in C (``flatten_ids``) when a family reads them (their lengths alone need no flattening);
only texts with a character of a script written without spaces go through
:func:`tokeff.text.segment`. Otherwise the same numbers come from Python, slower; the tests
check that both give the same results.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import chain

import numpy as np

from .. import _native
from ..adapters.base import Tokenizer
from ..corpus.core import Document
from ..docid import doc_keys
from ..text import char_classes, segment
from .bootstrap import SLOTS


def nonspace_length(text: str) -> int:
    """Characters of ``text`` that are not whitespace (``str.split`` whitespace)."""
    return sum(map(len, text.split()))


#: Distinct words a :class:`WordTable` holds before it starts over (bounds memory on huge
#: corpora: the table and each tokenizer's per-word token counts).
MAX_TABLE_WORDS = 500_000


class WordTable(dict):
    """Ids for the distinct words of a run, shared by every tokenizer and chunk of a shard.

    A dict word -> id, ids given in order of first appearance, so a tokenizer that has counted
    the tokens of words ``0 .. k-1`` needs to encode exactly ``words[k:]`` to catch up (see
    :class:`~tokeff.metrics.words.WordsAccumulator`). Against the earlier per-chunk dict of
    distinct words plus a per-tokenizer word cache, this saves the cache lookups of every
    tokenizer and keeps each tokenizer's counts in one int64 array instead of a dict.

    When the table holds more than ``max_words`` it starts over between two chunks and bumps
    ``generation``, which tells every tokenizer to drop its counts too.
    """

    def __init__(self, max_words: int | None = None) -> None:
        super().__init__()
        self.words: list[str] = []
        self.generation = 0
        self.max_words = MAX_TABLE_WORDS if max_words is None else max_words
        #: the C core's table of the same words (the dict itself then stays empty), or None
        self.native = _native.core.segments_new() if _native.core is not None else None

    def add_words(self, new: list[str]) -> None:
        """Give ids to ``new`` (words not in the table yet, without repeats), in order."""
        self.update(zip(new, range(len(self.words), len(self.words) + len(new))))
        self.words += new

    def make_room(self) -> None:
        """Start over if full (call between chunks only: ids must not change within one)."""
        if len(self.words) > self.max_words:
            self.clear()
            self.words = []
            self.generation += 1
            if self.native is not None:
                self.native = _native.core.segments_new() if _native.core is not None else None


class DocumentColumns(Sequence[Document]):
    """A chunk's documents as three lists: how the analysis pass ships chunks to its workers, who
    need the columns anyway and would spend time rebuilding a frozen :class:`Document` per
    document."""

    def __init__(self, texts: list[str], languages: list[str], doc_ids: list[str]) -> None:
        self.texts, self.languages, self.doc_ids = texts, languages, doc_ids

    @classmethod
    def of(cls, docs: Sequence[Document]) -> "DocumentColumns":
        return cls([d.text for d in docs], [d.language for d in docs], [d.doc_id for d in docs])

    def __len__(self) -> int:
        return len(self.texts)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return Document(self.texts[i], self.languages[i], self.doc_ids[i])


@dataclass
class TextBatch:
    """Tokenizer-independent facts about a chunk of documents, one entry per document."""

    docs: Sequence[Document]
    #: share of documents whose words are counted (see ``MetricSettings.word_sample``)
    word_sample: float = 1.0
    #: the word ids of the run (the analysis pass shares one across chunks; a fresh one otherwise)
    table: WordTable | None = None
    #: whether anyone will ask for words (the C scan then finds them in the same pass)
    count_words: bool = True

    def __post_init__(self) -> None:
        if self.table is None:
            self.table = WordTable()
        self.table.make_room()

    @cached_property
    def texts(self) -> list[str]:
        if isinstance(self.docs, DocumentColumns):
            return self.docs.texts
        return [d.text for d in self.docs]

    @cached_property
    def languages(self) -> list[str]:
        if isinstance(self.docs, DocumentColumns):
            return self.docs.languages
        return [d.language for d in self.docs]

    @cached_property
    def doc_ids(self) -> list[str]:
        if isinstance(self.docs, DocumentColumns):
            return self.docs.doc_ids
        return [d.doc_id for d in self.docs]

    @cached_property
    def keys(self) -> np.ndarray:
        """63-bit hashes of the doc ids (aligned lines share theirs across languages)."""
        return doc_keys(self.doc_ids)

    @cached_property
    def slots(self) -> np.ndarray:
        return self.keys & (SLOTS - 1)

    @cached_property
    def word_mask(self) -> np.ndarray:
        """True for the documents in the word sample: a fixed share of doc ids (by hash, so the
        same lines in every language and tokenizer), all of them at ``word_sample = 1``."""
        if self.word_sample >= 1.0:
            return np.ones(len(self.docs), dtype=bool)
        return ((self.keys >> 16) % 1_000_000) < round(self.word_sample * 1_000_000)

    @property
    def n_bytes(self) -> np.ndarray:
        """UTF-8 bytes per document."""
        return self._sizes[0]

    @property
    def n_chars(self) -> np.ndarray:
        """Code points per document."""
        return self._sizes[1]

    @property
    def n_nonspace(self) -> np.ndarray:
        """Characters that are not whitespace (as ``str.split`` sees it) per document."""
        return self._nonspace

    @property
    def n_words(self) -> np.ndarray:
        """Words per document (0 outside the word sample)."""
        return self._words[0]

    @property
    def n_fallback_words(self) -> np.ndarray:
        """Words per document that came from the character fallback."""
        return self._words[1]

    @property
    def word_ids(self) -> np.ndarray:
        """For every word occurrence of the chunk (documents back to back), its id in
        :attr:`table`: per-word lookups then cost one per distinct word of the run and
        tokenizer, and the per-document sums are vectorized."""
        return self._words[2]

    @cached_property
    def _scan(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The C core's (stats, word ids) of the chunk, or None without the core (or without a
        C table, as when the core was switched off after the table was made). Only read when
        words are counted: the counts alone come cheaper from ``text_sizes``."""
        core, table = _native.core, self.table
        if core is None or table.native is None:
            return None
        want = (self.word_mask if self.count_words else np.zeros(len(self.docs), dtype=bool)).astype(np.uint8).tobytes()
        stats, ids = core.scan_texts(table.native, self.texts, char_classes(), want, table.words)
        return np.frombuffer(stats, dtype=np.int64).reshape(-1, 5), np.frombuffer(ids, dtype=np.int64)

    @property
    def _scanned(self) -> np.ndarray | None:
        """The C scan's per-document stats when words are counted (the scan then gives every
        count in the same pass), else None."""
        return self._scan[0] if self.count_words and self._scan is not None else None

    @cached_property
    def _sizes(self) -> tuple[np.ndarray, np.ndarray]:
        """(UTF-8 bytes, code points) per document."""
        stats = self._scanned
        if stats is None and _native.core is not None:
            stats = np.frombuffer(_native.core.text_sizes(self.texts), dtype=np.int64).reshape(-1, 2)
        if stats is not None:
            return stats[:, 0], stats[:, 1]
        n = len(self.docs)
        return (np.fromiter((len(t.encode("utf-8")) for t in self.texts), dtype=np.int64, count=n),
                np.fromiter(map(len, self.texts), dtype=np.int64, count=n))

    @cached_property
    def _nonspace(self) -> np.ndarray:
        stats = self._scanned
        if stats is None and _native.core is not None:
            stats = np.frombuffer(_native.core.text_sizes(self.texts, True), dtype=np.int64).reshape(-1, 3)
        if stats is not None:
            return stats[:, 2]
        return np.fromiter((nonspace_length(t) for t in self.texts), dtype=np.int64, count=len(self.docs))

    @cached_property
    def _words(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(words, fallback words) per document and the word ids (see :attr:`word_ids`)."""
        if self._scan is None or not self.count_words:
            return self._words_python()
        table, n_words, fallback = self.table, self._scan[0][:, 3].copy(), self._scan[0][:, 4].copy()
        # texts the scan left to segment(): a no-space character beside an intricate one
        left = np.flatnonzero((n_words < 0) & self.word_mask)
        n_words[n_words < 0] = 0
        if not len(left):
            return n_words, fallback, self._scan[1]
        found = [segment(self.texts[i]) for i in left]
        n_words[left] = [len(ws) for ws, _ in found]
        fallback[left] = [f for _, f in found]
        more = np.frombuffer(_native.core.intern_words(table.native, list(chain.from_iterable(ws for ws, _ in found)),
                                                      table.words), dtype=np.int64)
        # splice: each document's ids come from the C scan or from segment(), in document order
        from_scan = np.ones(len(self.docs), dtype=bool)
        from_scan[left] = False
        where = np.repeat(from_scan, n_words)
        ids = np.empty(len(where), dtype=np.int64)
        ids[where], ids[~where] = self._scan[1], more
        return n_words, fallback, ids

    def _words_python(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.word_sample >= 1.0:
            segmented = [segment(t) for t in self.texts]
        else:
            segmented = [segment(t) if m else ([], 0) for t, m in zip(self.texts, self.word_mask)]
        n = len(self.docs)
        n_words = np.fromiter((len(w) for w, _ in segmented), dtype=np.int64, count=n)
        fallback = np.fromiter((f for _, f in segmented), dtype=np.int64, count=n)
        table = self.table
        # New words are found among the chunk's distinct words (deduplicated at C speed) and
        # added in one go, so the map below only ever hits (a ``__missing__`` call per new word
        # costs more).
        distinct = dict.fromkeys(chain.from_iterable(ws for ws, _ in segmented))
        table.add_words([w for w in distinct if w not in table])
        ids = np.fromiter(map(table.__getitem__, chain.from_iterable(ws for ws, _ in segmented)),
                          dtype=np.int64, count=int(n_words.sum()))
        return n_words, fallback, ids

    def per_doc_words(self, values: np.ndarray) -> np.ndarray:
        """Per-document sums of a per-word-occurrence array."""
        csum = np.concatenate(([0], np.cumsum(values, dtype=np.int64)))
        ends = np.cumsum(self.n_words)
        return csum[ends] - csum[ends - self.n_words]

    def language_groups(self) -> list[tuple[str, np.ndarray]]:
        """(language, row indices) for each language in the chunk, in order of appearance."""
        return self._language_groups

    @cached_property
    def _language_groups(self) -> list[tuple[str, np.ndarray]]:
        langs = self.languages
        if langs and langs[0] == langs[-1] and all(lang == langs[0] for lang in langs):
            return [(langs[0], np.arange(len(langs)))]
        groups: dict[str, list[int]] = {}
        for i, lang in enumerate(langs):
            groups.setdefault(lang, []).append(i)
        return [(lang, np.asarray(ix)) for lang, ix in groups.items()]


@dataclass
class EncodedBatch:
    """One tokenizer's ids for a :class:`TextBatch`, with lazily computed per-document counts."""

    text: TextBatch
    ids: list[list[int]]
    tokenizer: Tokenizer

    @property
    def n_tokens(self) -> np.ndarray:
        """Tokens per document."""
        if "_flat" in self.__dict__:
            return self._flat[1]
        return self._lengths

    @cached_property
    def _lengths(self) -> np.ndarray:
        # without flattening the ids: compression asks for the lengths alone, and flattening
        # half a million ids costs more than the rest of its per-chunk work
        return np.fromiter(map(len, self.ids), dtype=np.int64, count=len(self.ids))

    @property
    def flat(self) -> np.ndarray:
        """All ids of the chunk in one int64 array (documents back to back)."""
        return self._flat[0]

    @cached_property
    def _flat(self) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(flat ids, tokens per document, UNK and byte-fallback tokens per document as two
        columns, or None without the C core, which counts them as it reads the ids)."""
        if _native.core is not None:
            flat, lengths, counts = _native.core.flatten_ids(self.ids, self.tokenizer.token_flags())
            return (np.frombuffer(flat, dtype=np.int64), np.frombuffer(lengths, dtype=np.int64),
                    np.frombuffer(counts, dtype=np.int64).reshape(-1, 2))
        n_tokens = np.fromiter(map(len, self.ids), dtype=np.int64, count=len(self.ids))
        return np.fromiter(chain.from_iterable(self.ids), dtype=np.int64, count=int(n_tokens.sum())), n_tokens, None

    @cached_property
    def offsets(self) -> np.ndarray:
        """Start of each document in :attr:`flat`."""
        return np.concatenate(([0], np.cumsum(self.n_tokens)[:-1])).astype(np.int64)

    def per_doc(self, mask: np.ndarray) -> np.ndarray:
        """How many of each document's tokens ``mask`` (over :attr:`flat`) selects."""
        csum = np.concatenate(([0], np.cumsum(mask, dtype=np.int64)))
        ends = self.offsets + self.n_tokens
        return csum[ends] - csum[self.offsets]

    @cached_property
    def _flagged(self) -> np.ndarray:
        """UNK and byte-fallback tokens per document, two columns, by the tokenizer's
        :meth:`~tokeff.adapters.base.Tokenizer.token_flags`: counted by the C core while it reads
        the ids, else with one lookup over :attr:`flat` (ids past the table have no flag)."""
        if self._flat[2] is not None:
            return self._flat[2]
        flags = np.frombuffer(self.tokenizer.token_flags(), dtype=np.uint8)
        got = np.zeros(len(self.flat), dtype=np.uint8)
        inside = self.flat < len(flags)
        got[inside] = flags[self.flat[inside]]
        return np.stack([self.per_doc(got & 1), self.per_doc(got >> 1)], axis=1)

    @property
    def n_unk(self) -> np.ndarray:
        """UNK tokens per document (zeros when the tokenizer has no UNK token)."""
        return self._flagged[:, 0]

    @cached_property
    def n_unk_chars(self) -> np.ndarray:
        """Non-space characters lost to UNK per document (an estimate; see coverage.py)."""
        out = np.zeros(len(self.ids), dtype=np.int64)
        unk = self.tokenizer.unk_id
        if unk is None:
            return out
        for i in np.flatnonzero(self.n_unk):
            kept = [t for t in self.ids[i] if t != unk]
            nonspace = int(self.text.n_nonspace[i])
            lost = nonspace - nonspace_length(self.tokenizer.decode(kept))
            # every UNK token stands for at least one character
            out[i] = min(max(lost, int(self.n_unk[i])), nonspace)
        return out

    @property
    def n_byte_fallback(self) -> np.ndarray:
        """Byte-fallback tokens per document (zeros when the tokenizer has none)."""
        return self._flagged[:, 1]

    @cached_property
    def roundtrip_ok(self) -> np.ndarray:
        """1 where ``decode(encode(text)) == text`` exactly, else 0.

        With the C core and a tokenizer whose decoder only joins pieces (its
        :meth:`~tokeff.adapters.base.Tokenizer.spelling`), the ids' pieces are compared with the
        text's bytes in C, and only the texts that comparison cannot vouch for are decoded by
        the library (one ``decode_batch`` for them): the same answer without decoding every
        text (which can cost as much as half the encoding)."""
        texts = self.text.texts
        ok = np.zeros(len(self.ids), dtype=np.int64)
        spelling = self.tokenizer.spelling() if _native.core is not None else None
        if spelling is None:
            ask = range(len(self.ids))
        else:
            ok[:] = np.frombuffer(_native.core.spells_texts(self.flat, self.n_tokens, texts, spelling.blob,
                                                           spelling.offsets, spelling.sure,
                                                           spelling.strip_leading_space), dtype=np.uint8)
            ask = np.flatnonzero(ok == 0).tolist()
        if len(ask):
            decoded = self.tokenizer.decode_batch([self.ids[i] for i in ask])
            ok[ask] = [d == texts[i] for d, i in zip(decoded, ask)]
        return ok
