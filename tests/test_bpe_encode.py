"""Encoding: tokeff's fast encoder, its exports (HF tokenizer.json, tiktoken ranks) and the slow
reference encoder all give the same ids; decoding gives back the exact text."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tokeff.bpe import BPEModel, InvalidTextError, train_bpe
from tokeff.errors import TokeffError

tiktoken = pytest.importorskip("tiktoken")
tokenizers = pytest.importorskip("tokenizers")
from tiktoken.load import load_tiktoken_bpe  # noqa: E402

SPECIAL = "<|endoftext|>"


def read_head(path: Path, n_chars: int) -> str:
    with path.open(encoding="utf-8") as f:
        return f.read(n_chars)


@pytest.fixture(scope="module")
def corpus(shared_dir: Path) -> str:
    """English and ~40 other languages."""
    corpora = shared_dir / "corpora"
    parts = [read_head(corpora / "tinyshakespeare" / "input.txt", 200_000)]
    parts += [read_head(f, 5_000) for f in sorted((corpora / "ntrex128").glob("*.txt"))]
    return "".join(parts)


@pytest.fixture(scope="module", params=["gpt2", "cl100k", "o200k"])
def model(request: pytest.FixtureRequest, corpus: str) -> BPEModel:
    return train_bpe(corpus.splitlines(keepends=True), 3000, pattern=request.param, special_tokens=(SPECIAL,))


@pytest.fixture(scope="module")
def eval_texts(shared_dir: Path) -> list[str]:
    """Text the models were not trained on, plus awkward strings."""
    corpora = shared_dir / "corpora"
    texts = [read_head(f, 3_000) for f in sorted((corpora / "gutenberg_en").glob("pg*.txt"))[:3]]
    with (corpora / "ntrex128" / "jpn.txt").open(encoding="utf-8") as f:
        texts.append(f.read()[-3_000:])
    texts += [
        "",
        "   leading and trailing spaces   ",
        "tabs\tand\r\nwindows lines\n\n\n",
        "numbers 1234567890 3.14159 1,000,000",
        "CamelCaseWords and SHOUTING and don't won't I'LL",
        "emoji 👩‍👩‍👧‍👦 🇫🇷 and combining e\u0301 a\u0308",
        "def f(x):\n    return x ** 2  # comment\n",
    ]
    return texts


def test_fast_encoder_equals_reference(model: BPEModel, eval_texts: list[str]) -> None:
    for text in eval_texts:
        assert model.encode(text) == model.encode_reference(text)


def test_hf_export_encodes_identically(model: BPEModel, eval_texts: list[str], tmp_path: Path) -> None:
    hf = tokenizers.Tokenizer.from_file(str(model.export_hf(tmp_path / "tokenizer.json")))
    assert hf.get_vocab_size() == model.vocab_size
    for text in eval_texts:
        ids = model.encode(text)
        assert hf.encode(text).ids == ids
        assert hf.decode(ids) == text
    # HF always recognizes special tokens, like encode(..., allow_special=True)
    text = f"one{SPECIAL}two"
    assert hf.encode(text).ids == model.encode(text, allow_special=True) == model.encode_reference(text, allow_special=True)
    assert model.encode(text, allow_special=True)[1] == model.vocab_size - 1


def test_tiktoken_export_encodes_identically(model: BPEModel, eval_texts: list[str], tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")  # tiktoken would copy the file into its cache folder
    ranks = load_tiktoken_bpe(str(model.export_tiktoken(tmp_path / "bpe.tiktoken")))
    assert len(ranks) == model.vocab_size - 1  # the special token is not in a ranks file
    enc = tiktoken.Encoding("exported", pat_str=model.pattern, mergeable_ranks=ranks, special_tokens={})
    for text in eval_texts:
        assert enc.encode_ordinary(text) == model.encode(text)


def test_encode_batch_equals_encode(model: BPEModel, eval_texts: list[str]) -> None:
    assert model.encode_batch(eval_texts) == [model.encode(t) for t in eval_texts]


def test_special_token_text_is_ordinary_unless_allowed(model: BPEModel) -> None:
    ids = model.encode(SPECIAL)
    assert len(ids) > 1 and model.vocab_size - 1 not in ids
    assert model.encode(SPECIAL, allow_special=True) == [model.vocab_size - 1]
    assert model.decode(model.encode(SPECIAL, allow_special=True)) == SPECIAL


def test_token_bytes_spell_the_text(model: BPEModel) -> None:
    text = "The quick brown fox"
    ids = model.encode(text)
    assert b"".join(model.token_bytes(i) for i in ids) == text.encode()
    assert len(ids) < len(text.encode())  # merges did something
    with pytest.raises(ValueError):
        model.token_bytes(model.vocab_size)
    with pytest.raises(ValueError):
        model.decode([model.vocab_size])


@pytest.fixture(scope="module")
def gpt2_model(corpus: str) -> BPEModel:
    return train_bpe(corpus.splitlines(keepends=True), 1000, pattern="gpt2")


any_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)),  # everything but surrogates
    max_size=200,
)
emoji_cjk_marks = st.text(
    alphabet=st.sampled_from(list("日本語中文한국어ไทย🤖👍🏽🇯🇵\u200d\u0301\u0308\u093fक ae\n\t'")),
    max_size=100,
)


@settings(max_examples=200, deadline=None)
@given(text=any_text)
def test_round_trip_any_text(gpt2_model: BPEModel, text: str) -> None:
    ids = gpt2_model.encode(text)
    assert gpt2_model.decode(ids) == text
    assert ids == gpt2_model.encode_reference(text)


@settings(max_examples=100, deadline=None)
@given(text=emoji_cjk_marks)
def test_round_trip_emoji_cjk_combining_marks(gpt2_model: BPEModel, text: str) -> None:
    ids = gpt2_model.encode(text)
    assert gpt2_model.decode(ids) == text
    assert gpt2_model.decode_bytes(ids) == text.encode("utf-8")


@pytest.mark.parametrize("text", ["\ud800", "ok \udfff ok", "x\ud83d"])
def test_lone_surrogates_are_rejected(gpt2_model: BPEModel, text: str) -> None:
    with pytest.raises(InvalidTextError, match="surrogate") as info:
        gpt2_model.encode(text)
    assert isinstance(info.value, ValueError) and isinstance(info.value, TokeffError)
    with pytest.raises(InvalidTextError):
        gpt2_model.encode_batch(["fine", text])


def test_decode_of_a_cut_character_is_replaced_not_raised(gpt2_model: BPEModel) -> None:
    ids = gpt2_model.encode("🤖")
    assert len(ids) > 1  # 4 bytes, not one token in this small vocabulary
    assert gpt2_model.decode(ids[:1]) == "\ufffd"
    with pytest.raises(UnicodeDecodeError):
        gpt2_model.decode(ids[:1], errors="strict")
