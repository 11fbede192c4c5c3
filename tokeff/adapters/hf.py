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
from .base import Tokenizer


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
        if getattr(model, "byte_fallback", False):
            ids = (self._tok.token_to_id(f"<0x{b:02X}>") for b in range(256))
            self.byte_fallback_ids = frozenset(i for i in ids if i is not None)

    def encode(self, text: str) -> list[int]:
        return self._tok.encode(text, add_special_tokens=False).ids

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        return [e.ids for e in self._tok.encode_batch(list(texts), add_special_tokens=False)]

    def decode(self, ids: Sequence[int]) -> str:
        return self._tok.decode(list(ids), skip_special_tokens=False)

    def to_json(self) -> str:
        return self._tok.to_str()

    def __getstate__(self) -> dict:
        return {"spec": self._spec, "json": self._tok.to_str(), "name": self.name, "source": self.source}

    def __setstate__(self, state: dict) -> None:
        from tokenizers import Tokenizer as HFTok

        self.__init__(state["spec"], HFTok.from_str(state["json"]), name=state["name"], source=state["source"])
