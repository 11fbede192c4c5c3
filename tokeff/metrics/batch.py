"""What an accumulator is fed: a chunk of documents, and one tokenizer's encoding of it.

The analysis pass works chunk by chunk. Everything about a chunk that does not depend on the
tokenizer (byte and character counts, the words, the bootstrap slots) is computed once in a
:class:`TextBatch` and shared by every tokenizer; an :class:`EncodedBatch` adds one tokenizer's
ids and computes per-document token statistics lazily, so a statistic no accumulator asks for
costs nothing, and one that several ask for is computed once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import chain

import numpy as np

from ..adapters.base import Tokenizer
from ..corpus.core import Document
from ..text import segment
from .bootstrap import SLOTS, doc_key


def nonspace_length(text: str) -> int:
    """Characters of ``text`` that are not whitespace (``str.split`` whitespace)."""
    return sum(map(len, text.split()))


@dataclass
class TextBatch:
    """Tokenizer-independent facts about a chunk of documents, one entry per document."""

    docs: Sequence[Document]
    #: share of documents whose words are counted (see ``MetricSettings.word_sample``)
    word_sample: float = 1.0

    @cached_property
    def texts(self) -> list[str]:
        return [d.text for d in self.docs]

    @cached_property
    def languages(self) -> list[str]:
        return [d.language for d in self.docs]

    @cached_property
    def keys(self) -> np.ndarray:
        """63-bit hashes of the doc ids (aligned lines share theirs across languages)."""
        return np.fromiter((doc_key(d.doc_id) for d in self.docs), dtype=np.int64, count=len(self.docs))

    @cached_property
    def slots(self) -> np.ndarray:
        return self.keys & (SLOTS - 1)

    @cached_property
    def n_bytes(self) -> np.ndarray:
        return np.fromiter((len(t.encode("utf-8")) for t in self.texts), dtype=np.int64, count=len(self.docs))

    @cached_property
    def n_chars(self) -> np.ndarray:
        return np.fromiter(map(len, self.texts), dtype=np.int64, count=len(self.docs))

    @cached_property
    def n_nonspace(self) -> np.ndarray:
        return np.fromiter((nonspace_length(t) for t in self.texts), dtype=np.int64, count=len(self.docs))

    @cached_property
    def word_mask(self) -> np.ndarray:
        """True for the documents in the word sample: a fixed share of doc ids (by hash, so the
        same lines in every language and tokenizer), all of them at ``word_sample = 1``."""
        if self.word_sample >= 1.0:
            return np.ones(len(self.docs), dtype=bool)
        return ((self.keys >> 16) % 1_000_000) < round(self.word_sample * 1_000_000)

    @cached_property
    def segmented(self) -> list[tuple[list[str], int]]:
        """(words, fallback count) per document; ([], 0) outside the word sample."""
        if self.word_sample >= 1.0:
            return [segment(t) for t in self.texts]
        return [segment(t) if m else ([], 0) for t, m in zip(self.texts, self.word_mask)]

    @cached_property
    def n_words(self) -> np.ndarray:
        return np.fromiter((len(w) for w, _ in self.segmented), dtype=np.int64, count=len(self.docs))

    @cached_property
    def n_fallback_words(self) -> np.ndarray:
        return np.fromiter((f for _, f in self.segmented), dtype=np.int64, count=len(self.docs))

    @cached_property
    def word_index(self) -> tuple[list[str], np.ndarray]:
        """The chunk's distinct words, and for every word occurrence (documents back to back)
        its position in that list: per-word lookups then cost one per distinct word and
        tokenizer, and the per-document sums are vectorized."""
        distinct = list(dict.fromkeys(chain.from_iterable(ws for ws, _ in self.segmented)))
        index = {w: i for i, w in enumerate(distinct)}
        n = int(self.n_words.sum())
        occurrences = np.fromiter(map(index.__getitem__, chain.from_iterable(ws for ws, _ in self.segmented)),
                                  dtype=np.int64, count=n)
        return distinct, occurrences

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

    @cached_property
    def n_tokens(self) -> np.ndarray:
        return np.fromiter(map(len, self.ids), dtype=np.int64, count=len(self.ids))

    @cached_property
    def flat(self) -> np.ndarray:
        """All ids of the chunk in one int64 array (documents back to back)."""
        total = int(self.n_tokens.sum())
        return np.fromiter(chain.from_iterable(self.ids), dtype=np.int64, count=total)

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
    def n_unk(self) -> np.ndarray:
        """UNK tokens per document (zeros when the tokenizer has no UNK token)."""
        unk = self.tokenizer.unk_id
        if unk is None:
            return np.zeros(len(self.ids), dtype=np.int64)
        return np.fromiter((ids.count(unk) for ids in self.ids), dtype=np.int64, count=len(self.ids))

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

    @cached_property
    def n_byte_fallback(self) -> np.ndarray:
        bf = self.tokenizer.byte_fallback_ids
        if not bf:
            return np.zeros(len(self.ids), dtype=np.int64)
        return self.per_doc(np.isin(self.flat, np.fromiter(bf, dtype=np.int64)))

    @cached_property
    def roundtrip_ok(self) -> np.ndarray:
        """1 where ``decode(encode(text)) == text`` exactly, else 0 (uses the adapter's
        ``decode_batch`` when it has one)."""
        decode_batch = getattr(self.tokenizer, "decode_batch", None)
        decoded = decode_batch(self.ids) if callable(decode_batch) else map(self.tokenizer.decode, self.ids)
        return np.fromiter((d == t for d, t in zip(decoded, self.text.texts)), dtype=np.int64, count=len(self.ids))
