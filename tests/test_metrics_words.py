"""Word-level metrics (Rust et al. 2021) on hand-counted cases."""

from __future__ import annotations

import pytest

from tokeff.adapters.simple import CharsTokenizer
from tokeff.analysis import MetricSettings, measure
from tokeff.corpus.core import Document
from tokeff.metrics.words import segmentation_note

from .test_metrics_compression import value
from .test_metrics_toys import TOY_VOCAB, GreedyToy, toy_corpus

SETTINGS = MetricSettings(split="all", bootstrap_replicates=200)


def test_fertility_tokenizes_each_word_on_its_own():
    df = measure([toy_corpus()], [GreedyToy(TOY_VOCAB)], settings=SETTINGS, workers=1, progress=False).metrics
    # words: ab, ab | abc, a | ä, b  -> 6 words
    # standalone tokens: ab=1, ab=1, abc=2 (ab|c), a=1, ä=1 (<unk>), b=1  -> 7
    assert value(df, "words").value == 6
    assert value(df, "fertility").value == pytest.approx(7 / 6)
    assert value(df, "continued_word_rate").value == pytest.approx(1 / 6)      # abc
    assert value(df, "single_token_word_rate").value == pytest.approx(5 / 6)
    # in context: 10 tokens (spaces included) over 6 words
    assert value(df, "fertility_in_context").value == pytest.approx(10 / 6)
    assert value(df, "fertility").unit == "tokens / word (standalone)"
    assert value(df, "fertility").note == ""


def test_standalone_differs_from_in_context_when_context_merges():
    # vocabulary with a piece spanning a word boundary: in context "a b" is one token,
    # standalone each word is one token, so fertility 1 but in-context 1/2
    tok = GreedyToy(["<unk>", "a", "b", "a b", " "])
    df = measure([toy_corpus([Document("a b", "xx", "1")])], [tok], settings=SETTINGS, workers=1, progress=False).metrics
    assert value(df, "fertility").value == 1.0
    assert value(df, "fertility_in_context").value == 0.5


def test_a_word_the_tokenizer_deletes_is_neither_single_nor_continued():
    class DeletingToy(GreedyToy):
        """GreedyToy that drops "q" entirely, as a normalizer deleting a character would."""

        def encode(self, text):
            return [i for i in super().encode(text) if i != 7]

    df = measure([toy_corpus([Document("ab q abc", "xx", "1")])], [DeletingToy(TOY_VOCAB)], settings=SETTINGS,
                 workers=1, progress=False).metrics
    # words ab, q, abc: standalone tokens 1, 0, 2
    assert value(df, "fertility").value == pytest.approx(3 / 3)
    assert value(df, "continued_word_rate").value == pytest.approx(1 / 3)
    assert value(df, "single_token_word_rate").value == pytest.approx(1 / 3)   # not 1 - 1/3


def test_no_space_scripts_are_flagged_as_character_segmentation():
    docs = [Document("你好世界", "zho", "1"), Document("hello world", "eng", "2")]
    df = measure([toy_corpus(docs)], [CharsTokenizer()], settings=SETTINGS, workers=1, progress=False).metrics
    # zho: 4 characters = 4 "words" by the fallback, 1 token each
    z = value(df, "fertility", "chars", "zho")
    assert z.value == 1.0 and z.note == "segmentation=characters"
    # eng: hello (5) + world (5) over 2 words; no fallback, no note
    e = value(df, "fertility", "chars", "eng")
    assert e.value == 5.0 and e.note == ""
    # all: 4 of the 6 words came from the fallback
    a = value(df, "fertility", "chars")
    assert a.value == pytest.approx((4 + 10) / 6)
    assert a.note == "segmentation=characters for 66.7% of words"


def test_segmentation_note():
    assert segmentation_note(0, 10) == ""
    assert segmentation_note(10, 10) == "segmentation=characters"
    assert segmentation_note(1, 8) == "segmentation=characters for 12.5% of words"


def test_word_metrics_can_be_turned_off():
    df = measure([toy_corpus()], [GreedyToy(TOY_VOCAB)], settings=MetricSettings(split="all", word_metrics=False),
                 workers=1, progress=False).metrics
    assert "fertility" not in set(df.metric)
    assert "bytes_per_token" in set(df.metric)


def test_word_sample_uses_the_same_documents_for_every_number():
    docs = [Document("ab " * (1 + i % 3) + "abc", "xx", f"d{i}") for i in range(400)]
    full = measure([toy_corpus(docs)], [GreedyToy(TOY_VOCAB)], settings=SETTINGS, workers=1, progress=False).metrics
    half = measure([toy_corpus(docs)], [GreedyToy(TOY_VOCAB)], workers=1, progress=False,
                   settings=MetricSettings(split="all", bootstrap_replicates=200, word_sample=0.5)).metrics
    f, h = value(full, "fertility"), value(half, "fertility")
    assert f.n == 400 and 150 < h.n < 250
    assert h.note == "words of a 50% sample of documents"
    # "ab" costs 1 token, "abc" 2: fertility is (k + 2) / (k + 1) per document, close in both
    assert h.value == pytest.approx(f.value, rel=0.05)
    # in-context fertility too: tokens of the unsampled documents must not count
    assert value(half, "fertility_in_context").value == pytest.approx(value(full, "fertility_in_context").value,
                                                                      rel=0.05)
    # compression metrics still see every document
    assert value(half, "bytes_per_token").n == 400


def test_word_table_starting_over_changes_nothing(monkeypatch):
    # a table that starts over after every chunk (and every tokenizer dropping its per-word
    # counts with it) gives the same numbers as one that keeps every word
    import tokeff.metrics.batch as batch
    from tokeff.adapters.simple import BytesTokenizer

    docs = [Document(f"w{i % 7} common{i % 3} ä{i}", "xx", str(i)) for i in range(60)]
    settings = MetricSettings(split="all", bootstrap_replicates=50, chunk_docs=8)
    toks = [GreedyToy(TOY_VOCAB), BytesTokenizer()]
    full = measure([toy_corpus(docs)], toks, settings=settings, workers=1, progress=False).metrics
    monkeypatch.setattr(batch, "MAX_TABLE_WORDS", 3)
    small = measure([toy_corpus(docs)], toks, settings=settings, workers=1, progress=False).metrics
    assert full.equals(small)
    assert value(full, "words", toks[0].name).value == 180
