"""Tokenization premiums (Petrov et al. 2023) on a small hand-made parallel set."""

from __future__ import annotations

import math

import pytest

from tokeff.analysis import MetricSettings, measure
from tokeff.corpus.core import Document

from .test_metrics_compression import value
from .test_metrics_toys import TOY_VOCAB, GreedyToy, toy_corpus

# Aligned lines share their doc_id across languages. Greedy toy token counts in brackets.
PARALLEL = [
    Document("ab", "eng", "L0"),            # [1]  ab
    Document("ab ab", "eng", "L1"),         # [3]  ab " " ab
    Document("a b", "xx", "L0"),            # [3]  a " " b
    Document("c c c", "xx", "L1"),          # [5]  c " " c " " c
    Document("ää", "yy", "L0"),             # [2]  <unk> <unk>: 100 % of characters lost
    Document("ab", "yy", "L1"),             # [1]
    Document("abab", "zz", "L0"),           # [2]  only L0 exists in zz
]


@pytest.fixture(scope="module")
def result():
    corpus = toy_corpus(PARALLEL, name="par", parallel=True, reference_language="eng")
    return measure([corpus], [GreedyToy(TOY_VOCAB)], settings=MetricSettings(split="all", bootstrap_replicates=300),
                   workers=1, progress=False)


def test_premium_is_a_ratio_of_token_sums_over_aligned_lines(result):
    df = result.metrics
    # xx: (3 + 5) / (1 + 3) = 2.0, not the mean of per-line ratios (3/1 + 5/3) / 2 = 2.33
    xx = value(df, "premium", language="xx")
    assert xx.value == pytest.approx(2.0)
    assert xx.n == 2 and xx.unit == "tokens / reference token" and xx.note == "reference=eng"
    eng = value(df, "premium", language="eng")
    assert (eng.value, eng.ci_low, eng.ci_high) == (1.0, 1.0, 1.0)


def test_lines_missing_in_one_language_leave_the_sums(result):
    zz = value(result.metrics, "premium", language="zz")
    # only L0 is aligned: 2 / 1
    assert zz.value == pytest.approx(2.0)
    assert zz.n == 1
    assert "1 aligned lines of 1 (zz) and 2 (eng)" in zz.note


def test_languages_mostly_unk_are_dropped_and_listed(result):
    yy = value(result.metrics, "premium", language="yy")
    assert math.isnan(yy.value)
    # yy non-space characters 2 + 2 = 4, both ä lost: 50 % > 10 %
    assert "dropped: 50.0% of characters lost to UNK (> 10%)" in yy.note
    assert result.dropped == [{"corpus": "par", "tokenizer": "toy", "language": "yy",
                               "reason": "50.0% of characters lost to UNK (> 10%)", "unk_char_rate": 0.5}]


def test_paired_interval_is_tighter_than_unpaired():
    # every xx line costs exactly twice its eng line: the paired ratio has no spread at all
    docs = []
    for i in range(30):
        n = 1 + i % 5
        docs += [Document(" ".join(["ab"] * n), "eng", f"L{i}"), Document(" ".join(["a"] * (2 * n)), "xx", f"L{i}")]
    # eng line with n words: n + (n-1) tokens; xx: 2n + (2n-1) tokens -> not exactly 2, so make
    # it exact with a vocabulary where a word and its space are one piece
    tok = GreedyToy(["<unk>", "ab ", "a ", "ab", "a"])
    docs = [Document(d.text + " ", d.language, d.doc_id) for d in docs]
    corpus = toy_corpus(docs, name="pair", parallel=True, reference_language="eng")
    df = measure([corpus], [tok], settings=MetricSettings(split="all", bootstrap_replicates=300),
                 workers=1, progress=False).metrics
    xx = value(df, "premium", "toy", "xx")
    assert xx.value == pytest.approx(2.0)
    assert xx.ci_high - xx.ci_low == pytest.approx(0.0, abs=1e-12)


def test_reference_override_and_missing_reference():
    corpus = toy_corpus(PARALLEL, name="par", parallel=True, reference_language="eng")
    m = measure([corpus], [GreedyToy(TOY_VOCAB)],
                settings=MetricSettings(split="all", reference_language="xx", bootstrap_replicates=0),
                workers=1, progress=False)
    assert value(m.metrics, "premium", language="eng").value == pytest.approx(4 / 8)
    m = measure([corpus], [GreedyToy(TOY_VOCAB)],
                settings=MetricSettings(split="all", reference_language="fra", bootstrap_replicates=0),
                workers=1, progress=False)
    assert "premium" not in set(m.metrics.metric)
    assert {d["reason"] for d in m.dropped} == {"reference language 'fra' is not in the corpus"}


def test_a_reference_mostly_unk_drops_every_premium_of_the_tokenizer():
    # yy as the reference: 2 of its 4 non-space characters are lost to UNK (50 % > 10 %), so no
    # premium of this tokenizer means anything, even for languages it covers fully
    corpus = toy_corpus(PARALLEL, name="par", parallel=True, reference_language="eng")
    m = measure([corpus], [GreedyToy(TOY_VOCAB)],
                settings=MetricSettings(split="all", reference_language="yy", bootstrap_replicates=50),
                workers=1, progress=False)
    reason = "reference yy has 50.0% of characters lost to UNK (> 10%)"
    premiums = m.metrics[m.metrics.metric == "premium"]
    assert list(premiums.language) == ["eng", "xx", "yy", "zz"]
    assert premiums["value"].isna().all()
    assert (premiums["note"] == f"reference=yy; dropped: {reason}").all()
    # each language's own share lost to UNK comes along (yy's is the reference's)
    assert m.dropped == [{"corpus": "par", "tokenizer": "toy", "language": lang, "reason": reason, "unk_char_rate": unk}
                         for lang, unk in (("eng", 0.0), ("xx", 0.0), ("yy", 0.5), ("zz", 0.0))]


def test_a_language_at_exactly_the_threshold_keeps_its_premium():
    # ww loses 1 of its 10 non-space characters (the "ä" of L0): exactly 10 %, which is not more
    # than 10 %, so its premium stays; vv loses 1 of 9 (11.1 %) and is dropped
    docs = [Document("ab", "eng", "L0"), Document("ab ab", "eng", "L1"),      # [1], [3] tokens
            Document("ababab ä", "ww", "L0"), Document("ab a", "ww", "L1"),   # [5] ab ab ab " " <unk>, [3]
            Document("abab ä", "vv", "L0"), Document("ab ab", "vv", "L1")]    # 5 + 4 non-space characters
    corpus = toy_corpus(docs, name="edge", parallel=True, reference_language="eng")
    m = measure([corpus], [GreedyToy(TOY_VOCAB)], settings=MetricSettings(split="all", bootstrap_replicates=0),
                workers=1, progress=False)
    # ww: (5 + 3) / (1 + 3)
    assert value(m.metrics, "premium", language="ww").value == pytest.approx(8 / 4)
    assert math.isnan(value(m.metrics, "premium", language="vv").value)
    assert [(d["language"], d["reason"]) for d in m.dropped] == [("vv", "11.1% of characters lost to UNK (> 10%)")]


def test_the_threshold_is_a_setting():
    # yy loses 50 % of its characters: kept under a 60 % threshold, its premium (2 + 1) / (1 + 3)
    corpus = toy_corpus(PARALLEL, name="par", parallel=True, reference_language="eng")
    m = measure([corpus], [GreedyToy(TOY_VOCAB)],
                settings=MetricSettings(split="all", unk_threshold=0.6, bootstrap_replicates=0),
                workers=1, progress=False)
    assert value(m.metrics, "premium", language="yy").value == pytest.approx(3 / 4)
    assert m.dropped == []
