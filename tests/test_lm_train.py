"""The training loop: determinism, exact resume, packing, the model's counts, real text."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from tokeff.adapters.simple import BytesTokenizer
from tokeff.lm import GPT, PRESETS, ModelConfig, TrainConfig, train_lm
from tokeff.lm.train import CHECKPOINT_FILE, batch_at, lr_at, pack, token_dtype

MICRO = ModelConfig(n_layer=1, n_head=2, d_model=32, context=32)
TEXTS = [f"{i}: It is a truth universally acknowledged, that a single man in possession" for i in range(120)]


def run(**kw):
    args = {"model": MICRO, "budget": "steps=12", "progress": False, "device": "cpu", "train_config": TrainConfig(batch_size=4)}
    args.update(kw)
    return train_lm(BytesTokenizer(), TEXTS, TEXTS[:6], **args)


def test_same_seed_same_numbers_and_rows() -> None:
    a, b, c = run(seed=3), run(seed=3), run(seed=4)
    assert a.bits_per_byte == b.bits_per_byte
    assert a.curve["bits_per_byte"].tolist() == b.curve["bits_per_byte"].tolist()
    assert c.bits_per_byte != a.bits_per_byte
    rows = {r["metric"]: r for r in a.rows()}
    assert rows["bits_per_byte"]["unit"] == "bits/byte" and rows["bits_per_byte"]["value"] == a.bits_per_byte
    assert {m: rows[m]["unit"] for m in ("token_perplexity", "word_perplexity", "train_flops", "train_bytes_seen",
                                          "train_tokens_seen", "achieved_flops_per_second")} == {
        "token_perplexity": "per token", "word_perplexity": "per word", "train_flops": "FLOPs",
        "train_bytes_seen": "bytes", "train_tokens_seen": "tokens", "achieved_flops_per_second": "FLOP/s",
    }
    assert a.steps == 12 and a.train_tokens_seen == 12 * 4 * 32
    assert a.train_flops == a.train_tokens_seen * MICRO.flops_per_token(257)
    assert list(a.curve.columns) == ["step", "tokens_seen", "bytes_seen", "flops", "wall_seconds", "bits_per_byte"]
    assert a.curve["step"].iloc[-1] == 12
    assert a.token_perplexity == pytest.approx(math.exp(a.eval_nats / a.eval_tokens))


def test_resume_is_bit_identical(tmp_path) -> None:
    cfg = ModelConfig(n_layer=1, n_head=2, d_model=32, context=32, dropout=0.1)  # RNG state matters
    full = run(model=cfg, checkpoint_dir=tmp_path / "full", checkpoint_every=4, eval_every=4)
    part = run(model=cfg, checkpoint_dir=tmp_path / "part", checkpoint_every=4, eval_every=4, stop_at_step=6)
    assert part.steps == 6
    resumed = run(model=cfg, checkpoint_dir=tmp_path / "part", checkpoint_every=4, eval_every=4, resume=True)
    assert resumed.steps == full.steps == 12
    assert resumed.bits_per_byte == full.bits_per_byte
    assert resumed.curve["bits_per_byte"].tolist() == full.curve["bits_per_byte"].tolist()
    a = torch.load(tmp_path / "full" / CHECKPOINT_FILE, weights_only=False)
    b = torch.load(tmp_path / "part" / CHECKPOINT_FILE, weights_only=False)
    assert a["step"] == b["step"] == 12
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k
    # a checkpoint from another run is refused
    with pytest.raises(ValueError, match="different run"):
        run(model=cfg, checkpoint_dir=tmp_path / "part", resume=True, seed=9)


def test_pack_and_batches() -> None:
    stream = pack([[1, 2], [3]], sep_id=9, order=[1, 0])
    assert stream.tolist() == [9, 3, 9, 1, 2] and stream.dtype == np.uint16
    x, y = batch_at(stream, step=1, batch_size=1, context=3)  # tokens 3..6, wrapping around
    assert x.tolist() == [[1, 2, 9]] and y.tolist() == [[2, 9, 3]]
    assert token_dtype(65535) == np.uint16 and token_dtype(65536) == np.uint32


class BigVocab:
    """Ids above 65,535 (a 70,000-id vocabulary): uint16 would wrap them around."""

    name = "big"
    vocab_size = 70_000

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        return [[69_999 - b for b in t.encode()] for t in texts]


def test_vocab_above_uint16() -> None:
    tok = BigVocab()
    stream = pack(tok.encode_batch(["ab"]), sep_id=tok.vocab_size)
    assert stream.dtype == np.uint32 and stream.tolist() == [70_000, 69_999 - 97, 69_999 - 98]
    r = train_lm(tok, TEXTS[:20], TEXTS[:2], model=MICRO, budget="steps=2", progress=False, device="cpu",
                 train_config=TrainConfig(batch_size=2))
    assert r.vocab_size == 70_000 and math.isfinite(r.bits_per_byte)
    # an untrained model is close to uniform over the 70,001 ids
    assert r.bits_per_byte == pytest.approx(math.log2(70_001) * r.eval_tokens / r.eval_bytes, rel=0.05)


def test_model_counts_and_flops_formula() -> None:
    cfg = PRESETS["tiny"]
    net = GPT(cfg, vocab_size=257)
    # body: per layer qkv (128*384+384) + proj (128*128+128) + fc (128*512+512) + proj (512*128+128)
    # + two LayerNorms (2*2*128); final LayerNorm 2*128.
    per_layer = 128 * 384 + 384 + 128 * 128 + 128 + 128 * 512 + 512 + 512 * 128 + 128 + 4 * 128
    assert net.num_params() == 2 * per_layer + 2 * 128
    assert net.num_params(non_embedding=False) == net.num_params() + 257 * 128 + 128 * 128  # tied output
    assert cfg.non_embedding_params() == 12 * 2 * 128**2 == 393_216
    assert net.flops_per_token() == 6 * 393_216 + 6 * 2 * 128 * 128 + 6 * 128 * 257
    untied = GPT(ModelConfig(tie_embeddings=False), vocab_size=257)
    assert untied.num_params() == net.num_params()


def test_body_init_does_not_depend_on_vocabulary() -> None:
    a, b = GPT(MICRO, 300, seed=1).state_dict(), GPT(MICRO, 70_000, seed=1).state_dict()
    body = [k for k in a if not k.startswith(("wte", "lm_head"))]
    assert body and all(torch.equal(a[k], b[k]) for k in body)


def test_lr_schedule() -> None:
    tc = TrainConfig(lr=1.0, min_lr_ratio=0.1, warmup_frac=0.1)
    lrs = [lr_at(s, 100, tc) for s in range(100)]
    assert lrs[0] == pytest.approx(0.1) and lrs[9] == pytest.approx(1.0)  # 10 warmup steps
    assert lrs[-1] == pytest.approx(0.1) and max(lrs) == pytest.approx(1.0)
    assert all(x >= y for x, y in zip(lrs[9:], lrs[10:]))


def test_real_text_beats_unigram(shared_dir) -> None:
    """A few seconds of training on Tiny Shakespeare already beat a unigram model of bytes."""
    text = (shared_dir / "corpora" / "tinyshakespeare" / "input.txt").read_text(encoding="utf-8")
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    train, held_out = paragraphs[:-100], paragraphs[-100:]  # ~8 KB held out
    r = train_lm(BytesTokenizer(), train, held_out, model="tiny", budget="steps=50", progress=False, device="cpu")
    assert r.eval_bytes == sum(len(p.encode()) for p in held_out)
    assert r.bits_per_byte < r.unigram_bits_per_byte - 0.3
    assert r.curve["bits_per_byte"].iloc[-1] < r.curve["bits_per_byte"].iloc[0]
