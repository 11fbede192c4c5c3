"""Hugging Face ``tokenizers``: ``hf:NAME_OR_PATH``.

* ``hf:path/to/tokenizer.json`` -- a serialized tokenizer;
* ``hf:path/to/folder`` -- a folder with ``tokenizer.json``, or with GPT-2-style ``vocab.json`` +
  ``merges.txt`` (loaded as a byte-level BPE, as GPT-2 uses them);
* ``hf:org/name`` -- a hub model, from the local hub cache or downloaded; offline
  (``HF_HUB_OFFLINE=1`` or no network) an uncached one is reported as unavailable.

Padding and truncation are switched off (``bert-base-uncased``'s file pads to 128) and special
tokens are never added.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ..errors import TokenizerError, TokenizerUnavailable
from ..bpe.alphabet import UNICODE_TO_BYTE
from .base import Tokenizer, _hash
from .registry import FAMILIES, TokenizerFamily, prefixed


def _byte_level_bytes(piece: str) -> bytes | None:
    """The bytes a byte-level piece spells (GPT-2's byte-to-unicode alphabet mapped back), or
    ``None`` if a character of it is not in that alphabet."""
    try:
        return bytes(UNICODE_TO_BYTE[ch] for ch in piece)
    except KeyError:
        return None


def _is_byte_level(tok) -> bool:
    """Byte-level BPEs (GPT-2 style) spell their vocabulary in GPT-2's byte-to-unicode alphabet."""
    return type(tok.decoder).__name__ == "ByteLevel"


def _from_folder(folder: Path):
    from tokenizers import Tokenizer as HFTokenizer, decoders, models, pre_tokenizers

    if (folder / "tokenizer.json").exists():
        return HFTokenizer.from_file(str(folder / "tokenizer.json"))
    vocab, merges = folder / "vocab.json", folder / "merges.txt"
    if vocab.exists() and merges.exists():
        tok = HFTokenizer(models.BPE.from_file(str(vocab), str(merges)))
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        return tok
    raise TokenizerError(f"hf:{folder}: the folder has neither tokenizer.json nor vocab.json + merges.txt")


def _load(spec: str):
    from tokenizers import Tokenizer as HFTokenizer

    path = Path(spec)
    try:
        if path.is_dir():
            return _from_folder(path)
        if path.suffix == ".json" or path.exists():
            if not path.exists():
                raise TokenizerError(f"hf:{spec}: no such file; check the path")
            return HFTokenizer.from_file(str(path))
    except TokenizerError:
        raise
    except Exception as e:
        raise TokenizerError(f"hf:{spec}: not a valid tokenizer file ({str(e).splitlines()[0][:120]})") from None
    if os.environ.get("TOKEFF_OFFLINE") == "1":
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        return HFTokenizer.from_pretrained(spec)
    except Exception as e:
        raise TokenizerUnavailable(
            f"hf:{spec}: not a local file and not loadable from the hub here ({type(e).__name__}); "
            "download it where you have network (it is then cached; HF_HUB_OFFLINE=1 uses the cache) "
            "or pass a local tokenizer.json"
        ) from None


class HFTokenizer(Tokenizer):
    family = "hf"
    words_one_by_one = True  # its batch call costs more than a word's encoding

    def __init__(self, spec: str, tokenizer=None, *, name: str | None = None, source: str | None = None) -> None:
        self._spec = spec
        self._tok = tokenizer if tokenizer is not None else _load(spec)
        self._tok.no_padding()
        self._tok.no_truncation()
        self.name = name or f"hf:{spec}"
        self.source = source or spec
        self.vocab_size = self._tok.get_vocab_size(with_added_tokens=True)
        model = self._tok.model
        unk = getattr(model, "unk_token", None)
        self.unk_id = self._tok.token_to_id(unk) if unk else None
        self._byte_level = _is_byte_level(self._tok)
        # added tokens are matched in the text as they are written, outside the model's alphabet
        self._added = {i: t.content for i, t in self._tok.get_added_tokens_decoder().items()}
        if getattr(model, "byte_fallback", False):
            ids = (self._tok.token_to_id(f"<0x{b:02X}>") for b in range(256))
            self.byte_fallback_ids = frozenset(i for i in ids if i is not None)

    def encode(self, text: str) -> list[int]:
        return self._tok.encode(text, add_special_tokens=False).ids

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        return [e.ids for e in self._tok.encode_batch(list(texts), add_special_tokens=False)]

    def decode(self, ids: Sequence[int]) -> str:
        return self._tok.decode(list(ids), skip_special_tokens=False)

    def decode_batch(self, batch: Sequence[Sequence[int]]) -> list[str]:
        return self._tok.decode_batch([list(ids) for ids in batch], skip_special_tokens=False)

    def token_bytes(self, token_id: int) -> bytes:
        """The UTF-8 bytes a token stands for: byte-level pieces are mapped back to bytes,
        ``▁`` (Metaspace) is a space, ``<0xNN>`` is a raw byte, a WordPiece ``##`` is dropped."""
        if token_id == self.unk_id:
            return b""  # stands for text it could not represent, not for its own spelling
        if token_id in self._added:
            return self._added[token_id].encode("utf-8")
        piece = self._tok.id_to_token(token_id) or ""
        if self._byte_level:
            spelled = _byte_level_bytes(piece)
            return spelled if spelled is not None else piece.encode("utf-8")
        if token_id in self.byte_fallback_ids:
            return bytes([int(piece[3:5], 16)])
        return piece.removeprefix("##").replace("\u2581", " ").encode("utf-8")

    def _pieces(self) -> tuple[list[bytes | None], bool] | None:
        # only GPT-2's byte-level decoder just joins pieces; UNK and added tokens are left to
        # the library (it passes added tokens through the decoder's byte map too)
        if not self._byte_level:
            return None
        out: list[bytes | None] = [None] * self.vocab_size
        for piece, i in self._tok.get_vocab(with_added_tokens=False).items():
            if 0 <= i < self.vocab_size and i != self.unk_id and i not in self._added:
                out[i] = _byte_level_bytes(piece)
        return out, False

    def fingerprint(self) -> str:
        return _hash(self.family, self._tok.to_str())

    def to_json(self) -> str:
        return self._tok.to_str()

    def __getstate__(self) -> dict:
        return {"spec": self._spec, "json": self._tok.to_str(), "name": self.name, "source": self.source}

    def __setstate__(self, state: dict) -> None:
        from tokenizers import Tokenizer as HFTok

        self.__init__(state["spec"], HFTok.from_str(state["json"]), name=state["name"], source=state["source"])


def _save(tok: "HFTokenizer", folder: Path, stem: str) -> Path:
    from ..files import write_text

    path = folder / f"{stem}.json"
    write_text(path, tok.to_json())
    return path


FAMILIES.register(TokenizerFamily(
    name="hf", order=20, prefix="hf", package="tokenizers",
    specs=(("hf:NAME_OR_PATH", "HF tokenizers: a tokenizer.json, a folder (tokenizer.json or vocab.json + merges.txt), "
                               "or a hub name (offline: HF_HUB_OFFLINE=1 uses the hub cache)"),),
    matches=prefixed("hf"), load=lambda spec: HFTokenizer(spec.removeprefix("hf:")), save=_save,
))
