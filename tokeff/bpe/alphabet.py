"""The 256 byte tokens, and how HF ``tokenizers`` spells and orders them.

tokeff's token ``i < 256`` is the single byte ``i``. HF's byte-level BPE (and GPT-2's files) cannot
store raw bytes in JSON, so each byte is shown as a printable character: bytes that already are
printable (``!``..``~``, ``¡``..``¬``, ``®``..``ÿ``) stand for themselves, the other 68 (control
characters, space, ``0x7f``-``0xa0``, soft hyphen) are moved to ``U+0100`` onwards in byte order.
So the space byte is ``Ġ`` and newline is ``Ċ``.

HF's trainer numbers its initial alphabet by *sorting these characters*, not the bytes; that order
matters because HF breaks ties between equally frequent pairs by the smaller pair of ids
(see :mod:`tokeff.bpe.train`). :data:`HF_BYTE_RANK` is that id for each byte.
"""

from __future__ import annotations


def _bytes_to_unicode() -> dict[int, str]:
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
    printable += list(range(ord("®"), ord("ÿ") + 1))
    table = {b: chr(b) for b in printable}
    shifted = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + shifted)
            shifted += 1
    return table


BYTE_TO_UNICODE: dict[int, str] = _bytes_to_unicode()
UNICODE_TO_BYTE: dict[str, int] = {c: b for b, c in BYTE_TO_UNICODE.items()}

# id of byte b in a HF byte-level trainer's vocabulary (before special tokens): rank of its character
HF_BYTE_RANK: list[int] = [0] * 256
for _rank, _b in enumerate(sorted(range(256), key=lambda b: BYTE_TO_UNICODE[b])):
    HF_BYTE_RANK[_b] = _rank


def to_hf_string(token: bytes) -> str:
    """``b" the"`` -> ``"Ġthe"``: a token's bytes in HF's byte-level alphabet."""
    return "".join(BYTE_TO_UNICODE[b] for b in token)


def from_hf_string(token: str) -> bytes:
    """The inverse of :func:`to_hf_string`."""
    return bytes(UNICODE_TO_BYTE[c] for c in token)
