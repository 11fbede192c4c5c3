"""The one interface every tokenizer is seen through.

Metrics, the analysis pass and the training loop only ever talk to a :class:`Tokenizer`; each
library (tiktoken, HF ``tokenizers``, sentencepiece, tokeff's own BPE...) gets a small adapter
file in this package that fills it in. Adapters never add special tokens (BOS/EOS/CLS...) when
encoding: tokeff measures how text is split, not a model's framing of it.
"""

from __future__ import annotations

import hashlib
import os
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

#: Threads an adapter's batched call may use. The analysis pass's worker processes set it to 1:
#: one process per core is their parallelism, and a library's thread pool per call would only
#: oversubscribe the cores (tiktoken's costs more to start than it saves on a chunk of documents).
threads: int = max(1, os.cpu_count() or 1)


@contextmanager
def one_thread() -> Iterator[None]:
    """:data:`threads` is 1 inside the block (where the analysis pass measures)."""
    global threads
    saved, threads = threads, 1
    try:
        yield
    finally:
        threads = saved


class Tokenizer(ABC):
    """A loaded tokenizer.

    Attributes:
        name: the spec it was loaded from (``"tiktoken:cl100k_base"``); unique within a run
            and the key results are stored under.
        family: the library or scheme (``"tiktoken"``, ``"hf"``, ``"sentencepiece"``,
            ``"bytes"``, ``"chars"``, ``"tokeff-bpe"``).
        vocab_size: size of the full vocabulary |V| including special tokens; every id is < it.
        unk_id: id of the unknown token, or ``None`` when the tokenizer cannot produce one
            (byte-level tokenizers).
        byte_fallback_ids: ids that stand for a single raw byte because the text was not in the
            vocabulary (sentencepiece ``<0xNN>`` pieces); empty when there are none.
        source: where it came from (a path, a hub name, "trained on ..."), for reports.
    """

    name: str
    family: str
    vocab_size: int
    unk_id: int | None = None
    byte_fallback_ids: frozenset[int] = frozenset()
    source: str = ""

    @abstractmethod
    def encode(self, text: str) -> list[int]:
        """Token ids for ``text``, without any special tokens."""

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids for each text; adapters override this with the library's batched call."""
        return [self.encode(t) for t in texts]

    #: Whether :meth:`encode_words` encodes one word at a time: for libraries whose batch call
    #: costs more than the encoding on one-word texts (tiktoken's hands each batch to a thread pool).
    words_one_by_one: bool = False

    def encode_words(self, words: Sequence[str]) -> list[list[int]]:
        """Token ids of each word on its own (standalone fertility): many short texts at once."""
        if self.words_one_by_one:
            encode = self.encode
            return [encode(w) for w in words]
        return self.encode_batch(words)

    @abstractmethod
    def decode(self, ids: Sequence[int]) -> str:
        """The text for ``ids`` (lossy tokenizers may not give back the input exactly)."""

    def decode_batch(self, batch: Sequence[Sequence[int]]) -> list[str]:
        """The text for each id sequence; adapters override this with the library's batched call."""
        return [self.decode(ids) for ids in batch]

    def token_flags(self) -> bytes:
        """One byte per id: bit 0 set for the UNK id, bit 1 for byte-fallback ids (empty when the
        tokenizer has neither). The analysis pass counts both while it reads the ids (the C
        core's ``flatten_ids``), instead of two more passes over them."""
        if not hasattr(self, "_token_flags"):
            flags = b""
            if self.unk_id is not None or self.byte_fallback_ids:
                ids = [i for i in [self.unk_id, *self.byte_fallback_ids] if i is not None]
                table = np.zeros(max(self.vocab_size, max(ids) + 1), dtype=np.uint8)
                if self.unk_id is not None:
                    table[self.unk_id] |= 1
                table[np.fromiter(self.byte_fallback_ids, dtype=np.int64, count=len(self.byte_fallback_ids))] |= 2
                flags = table.tobytes()
            self._token_flags = flags
        return self._token_flags

    def spelling(self) -> "Spelling | None":
        """What ``decode`` writes for each id, when decoding is only putting pieces side by side
        (see :class:`Spelling`), else ``None``. Built once per tokenizer, from the adapter's
        :meth:`_pieces`, and only kept if the library's own ``decode`` agrees with it on a
        sample of ids (so a decoder that does more is never mistaken for one that does not)."""
        if not hasattr(self, "_spelling"):
            found = self._pieces()
            self._spelling = None
            if found is not None:
                spelling = Spelling.of(*found)
                if spelling.agrees_with(self):
                    self._spelling = spelling
        return self._spelling

    def _pieces(self) -> "tuple[list[bytes | None], bool] | None":
        """(for each id, the bytes ``decode`` writes for it, or ``None`` where that is not
        certain; whether ``decode`` drops one leading space), or ``None``: adapters whose decoder
        only concatenates pieces override this."""
        return None

    def fingerprint(self) -> str:
        """A hash of what decides this tokenizer's output (its vocabulary, merges, pattern...),
        so cached results are reused only for the very same tokenizer. Adapters override the
        default, which trusts the name."""
        return _hash(self.family, self.name, self.vocab_size)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} family={self.family} vocab_size={self.vocab_size}>"


def _hash(*parts: object) -> str:
    h = hashlib.sha256()
    for part in parts:
        data = part if isinstance(part, bytes) else repr(part).encode("utf-8")
        h.update(len(data).to_bytes(8, "little") + data)
    return h.hexdigest()


@dataclass(frozen=True)
class Spelling:
    """The bytes ``decode`` writes for each id, for decoders that only put pieces side by side.

    Round-trip fidelity asks whether decode(encode(x)) == x. Where the decoder writes each id's
    piece and nothing else (tiktoken, byte-level BPE, SentencePiece without its UNK and control
    pieces), that holds exactly when the pieces, back to back, are x's UTF-8 bytes: a comparison
    the C core makes without building the decoded string. Ids marked not ``sure`` (UNK, control
    and added tokens...) send their text to the library's ``decode`` instead, and so does every
    text the comparison finds different, so a mismatch is always the library's own verdict.

    Attributes:
        blob: every piece, back to back.
        offsets: int64, |V| + 1 entries: piece i is ``blob[offsets[i]:offsets[i + 1]]``.
        sure: uint8 per id, 1 where the piece is certain.
        strip_leading_space: the decoder drops one leading space of the first piece
            (SentencePiece's dummy prefix).
    """

    blob: bytes
    offsets: np.ndarray
    sure: np.ndarray
    strip_leading_space: bool = False

    @classmethod
    def of(cls, pieces: Sequence[bytes | None], strip_leading_space: bool = False) -> "Spelling":
        lengths = np.fromiter((len(p) if p is not None else 0 for p in pieces), dtype=np.int64, count=len(pieces))
        offsets = np.zeros(len(pieces) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        sure = np.fromiter((p is not None for p in pieces), dtype=np.uint8, count=len(pieces))
        return cls(b"".join(p for p in pieces if p is not None), offsets, sure, strip_leading_space)

    def spell(self, ids: Sequence[int]) -> bytes | None:
        """The bytes ``decode(ids)`` writes, or ``None`` if an id is not sure (the C core's
        comparison, in Python: for tests and the check below)."""
        out = []
        for i in ids:
            if not (0 <= i < len(self.sure)) or not self.sure[i]:
                return None
            out.append(self.blob[self.offsets[i]:self.offsets[i + 1]])
        joined = b"".join(out)
        if self.strip_leading_space and out and out[0].startswith(b" "):
            joined = joined[1:]
        return joined

    def agrees_with(self, tok: Tokenizer, sample: int = 512) -> bool:
        """Whether ``tok.decode`` writes these pieces for ``sample`` ids spread over the
        vocabulary, alone and in pairs (the pairs check what happens after the first piece).
        Ids whose piece is not whole UTF-8 are left out: decoders differ in how they replace
        the invalid bytes, and a text's own bytes are always valid."""
        def whole(i: int) -> bool:
            try:
                self.blob[self.offsets[i]:self.offsets[i + 1]].decode("utf-8")
                return True
            except UnicodeDecodeError:
                return False

        sure = np.flatnonzero(self.sure)
        probe = [i for i in sure[::max(1, len(sure) // sample)].tolist() if whole(i)][:sample]
        if not probe:
            return False
        cases = [[i] for i in probe] + [[a, b] for a, b in zip(probe, probe[1:] + probe[:1])]
        try:
            return all(tok.decode(ids) == self.spell(ids).decode("utf-8") for ids in cases)
        except Exception:  # a decoder that refuses some id is not one this can stand in for
            return False
