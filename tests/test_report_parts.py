"""Unit tests of the report's building blocks: names, colours, number formats, findings."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from tokeff.reporting import fmt
from tokeff.reporting.findings import ci_phrase, overlap
from tokeff.reporting.names import language_label, short_names
from tokeff.reporting.style import palette


def test_library_prefixes_are_dropped_when_unambiguous() -> None:
    labels = short_names(["tiktoken:cl100k_base", "tiktoken:o200k_base", "bytes", "train:hf-bpe:8192"])
    assert labels == {"tiktoken:cl100k_base": "cl100k_base", "tiktoken:o200k_base": "o200k_base",
                      "bytes": "bytes", "train:hf-bpe:8192": "train:hf-bpe:8192"}


def test_colliding_short_names_get_their_prefix_back() -> None:
    labels = short_names(["tiktoken:gpt2", "hf:gpt2"])
    assert labels["tiktoken:gpt2"] != labels["hf:gpt2"]
    assert "tiktoken" in labels["tiktoken:gpt2"] and "hf" in labels["hf:gpt2"]


def test_paths_shorten_to_the_file_or_folder_name() -> None:
    labels = short_names(["hf:models/bert-base-uncased.tokenizer.json", "spm:models/mistral-7b-v0.1.model",
                          "hf:some/where/acme-tok/tokenizer.json"])
    assert labels["hf:models/bert-base-uncased.tokenizer.json"] == "bert-base-uncased"
    assert labels["spm:models/mistral-7b-v0.1.model"] == "mistral-7b-v0.1"
    assert labels["hf:some/where/acme-tok/tokenizer.json"] == "acme-tok"


def test_same_folder_name_in_different_places_stays_distinct() -> None:
    names = ["hf:a/long/path/tokenizer.json", "hf:b/long/path/tokenizer.json",
             "hf:x/" + "very-long-model-name-" * 3 + "1/tokenizer.json",
             "hf:y/" + "very-long-model-name-" * 3 + "1/tokenizer.json"]
    labels = short_names(names)
    assert len(set(labels.values())) == len(names)
    assert all(len(v) <= 24 for v in labels.values())


def test_twelve_tokenizers_get_twelve_distinct_colours() -> None:
    assert len(set(palette(12))) == 12
    assert len(set(palette(30))) == 30
    assert palette(12)[:5] == palette(3)[:3] + palette(12)[3:5]  # stable prefix


def test_language_labels() -> None:
    assert language_label("mya") == "Burmese (mya)"
    assert language_label("zho-CN") == "Chinese (zho-CN)"
    assert language_label("xx-unknown") == "xx-unknown"
    assert language_label("code-python") == "Python code (code-python)"


@pytest.mark.parametrize("value, text", [
    (4.4123, "4.41"), (0.0123, "0.0123"), (12345, "12,345"), (3.2e15, "3.20×10¹⁵"), (1.5, "1.50"),
    (float("nan"), "–"), (None, "–"), (0, "0"),
])
def test_numbers(value, text) -> None:
    assert fmt.num(value) == text


def test_other_formats() -> None:
    assert fmt.value_ci(3.91, 3.88, 3.94) == "3.91 (3.88–3.94)"
    assert fmt.value_ci(3.91, math.nan, math.nan) == "3.91"
    assert fmt.nbytes(16_800_000) == "16.8 MB"
    assert fmt.seconds(754.2) == "12 min 34 s"
    assert fmt.pct(0.042) == "4.2%"
    assert fmt.diff(0.009) == "0.009"
    assert fmt.column_title("train_flops_per_gb") == "train FLOPs per GB"


def _row(v: float, lo: float, hi: float) -> pd.Series:
    return pd.Series({"value": v, "ci_low": lo, "ci_high": hi})


def test_ci_overlap_decides_the_wording() -> None:
    a, b, c = _row(4.0, 3.9, 4.1), _row(3.95, 3.85, 4.05), _row(3.5, 3.4, 3.6)
    assert overlap(a, b) is True and "within the CI" in ci_phrase(a, b)
    assert overlap(a, c) is False and "do not overlap" in ci_phrase(a, c)
    assert overlap(a, _row(3.0, math.nan, math.nan)) is None
    assert "no CI" in ci_phrase(a, _row(3.0, math.nan, math.nan))
