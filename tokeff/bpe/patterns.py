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

Three more presets are ``gpt2`` with only its number rule changed, so that a comparison between
them changes only how numbers are cut (:data:`NUMBER_RULES`; ``⎵`` is a space). gpt2's own rule,
`` ?\\p{N}++``, keeps a run of digits as one chunk, so merges may make number tokens of any length
(``"1234567 and 89"`` -> ``1234567 ⎵and ⎵89``); it is the "no number rule" of the four.

==========  ==================================================  =================================
``digits``  `` ?\\p{N}``: every digit its own chunk (LLaMA)       ``1 2 3 4 5 6 7 ⎵and ⎵8 9``
``l2r3``    `` ?\\p{N}{1,3}``: groups of ≤ 3 from the left        ``123 456 7 ⎵and ⎵89``
            (cl100k's and o200k's number rule)
``r2l3``    groups of ≤ 3 from the right, as thousands are       ``1 234 567 ⎵and ⎵89``
            written (a lookahead for whole groups of three)
==========  ==================================================  =================================

As in ``gpt2``, a space before a number goes with its first chunk.

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

#: How a run of digits (with gpt2's optional leading space) is cut, by preset name. ``free`` is
#: gpt2's own rule; the others replace it in :func:`gpt2_with_number_rule`. ``r2l3`` takes 1-3
#: digits only where a whole number of 3-digit groups follows before the run ends, so the short
#: group comes first.
NUMBER_RULES: dict[str, str] = {
    "digits": r""" ?\p{N}""",
    "l2r3": r""" ?\p{N}{1,3}""",
    "r2l3": r""" ?\p{N}{1,3}(?=(?:\p{N}{3})*(?!\p{N}))""",
    "free": r""" ?\p{N}++""",
}


def gpt2_with_number_rule(rule: str) -> str:
    """The gpt2 pattern with its number alternative replaced by ``NUMBER_RULES[rule]``."""
    return GPT2_PATTERN.replace(NUMBER_RULES["free"], NUMBER_RULES[rule], 1)


# "No split": one chunk per text. ``[\s\S]+`` (rather than ``.+`` with DOTALL) reads the same in
# every regex engine involved; an empty text has no chunk at all.
NONE_PATTERN = r"""[\s\S]+"""

PRESETS: dict[str, str] = {
    "gpt2": GPT2_PATTERN,
    "cl100k": CL100K_PATTERN,
    "o200k": O200K_PATTERN,
    "none": NONE_PATTERN,
    "digits": gpt2_with_number_rule("digits"),
    "l2r3": gpt2_with_number_rule("l2r3"),
    "r2l3": gpt2_with_number_rule("r2l3"),
}

#: Presets that start a new chunk at every space followed by a non-space (every one but ``none``):
#: the BPE counter may then cut text there first and count the pieces (:mod:`tokeff.bpe.count`).
SPLITS_AT_SPACES = frozenset(PRESETS) - {"none"}


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
