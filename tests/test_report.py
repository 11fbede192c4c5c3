"""End-to-end tests of the report: synthetic results folders in, PDF/Markdown/Parquet out.

The folders are synthetic but shaped like real runs: 2 or 12 tokenizers (long path names
among them), 1 or 40 languages, with and without a parallel corpus, training curves, a cost
table, a vocabulary sweep and token-length histograms.
"""

from __future__ import annotations

import functools
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tokeff.errors import TokeffError
from tokeff.reporting import build_report

pypdf = pytest.importorskip("pypdf")

TOKENIZERS_12 = [
    "tiktoken:gpt2", "tiktoken:r50k_base", "tiktoken:p50k_base", "tiktoken:cl100k_base",
    "tiktoken:o200k_base", "hf:models/bert-base-uncased.tokenizer.json",
    "hf:some/long/path/acme-65k/tokenizer.json", "spm:models/mistral-7b-v0.1.model",
    "bytes", "bpe:4096", "bpe:16384", "bpe:65536",
]
TOKENIZERS_2 = ["tiktoken:cl100k_base", "hf:some/very/long/directory/structure/for/a/tokenizer.json"]
LANGUAGES_40 = [
    "eng", "amh", "arb", "ben", "bul", "ces", "deu", "ell", "fas", "fin", "fra", "heb", "hin", "hun",
    "hye", "ind", "ita", "jpn", "kat", "khm", "kor", "mya", "nld", "pol", "por", "rus", "sin", "spa",
    "swa", "tam", "tel", "tha", "tur", "ukr", "urd", "vie", "zho-CN", "zho-TW", "ron", "slk",
]
NO_SPACE = {"jpn", "khm", "mya", "tha", "zho-CN", "zho-TW"}
LOST = {"amh", "kat"}  # languages the BERT-like tokenizer is dropped for
VOCAB = {"tiktoken:gpt2": 50257, "tiktoken:r50k_base": 50257, "tiktoken:p50k_base": 50281,
         "tiktoken:cl100k_base": 100277, "tiktoken:o200k_base": 200019, "bytes": 256,
         "bpe:4096": 4096, "bpe:16384": 16384, "bpe:65536": 65536}


@functools.cache
def real_units() -> dict[str, str]:
    """The unit the code writes for every metric: from a measurement of a small parallel corpus
    (normalized sequence length against bytes) and from a training result's rows."""
    from types import SimpleNamespace

    from tokeff.adapters.simple import BytesTokenizer, CharsTokenizer
    from tokeff.analysis import MetricSettings, measure
    from tokeff.corpus.core import Corpus, Document
    from tokeff.lm.train import LMResult

    docs = [Document("a cat", "eng", "1"), Document("le chat", "fra", "1")]
    corpus = Corpus("units", lambda: iter(docs), parallel=True, reference_language="eng")
    m = measure([corpus], [BytesTokenizer(), CharsTokenizer()], workers=1, progress=False,
                settings=MetricSettings(split="all", bootstrap_replicates=0)).metrics
    units = dict(zip(m["metric"], m["unit"]))
    trained = SimpleNamespace(**{f: 1.0 for f in ("bits_per_byte", "token_perplexity", "word_perplexity",
                                                    "unigram_bits_per_byte", "train_flops", "train_bytes_seen",
                                                    "train_tokens_seen", "achieved_flops_per_second")})
    units.update((r["metric"], r["unit"]) for r in LMResult.rows(trained))
    return units


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
    byte_ratio = {lang: (1.0 if lang in ("eng", "fra", "deu", "spa") else 1.0 + 1.6 * rng.random())
                  for lang in languages}
    rows: list[dict] = []

    units = {**real_units(), "normalized_sequence_length": real_units()["normalized_sequence_length"]
             .replace("bytes", tokenizers[0])}  # measured against the first tokenizer, as by default

    def add(corpus, language, tok, metric, value, ci=True, note="", n=1997):
        lo, hi = _ci(rng, value) if ci else (math.nan, math.nan)
        rows.append(dict(corpus=corpus, language=language, tokenizer=tok, metric=metric, value=value,
                         unit=units[metric], ci_low=lo, ci_high=hi, n=n, note=note))

    corpora = []
    dropped: list[dict] = []
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
                    add(c["name"], lang, tok, "bytes_per_token", bpts[lang])
                    eng_tokens = 1.0 / eng_bpt
                    if "bert" in tok and lang in LOST:
                        # Like a real run: a language the tokenizer cannot represent loses its premium.
                        add(c["name"], lang, tok, "premium", math.nan, ci=False,
                            note="reference=eng; dropped: 61.2% of characters lost to UNK (> 10%)")
                        dropped.append(dict(corpus=c["name"], tokenizer=tok, language=lang,
                                            reason="61.2% of characters lost to UNK (> 10%)", unk_char_rate=0.612))
                    else:
                        add(c["name"], lang, tok, "premium", (byte_ratio[lang] / bpts[lang]) / eng_tokens
                            if tok != "bytes" else byte_ratio[lang])
                    note = "segmentation=characters" if lang in NO_SPACE else ""
                    fert = (1.1 + 0.9 * (1 - q) + 0.3 * (script[lang] - 1) if lang not in NO_SPACE
                            else 0.8 + 0.6 * (1 - q))
                    add(c["name"], lang, tok, "fertility", fert, note=note)
                    add(c["name"], lang, tok, "continued_word_rate",
                        min(0.95, 0.1 + 0.3 * (1 - q) + 0.05 * script[lang]), note=note)
            mean_bpt = float(np.mean(list(bpts.values())))
            add(c["name"], "all", tok, "bytes_per_token", mean_bpt)
            add(c["name"], "all", tok, "chars_per_token", mean_bpt * c["characters"] / c["bytes"])
            add(c["name"], "all", tok, "tokens", c["bytes"] / mean_bpt, ci=False)
            add(c["name"], "all", tok, "normalized_sequence_length", (c["bytes"] / mean_bpt) / (c["bytes"] / 3.5))
            add(c["name"], "all", tok, "fertility", 1.1 + 0.9 * (1 - q))
            add(c["name"], "all", tok, "continued_word_rate", 0.1 + 0.3 * (1 - q))
            add(c["name"], "all", tok, "renyi_efficiency", 0.35 + 0.2 * q, ci=False)
            add(c["name"], "all", tok, "vocab_utilization", 0.2 + 0.6 * rng.random(), ci=False)
            add(c["name"], "all", tok, "roundtrip_fidelity", 1.0 if "bert" not in tok else 0.962, ci=False)
            add(c["name"], "all", tok, "unk_rate", 0.0 if "bert" not in tok else 0.0031, ci=False)
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
            add(train_corpus, "all", tok, "bits_per_byte", final, n=512)
            add(train_corpus, "all", tok, "token_perplexity", 2 ** (final * bpt), ci=False)
            add(train_corpus, "all", tok, "word_perplexity", 2 ** (final * 5.6), ci=False)
            add(train_corpus, "all", tok, "train_flops", flops_total * (1 + 0.01 * rng.random()), ci=False)
            add(train_corpus, "all", tok, "train_bytes_seen", 8_000_000 * (1 + 0.02 * q), ci=False)
            add(train_corpus, "all", tok, "train_tokens_seen", 8_000_000 / bpt, ci=False)
            add(train_corpus, "all", tok, "achieved_flops_per_second", 6.7e12, ci=False)
        pd.DataFrame(curves).to_csv(folder / "curves.csv", index=False)
    pd.DataFrame(rows).to_csv(folder / "metrics.csv", index=False)
    if cost:
        # One row per (tokenizer, model size), like the real cost model.
        crow = []
        for model, layers, width in (("125M", 12, 768), ("1.3B", 24, 2048)):
            for tok in tokenizers:
                v = VOCAB.get(tok, 32000)
                bpt = 1.0 if tok == "bytes" else 2.6 + 2.0 * quality[tok]
                body = 12 * layers * width**2
                crow.append(dict(tokenizer=tok, model=model, n_layer=layers, d_model=width, tied_embeddings=True,
                                 vocab_size=v, non_embedding_params=body, embedding_params=v * width,
                                 embedding_param_share=v * width / (body + v * width), train_bytes=1e12,
                                 train_tokens=1e12 / bpt, train_flops=6 * (body + v * width) * 1e12 / bpt,
                                 inference_tokens_per_1000_words=1000 * 5.6 / bpt, context_bytes=2048 * bpt))
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
        "dropped": dropped,
    }
    bpe = [t for t in tokenizers if t.startswith("bpe:")]
    if sweep and len(bpe) >= 2:
        run["sweep"] = {"base": "bpe", "tokenizers": [{"name": t, "vocab_size": VOCAB[t]} for t in bpe]}
    if training:
        run["training"] = {"corpus": train_corpus, "model": {"layers": 4, "d_model": 256, "heads": 4, "context": 256},
                           "budget": {"flops": 2.0e15}, "seed": 0, "device": "cpu", "loss": "cross-entropy"}
    (folder / "run.json").write_text(json.dumps(run, indent=2))
    return folder


# ----------------------------------------------------------------------------------------------
# helpers


def pdf_texts(path: Path) -> list[str]:
    """The extracted text of every page of a PDF."""
    reader = pypdf.PdfReader(str(path))
    return [page.extract_text() or "" for page in reader.pages]


def flat(text: str) -> str:
    """Whitespace collapsed: text extraction breaks lines where the layout wrapped them."""
    return re.sub(r"\s+", " ", text)


def page_of(texts: list[str], title: str) -> int:
    """Index of the first page whose text contains ``title`` (-1 when none does)."""
    return next((i for i, t in enumerate(texts) if title in flat(t)), -1)


# ----------------------------------------------------------------------------------------------
# the full report: 12 tokenizers, 40 languages, training, sweep, cost, token lengths


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path], list[str]]:
    folder = make_results(tmp_path_factory.mktemp("big"), TOKENIZERS_12, LANGUAGES_40)
    written = build_report(folder)
    return folder, written, pdf_texts(folder / "report.pdf")


def test_full_report_writes_every_output(big) -> None:
    folder, written, _ = big
    names = {p.name for p in written}
    assert {"report.pdf", "report.md", "metrics.parquet", "fig_compression.png", "fig_fertility.png",
            "fig_training.png", "fig_sweep.png", "fig_token_lengths.png"} <= names
    assert any(n.startswith("fig_parity") for n in names)
    assert all(p.exists() and p.stat().st_size > 0 for p in written)
    # Atomic writes leave no temporary files behind.
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]
    assert (folder / "report.pdf").read_bytes().startswith(b"%PDF")
    assert len(pd.read_parquet(folder / "metrics.parquet")) == len(pd.read_csv(folder / "metrics.csv"))


def test_full_report_has_every_page_in_reading_order(big) -> None:
    _, _, texts = big
    assert "Tokenizer efficiency report" in texts[0]
    assert page_of(texts, "Conclusions") == 1, "readers want the answer on page 2"
    order = ["Compression: bytes per token", "Token lengths", "Fertility and continued words",
             "Parity: the premium each language pays", "Vocabulary-size sweep",
             "Training: bits per byte at equal compute", "Training: final results", "Cost model", "All metrics"]
    pages = [page_of(texts, title) for title in order]
    assert all(p > 1 for p in pages), dict(zip(order, pages))
    assert pages == sorted(pages)


def test_conclusions_name_the_cheapest_tokenizer_with_its_value(big) -> None:
    folder, _, texts = big
    m = pd.read_csv(folder / "metrics.csv")
    bpt = m[(m.metric == "bytes_per_token") & (m.corpus == "ntrex128") & (m.language == "all")]
    best = bpt.loc[bpt.value.idxmax()]
    conclusions = flat(texts[1])
    assert f"{best.value:.2f}" in conclusions
    assert "cheapest per byte" in conclusions
    # the runner-up's interval overlaps the best one's in this folder, and the sentence says so
    second = bpt.sort_values("value").iloc[-2]
    assert second.ci_low <= best.ci_high
    sentence = conclusions[conclusions.index(f"ntrex128: {best.tokenizer} is the cheapest per byte"):]
    sentence = sentence[:sentence.index(" The most expensive")]
    assert sentence.endswith("the difference is within the CI (the intervals overlap).")
    bpb = m[m.metric == "bits_per_byte"]
    assert f"{bpb.value.min():.2f}" in flat(" ".join(texts[1:3]))
    assert "largest premium" in conclusions


def test_dropped_pairs_are_explained_and_marked(big) -> None:
    _, _, texts = big
    conclusions = flat(" ".join(texts[1:3]))
    assert "bert-base-uncased: premium left out for 2 languages of ntrex128" in conclusions
    # its 0.31 % UNK tokens, beside its compression (it is the runner-up per byte), and on their own
    assert ("Caution: bert-base-uncased's compression is flattered: 0.3% of its tokens are unknown tokens."
            in conclusions)
    assert ("bert-base-uncased produces unknown tokens (0.3% of tokens on ntrex128, 0.3% of tokens on "
            "tinyshakespeare): that text is lost to the model." in conclusions)
    fertility = flat(texts[page_of(texts, "Fertility and continued words")])
    assert "‡" in fertility
    assert "61.2% of characters lost to UNK" in flat(" ".join(texts))  # the reason, in Run details


def test_long_tokenizer_names_are_shortened_without_collisions(big) -> None:
    folder, _, texts = big
    compression = flat(texts[page_of(texts, "Compression: bytes per token")])
    assert "acme-65k" in compression
    assert "hf:some/long/path/acme-65k/tokenizer.json" not in compression
    # The title page maps every short label back to the full name.
    assert "hf:some/long/path/acme-65k/tokenizer.json" in flat(texts[0])


def test_pages_are_a4_landscape(big) -> None:
    folder, _, _ = big
    for page in pypdf.PdfReader(str(folder / "report.pdf")).pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (842, 595)


def test_cost_model_gets_one_table_per_model_size(big) -> None:
    _, _, texts = big
    cost = flat(" ".join(t for t in texts if "Cost model" in t))
    assert "model 125M" in cost and "model 1.3B" in cost
    assert "n layer = 12" in cost  # constant columns move into the caption


def test_training_page_explains_bits_per_byte(big) -> None:
    _, _, texts = big
    page = flat(texts[page_of(texts, "Training: final results")])
    assert "per-token perplexity" in page and "bits per byte" in page
    assert "not comparable between tokenizers" in page


def test_markdown_has_the_same_sections_and_figures(big) -> None:
    folder, _, _ = big
    md = (folder / "report.md").read_text(encoding="utf-8")
    for heading in ("## Conclusions", "## Compression: bytes per token", "## Fertility and continued words",
                    "## Parity: the premium each language pays", "## Training", "## Cost model"):
        assert heading in md
    for link in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md):
        assert (folder / link).exists(), link
    assert "†" in md, "character-fallback cells are marked in the fertility table"
    assert md.index("## Conclusions") < md.index("## Compression")


# ----------------------------------------------------------------------------------------------
# smaller and partial folders


TRAINING_METRICS = ["bits_per_byte", "token_perplexity", "word_perplexity", "train_flops", "train_bytes_seen",
                    "train_tokens_seen", "achieved_flops_per_second"]


def test_two_tokenizers_one_language_then_without_training(tmp_path: Path) -> None:
    """The smallest useful run, first with a trained model, then rebuilt from metrics.csv alone."""
    folder = make_results(tmp_path, TOKENIZERS_2, ["eng"], parallel=False, cost=False, lengths=False, sweep=False)
    build_report(folder)
    texts = pdf_texts(folder / "report.pdf")
    assert page_of(texts, "Conclusions") == 1
    assert page_of(texts, "Training: bits per byte at equal compute") > 1
    assert (folder / "fig_training.png").exists()
    full = len(texts)

    (folder / "curves.csv").unlink()
    m = pd.read_csv(folder / "metrics.csv")
    m[~m.metric.isin(TRAINING_METRICS)].to_csv(folder / "metrics.csv", index=False)
    (folder / "run.json").unlink()
    written = build_report(folder)
    texts = pdf_texts(folder / "report.pdf")
    assert 3 <= len(texts) < full
    assert "Tokenizer efficiency report" in texts[0]
    assert page_of(texts, "Conclusions") == 1
    for absent in ("Parity", "Training", "Cost model", "Vocabulary-size sweep", "Token lengths"):
        assert page_of(texts, absent) == -1, absent
    assert {p.name for p in written} >= {"report.pdf", "report.md", "fig_compression.png", "fig_fertility.png"}
    assert not (folder / "fig_training.png").exists(), "a figure of a page that is gone is removed"
    assert "## Training" not in (folder / "report.md").read_text(encoding="utf-8")


def test_two_tokenizers_forty_languages_without_training(tmp_path: Path) -> None:
    folder = make_results(tmp_path, TOKENIZERS_2, LANGUAGES_40, training=False, cost=False, lengths=False)
    build_report(folder)
    texts = pdf_texts(folder / "report.pdf")
    parity = page_of(texts, "Parity: the premium each language pays")
    assert parity > 1
    assert page_of(texts, "Training") == -1 and page_of(texts, "Cost model") == -1
    # Every language is on the parity page, by name (the reference language is the 1.0 line).
    page = flat(texts[parity])
    assert all(name in page for name in ("Burmese", "Khmer", "Chinese", "Amharic", "Slovak"))
    fertility = flat(texts[page_of(texts, "Fertility and continued words")])
    assert "†" in fertility and "Japanese" in fertility


def test_folder_without_metrics_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(TokeffError, match="metrics.csv"):
        build_report(tmp_path)


# ----------------------------------------------------------------------------------------------
# a report of real results: units, values and dropped pairs as the analysis writes them


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame, list[str], str]:
    """A results folder written by ``tokeff.analyze`` on a small eng/deu/rus parallel folder with
    bytes, chars and a Latin-only toy (Russian is all UNK to it), and its report."""
    import tokeff

    from .test_metrics_toys import GreedyToy, write_parallel_folder

    root = tmp_path_factory.mktemp("measured")
    latin = GreedyToy(["<unk>", " ", "."] + list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
                      + ["the ", "an", "er", "en", "at", "ch"], name="latin")
    tokeff.analyze(["bytes", "chars", latin], [f"parallel:{write_parallel_folder(root / 'par')}"], out=root / "out",
                   cache=False, report=False, workers=1, progress=False, bootstrap=200, note=lambda message: None)
    build_report(root / "out")
    metrics = pd.read_csv(root / "out" / "metrics.csv", keep_default_na=False, na_values=[""])
    return root / "out", metrics, pdf_texts(root / "out" / "report.pdf"), (root / "out" / "report.md").read_text()


def _row(metrics: pd.DataFrame, metric: str, tokenizer: str, language: str = "all") -> pd.Series:
    rows = metrics[(metrics.metric == metric) & (metrics.tokenizer == tokenizer) & (metrics.language == language)]
    assert len(rows) == 1, (metric, tokenizer, language)
    return rows.iloc[0]


def test_report_headers_carry_the_units_the_analysis_wrote(measured) -> None:
    _, metrics, texts, md = measured
    units = metrics.drop_duplicates("metric").set_index("metric")["unit"]
    assert units["bytes_per_token"] == "UTF-8 bytes / token"
    assert units["fertility"] == "tokens / word (standalone)"
    assert units["premium"] == "tokens / reference token"
    assert "| par: bytes per token (UTF-8 bytes / token) |" in md
    assert "*fertility (tokens / word (standalone))*" in md
    assert "*Premium on par (tokens / reference token), relative to English (eng)*" in md
    # the table of all metrics: every whole-corpus metric under its label and its unit as written
    from tokeff.reporting.data import metric_label

    all_metrics = flat(texts[page_of(texts, "All metrics")])
    for metric in metrics.loc[metrics.language == "all", "metric"].unique():
        assert f"{metric_label(metric)} ({units[metric]})" in all_metrics, metric


def test_report_conclusions_quote_the_measured_values(measured) -> None:
    _, metrics, texts, _ = measured
    conclusions = flat(texts[page_of(texts, "Conclusions")])
    latin, chars = _row(metrics, "bytes_per_token", "latin"), _row(metrics, "bytes_per_token", "chars")
    assert latin.value > chars.value > _row(metrics, "bytes_per_token", "bytes").value == 1.0
    assert chars.ci_high < latin.ci_low  # the two intervals are apart
    assert (f"par: latin is the cheapest per byte at {latin.value:.2f} bytes per token ({latin.ci_low:.2f}–"
            f"{latin.ci_high:.2f}), {latin.value / chars.value - 1:.1%} more than the runner-up chars at "
            f"{chars.value:.2f} ({chars.ci_low:.2f}–{chars.ci_high:.2f}) — the CIs do not overlap.") in conclusions
    unk = _row(metrics, "unk_rate", "latin").value
    assert round(unk, 2) == 0.36  # the Russian third of the text is all UNK
    assert "Caution: latin's compression is flattered: 36% of its tokens are unknown tokens." in conclusions


def test_report_of_real_results_explains_the_dropped_pair(measured) -> None:
    folder, metrics, texts, _ = measured
    run = json.loads((folder / "run.json").read_text())
    assert [(d["tokenizer"], d["language"]) for d in run["dropped"]] == [("latin", "rus")]
    assert math.isnan(_row(metrics, "premium", "latin", "rus").value)
    text = flat(" ".join(texts))
    assert "latin: premium left out for 1 language of par (Russian (rus))" in text
    assert f"{run['dropped'][0]['reason']}" == "97.8% of characters lost to UNK (> 10%)"
    assert "Russian (rus) 97.8% of characters lost to UNK (> 10%)" in text  # the reason, in Run details
