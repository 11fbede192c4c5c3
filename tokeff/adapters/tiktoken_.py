"""tiktoken encodings (OpenAI's byte-level BPE): ``tiktoken:NAME``.

NAME is an encoding (``gpt2``, ``r50k_base``, ``p50k_base``, ``cl100k_base``, ``o200k_base``) or a
model name tiktoken knows (``gpt-4o``). tiktoken downloads encoding files on first use and caches
them in ``TIKTOKEN_CACHE_DIR``; offline, an uncached encoding is reported as unavailable.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from ..errors import TokenizerError, TokenizerUnavailable
from .base import Tokenizer

# encode_ordinary_batch's thread pool: one thread per core we may use; analysis workers set 1.
_THREADS = max(1, os.cpu_count() or 1)


def _get_encoding(name: str):
    import tiktoken

    if name in tiktoken.list_encoding_names():
        loader = tiktoken.get_encoding
    else:
        try:
            tiktoken.encoding_name_for_model(name)
        except KeyError:
            raise TokenizerError(
                f"tiktoken:{name}: unknown encoding or model; known encodings: {', '.join(tiktoken.list_encoding_names())}"
            ) from None
        loader = tiktoken.encoding_for_model
    try:
        return loader(name)
    except Exception as e:  # network errors come from requests/urllib with many types
        where = os.environ.get("TIKTOKEN_CACHE_DIR") or "tiktoken's default cache"
        raise TokenizerUnavailable(
            f"tiktoken:{name}: cannot load the encoding file offline ({type(e).__name__}); "
            f"point TIKTOKEN_CACHE_DIR at a folder that holds it (looked in {where})"
        ) from None


class TiktokenTokenizer(Tokenizer):
    family = "tiktoken"

    def __init__(self, encoding_name: str) -> None:
        self._encoding_name = encoding_name
        self._enc = _get_encoding(encoding_name)
        self.name = f"tiktoken:{encoding_name}"
        self.vocab_size = self._enc.n_vocab
        self.source = f"tiktoken encoding {self._enc.name}"

    def encode(self, text: str) -> list[int]:
        # encode_ordinary: special-token strings in the text are plain text, never specials.
        return self._enc.encode_ordinary(text)

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        return self._enc.encode_ordinary_batch(list(texts), num_threads=_THREADS)

    def decode(self, ids: Sequence[int]) -> str:
        return self._enc.decode(list(ids), errors="replace")

    def token_bytes(self, token_id: int) -> bytes:
        return self._enc.decode_single_token_bytes(token_id)

    def __getstate__(self) -> dict:
        return {"encoding_name": self._encoding_name}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["encoding_name"])
