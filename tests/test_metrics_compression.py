"""Compression metrics on the toy corpus, computed by hand (see tests/test_metrics_toys.py)."""

from __future__ import annotations

import pytest

from tokeff.adapters.simple import BytesTokenizer, CharsTokenizer
from tokeff.analysis import MetricSettings, measure

from .test_metrics_toys import TOY_VOCAB, GreedyToy, toy_corpus

SETTINGS = MetricSettings(split="all", bootstrap_replicates=200)


def value(df, metric, tokenizer="toy", language="all"):
    row = df[(df.metric == metric) & (df.tokenizer == tokenizer) & (df.language == language)]
    assert len(row) == 1, (metric, tokenizer, language)
    return row.iloc[0]


def test_bytes_and_chars_per_token_are_ratios_of_sums():
    df = measure([toy_corpus()], [GreedyToy(TOY_VOCAB)], settings=SETTINGS, workers=1, progress=False).metrics
    # tokens 3 + 4 + 3 = 10; bytes 5 + 5 + 4 = 14; characters 5 + 5 + 3 = 13
    assert value(df, "tokens").value == 10
    assert value(df, "bytes_per_token").value == pytest.approx(14 / 10)
    assert value(df, "chars_per_token").value == pytest.approx(13 / 10)
    assert value(df, "bytes_per_token").unit == "UTF-8 bytes / token"
    assert value(df, "bytes_per_token").n == 3
    # not the mean of per-document ratios (5/3 + 5/4 + 4/3) / 3 = 1.417
    assert value(df, "bytes_per_token").value != pytest.approx((5 / 3 + 5 / 4 + 4 / 3) / 3)


def test_interval_brackets_the_value():
    df = measure([toy_corpus()], [GreedyToy(TOY_VOCAB)], settings=SETTINGS, workers=1, progress=False).metrics
    r = value(df, "bytes_per_token")
    assert r.ci_low <= r.value <= r.ci_high
    assert r.ci_low < r.ci_high  # three documents with different ratios: the interval is not a point


def test_normalized_sequence_length_against_a_named_baseline():
    toks = [GreedyToy(TOY_VOCAB), BytesTokenizer(), CharsTokenizer()]
    m = measure([toy_corpus()], toks, settings=MetricSettings(split="all", baseline="bytes"), workers=1, progress=False)
    df = m.metrics
    # toy: 10 tokens over 14 bytes; chars: 13 over 14; the baseline itself: exactly 1
    assert value(df, "normalized_sequence_length").value == pytest.approx(10 / 14)
    assert value(df, "normalized_sequence_length", "chars").value == pytest.approx(13 / 14)
    b = value(df, "normalized_sequence_length", "bytes")
    assert (b.value, b.ci_low, b.ci_high) == (1.0, 1.0, 1.0)
    assert value(df, "normalized_sequence_length").note == "baseline=bytes"


def test_normalized_sequence_length_divides_by_the_baseline_tokenizers_own_tokens():
    # baseline: the toy, 10 tokens on the corpus. Bytes make 14 tokens, characters 13: the
    # baseline's token count, not the text's bytes or characters, is the denominator
    toks = [BytesTokenizer(), CharsTokenizer(), GreedyToy(TOY_VOCAB)]
    df = measure([toy_corpus()], toks, settings=MetricSettings(split="all", baseline="toy", bootstrap_replicates=0),
                 workers=1, progress=False).metrics
    assert value(df, "normalized_sequence_length", "bytes").value == pytest.approx(14 / 10)
    assert value(df, "normalized_sequence_length", "chars").value == pytest.approx(13 / 10)
    assert value(df, "normalized_sequence_length", "toy").value == 1.0
    assert value(df, "normalized_sequence_length", "bytes").unit == "tokens / toy token"


def test_baseline_defaults_to_the_first_tokenizer_and_bytes_need_no_tokenizer():
    toy = GreedyToy(TOY_VOCAB)
    df = measure([toy_corpus()], [CharsTokenizer(), toy], settings=SETTINGS, workers=1, progress=False).metrics
    assert value(df, "normalized_sequence_length").value == pytest.approx(10 / 13)
    df = measure([toy_corpus()], [toy], settings=MetricSettings(split="all", baseline="bytes"),
                 workers=1, progress=False).metrics
    assert value(df, "normalized_sequence_length").value == pytest.approx(10 / 14)
    df = measure([toy_corpus()], [toy], settings=MetricSettings(split="all", baseline="chars"),
                 workers=1, progress=False).metrics
    assert value(df, "normalized_sequence_length").value == pytest.approx(10 / 13)


def test_unknown_baseline_is_an_error():
    from tokeff.errors import TokeffError

    with pytest.raises(TokeffError, match="baseline"):
        measure([toy_corpus()], [GreedyToy(TOY_VOCAB)], settings=MetricSettings(baseline="gpt9"), progress=False)
