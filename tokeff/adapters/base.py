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
from collections.abc import Sequence

#: Threads an adapter's batched call may use. The analysis pass's worker processes set it to 1:
#: one process per core is their parallelism, and a library's thread pool per call would only
#: oversubscribe the cores (tiktoken's costs more to start than it saves on a chunk of documents).
threads: int = max(1, os.cpu_count() or 1)


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

    @abstractmethod
    def decode(self, ids: Sequence[int]) -> str:
        """The text for ``ids`` (lossy tokenizers may not give back the input exactly)."""

    def decode_batch(self, batch: Sequence[Sequence[int]]) -> list[str]:
        """The text for each id sequence; adapters override this with the library's batched call."""
        return [self.decode(ids) for ids in batch]

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
