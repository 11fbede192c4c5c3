"""Pivot helpers: reshape and format, never compute."""

from __future__ import annotations

import math

import pytest

from tokeff.analysis import MetricSettings, measure
from tokeff.metrics.tables import format_value, metric_table, premium_table

from .test_metrics_compression import value
from .test_metrics_parity import PARALLEL
from .test_metrics_toys import TOY_VOCAB, GreedyToy, toy_corpus


@pytest.fixture(scope="module")
def df():
    corpus = toy_corpus(PARALLEL, name="par", parallel=True, reference_language="eng")
    toks = [GreedyToy(TOY_VOCAB), GreedyToy(TOY_VOCAB + ["c c"], name="toy2")]
    return measure([corpus], toks, settings=MetricSettings(split="all", bootstrap_replicates=100),
                   workers=1, progress=False).metrics


def test_format_value():
    assert format_value(1.23456, 1.2, 1.3) == "1.235 [1.200, 1.300]"
    assert format_value(2.0) == "2.000"
    assert format_value(12345.0) == "12,345"
    assert format_value(math.nan) == "–"


def test_premium_table(df):
    t = premium_table(df)
    assert list(t.index) == ["toy", "toy2"]
    assert t.columns[0] == "eng"                 # the reference first
    assert t.loc["toy", "xx"] == pytest.approx(2.0)
    # toy2 has a "c c" piece: xx L1 "c c c" is 3 tokens, so (3 + 3) / (1 + 3)
    assert t.loc["toy2", "xx"] == pytest.approx(1.5)
    assert math.isnan(t.loc["toy", "yy"])        # dropped pair
    assert premium_table(df, ci=True).loc["toy", "yy"] == "–"


def test_metric_table_has_units_in_headers(df):
    t = metric_table(df, ["bytes_per_token", "fertility"], ci=False)
    assert list(t.columns) == ["bytes_per_token (UTF-8 bytes / token)", "fertility (tokens / word (standalone))"]
    assert list(t.index) == ["toy", "toy2"]
    # each cell is its tokenizer's number (toy2's "c c" piece makes its value differ)
    bpt = t["bytes_per_token (UTF-8 bytes / token)"]
    assert bpt["toy"] == value(df, "bytes_per_token").value
    assert bpt["toy2"] == value(df, "bytes_per_token", "toy2").value != bpt["toy"]
    s = metric_table(df, ["bytes_per_token"], language="xx")
    assert s.iloc[0, 0].count("[") == 1
