"""Shannon and Rényi efficiency (Zouhar et al. 2023), by hand and against tokenization-scorer."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tokeff.analysis import MetricSettings, measure
from tokeff.metrics.information import efficiency, renyi_entropy, shannon_entropy

from .test_metrics_compression import value
from .test_metrics_toys import TOY_VOCAB, GreedyToy, toy_corpus


def test_by_hand_on_the_toy_corpus():
    df = measure([toy_corpus()], [GreedyToy(TOY_VOCAB)],
                 settings=MetricSettings(split="all", renyi_alpha=2.0), workers=1, progress=False).metrics
    # unigram counts over the 10 tokens: ab 3, " " 3, a 1, b 1, c 1, <unk> 1; |V| = 8, log2 8 = 3
    h = -(2 * 0.3 * math.log2(0.3) + 4 * 0.1 * math.log2(0.1))          # = 2.3710 bits
    h2 = -math.log2(2 * 0.3**2 + 4 * 0.1**2)                             # = -log2 0.22 = 2.1844 bits
    assert value(df, "shannon_entropy").value == pytest.approx(h)
    assert value(df, "shannon_efficiency").value == pytest.approx(h / 3)
    assert value(df, "renyi_efficiency").value == pytest.approx(h2 / 3)
    assert value(df, "renyi_efficiency").note == "alpha=2"
    # 0.6 * 1.73697 + 0.4 * 3.32193 = 2.37095 bits; / 3 = 0.79032
    assert value(df, "shannon_efficiency").value == pytest.approx(0.79032, abs=1e-5)


def _scorer_lines(streams: list[list[int]]) -> list[list[str]]:
    # tokenization-scorer takes whitespace-separated tokens per line
    return [" ".join(f"t{i}" for i in ids) for ids in streams]


@pytest.mark.parametrize("alpha", [2.5, 3.0, 1.5])
def test_matches_tokenization_scorer_given_the_vocabulary_size(alpha):
    tokenization_scorer = pytest.importorskip("tokenization_scorer")
    rng = np.random.default_rng(7)
    vocab = 500
    # a Zipf-ish token stream over 40 lines
    streams = [list(np.minimum(rng.zipf(1.3, size=rng.integers(5, 60)), vocab - 1)) for _ in range(40)]
    counts = np.bincount(np.concatenate(streams), minlength=vocab)
    ours_renyi = efficiency(renyi_entropy(counts, alpha), vocab)
    ours_shannon = efficiency(shannon_entropy(counts), vocab)
    lines = _scorer_lines(streams)
    # the package divides by log of the *observed* types unless told |V|; the paper uses |V|
    theirs = tokenization_scorer.score(lines, metric="renyi", power=alpha, vocab=vocab)
    assert ours_renyi == pytest.approx(theirs, rel=1e-9)
    assert ours_shannon == pytest.approx(tokenization_scorer.score(lines, metric="shannon", vocab=vocab), rel=1e-9)
    # and the relation to its default (observed types): ours = theirs * log|types| / log|V|
    types = int((counts > 0).sum())
    theirs_observed = tokenization_scorer.score(lines, metric="renyi", power=alpha)
    assert ours_renyi == pytest.approx(theirs_observed * math.log(types) / math.log(vocab), rel=1e-9)


def test_uniform_use_of_the_whole_vocabulary_is_perfectly_efficient():
    counts = np.full(64, 10)
    assert efficiency(shannon_entropy(counts), 64) == pytest.approx(1.0)
    assert efficiency(renyi_entropy(counts, 2.5), 64) == pytest.approx(1.0)
    # the same distribution in a vocabulary four times larger: log 64 / log 256 = 0.75
    assert efficiency(shannon_entropy(counts), 256) == pytest.approx(0.75)


def test_renyi_order_one_is_shannon():
    counts = np.array([5, 3, 1, 1])
    assert renyi_entropy(counts, 1.0) == pytest.approx(shannon_entropy(counts))
    assert renyi_entropy(counts, 1.0 + 1e-7) == pytest.approx(shannon_entropy(counts), rel=1e-5)


def test_unigram_counts_per_language_whatever_the_order_of_documents():
    # documents language by language (counted in slices) and interleaved (gathered by a sort)
    from collections import Counter

    from tokeff.adapters.simple import CharsTokenizer
    from tokeff.corpus.core import Document
    from tokeff.metrics.batch import EncodedBatch, TextBatch
    from tokeff.metrics.information import InformationAccumulator

    tok = CharsTokenizer()
    texts = {"aa": ["abc", "aab", ""], "bb": ["xyz", "zz"], "cc": ["q"]}
    grouped = [Document(t, lang, f"{lang}{i}") for lang, ts in texts.items() for i, t in enumerate(ts)]
    interleaved = [grouped[i] for i in (0, 3, 5, 1, 4, 2)]
    expected = {lang: Counter(tok.encode("".join(ts))) for lang, ts in texts.items()}
    for docs in (grouped, interleaved):
        acc = InformationAccumulator()
        acc.update(EncodedBatch(TextBatch(docs), tok.encode_batch([d.text for d in docs]), tok))
        got = {lang: dict(zip(c.compact().keys.tolist(), c.counts.tolist())) for lang, c in acc.counts.items()}
        assert got == {lang: dict(c) for lang, c in expected.items()}
        assert acc.docs == {"aa": 3, "bb": 2, "cc": 1}
