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


# --- the standard-library fast path for letter/mark/digit runs --------------------------------


def test_bmp_run_class_is_exactly_the_regex_class():
    # every code point below U+10000, one at a time: the standard-library class that the fast
    # path uses must accept exactly the characters `regex` puts in [\p{L}\p{M}\p{N}]
    fast, slow = text._bmp_run_re(), text._RUN_RE
    for cp in range(0x10000):
        c = chr(cp)
        assert (fast.fullmatch(c) is not None) == (slow.fullmatch(c) is not None), hex(cp)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=60))
def test_fast_paths_agree_with_the_definition_on_any_text(s):
    # any code point (astral ones, emoji, unassigned, every script): whichever path a text
    # takes gives the words of the definition
    assert text.segment(s) == _reference(s)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["word", "naïve", "नमस्ते", "дом", "한국어", "ሰላም", "ქართ", "😀", "𝐀b",
                                 "你好", "กิน", ",", " ", "\u00a0", "\u3000", "\n", "e\u0301", "12"]), max_size=20))
def test_fast_paths_agree_with_the_definition_on_mixed_scripts(parts):
    s = "".join(parts)
    assert text.segment(s) == _reference(s)


def test_fast_paths_agree_with_the_definition_on_real_multilingual_text(shared_dir):
    from tokeff.corpus.sources import parallel_corpus

    # every 10th aligned line of every language (all of them take seconds through the reference)
    for doc in parallel_corpus(shared_dir / "corpora" / "ntrex128").documents():
        if int(doc.doc_id.rsplit(":", 1)[1]) % 10 == 0:
            assert text.segment(doc.text) == _reference(doc.text), (doc.language, doc.doc_id)
