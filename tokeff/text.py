"""What a "word" is, for every metric and loss that counts words.

Fertility (tokens per word), the continued-word rate and per-word perplexity all divide by a
number of words, so the definition lives here, once.

* Space-delimited scripts (Latin, Cyrillic, Arabic, Devanagari, Hangul, ...): a word is a
  maximal run of letters, combining marks and digits (Unicode classes ``\\p{L}``, ``\\p{M}``,
  ``\\p{N}``). Punctuation and symbols are not words; they still cost tokens.
* Scripts written without spaces (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar, Tibetan):
  there is no word boundary to find without a language-specific segmenter, so each *grapheme
  cluster* counts as one word. This is the documented **character fallback**; results computed
  with it are marked ``segmentation = "characters"`` so that a fertility of 1.3 on Chinese is
  never read next to a fertility of 1.3 on English as if they measured the same thing.

Speed matters here because the analysis pass segments every evaluation document: texts with no
character of a no-space script (most of them) take a single-regex fast path that finds the
letter/mark/digit runs; only texts that contain such a character take the grapheme-aware path.
Both paths give the same words. The analysis pass goes faster still when the package's C core is
built: it finds the same words with :func:`char_classes` (the character classes below, as one
byte of flags per code point), grapheme clusters of no-space scripts included, and leaves to
:func:`segment` only texts whose clusters need rules it does not follow (ZWJ sequences,
Prepend, regional indicators, Hangul); the tests check that both give the same words.
"""

from __future__ import annotations

import functools
import re

import regex

#: Scripts written without spaces between words; their words fall back to grapheme clusters.
NO_SPACE_SCRIPTS = ("Han", "Hiragana", "Katakana", "Thai", "Lao", "Khmer", "Myanmar", "Tibetan")

# U+30FC (katakana-hiragana prolonged sound mark) and U+3005 (々) are script "Common" but
# only ever occur inside Japanese/Chinese words.
_NO_SPACE_CLASS = "".join(rf"\p{{{s}}}" for s in NO_SPACE_SCRIPTS) + r"\u30fc\u3005"
_WORD_RE = regex.compile(
    rf"(?P<char>(?=[{_NO_SPACE_CLASS}])\X)"  # one grapheme of a no-space script
    rf"|(?:(?![{_NO_SPACE_CLASS}])[\p{{L}}\p{{M}}\p{{N}}])+",  # a run of letters/marks/digits
    regex.V1,
)
# Fast paths. For ASCII text, letters/marks/digits are exactly [A-Za-z0-9] and the standard
# library's engine finds them about twice as fast as ``regex``. Otherwise, without any
# no-space character the definition above reduces to plain runs (see :func:`_runs`).
_RUN_RE = regex.compile(r"[\p{L}\p{M}\p{N}]++")
_HAS_NO_SPACE_RE = regex.compile(rf"[{_NO_SPACE_CLASS}]")
_ASCII_RUN_RE = re.compile(r"[A-Za-z0-9]+")
# _WORD_RE with the two alternatives as plain groups: findall then gives (grapheme, run) pairs
# without building a match object per word.
_PAIRS_RE = regex.compile(
    rf"((?=[{_NO_SPACE_CLASS}])\X)|((?:(?![{_NO_SPACE_CLASS}])[\p{{L}}\p{{M}}\p{{N}}])+)",
    regex.V1,
)
# Every no-space script starts at or above U+0E00 (Thai), so a text with no code point from there
# up (ASCII, Latin, Cyrillic, Greek, Arabic, Hebrew, the Indic scripts) needs no script search.
# The standard library's engine tests a plain code-point range far faster than ``max(text)``
# builds one-character strings.
_AT_OR_ABOVE_THAI_RE = re.compile("[\u0e00-\U0010ffff]")
_ASTRAL_RE = re.compile("[\U00010000-\U0010ffff]")


@functools.cache
def _bmp_run_re() -> re.Pattern[str]:
    r"""``_RUN_RE`` for text without astral characters, on the standard library's engine.

    Its character class lists the code points below U+10000 that ``regex`` itself puts in
    ``[\p{L}\p{M}\p{N}]`` (so both agree by construction, whatever Unicode version each ships);
    the standard engine tests such a class with a bitmap, about twice as fast as ``regex``
    looks up the properties. Built on first use.
    """
    one = regex.compile(r"[\p{L}\p{M}\p{N}]")
    ranges: list[str] = []
    start = None
    for cp in range(0x10001):
        inside = cp < 0x10000 and one.match(chr(cp)) is not None
        if inside and start is None:
            start = cp
        elif not inside and start is not None:
            ranges.append(re.escape(chr(start)) + (f"-{re.escape(chr(cp - 1))}" if cp - 1 > start else ""))
            start = None
    return re.compile(f"[{''.join(ranges)}]+")


def _runs(text: str) -> list[str]:
    """The letter/mark/digit runs of a text without no-space characters (the fast path)."""
    if _ASTRAL_RE.search(text) is None:
        return _bmp_run_re().findall(text)
    return _RUN_RE.findall(text)


def _spaced(text: str) -> bool:
    """True when ``text`` has no character of a no-space script (so the fast path is exact)."""
    return _AT_OR_ABOVE_THAI_RE.search(text) is None or _HAS_NO_SPACE_RE.search(text) is None


def words(text: str) -> list[str]:
    """The words of ``text`` in order (see the module docstring for the definition)."""
    return segment(text)[0]


def count_words(text: str) -> int:
    """``len(words(text))``."""
    return len(segment(text)[0])


def segment(text: str) -> tuple[list[str], int]:
    """The words of ``text`` and how many of them came from the character fallback."""
    if text.isascii():
        return _ASCII_RUN_RE.findall(text), 0
    if _spaced(text):
        return _runs(text), 0
    pairs = _PAIRS_RE.findall(text)
    return [char or run for char, run in pairs], sum(1 for char, _ in pairs if char)


#: Grapheme_Cluster_Break values that extend a cluster by rules GB9/GB9a (nothing else to check)...
_EXTEND_CLASS = r"\p{GCB=Extend}\p{GCB=SpacingMark}"
#: ...and the characters whose rules need more context (GB9b, GB11-GB13 and Hangul: Prepend, ZWJ
#: sequences, regional-indicator pairs, jamo): a text holding one of these and a no-space character
#: is left to the regular expressions. Indic conjuncts (GB9c) are followed with the three
#: Indic_Conjunct_Break classes below.
_INTRICATE_CLASS = r"\p{GCB=Prepend}\p{GCB=ZWJ}\p{GCB=Regional_Indicator}\p{GCB=L}\p{GCB=V}\p{GCB=T}\p{GCB=LV}\p{GCB=LVT}"

#: The character classes of :func:`char_classes`, one bit each (bit k for the k-th name).
CHAR_CLASSES = {
    "word": r"\p{L}\p{M}\p{N}",  # the characters of a word
    "no_space": _NO_SPACE_CLASS,  # scripts written without spaces
    "extend": _EXTEND_CLASS,
    "intricate": _INTRICATE_CLASS,
    "incb_consonant": r"\p{InCB=Consonant}",
    "incb_linker": r"\p{InCB=Linker}",
    "incb_extend": r"\p{InCB=Extend}",
}


@functools.cache
def char_classes() -> bytes:
    r"""One byte per code point (0x110000 of them): bit k set when the character is in the k-th
    class of :data:`CHAR_CLASSES`.

    This is what the C core's text scan needs to find exactly the words :func:`segment` finds:
    runs of word characters that are not no-space characters, and each no-space character with the
    characters its grapheme cluster goes on with (``extend`` ones, and after a virama-like
    ``incb_linker`` the next ``incb_consonant``: rule GB9c as ``regex`` applies it, e.g. Khmer
    coeng and Myanmar virama stacks). Read off ``regex`` itself, so the scan and the regular expressions agree by
    construction (the tests also compare their words on every text they try). Built on first use,
    in about 0.1 s.
    """
    import numpy as np

    # every code point at its own index (surrogates, which no str from UTF-8 holds and which
    # UTF-32 cannot carry, replaced by U+0000: in no class)
    cps = np.arange(0x110000, dtype="<u4")
    cps[0xD800:0xE000] = 0
    everything = cps.tobytes().decode("utf-32-le")
    flags = np.zeros(0x110000, dtype=np.uint8)
    for bit, cls in enumerate(CHAR_CLASSES.values()):
        for m in regex.finditer(f"[{cls}]+", everything):
            flags[m.start():m.end()] |= np.uint8(1 << bit)
    return flags.tobytes()
