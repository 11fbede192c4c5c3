"""Each adapter against its own library's output, on the real tokenizer files in ../shared."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from tokeff.adapters import load_tokenizer
from tokeff.errors import TokenizerError, TokenizerUnavailable

SAMPLE = "Hello world, tokenization efficiency! Привет мир 你好世界"

# Token counts for SAMPLE published with the shared tokenizer files (no special tokens).
EXPECTED_COUNTS = {
    "tiktoken:gpt2": 27,
    "tiktoken:cl100k_base": 18,
    "tiktoken:o200k_base": 13,
    "hf:{shared}/tokenizers/hf/bert-base-uncased.tokenizer.json": 20,
    "hf:{shared}/tokenizers/hf/claude-legacy.tokenizer.json": 20,
    "spm:{shared}/tokenizers/spm/mistral-7b-v0.1.model": 16,
}


@pytest.fixture(scope="module")
def ntrex_lines(shared_dir: Path) -> list[str]:
    lines = []
    for lang in ("eng", "rus", "zho-CN", "arb", "hin", "jpn"):
        text = (shared_dir / "corpora" / "ntrex128" / f"{lang}.txt").read_text(encoding="utf-8")
        lines += text.splitlines()[:40]
    return lines


@pytest.mark.parametrize("spec, count", EXPECTED_COUNTS.items())
def test_published_counts(shared_dir: Path, spec: str, count: int) -> None:
    tok = load_tokenizer(spec.format(shared=shared_dir))
    assert len(tok.encode(SAMPLE)) == count


def test_tiktoken_matches_library(shared_dir: Path, ntrex_lines: list[str]) -> None:
    import tiktoken

    enc = tiktoken.get_encoding("cl100k_base")
    tok = load_tokenizer("tiktoken:cl100k_base")
    assert tok.encode_batch(ntrex_lines) == [enc.encode_ordinary(t) for t in ntrex_lines]
    assert tok.vocab_size == enc.n_vocab and tok.unk_id is None
    # special-token text is plain text, never a special token
    assert tok.encode("<|endoftext|>") == enc.encode_ordinary("<|endoftext|>")
    assert pickle.loads(pickle.dumps(tok)).encode(SAMPLE) == tok.encode(SAMPLE)


def test_hf_matches_library(shared_dir: Path, ntrex_lines: list[str]) -> None:
    from tokenizers import Tokenizer

    path = shared_dir / "tokenizers" / "hf" / "bert-base-uncased.tokenizer.json"
    ref = Tokenizer.from_file(str(path))
    ref.no_padding()
    ref.no_truncation()  # the file truncates at 128: tokeff measures whole texts
    tok = load_tokenizer(f"hf:{path}")
    assert tok.encode_batch(ntrex_lines) == [ref.encode(t, add_special_tokens=False).ids for t in ntrex_lines]
    assert tok.unk_id == ref.token_to_id("[UNK]")
    assert tok.decode(tok.encode("Hello World")) == "hello world"  # lowercasing shows in round trips


def test_hf_gpt2_folder_equals_tiktoken_gpt2(shared_dir: Path, ntrex_lines: list[str]) -> None:
    folder = load_tokenizer(f"hf:{shared_dir / 'tokenizers' / 'hf' / 'gpt2'}")
    tik = load_tokenizer("tiktoken:gpt2")
    assert folder.encode_batch(ntrex_lines) == tik.encode_batch(ntrex_lines)
    assert all(folder.decode(folder.encode(t)) == t for t in ntrex_lines)


def test_spm_matches_library(shared_dir: Path, ntrex_lines: list[str]) -> None:
    import sentencepiece as spm

    path = shared_dir / "tokenizers" / "spm" / "mistral-7b-v0.1.model"
    ref = spm.SentencePieceProcessor(model_file=str(path))
    tok = load_tokenizer(f"spm:{path}")
    assert tok.encode_batch(ntrex_lines) == [ref.encode(t) for t in ntrex_lines]
    assert tok.unk_id == ref.unk_id() and len(tok.byte_fallback_ids) == 256
    assert pickle.loads(pickle.dumps(tok)).encode(SAMPLE) == tok.encode(SAMPLE)


def test_bytes_and_chars() -> None:
    b, c = load_tokenizer("bytes"), load_tokenizer("chars")
    assert b.encode("é") == [0xC3, 0xA9] and b.decode([0xC3, 0xA9]) == "é"
    assert c.encode("é你") == [0xE9, 0x4F60] and c.decode(c.encode(SAMPLE)) == SAMPLE


def test_trained_tokenizers_learn_from_given_texts() -> None:
    texts = ["the cat sat on the mat", "the dog sat on the log"] * 200
    hf = load_tokenizer("train:hf-bpe:300", train_texts=lambda: iter(texts))
    assert hf.vocab_size <= 300 and len(hf.encode("the cat")) < len("the cat")
    assert hf.decode(hf.encode(SAMPLE)) == SAMPLE  # byte level: lossless on unseen scripts
    sp = load_tokenizer("train:spm-unigram:300", train_texts=lambda: iter(texts))
    assert sp.decode(sp.encode(SAMPLE)) == SAMPLE  # identity normalization + byte fallback
    assert sp.byte_fallback_ids


@pytest.mark.parametrize(
    "spec, error, match",
    [
        ("nonsense", TokenizerError, "unknown tokenizer"),
        ("wordpiece:foo", TokenizerError, "unknown tokenizer family"),
        ("tiktoken:not_an_encoding", TokenizerError, "unknown encoding"),
        ("spm:/no/such.model", TokenizerError, "no such file"),
        ("hf:/no/such/tokenizer.json", TokenizerError, "no such file"),
        ("train:hf-bpe:100", TokenizerError, "too small"),
        ("train:magic:100", TokenizerError, "KIND one of"),
    ],
)
def test_bad_specs(spec: str, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        load_tokenizer(spec, train_texts=lambda: iter(["some text"]))


def test_corrupt_files(tmp_path: Path) -> None:
    bad_json = tmp_path / "tokenizer.json"
    bad_json.write_text("{not json", encoding="utf-8")
    with pytest.raises(TokenizerError, match="not a valid tokenizer file"):
        load_tokenizer(f"hf:{bad_json}")
    bad_model = tmp_path / "x.model"
    bad_model.write_bytes(b"\x00garbage" * 10)
    with pytest.raises(TokenizerError, match="not a valid SentencePiece model"):
        load_tokenizer(f"spm:{bad_model}")


def test_uncached_tiktoken_is_unavailable_not_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))  # empty cache, and no network here
    import tiktoken.registry

    monkeypatch.setattr(tiktoken.registry, "ENCODINGS", {})
    # make any download attempt fail at once, as it does offline
    import tiktoken.load

    def offline(*a, **k):
        raise ConnectionError("network unreachable")

    monkeypatch.setattr(tiktoken.load, "read_file", offline)
    with pytest.raises(TokenizerUnavailable, match="TIKTOKEN_CACHE_DIR"):
        load_tokenizer("tiktoken:r50k_base")


def test_hub_name_offline_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(TokenizerUnavailable, match="HF_HUB_OFFLINE"):
        load_tokenizer("hf:some-org/some-model-not-cached")


def test_token_bytes_spell_the_text(shared_dir: Path) -> None:
    """Concatenated token bytes give the text back (up to the normalizer's changes)."""
    text = "Hello world, naïve café! Привет мир 你好世界"
    for spec in ("tiktoken:cl100k_base", f"hf:{shared_dir / 'tokenizers' / 'hf' / 'gpt2'}"):
        tok = load_tokenizer(spec)
        assert b"".join(tok.token_bytes(i) for i in tok.encode(text)) == text.encode()
    spm_tok = load_tokenizer(f"spm:{shared_dir / 'tokenizers' / 'spm' / 'mistral-7b-v0.1.model'}")
    assert b"".join(spm_tok.token_bytes(i) for i in spm_tok.encode(text)) == b" " + text.encode()  # the dummy prefix
    bert = load_tokenizer(f"hf:{shared_dir / 'tokenizers' / 'hf' / 'bert-base-uncased.tokenizer.json'}")
    assert bert.token_bytes(bert.unk_id) == b""


def test_sentencepiece_token_bytes_of_every_piece_one_library_call_at_a_time(shared_dir: Path) -> None:
    # the batched lookups give what the library's per-id calls give, for the whole vocabulary
    # (byte pieces, control and unknown pieces, "▁" for a space)
    tok = load_tokenizer(f"spm:{shared_dir / 'tokenizers' / 'spm' / 'mistral-7b-v0.1.model'}")
    sp = tok._sp

    def one(i: int) -> bytes:
        if sp.is_byte(i):
            return bytes([int(sp.id_to_piece(i)[3:5], 16)])
        if sp.is_control(i) or sp.is_unknown(i):
            return b""
        return sp.id_to_piece(i).replace("\u2581", " ").encode("utf-8")

    ids = list(range(tok.vocab_size))
    assert tok.token_bytes_batch(ids) == [one(i) for i in ids]
    assert {len(b) for b in tok.token_bytes_batch(ids[:300])} >= {0, 1}  # control and byte pieces among them


def test_byte_level_token_bytes_of_an_added_token_spell_it(shared_dir: Path, tmp_path: Path) -> None:
    # an added token is stored as plain text, not in the byte alphabet ("Ġ" for a space, and
    # "ö" there would stand for the single byte 0xF6)
    from tokenizers import Tokenizer as HFTok

    hf = load_tokenizer(f"hf:{shared_dir / 'tokenizers' / 'hf' / 'gpt2'}")._tok
    hf.add_tokens(["my tökén"])
    hf.save(str(tmp_path / "tokenizer.json"))
    tok = load_tokenizer(f"hf:{tmp_path / 'tokenizer.json'}")
    added = HFTok.from_file(str(tmp_path / "tokenizer.json")).token_to_id("my tökén")
    assert tok.encode("my tökén") == [added]
    assert tok.token_bytes(added) == "my tökén".encode()
    assert tok.token_bytes(tok.encode(" the")[0]) == b" the"  # a byte-level piece, "Ġthe"


def test_fingerprints_tell_tokenizers_apart(shared_dir: Path) -> None:
    a, b = load_tokenizer("tiktoken:gpt2"), load_tokenizer("tiktoken:cl100k_base")
    assert a.fingerprint() != b.fingerprint()
    assert a.fingerprint() == load_tokenizer("tiktoken:gpt2").fingerprint()
    texts = ["the cat sat on the mat"] * 50
    one = load_tokenizer("train:hf-bpe:280", train_texts=lambda: iter(texts))
    two = load_tokenizer("train:hf-bpe:280", train_texts=lambda: iter(texts + ["a different text entirely"] * 50))
    assert one.fingerprint() != two.fingerprint()  # same name, different content
