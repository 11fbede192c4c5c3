"""The C core's text scan and id flattening give exactly what the Python definitions give.

The analysis pass reads per-document counts and word ids from ``scan_texts`` when the C core is
built; these tests hold it to :mod:`tokeff.text` (the definition of a word) and to plain Python
counts, on hand-made, random and real text, and check that a whole measurement is the same table
with and without the core.
"""

from __future__ import annotations

from itertools import chain

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tokeff import _native, text
from tokeff.adapters.simple import BytesTokenizer, CharsTokenizer
from tokeff.analysis import MetricSettings, measure
from tokeff.corpus.core import Corpus, Document
from tokeff.metrics.batch import EncodedBatch, TextBatch, WordTable, nonspace_length

from .test_metrics_toys import TOY_VOCAB, GreedyToy

pytestmark = pytest.mark.skipif(_native.core is None, reason="the C core is not built (pure-Python install)")


def _expected(texts: list[str], mask: list[bool] | None = None) -> tuple[np.ndarray, list[list[str]], list[int]]:
    """(bytes, chars, non-space chars) per text, each text's words and fallback count, from Python."""
    mask = mask or [True] * len(texts)
    counts = np.array([[len(t.encode("utf-8")), len(t), nonspace_length(t)] for t in texts], dtype=np.int64)
    segmented = [text.segment(t) if m else ([], 0) for t, m in zip(texts, mask)]
    return counts.reshape(-1, 3), [w for w, _ in segmented], [f for _, f in segmented]


def _check(texts: list[str], word_sample: float = 1.0) -> None:
    docs = [Document(t, "xx", f"d{i}") for i, t in enumerate(texts)]
    batch = TextBatch(docs, word_sample)
    mask = batch.word_mask.tolist()
    counts, words, fallback = _expected(texts, mask)
    got = np.stack([batch.n_bytes, batch.n_chars, batch.n_nonspace], axis=1) if texts else np.empty((0, 3))
    assert (got == counts).all()
    assert batch.n_words.tolist() == [len(w) for w in words]
    assert batch.n_fallback_words.tolist() == fallback
    # the ids name the same words, in order
    assert [batch.table.words[i] for i in batch.word_ids] == list(chain.from_iterable(words))
    assert len(set(batch.table.words)) == len(batch.table.words)


def test_counts_and_words_of_hand_made_texts():
    _check(["Hello, world! It's 2024.", "naïve café", "नमस्ते दुनिया", "", "   ", "a\u00a0b\u3000c",
            "你好, world", "กิน ข้าว", "emoji 😀 and 𝐀b", "tab\tnew\nline", "x" * 1000])


def test_word_ids_are_shared_across_chunks_and_new_words_come_in_order():
    table = WordTable()
    a = TextBatch([Document("b a b", "xx", "1")], table=table)
    assert a.word_ids.tolist() == [0, 1, 0] and table.words == ["b", "a"]
    b = TextBatch([Document("a c 你", "xx", "2")], table=table)
    assert [table.words[i] for i in b.word_ids] == ["a", "c", "你"]
    assert table.words == ["b", "a", "c", "你"]


def test_a_full_table_starts_over():
    table = WordTable(max_words=2)
    TextBatch([Document("a b c", "xx", "1")], table=table).word_ids
    batch = TextBatch([Document("c d", "xx", "2")], table=table)
    assert table.generation == 1
    assert [table.words[i] for i in batch.word_ids] == ["c", "d"]


def test_no_words_are_counted_when_nobody_asks():
    table = WordTable()
    batch = TextBatch([Document("many words here", "xx", "1")], table=table, count_words=False)
    assert batch.n_bytes.tolist() == [15] and table.words == []


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=40), max_size=8), st.sampled_from([1.0, 0.5]))
def test_scan_agrees_with_python_on_any_text(texts, word_sample):
    _check(texts, word_sample)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("ab1 ,.-éñ\u0301ясдक्षि你好カナ한국กิ\u200d\n😀")), max_size=30),
                max_size=8))
def test_scan_agrees_with_python_on_mixed_scripts(texts):
    _check(texts)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("กิน้ำ ក្មែរ မြန်မာ ཀྲ 你\u3099カ゚ー々 a\u0301 1 \u200d😀👍🏽🇯🇵 "
                                                     "क्ष ᄀ한\u0e33\n\u17d2\u1014\u1039\u1031\u200c")), max_size=30), max_size=8))
def test_scan_agrees_with_python_on_grapheme_clusters(texts):
    # no-space scripts with marks, joiners, emoji sequences, Hangul and Indic conjuncts side by side
    _check(texts)


_CLUSTER_PARTS = list("กิน้ำเ ក្មែរ ញ៉ុំ မြန်မာ ေ ္ ် ཀྲ་ 你好 \u3099カ゚ー々 a\u0301 b1 \u0915\u094d\u0937 \u200c \u17d2 \u1039 \n")


@settings(max_examples=500, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(_CLUSTER_PARTS), max_size=30), max_size=6))
def test_scan_finds_the_grapheme_clusters_itself(texts):
    # no intricate character in the alphabet: every text takes the C path, clusters included
    _check(texts)
    batch = TextBatch([Document(t, "xx", str(i)) for i, t in enumerate(texts)])
    assert (batch._scan[0][:, 3] >= 0).all()


def _check_sizes(texts: list[str]) -> None:
    # no family reads words: the counts come from text_sizes, without the word scan
    batch = TextBatch([Document(t, "xx", f"d{i}") for i, t in enumerate(texts)], count_words=False)
    counts, _, _ = _expected(texts)
    got = np.stack([batch.n_bytes, batch.n_chars, batch.n_nonspace], axis=1) if texts else np.empty((0, 3))
    assert (got == counts).all()
    assert "_scan" not in batch.__dict__


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=40), max_size=8))
def test_sizes_without_the_word_scan_agree_with_python_on_any_text(texts):
    _check_sizes(texts)


def test_sizes_without_the_word_scan_at_each_utf8_width():
    # the last code point of each UTF-8 length and the first of the next, in every string kind
    edges = ["\x7f", "\x80", "\xff", "\u07ff", "\u0800", "\uffff", "\U00010000", "\U0010ffff"]
    _check_sizes(edges + ["".join(edges), "a" * 100 + "\xe9", "\u3000 \x85\xa0x", "\t\n", ""])
    _check_sizes(["x" * 1000 + e for e in edges])


def test_scan_agrees_with_python_on_real_multilingual_text(shared_dir):
    from tokeff.corpus.sources import parallel_corpus

    docs = [d for d in parallel_corpus(shared_dir / "corpora" / "ntrex128").documents()
            if int(d.doc_id.rsplit(":", 1)[1]) % 20 == 0]
    assert len({d.language for d in docs}) >= 30
    _check([d.text for d in docs])
    _check_sizes([d.text for d in docs])


def test_character_classes_are_the_regex_classes():
    import regex

    flags = np.frombuffer(text.char_classes(), dtype=np.uint8)
    classes = [regex.compile(f"[{c}]") for c in text.CHAR_CLASSES.values()]
    # every code point below U+10000 and a sample above, one at a time, against the regexes
    for cp in chain(range(0xD800), range(0xE000, 0x10000), range(0x10000, 0x110000, 97)):
        c = chr(cp)
        for bit, cls in enumerate(classes):
            assert bool(flags[cp] >> bit & 1) == (cls.fullmatch(c) is not None), (hex(cp), bit)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(0, 2**40), max_size=20), max_size=10))
def test_flattened_ids_are_the_ids_back_to_back(ids):
    batch = EncodedBatch(TextBatch([Document("x", "xx", str(i)) for i in range(len(ids))]), ids, BytesTokenizer())
    assert batch.n_tokens.tolist() == [len(x) for x in ids]  # read before flattening: counted apart
    assert batch.flat.tolist() == list(chain.from_iterable(ids))
    assert batch.n_tokens.tolist() == [len(x) for x in ids]


def test_the_compression_profile_neither_scans_words_nor_flattens_ids():
    from tokeff.metrics.compression import CompressionAccumulator

    text_batch = TextBatch([Document("a bc", "xx", "1"), Document("déf", "xx", "2")], count_words=False)
    batch = EncodedBatch(text_batch, [[1, 2, 3], [4]], BytesTokenizer())
    CompressionAccumulator().update(batch)
    assert "_scan" not in text_batch.__dict__ and "_flat" not in batch.__dict__
    assert text_batch.n_bytes.tolist() == [4, 4] and batch.n_tokens.tolist() == [3, 1]


class _Flagged(BytesTokenizer):
    """Bytes with an UNK id and byte-fallback ids, to count while flattening."""

    unk_id = 3
    byte_fallback_ids = frozenset({5, 7, 300})


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(0, 400), max_size=20), max_size=10))
def test_unk_and_byte_fallback_counts_read_with_the_ids_are_plain_counts(ids):
    tok = _Flagged()
    batch = EncodedBatch(TextBatch([Document("x", "xx", str(i)) for i in range(len(ids))]), ids, tok)
    assert batch.n_unk.tolist() == [x.count(3) for x in ids]
    assert batch.n_byte_fallback.tolist() == [sum(t in tok.byte_fallback_ids for t in x) for x in ids]
    assert batch.flat.tolist() == list(chain.from_iterable(ids))


def test_flatten_rejects_what_is_not_ids():
    with pytest.raises(TypeError):
        _native.core.flatten_ids([[1, "2"]])
    with pytest.raises(OverflowError):
        _native.core.flatten_ids([[2**70]])


def test_a_measurement_is_the_same_with_and_without_the_core(monkeypatch):
    words = ["ab", "a", "b", "c", "abc", "ä", "zzz", "你好", "กิน", "naïve"]
    docs = [Document(" ".join(words[(i + j) % len(words)] for j in range(1 + i % 9)), lang, f"line{i}")
            for i in range(200) for lang in ("eng", "xx")]
    corpus = Corpus("mixed", lambda: iter(docs), parallel=True, reference_language="eng")
    toks = [GreedyToy(TOY_VOCAB), BytesTokenizer(), CharsTokenizer()]
    s = MetricSettings(chunk_docs=16, bootstrap_replicates=100, split="all")
    with_core = measure([corpus], toks, settings=s, workers=1, progress=False)
    monkeypatch.setattr(_native, "core", None)
    without = measure([corpus], toks, settings=s, workers=1, progress=False)
    pd.testing.assert_frame_equal(with_core.metrics, without.metrics, check_exact=True)
    pd.testing.assert_frame_equal(with_core.token_lengths, without.token_lengths, check_exact=True)
