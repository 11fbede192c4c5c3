"""The one definition of a word (tokeff.text), including its fast paths."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tokeff import text


def _reference(s: str) -> tuple[list[str], int]:
    # the definition itself: the full regex, no fast path
    out, fallback = [], 0
    for m in text._WORD_RE.finditer(s):
        out.append(m.group(0))
        fallback += m.group("char") is not None
    return out, fallback


def test_words_are_letter_mark_digit_runs():
    assert text.words("Hello, world! It's 2024.") == ["Hello", "world", "It", "s", "2024"]
    assert text.words("naïve café") == ["naïve", "café"]
    # Devanagari vowel signs are combining marks: they stay inside the word
    assert text.words("नमस्ते दुनिया") == ["नमस्ते", "दुनिया"]
    assert text.count_words("a_b c-d") == 4


def test_no_space_scripts_fall_back_to_graphemes():
    assert text.segment("你好, world") == (["你", "好", "world"], 2)
    # a Thai consonant with its vowel mark is one grapheme cluster
    words, fallback = text.segment("กิน")
    assert words == ["กิ", "น"] and fallback == 2


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab1 ,.-éñ\u0301ясдक्षि你好カナ한국กิ\u200d\n")), max_size=40))
def test_fast_paths_agree_with_the_definition(s):
    assert text.segment(s) == _reference(s)
    assert text.words(s) == _reference(s)[0]
    assert text.count_words(s) == len(_reference(s)[0])
