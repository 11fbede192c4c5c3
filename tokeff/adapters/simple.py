"""The two baselines that need no library: UTF-8 bytes and Unicode code points.

``bytes`` is the reference point for compression (1 byte per token by construction) and for
normalized sequence length; ``chars`` shows what a character-level model would pay.
"""

from __future__ import annotations

from collections.abc import Sequence

from .base import Tokenizer


class BytesTokenizer(Tokenizer):
    """Each UTF-8 byte is one token: ids 0..255."""

    family = "bytes"
    vocab_size = 256

    def __init__(self, name: str = "bytes") -> None:
        self.name = name
        self.source = "UTF-8 bytes"

    def encode(self, text: str) -> list[int]:
        return list(text.encode("utf-8"))

    def decode(self, ids: Sequence[int]) -> str:
        return bytes(ids).decode("utf-8", errors="replace")

    def _pieces(self) -> tuple[list[bytes | None], bool]:
        return [bytes([i]) for i in range(256)], False


class CharsTokenizer(Tokenizer):
    """Each Unicode code point is one token; the id *is* the code point.

    The vocabulary is all of Unicode (0x110000 ids), so ``vocab_utilization`` is tiny by
    design and the LM embedding would be impractical: this is a baseline for counting.
    """

    family = "chars"
    vocab_size = 0x110000

    def __init__(self, name: str = "chars") -> None:
        self.name = name
        self.source = "Unicode code points"

    def encode(self, text: str) -> list[int]:
        return [ord(c) for c in text]

    def decode(self, ids: Sequence[int]) -> str:
        return "".join(map(chr, ids))
