"""SentencePiece models: ``spm:PATH.model``.

SentencePiece normalizes text (NFKC by default) and marks word starts with ``▁``, so
``decode(encode(x))`` need not equal ``x``: the ``roundtrip_fidelity`` metric shows where.
Models trained with byte fallback spell unknown characters as ``<0xNN>`` byte pieces; those ids
are exposed as ``byte_fallback_ids``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..errors import TokenizerError
from . import base
from .base import Tokenizer, _hash
from .registry import FAMILIES, TokenizerFamily, prefixed


class SentencePieceTokenizer(Tokenizer):
    family = "sentencepiece"

    def __init__(self, path: str | None = None, *, model_proto: bytes | None = None,
                 name: str | None = None, source: str | None = None) -> None:
        import sentencepiece as spm

        if model_proto is None:
            p = Path(path or "")
            if not p.is_file():
                raise TokenizerError(f"spm:{path}: no such file; give the path of a SentencePiece .model file")
            model_proto = p.read_bytes()
        self._proto = model_proto
        self._sp = spm.SentencePieceProcessor()
        try:
            self._sp.LoadFromSerializedProto(model_proto)
        except Exception:
            raise TokenizerError(f"spm:{path}: not a valid SentencePiece model file (it failed to parse)") from None
        self.name = name or f"spm:{path}"
        self.source = source or str(path)
        self.vocab_size = self._sp.get_piece_size()
        unk = self._sp.unk_id()
        self.unk_id = unk if 0 <= unk < self.vocab_size else None
        self.byte_fallback_ids = frozenset(i for i in range(self.vocab_size) if self._sp.is_byte(i))

    def encode(self, text: str) -> list[int]:
        return self._sp.encode(text, out_type=int)

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        return self._sp.encode(list(texts), out_type=int, num_threads=base.threads)

    def decode(self, ids: Sequence[int]) -> str:
        return self._sp.decode(list(ids))

    def decode_batch(self, batch: Sequence[Sequence[int]]) -> list[str]:
        return self._sp.decode([list(ids) for ids in batch], num_threads=base.threads)

    def token_bytes(self, token_id: int) -> bytes:
        """The UTF-8 bytes a piece stands for: ``▁`` is a space, ``<0xNN>`` a raw byte, and
        control pieces (``<s>``, ``<unk>``) stand for no text."""
        return self.token_bytes_batch([token_id])[0]

    def token_bytes_batch(self, ids: Sequence[int]) -> list[bytes]:
        """:meth:`token_bytes` of many ids, in four library calls for all of them (one id at a
        time costs four calls each)."""
        return [b"" if p is None else p for p in self._spelled(ids)]

    def _spelled(self, ids: Sequence[int]) -> list[bytes | None]:
        """The bytes of each piece, ``None`` for control and UNK pieces (they stand for no text
        of their own), in four library calls for all the ids."""
        ids = [int(i) for i in ids]
        if not ids:
            return []
        sp = self._sp
        pieces, is_byte = sp.id_to_piece(ids), sp.is_byte(ids)
        no_text = [c or u for c, u in zip(sp.is_control(ids), sp.is_unknown(ids))]
        return [None if n else bytes([int(p[3:5], 16)]) if b else p.replace("\u2581", " ").encode("utf-8")
                for p, b, n in zip(pieces, is_byte, no_text)]

    def _pieces(self) -> tuple[list[bytes | None], bool]:
        # UNK (decoded as " ⁇ ") and control pieces are left to the library; the decoder drops
        # the space of the dummy prefix SentencePiece adds in front of a text, when it adds one
        sp = self._sp
        pieces = self._spelled(range(self.vocab_size))
        spaced = next((i for i, p in enumerate(pieces) if p and len(p) > 1 and p[0] == 32 and p[1] != 32
                       and i not in self.byte_fallback_ids), None)
        strip = spaced is not None and not sp.decode([spaced]).startswith(" ")
        if strip:  # a byte piece for the space would be stripped, or not: ask the library
            pieces = [None if i in self.byte_fallback_ids and p == b" " else p for i, p in enumerate(pieces)]
        return pieces, strip

    def fingerprint(self) -> str:
        return _hash(self.family, self._proto)

    @property
    def model_proto(self) -> bytes:
        return self._proto

    def __getstate__(self) -> dict:
        return {"proto": self._proto, "name": self.name, "source": self.source}

    def __setstate__(self, state: dict) -> None:
        self.__init__(model_proto=state["proto"], name=state["name"], source=state["source"])


def _save(tok: "SentencePieceTokenizer", folder: Path, stem: str) -> Path:
    from ..files import atomic_write

    path = folder / f"{stem}.model"
    atomic_write(path, lambda p: p.write_bytes(tok.model_proto))
    return path


FAMILIES.register(TokenizerFamily(
    name="sentencepiece", order=30, prefix="spm", package="sentencepiece",
    specs=(("spm:PATH.model", "a SentencePiece model"),),
    matches=prefixed("spm"), load=lambda spec: SentencePieceTokenizer(spec.removeprefix("spm:")), save=_save,
))
