"""tokeff's own byte-level BPE (:mod:`tokeff.bpe`): ``tokeff:PATH.json`` or trained as ``train:bpe:VOCAB``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..errors import TokenizerError
from .base import Tokenizer, _hash
from .registry import FAMILIES, TokenizerFamily, prefixed


class TokeffBPETokenizer(Tokenizer):
    family = "tokeff-bpe"

    def __init__(self, model, *, name: str, source: str) -> None:
        self.model = model
        self.name = name
        self.source = source
        self.vocab_size = model.vocab_size

    @classmethod
    def from_file(cls, path: str) -> "TokeffBPETokenizer":
        from ..bpe import BPEModel

        if not Path(path).is_file():
            raise TokenizerError(f"tokeff:{path}: no such file; give a model saved by `python -m tokeff train-bpe`")
        return cls(BPEModel.load(path), name=f"tokeff:{path}", source=str(path))

    def encode(self, text: str) -> list[int]:
        return self.model.encode(text)

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        return self.model.encode_batch(list(texts))

    def decode(self, ids: Sequence[int]) -> str:
        return self.model.decode(list(ids))

    def token_bytes(self, token_id: int) -> bytes:
        return self.model.token_bytes(token_id)

    def _pieces(self) -> tuple[list[bytes | None], bool]:
        return [self.model.token_bytes(i) for i in range(self.vocab_size)], False

    def fingerprint(self) -> str:
        return _hash(self.family, self.model.pattern, self.model.merges, self.model.special_tokens)


def _save(tok: TokeffBPETokenizer, folder: Path, stem: str) -> Path:
    from ..files import atomic_write

    path = folder / f"{stem}.json"
    atomic_write(path, tok.model.save)
    return path


FAMILIES.register(TokenizerFamily(
    name="tokeff-bpe", order=40, prefix="tokeff",
    specs=(("tokeff:PATH.json", "a model saved by `tokeff train-bpe`"),),
    matches=prefixed("tokeff"), load=lambda spec: TokeffBPETokenizer.from_file(spec.removeprefix("tokeff:")), save=_save,
))
