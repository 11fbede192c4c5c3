"""Pre-tokenization: the regex that cuts text into chunks before any merging.

A byte-level BPE never merges across a chunk boundary, so the pattern decides what a token *can*
be: with ``gpt2`` a space sticks to the word after it (``" world"``) and digits never join letters.
The presets are the exact patterns of the tiktoken encodings of the same name:

========  ===========================================================================
``gpt2``    GPT-2 / r50k / p50k: contractions, ``" ?"`` + letters / digits / other, spaces
``cl100k``  GPT-3.5/4: case-insensitive contractions, numbers in groups of at most 3 digits
``o200k``   GPT-4o: words split at case changes, marks kept with letters, numbers of ≤ 3 digits
``none``    no split at all: every text is one chunk and merges may cross spaces
========  ===========================================================================

Any other string is used as a custom regex. Patterns are compiled with the ``regex`` package (which
understands ``\\p{L}`` Unicode classes and possessive quantifiers ``++``); the same string is handed
to tiktoken for fast encoding and written into exported files, so a custom pattern should stick to
syntax the Rust ``fancy-regex`` and Oniguruma engines read the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import regex

GPT2_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""

CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)

O200K_PATTERN = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)

# "No split": one chunk per text. ``[\s\S]+`` (rather than ``.+`` with DOTALL) reads the same in
# every regex engine involved; an empty text has no chunk at all.
NONE_PATTERN = r"""[\s\S]+"""

PRESETS: dict[str, str] = {
    "gpt2": GPT2_PATTERN,
    "cl100k": CL100K_PATTERN,
    "o200k": O200K_PATTERN,
    "none": NONE_PATTERN,
}


@dataclass(frozen=True)
class Pattern:
    """A named pre-tokenization regex.

    Attributes:
        name: the preset name (``"gpt2"``...) or ``"custom"``.
        regex: the pattern string itself.
    """

    name: str
    regex: str

    @classmethod
    def resolve(cls, spec: "str | Pattern") -> "Pattern":
        """A preset name, a custom regex string, or an existing :class:`Pattern`."""
        if isinstance(spec, Pattern):
            return spec
        if spec in PRESETS:
            return cls(spec, PRESETS[spec])
        for name, pat in PRESETS.items():  # a preset's pattern given in full keeps its name
            if spec == pat:
                return cls(name, pat)
        try:
            regex.compile(spec)
        except regex.error as exc:
            from tokeff.bpe.errors import BPETrainingError

            raise BPETrainingError(
                f"pattern {spec!r} is neither a preset ({', '.join(PRESETS)}) nor a valid regex: {exc}"
            ) from None
        return cls("custom", spec)

    @cached_property
    def compiled(self) -> "regex.Pattern[str]":
        return regex.compile(self.regex)

    def split(self, text: str) -> list[str]:
        """The chunks of ``text``, in order. Text the pattern does not match is dropped (the presets
        match everything, so their chunks always join back to ``text``)."""
        return self.compiled.findall(text)

    def iter_split(self, text: str) -> Iterator[str]:
        return (m.group() for m in self.compiled.finditer(text))
