"""Round-trip fidelity without decoding every text gives the library's own verdict.

Where a tokenizer's decoder only joins pieces (:meth:`Tokenizer.spelling`), the C core compares
the pieces with the text's bytes and the library decodes only the texts it cannot vouch for.
These tests hold that shortcut to ``decode(encode(x)) == x`` as the library computes it, text by
text, on real multilingual text, on edge cases, and on random text, for every kind of tokenizer
the project wraps (normalizing ones included, whose mismatches must still show).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tokeff import _native
from tokeff.adapters import load_tokenizer
from tokeff.adapters.base import Spelling, Tokenizer
from tokeff.adapters.simple import BytesTokenizer, CharsTokenizer
from tokeff.adapters.spm import SentencePieceTokenizer
from tokeff.adapters.trained import train_tokenizer
from tokeff.corpus.core import Document
from tokeff.metrics.batch import EncodedBatch, TextBatch

pytestmark = [pytest.mark.skipif(_native.core is None, reason="the C core is not built (pure-Python install)"),
              # the small training text gives the trained tokenizers fewer tokens than asked: fine here
              pytest.mark.filterwarnings("ignore:.*(supports only|ran out of pairs):UserWarning")]

EDGES = ["", " ", "  two spaces first", " one space first", "\ttab", "a  b", "x\n y\n", "trailing ",
         "\u2581literal marker", "ｆｕｌｌ ｗｉｄｔｈ", "ﬁ ligature", "e\u0301 combining", "é", "\x00nul",
         "😀 emoji", "<|endoftext|> <s> [CLS]", "Ω ≈ ∑", "你好，世界", "ကြောင်", "\ufffd replacement"]


def verdicts(tok: Tokenizer, texts: list[str]) -> tuple[list[int], list[int]]:
    """(what the analysis pass says, what the library says) per text."""
    batch = EncodedBatch(TextBatch([Document(t, "xx", str(i)) for i, t in enumerate(texts)], count_words=False),
                         tok.encode_batch(texts), tok)
    library = [int(tok.decode(ids) == t) for ids, t in zip(batch.ids, texts)]
    return batch.roundtrip_ok.tolist(), library


def _normalizing_spm(texts: list[str]) -> SentencePieceTokenizer:
    """A SentencePiece model with the library's defaults: NFKC and whitespace folding."""
    import sentencepiece as spm

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(texts), model_writer=model, vocab_size=400,
                                   model_type="unigram", byte_fallback=True, minloglevel=2, hard_vocab_limit=False)
    return SentencePieceTokenizer(model_proto=model.getvalue(), name="spm:nfkc", source="test")


TRAIN = ["The quick brown fox jumps over the lazy dog. ﬁne ｆｕｌｌ  double  spaces",
         "Ein schöner Tag, naïve café. Ω ≈ ∑ 你好 世界"] * 20


@pytest.fixture(scope="module")
def tokenizers(shared_dir: Path) -> dict[str, Tokenizer]:
    hf = shared_dir / "tokenizers" / "hf"
    toks = [load_tokenizer(s) for s in (
        "tiktoken:cl100k_base", "tiktoken:gpt2", f"hf:{hf / 'gpt2'}", f"hf:{hf / 'claude-legacy.tokenizer.json'}",
        f"hf:{hf / 'bert-base-uncased.tokenizer.json'}", f"spm:{shared_dir / 'tokenizers/spm/mistral-7b-v0.1.model'}")]
    toks += [BytesTokenizer(), CharsTokenizer(), _normalizing_spm(TRAIN)]
    toks += [train_tokenizer(s, lambda: iter(TRAIN)) for s in ("train:hf-bpe:400", "train:spm-unigram:400", "train:bpe:400")]
    return {t.name: t for t in toks}


@pytest.fixture(scope="module")
def ntrex_sample(shared_dir: Path) -> list[str]:
    folder = shared_dir / "corpora" / "ntrex128"
    langs = ("eng", "deu", "zho-CN", "jpn", "tha", "amh", "kor", "hin", "arb", "mya", "khm", "kat")
    texts = [line for lang in langs for line in (folder / f"{lang}.txt").read_text(encoding="utf-8").splitlines()[:150]]
    return texts + EDGES


def test_every_tokenizer_gets_the_library_verdict_on_every_text(tokenizers, ntrex_sample):
    for name, tok in tokenizers.items():
        ours, library = verdicts(tok, ntrex_sample)
        assert ours == library, name


def test_lossless_tokenizers_decode_nothing_on_real_text(tokenizers, ntrex_sample, monkeypatch):
    """The shortcut is taken: where every text comes back, the library decodes none of them."""
    for name in ("tiktoken:cl100k_base", "bytes", "train:bpe:400", "train:hf-bpe:400"):
        tok = tokenizers[name]
        asked: list[int] = []
        monkeypatch.setattr(tok, "decode_batch", lambda batch, tok=tok: asked.append(len(batch)) or
                            [tok.decode(ids) for ids in batch])
        ours, library = verdicts(tok, ntrex_sample)
        assert ours == library and all(ours), name
        assert sum(asked) == 0, name


def test_which_tokenizers_take_the_shortcut(tokenizers):
    """Decoders that do more than join pieces (WordPiece's ``##`` and spaces) are not spelled."""
    spelled = {name for name, tok in tokenizers.items() if tok.spelling() is not None}
    assert not any("bert" in n for n in spelled)
    for expected in ("tiktoken:cl100k_base", "bytes", "spm:nfkc", "train:hf-bpe:400", "train:spm-unigram:400", "train:bpe:400"):
        assert expected in spelled, expected
    assert any("mistral" in n for n in spelled) and any(n.endswith("gpt2") and n.startswith("hf:") for n in spelled)


def test_normalizing_tokenizers_still_fail_where_the_library_does(tokenizers, ntrex_sample):
    """The shortcut must not hide what NFKC or whitespace folding changes."""
    for name in ("spm:nfkc",):
        ours, library = verdicts(tokenizers[name], ntrex_sample)
        assert 0 < sum(ours) < len(ours)
        assert ours == library


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list(" \n\t\u2581abcé\u0301ﬁＡ你😀\x00<>|s")), max_size=30),
                min_size=1, max_size=8))
def test_random_text_gets_the_library_verdict(tokenizers, texts):
    for name, tok in tokenizers.items():
        ours, library = verdicts(tok, texts)
        assert ours == library, (name, texts)


def test_a_spelling_the_decoder_disagrees_with_is_refused(tokenizers):
    """The guard can fail: SentencePiece's pieces without its dummy-prefix rule do not agree."""
    mistral = next(t for n, t in tokenizers.items() if "mistral" in n)
    pieces, strip = mistral._pieces()
    assert strip
    assert Spelling.of(pieces, True).agrees_with(mistral)
    assert not Spelling.of(pieces, False).agrees_with(mistral)


def test_unsure_ids_are_left_to_the_library():
    """An id marked unsure never counts as an exact round trip on the comparison's word alone."""
    tok = BytesTokenizer()
    spelling = Spelling.of([bytes([i]) if i != ord("a") else None for i in range(256)])
    texts = ["abc", "xyz"]
    flat = np.array([97, 98, 99, 120, 121, 122], dtype=np.int64)
    lengths = np.array([3, 3], dtype=np.int64)
    got = _native.core.spells_texts(flat, lengths, texts, spelling.blob, spelling.offsets, spelling.sure, False)
    assert list(got) == [0, 1]
    assert spelling.spell([97]) is None and spelling.spell([120, 121]) == b"xy"
    # out-of-range ids and pieces that overrun the text are "not vouched for", not errors
    got = _native.core.spells_texts(np.array([999, 120, 121, 122, 122], dtype=np.int64), np.array([1, 4], dtype=np.int64),
                                   ["x", "xyz"], spelling.blob, spelling.offsets, spelling.sure, False)
    assert list(got) == [0, 0]
    assert tok.spelling() is not None


def test_token_lengths_from_the_spelling_are_the_librarys(tokenizers):
    """The token-length histogram reads piece lengths off the round trip's table where it is
    sure: for every id of every vocabulary, the same lengths as the library's own token bytes."""
    from tokeff.metrics.token_lengths import _library_piece_bytes, piece_bytes

    checked = 0
    for name, tok in tokenizers.items():
        if not callable(getattr(tok, "token_bytes", None)):
            continue
        ids = []
        for i in range(tok.vocab_size):  # ids that are no token (tiktoken's gaps) never occur
            try:
                tok.token_bytes(i)
                ids.append(i)
            except KeyError:
                pass
        ids = np.asarray(ids, dtype=np.int64)
        ours, exact = piece_bytes(tok, ids)
        assert exact, name
        assert ours.tolist() == _library_piece_bytes(tok, ids).tolist(), name
        checked += tok.spelling() is not None
    assert checked >= 6
