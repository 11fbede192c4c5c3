"""``BPEModel``: a trained byte-level BPE — its merges, pattern and special tokens — and its encoder.

Token ids:

* ``0..255`` — the single bytes ``0x00..0xff``;
* ``256 + k`` — merge ``k``, the concatenation of the bytes of its pair;
* ``256 + len(merges) + i`` — special token ``i``.

So the merge list alone defines the vocabulary, and the model for a smaller vocabulary is a prefix
of it (:meth:`BPEModel.truncate`).

Encoding goes through tiktoken, built from the same ranks (``{token bytes: id}``) and pattern: a
rank is the token id, which is also the order the merges were learned. In each chunk tiktoken
merges the adjacent pair whose *concatenation* has the lowest rank, while the merge list
(:mod:`tokeff.bpe.reference`, HF) merges the earliest-learned *pair*. The two agree unless some
adjacent pair spells a token without being the merge that made it; with merges learned by this
trainer that does not happen in practice — the tests compare both on real text, and 300 windows
of 3,000 characters encoded identically with a 50,000-token model.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from tokeff.bpe import reference
from tokeff.bpe.errors import InvalidTextError
from tokeff.bpe.patterns import GPT2_PATTERN, Pattern


def check_text(text: str) -> None:
    """Raise :class:`InvalidTextError` if ``text`` has no UTF-8 encoding (lone surrogates)."""
    if text.isascii():
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidTextError(
            f"text has a lone surrogate {text[exc.start]!r} at index {exc.start}, which has no UTF-8"
            " bytes; decode your input with errors='replace' or clean it with"
            " text.encode('utf-8', 'replace').decode()"
        ) from None


@dataclass
class BPEModel:
    """A trained byte-level BPE.

    Attributes:
        merges: ``merges[k] = (a, b)``: token ``256 + k`` is token ``a`` followed by token ``b``.
        pattern: the pre-tokenization regex.
        pattern_name: a preset's name (:data:`tokeff.bpe.patterns.PRESETS`) or ``"custom"``
            (found from ``pattern`` when left empty).
        special_tokens: strings with their own ids after the merges, in order.
        training: settings and corpus description recorded by :func:`train_bpe` (free-form).
    """

    merges: list[tuple[int, int]]
    pattern: str = GPT2_PATTERN
    pattern_name: str = ""
    special_tokens: tuple[str, ...] = ()
    training: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.merges = [(int(a), int(b)) for a, b in self.merges]
        self.special_tokens = tuple(self.special_tokens)
        if not self.pattern_name:
            self.pattern_name = Pattern.resolve(self.pattern).name
        vocab = [bytes([i]) for i in range(256)]
        for k, (a, b) in enumerate(self.merges):
            if not (0 <= a < 256 + k and 0 <= b < 256 + k):
                raise ValueError(f"merge {k} = ({a}, {b}) refers to a token that does not exist yet")
            vocab.append(vocab[a] + vocab[b])
        vocab.extend(s.encode("utf-8") for s in self.special_tokens)
        self._vocab = vocab

    # --- sizes and ids ------------------------------------------------------------------------
    @property
    def vocab_size(self) -> int:
        """256 bytes + merges + special tokens."""
        return len(self._vocab)

    @property
    def special_token_ids(self) -> dict[str, int]:
        first = 256 + len(self.merges)
        return {s: first + i for i, s in enumerate(self.special_tokens)}

    def token_bytes(self, token_id: int) -> bytes:
        """The bytes token ``token_id`` stands for (a special token's UTF-8 text)."""
        if not 0 <= token_id < len(self._vocab):
            raise ValueError(f"token id {token_id} is outside this vocabulary of {len(self._vocab)}")
        return self._vocab[token_id]

    # --- encoding -----------------------------------------------------------------------------
    @cached_property
    def _tiktoken(self) -> Any:
        """The tiktoken ``Encoding`` with these ranks, or ``None`` if it cannot represent them."""
        import tiktoken

        ranks = {tok: i for i, tok in enumerate(self._vocab[: 256 + len(self.merges)])}
        if len(ranks) != 256 + len(self.merges):
            warnings.warn(
                "two merges of this model spell the same bytes, which tiktoken cannot represent;"
                " encoding with the (slow) pure-Python encoder",
                stacklevel=3,
            )
            return None
        return tiktoken.Encoding(
            name=f"tokeff-bpe-{self.pattern_name}-{self.vocab_size}",
            pat_str=self.pattern,
            mergeable_ranks=ranks,
            special_tokens=self.special_token_ids,
            explicit_n_vocab=self.vocab_size,
        )

    def encode(self, text: str, *, allow_special: bool = False) -> list[int]:
        """Token ids of ``text``.

        Special-token strings in the text are ordinary text unless ``allow_special=True``, when
        they become their special ids. Raises :class:`InvalidTextError` (a ``ValueError``) for
        text with lone surrogates.
        """
        check_text(text)
        enc = self._tiktoken
        if enc is None:
            return self.encode_reference(text, allow_special=allow_special)
        if allow_special:
            return enc.encode(text, allowed_special="all", disallowed_special=())
        return enc.encode_ordinary(text)

    def encode_batch(self, texts: Sequence[str], *, allow_special: bool = False) -> list[list[int]]:
        """:meth:`encode` for many texts, in parallel threads."""
        for text in texts:
            check_text(text)
        enc = self._tiktoken
        if enc is None:
            return [self.encode_reference(t, allow_special=allow_special) for t in texts]
        if allow_special:
            return enc.encode_batch(list(texts), allowed_special="all", disallowed_special=())
        return enc.encode_ordinary_batch(list(texts))

    def encode_reference(self, text: str, *, allow_special: bool = False) -> list[int]:
        """The same ids as :meth:`encode`, by the slow pure-Python encoder (for tests)."""
        check_text(text)
        return reference.encode(text, self.merges, self.pattern, self.special_tokens, allow_special)

    def decode_bytes(self, ids: Sequence[int]) -> bytes:
        """The bytes of ``ids`` joined."""
        vocab, n = self._vocab, len(self._vocab)
        if any(not 0 <= i < n for i in ids):
            bad = next(i for i in ids if not 0 <= i < n)
            raise ValueError(f"token id {bad} is outside this vocabulary of {n}")
        return b"".join([vocab[i] for i in ids])

    def decode(self, ids: Sequence[int], *, errors: str = "replace") -> str:
        """The text of ``ids``; ``decode(encode(s)) == s`` for every valid string ``s``.

        A slice of ids can end inside a multi-byte character; those bytes become U+FFFD
        (``errors="strict"`` raises instead).
        """
        return self.decode_bytes(ids).decode("utf-8", errors=errors)

    # --- smaller vocabularies -----------------------------------------------------------------
    def truncate(self, vocab_size: int) -> "BPEModel":
        """The model with ``vocab_size`` tokens: the first ``vocab_size - 256 - len(specials)``
        merges, special tokens renumbered after them. Identical to training to that size."""
        n = vocab_size - 256 - len(self.special_tokens)
        if not 0 <= n <= len(self.merges):
            raise ValueError(
                f"cannot truncate to {vocab_size}: choose between {256 + len(self.special_tokens)}"
                f" and {self.vocab_size}"
            )
        training = dict(self.training, truncated_from=self.vocab_size)
        return BPEModel(self.merges[:n], self.pattern, self.pattern_name, self.special_tokens, training)

    # --- files --------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write tokeff's JSON format (see :mod:`tokeff.bpe.io`)."""
        from tokeff.bpe import io

        return io.save(self, path)

    @classmethod
    def load(cls, path: str | Path) -> "BPEModel":
        """Read a file written by :meth:`save`."""
        from tokeff.bpe import io

        return io.load(path)

    def export_hf(self, path: str | Path) -> Path:
        """Write a HF ``tokenizers`` ``tokenizer.json`` that encodes like this model."""
        from tokeff.bpe import io

        return io.export_hf(self, path)

    def export_tiktoken(self, path: str | Path) -> Path:
        """Write a tiktoken ranks file (``base64-token rank`` lines) for ``load_tiktoken_bpe``."""
        from tokeff.bpe import io

        return io.export_tiktoken(self, path)

    def __repr__(self) -> str:
        return (
            f"BPEModel(vocab_size={self.vocab_size}, merges={len(self.merges)},"
            f" pattern={self.pattern_name!r}, special_tokens={self.special_tokens!r})"
        )
