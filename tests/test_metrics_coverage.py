"""Coverage and fidelity metrics on the toy corpus (see tests/test_metrics_toys.py)."""

from __future__ import annotations

import numpy as np
import pytest

from tokeff.adapters.simple import BytesTokenizer
from tokeff.analysis import MetricSettings, measure
from tokeff.corpus.core import Document

from .test_metrics_compression import value
from .test_metrics_toys import TOY_VOCAB, GreedyToy, toy_corpus

SETTINGS = MetricSettings(split="all", bootstrap_replicates=200)


@pytest.fixture(scope="module")
def toy():
    return measure([toy_corpus()], [GreedyToy(TOY_VOCAB), BytesTokenizer()], settings=SETTINGS, workers=1, progress=False)


def test_unk_rates(toy):
    df = toy.metrics
    # one <unk> among 10 tokens
    assert value(df, "unk_rate").value == pytest.approx(1 / 10)
    # non-space characters: 4 + 4 + 2 = 10; d3 "ä b" decodes without the UNK to " b": 1 of 2 lost
    assert value(df, "unk_char_rate").value == pytest.approx(1 / 10)
    b = value(df, "unk_rate", "bytes")
    assert b.value == 0 and b.note == "tokenizer has no UNK token"


def test_unk_char_rate_counts_characters_not_unk_tokens():
    class RunUnkToy(GreedyToy):
        """GreedyToy whose run of unknown characters is one UNK, as WordPiece's [UNK] for a word."""

        def encode(self, text):
            out = []
            for i in super().encode(text):
                if not (i == 0 and out and out[-1] == 0):
                    out.append(i)
            return out

    tok = RunUnkToy(TOY_VOCAB)
    assert tok.encode("ää b") == [0, 4, 2]
    df = measure([toy_corpus([Document("ää b", "xx", "1"), Document("ab", "xx", "2")])], [tok], settings=SETTINGS,
                 workers=1, progress=False).metrics
    # 1 UNK of 4 tokens; but 2 of the 5 non-space characters (ä ä b a b) are lost to it
    assert value(df, "unk_rate").value == pytest.approx(1 / 4)
    assert value(df, "unk_char_rate").value == pytest.approx(2 / 5)


def test_roundtrip_and_vocab_utilization(toy):
    df = toy.metrics
    # d1, d2 decode back exactly; d3 decodes to "\ufffd b"
    assert value(df, "roundtrip_fidelity").value == pytest.approx(2 / 3)
    assert value(df, "roundtrip_fidelity", "bytes").value == 1.0
    # ids used: 0 1 2 3 4 5 of 8 (zzz and q never)
    assert value(df, "vocab_utilization").value == pytest.approx(6 / 8)
    # bytes seen in the text: a b c space, and the two bytes of ä -> 6 of 256
    assert value(df, "vocab_utilization", "bytes").value == pytest.approx(6 / 256)


def test_byte_fallback_rate():
    class FallbackToy(GreedyToy):
        """Like GreedyToy but spells unknown characters as UTF-8 bytes (ids 8 + byte)."""

        def __init__(self):
            super().__init__(TOY_VOCAB + [f"<0x{b:02X}>" for b in range(256)], name="fb", unk=True)
            self.byte_fallback_ids = frozenset(range(8, 8 + 256))

        def encode(self, text):
            out = []
            for i in super().encode(text):
                out += [8 + b for b in "ä".encode()] if i == 0 else [i]
            return out

    df = measure([toy_corpus()], [FallbackToy()], settings=SETTINGS, workers=1, progress=False).metrics
    # d3 now: 0xC3 0xA4 " " b -> 4 tokens; 11 tokens in all, 2 of them byte fallback
    assert value(df, "byte_fallback_rate", "fb").value == pytest.approx(2 / 11)
    assert value(df, "unk_rate", "fb").value == 0


def test_token_length_histogram(toy):
    tl = toy.token_lengths
    toy_hist = dict(zip(tl[tl.tokenizer == "toy"].token_bytes, tl[tl.tokenizer == "toy"]["count"]))
    # "ab" x3 is 2 bytes; " " x3, a, b, c and the <unk> (decoded U+FFFD, counted as 1 byte) are 1
    assert toy_hist == {1: 7, 2: 3}
    b = tl[tl.tokenizer == "bytes"]
    assert list(b.token_bytes) == [1] and int(b["count"].sum()) == 14
    assert list(tl.columns) == ["corpus", "tokenizer", "token_bytes", "count"]


def test_unk_chars_counts_at_least_one_character_per_unk():
    from tokeff.metrics.batch import EncodedBatch, TextBatch

    class Noisy(GreedyToy):
        # its decoder appends a character, so "ä b" without the UNK decodes to " b!": by
        # character counts nothing looks lost, yet one UNK stood for at least one character
        def decode(self, ids):
            return super().decode(ids) + "!"

    tok = Noisy(TOY_VOCAB)
    text = TextBatch([Document("ä b", "xx", "1")])
    batch = EncodedBatch(text, tok.encode_batch(text.texts), tok)
    assert batch.n_unk_chars.tolist() == [1]
    assert np.array_equal(batch.n_unk, [1])


def test_n_counts_the_documents_of_each_language():
    # the toy's three xx documents and one yy document: every coverage row says how many
    # documents its ratio is over (the units the bootstrap resamples), not tokens or characters
    docs = [*toy_corpus().documents("all"), Document("ab c", "yy", "d4")]
    df = measure([toy_corpus(docs)], [GreedyToy(TOY_VOCAB)], settings=SETTINGS, workers=1, progress=False).metrics
    for metric in ("unk_rate", "unk_char_rate", "byte_fallback_rate", "roundtrip_fidelity", "vocab_utilization"):
        assert [value(df, metric, language=lang).n for lang in ("all", "xx", "yy")] == [4, 3, 1], metric
