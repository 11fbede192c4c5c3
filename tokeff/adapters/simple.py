"""The two baselines that need no library: UTF-8 bytes and Unicode code points.

``bytes`` is the reference point for compression (1 byte per token by construction) and for
normalized sequence length; ``chars`` shows what a character-level model would pay.
"""

from __future__ import annotations

from collections.abc import Sequence

from .base import Tokenizer
from .registry import FAMILIES, TokenizerFamily


class BytesTokenizer(Tokenizer):
    """Each UTF-8 byte is one token: ids 0..255."""

    family = "bytes"
    vocab_size = 256
    words_one_by_one = True

    def __init__(self, name: str = "bytes") -> None:
        self.name = name
        self.source = "UTF-8 bytes"

    def encode(self, text: str) -> list[int]:
        return list(text.encode("utf-8"))

    def decode(self, ids: Sequence[int]) -> str:
        return bytes(ids).decode("utf-8", errors="replace")

    def token_bytes(self, token_id: int) -> bytes:
        return bytes([token_id])

    def _pieces(self) -> tuple[list[bytes | None], bool]:
        return [bytes([i]) for i in range(256)], False


class CharsTokenizer(Tokenizer):
    """Each Unicode code point is one token; the id *is* the code point.

    The vocabulary is all of Unicode (0x110000 ids), so ``vocab_utilization`` is tiny by
    design and the LM embedding would be impractical: this is a baseline for counting.
    """

    family = "chars"
    vocab_size = 0x110000
    words_one_by_one = True

    def __init__(self, name: str = "chars") -> None:
        self.name = name
        self.source = "Unicode code points"

    def encode(self, text: str) -> list[int]:
        return [ord(c) for c in text]

    def decode(self, ids: Sequence[int]) -> str:
        return "".join(map(chr, ids))

    def token_bytes(self, token_id: int) -> bytes:
        return chr(token_id).encode("utf-8", "surrogatepass")


FAMILIES.register(TokenizerFamily(
    name="bytes", order=0, specs=(("bytes", "UTF-8 bytes: the baseline, one byte per token"),),
    matches=lambda spec: spec == "bytes", load=lambda spec: BytesTokenizer(),
))
FAMILIES.register(TokenizerFamily(
    name="chars", order=1, specs=(("chars", "Unicode code points"),),
    matches=lambda spec: spec == "chars", load=lambda spec: CharsTokenizer(),
))
