"""Number pre-splits: gpt2 with only the number rule changed cuts digits as specified, and cuts
them the same way in the ``regex`` package, in tiktoken (tokeff's encoder) and in the HF export;
tokeff BPE trained with each one round-trips any text."""

from __future__ import annotations

import random
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tokeff.bpe import PRESETS, Pattern, train_bpe
from tokeff.bpe.patterns import GPT2_PATTERN, NUMBER_RULES

tokenizers = pytest.importorskip("tokenizers")

SPLITS = {  # "⎵" stands for a space
    "gpt2": "1234567|⎵and|⎵89",
    "digits": "1|2|3|4|5|6|7|⎵and|⎵8|9",
    "l2r3": "123|456|7|⎵and|⎵89",
    "r2l3": "1|234|567|⎵and|⎵89",
}
SENTENCE = "1234567 and 89"


def as_chunks(spec: str) -> list[str]:
    return spec.replace("⎵", " ").split("|")


@pytest.mark.parametrize("name", sorted(SPLITS))
def test_splits_as_specified(name: str) -> None:
    assert Pattern.resolve(name).split(SENTENCE) == as_chunks(SPLITS[name])


def test_only_the_number_rule_differs_from_gpt2() -> None:
    for name in ("digits", "l2r3", "r2l3"):
        assert Pattern.resolve(PRESETS[name]).name == name  # the full string keeps its name
        assert PRESETS[name].replace(NUMBER_RULES[name], NUMBER_RULES["free"]) == GPT2_PATTERN
    words = "Hello, world! It's 3 o'clock\n\tand  then  ..."
    for name in ("digits", "l2r3", "r2l3"):  # text whose numbers are single digits cuts as gpt2 does
        assert Pattern.resolve(name).split(words) == Pattern.resolve("gpt2").split(words)
    r2l3 = Pattern.resolve("r2l3")
    assert r2l3.split("1000000 12 1234") == ["1", "000", "000", " 12", " 1", "234"]
    assert r2l3.split("x123456y") == ["x", "123", "456", "y"]


def numeric_corpus(seed: int = 0, n: int = 3000) -> list[str]:
    rng = random.Random(seed)
    words = ["and", "or", "x", "total", "is"]
    return [
        " ".join(str(rng.randrange(10 ** rng.randint(1, 8))) if rng.random() < 0.6 else rng.choice(words)
                 for _ in range(rng.randint(3, 9)))
        + rng.choice(["", ".", "\n", ",", "+1=2"])
        for _ in range(n)
    ]


@pytest.fixture(scope="module", params=sorted(SPLITS))
def model(request):
    """A BPE with each number rule, trained on numbers of 1-8 digits and a few words; the test
    sentence is in it often enough for each of its chunks to become one token."""
    texts = numeric_corpus() + [SENTENCE] * 50
    with warnings.catch_warnings():  # with single digits only the words have pairs left to merge
        warnings.filterwarnings("ignore", "the corpus ran out of pairs")
        return train_bpe(texts, 1500, pattern=request.param, workers=1)


def test_tiktoken_regex_and_hf_cut_the_same_chunks(model, tmp_path) -> None:
    expected = as_chunks(SPLITS[model.pattern_name])
    # each chunk of the sentence is one token, so the tokens show where each engine cut
    assert [model.decode([i]) for i in model.encode(SENTENCE)] == expected  # tiktoken (fancy-regex)
    assert [model.decode([i]) for i in model.encode_reference(SENTENCE)] == expected  # regex package
    hf = tokenizers.Tokenizer.from_file(str(model.export_hf(tmp_path / "tokenizer.json")))  # Oniguruma
    assert hf.encode(SENTENCE).ids == model.encode(SENTENCE)
    for text in numeric_corpus(seed=1, n=300):
        ids = model.encode(text)
        assert model.encode_reference(text) == ids and hf.encode(text).ids == ids, text


number_text = st.text(alphabet=st.sampled_from(list("0123456789  ,.+=-\n\tab½²٣")), max_size=60)


@settings(max_examples=200, deadline=None)
@given(text=st.one_of(number_text, st.text(max_size=40)))
def test_round_trip(model, text: str) -> None:
    ids = model.encode(text)
    assert model.decode(ids) == text
    if text.isascii() or len(text) < 20:  # the reference encoder is slow; its cut must agree
        assert model.encode_reference(text) == ids
