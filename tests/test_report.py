"""End-to-end tests of the report: synthetic results folders in, PDF/Markdown/Parquet out.

The folders are synthetic but shaped like real runs: 2 or 12 tokenizers (long path names
among them), 1 or 40 languages, with and without a parallel corpus, training curves, a cost
table, a vocabulary sweep and token-length histograms.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tokeff.errors import TokeffError
from tokeff.report import build_report

pypdf = pytest.importorskip("pypdf")

TOKENIZERS_12 = [
    "tiktoken:gpt2", "tiktoken:r50k_base", "tiktoken:p50k_base", "tiktoken:cl100k_base",
    "tiktoken:o200k_base", "hf:models/bert-base-uncased.tokenizer.json",
    "hf:some/long/path/claude-legacy/tokenizer.json", "spm:models/mistral-7b-v0.1.model",
    "bytes", "bpe:4096", "bpe:16384", "bpe:65536",
]
TOKENIZERS_2 = ["tiktoken:cl100k_base", "hf:some/very/long/directory/structure/for/a/tokenizer.json"]
LANGUAGES_40 = [
    "eng", "amh", "arb", "ben", "bul", "ces", "deu", "ell", "fas", "fin", "fra", "heb", "hin", "hun",
    "hye", "ind", "ita", "jpn", "kat", "khm", "kor", "mya", "nld", "pol", "por", "rus", "sin", "spa",
    "swa", "tam", "tel", "tha", "tur", "ukr", "urd", "vie", "zho-CN", "zho-TW", "ron", "slk",
]
NO_SPACE = {"jpn", "khm", "mya", "tha", "zho-CN", "zho-TW"}
VOCAB = {"tiktoken:gpt2": 50257, "tiktoken:r50k_base": 50257, "tiktoken:p50k_base": 50281,
         "tiktoken:cl100k_base": 100277, "tiktoken:o200k_base": 200019, "bytes": 256,
         "bpe:4096": 4096, "bpe:16384": 16384, "bpe:65536": 65536}


def _ci(rng: np.random.Generator, value: float, rel: float = 0.01) -> tuple[float, float]:
    w = abs(value) * rel * (0.5 + rng.random())
    return value - w, value + w


def make_results(folder: Path, tokenizers: list[str], languages: list[str], *, training: bool = True,
                 parallel: bool = True, cost: bool = True, sweep: bool = True, lengths: bool = True,
                 seed: int = 0) -> Path:
    """Write a realistic results folder (metrics.csv, run.json and the optional tables)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    quality = {t: 0.55 + 0.45 * rng.random() for t in tokenizers}
    quality.setdefault("bytes", 0.0)
    if "bytes" in tokenizers:
        quality["bytes"] = 0.0
    script = {lang: (1.0 if lang == "eng" else 1.0 + 6 * rng.random() ** 2) for lang in languages}
    byte_ratio = {lang: (1.0 if lang in ("eng", "fra", "deu", "spa") else 1.0 + 1.6 * rng.random()) for lang in languages}
    rows: list[dict] = []

    def add(corpus, language, tok, metric, value, unit, ci=True, note="", n=1997):
        lo, hi = _ci(rng, value) if ci else (math.nan, math.nan)
        rows.append(dict(corpus=corpus, language=language, tokenizer=tok, metric=metric, value=value,
                         unit=unit, ci_low=lo, ci_high=hi, n=n, note=note))

    corpora = []
    multi = len(languages) > 1
    if parallel and multi:
        corpora.append(dict(name="ntrex128", documents=1997 * len(languages), bytes=16_800_000,
                            characters=9_100_000, languages=languages, parallel=True, reference_language="eng",
                            description="NTREX-128 news test set, one sentence per line, aligned across languages"))
    corpora.append(dict(name="tinyshakespeare", documents=7222, bytes=1_115_394, characters=1_115_394,
                        languages=["eng"], parallel=False, reference_language=None,
                        description="Tiny Shakespeare (plays, ASCII)"))
    for c in corpora:
        langs = c["languages"]
        for tok in tokenizers:
            q = quality[tok]
            eng_bpt = 1.0 if tok == "bytes" else 2.6 + 2.0 * q
            bpts = {}
            for lang in langs:
                prem = 1.0 if tok == "bytes" else 1.0 + (script[lang] - 1.0) * (1.4 - q)
                bpts[lang] = eng_bpt * byte_ratio[lang] / prem if tok != "bytes" else 1.0
                if c["parallel"]:
                    add(c["name"], lang, tok, "bytes_per_token", bpts[lang], "bytes/token")
                    eng_tokens = 1.0 / eng_bpt
                    add(c["name"], lang, tok, "premium", (byte_ratio[lang] / bpts[lang]) / eng_tokens if tok != "bytes" else byte_ratio[lang], "×")
                    note = "segmentation=characters" if lang in NO_SPACE else ""
                    fert = (1.1 + 0.9 * (1 - q) + 0.3 * (script[lang] - 1)) if lang not in NO_SPACE else 0.8 + 0.6 * (1 - q)
                    add(c["name"], lang, tok, "fertility", fert, "tokens/word", note=note)
                    add(c["name"], lang, tok, "continued_word_rate", min(0.95, 0.1 + 0.3 * (1 - q) + 0.05 * script[lang]), "fraction", note=note)
            mean_bpt = float(np.mean(list(bpts.values())))
            add(c["name"], "all", tok, "bytes_per_token", mean_bpt, "bytes/token")
            add(c["name"], "all", tok, "chars_per_token", mean_bpt * c["characters"] / c["bytes"], "chars/token")
            add(c["name"], "all", tok, "tokens", c["bytes"] / mean_bpt, "tokens", ci=False)
            add(c["name"], "all", tok, "normalized_sequence_length", (c["bytes"] / mean_bpt) / (c["bytes"] / 3.5), "× baseline")
            add(c["name"], "all", tok, "fertility", 1.1 + 0.9 * (1 - q), "tokens/word")
            add(c["name"], "all", tok, "continued_word_rate", 0.1 + 0.3 * (1 - q), "fraction")
            add(c["name"], "all", tok, "renyi_efficiency", 0.35 + 0.2 * q, "fraction", ci=False)
            add(c["name"], "all", tok, "vocab_utilization", 0.2 + 0.6 * rng.random(), "fraction", ci=False)
            add(c["name"], "all", tok, "roundtrip_fidelity", 1.0 if "bert" not in tok else 0.962, "fraction", ci=False)
            add(c["name"], "all", tok, "unk_rate", 0.0 if "bert" not in tok else 0.0031, "fraction", ci=False)
    train_corpus = corpora[-1]["name"]
    curves = []
    if training:
        for tok in tokenizers:
            q = quality[tok]
            final = 1.25 + 0.5 * (1 - q) + 0.05 * rng.random()
            bpt = 1.0 if tok == "bytes" else 2.6 + 2.0 * q
            flops_total = 2.0e15
            for step in range(0, 401, 20):
                frac = step / 400
                bytes_seen = int(frac * 8_000_000)
                curves.append(dict(tokenizer=tok, step=step, tokens_seen=int(bytes_seen / bpt), bytes_seen=bytes_seen,
                                   flops=frac * flops_total, wall_seconds=frac * 300,
                                   bits_per_byte=final + 6.0 * math.exp(-6 * frac) * (0.8 + 0.4 * q)))
            add(train_corpus, "all", tok, "bits_per_byte", final, "bits/byte", n=512)
            add(train_corpus, "all", tok, "token_perplexity", 2 ** (final * bpt), "perplexity", ci=False)
            add(train_corpus, "all", tok, "word_perplexity", 2 ** (final * 5.6), "perplexity", ci=False)
            add(train_corpus, "all", tok, "train_flops", flops_total * (1 + 0.01 * rng.random()), "FLOPs", ci=False)
            add(train_corpus, "all", tok, "train_bytes_seen", 8_000_000 * (1 + 0.02 * q), "bytes", ci=False)
            add(train_corpus, "all", tok, "train_tokens_seen", 8_000_000 / bpt, "tokens", ci=False)
            add(train_corpus, "all", tok, "achieved_flops_per_second", 6.7e12, "FLOP/s", ci=False)
        pd.DataFrame(curves).to_csv(folder / "curves.csv", index=False)
    pd.DataFrame(rows).to_csv(folder / "metrics.csv", index=False)
    if cost:
        crow = []
        for tok in tokenizers:
            v = VOCAB.get(tok, 32000)
            bpt = 1.0 if tok == "bytes" else 2.6 + 2.0 * quality[tok]
            params = 20e6 + v * 256 * 2
            crow.append(dict(tokenizer=tok, vocab_size=v, model_params=params, embedding_param_share=v * 512 / params,
                             train_flops_per_gb=6 * params * 1e9 / bpt, inference_tokens_per_1000_words=1000 * 5.6 / bpt,
                             context_bytes_at_2048_tokens=2048 * bpt, embedding_flops_share=0.1 + 0.2 * rng.random()))
        pd.DataFrame(crow).to_csv(folder / "cost.csv", index=False)
    if lengths:
        lrows = []
        for c in corpora:
            for tok in tokenizers:
                peak = 1 if tok == "bytes" else 2 + 3 * quality[tok]
                for b in range(1, 17):
                    lrows.append(dict(corpus=c["name"], tokenizer=tok, token_bytes=b,
                                      count=int(1e5 * math.exp(-((b - peak) ** 2) / 4))))
        pd.DataFrame(lrows).to_csv(folder / "token_lengths.csv", index=False)
    run = {
        "tokeff_version": "0.1.0", "created": "2026-11-22T01:23:45+00:00", "wall_seconds": 754.2,
        "command": "tokeff analyze --corpus parallel:ntrex128 --out results",
        "settings": {"eval_bytes": 2_000_000, "bootstrap": 1000, "confidence": 0.95, "seed": 0,
                     "baseline": tokenizers[0], "jobs": 8},
        "versions": {"python": "3.11.9", "tokenizers": "0.20.1", "tiktoken": "0.8.0", "numpy": "2.1.0"},
        "corpora": corpora,
        "tokenizers": [dict(name=t, family=t.split(":")[0] if ":" in t else "bytes", vocab_size=VOCAB.get(t, 32000),
                            source=t.partition(":")[2] or "built in") for t in tokenizers],
        "skipped": [{"tokenizer": "hf:meta-llama/Llama-3-8B", "reason": "not cached and offline"}],
    }
    bpe = [t for t in tokenizers if t.startswith("bpe:")]
    if sweep and len(bpe) >= 2:
        run["sweep"] = {"base": "bpe", "tokenizers": [{"name": t, "vocab_size": VOCAB[t]} for t in bpe]}
    if training:
        run["training"] = {"corpus": train_corpus, "model": {"layers": 4, "d_model": 256, "heads": 4, "context": 256},
                           "budget": {"flops": 2.0e15}, "seed": 0, "device": "cpu", "loss": "cross-entropy"}
    (folder / "run.json").write_text(json.dumps(run, indent=2))
    return folder
