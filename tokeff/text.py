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
Both paths give the same words.
"""

from __future__ import annotations

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
# library's engine finds them about twice as fast as ``regex``. Otherwise, without any no-space character the definition above reduces to plain runs.
_RUN_RE = regex.compile(r"[\p{L}\p{M}\p{N}]++")
_HAS_NO_SPACE_RE = regex.compile(rf"[{_NO_SPACE_CLASS}]")
_ASCII_RUN_RE = re.compile(r"[A-Za-z0-9]+")
# _WORD_RE with the two alternatives as plain groups: findall then gives (grapheme, run) pairs
# without building a match object per word.
_PAIRS_RE = regex.compile(
    rf"((?=[{_NO_SPACE_CLASS}])\X)|((?:(?![{_NO_SPACE_CLASS}])[\p{{L}}\p{{M}}\p{{N}}])+)",
    regex.V1,
)
# Every no-space script starts at or above U+0E00 (Thai), so a text whose largest code point is
# below it (ASCII, Latin, Cyrillic, Greek, Arabic, Hebrew, the Indic scripts) needs no search.
_FIRST_NO_SPACE = "\u0e00"


def _spaced(text: str) -> bool:
    """True when ``text`` has no character of a no-space script (so the fast path is exact)."""
    return not text or max(text) < _FIRST_NO_SPACE or _HAS_NO_SPACE_RE.search(text) is None


def words(text: str) -> list[str]:
    """The words of ``text`` in order (see the module docstring for the definition)."""
    if text.isascii():
        return _ASCII_RUN_RE.findall(text)
    if _spaced(text):
        return _RUN_RE.findall(text)
    return [char or run for char, run in _PAIRS_RE.findall(text)]


def count_words(text: str) -> int:
    """``len(words(text))`` without keeping the words."""
    if text.isascii():
        return len(_ASCII_RUN_RE.findall(text))
    if _spaced(text):
        return len(_RUN_RE.findall(text))
    return len(_PAIRS_RE.findall(text))


def segment(text: str) -> tuple[list[str], int]:
    """The words of ``text`` and how many of them came from the character fallback."""
    if text.isascii():
        return _ASCII_RUN_RE.findall(text), 0
    if _spaced(text):
        return _RUN_RE.findall(text), 0
    pairs = _PAIRS_RE.findall(text)
    return [char or run for char, run in pairs], sum(1 for char, _ in pairs if char)
