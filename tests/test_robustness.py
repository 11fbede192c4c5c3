"""Real, messy input through ``python -m tokeff``: it works, or it says in one line what to fix.

Every case runs the CLI in a subprocess, as a user would. What a test asserts is the behaviour a
user relies on: no traceback, exit 2 with one ``tokeff: error:`` line for a mistake, exit 130 and
only whole files after Ctrl-C, the same bytes from the same command, and bounded memory on a
single enormous line. (The 200 MB line and the 100 MB corpus live in ``tests/test_scale.py``.)
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.test_cli import REPO, assert_one_line_error, tokeff

PARALLEL = REPO / "corpora" / "parallel"
BERT = "tokenizers/hf/bert-base-uncased.tokenizer.json"


def _fresh_cache(tmp_path: Path, name: str = "cache") -> dict[str, str]:
    """A private, empty results cache: every run computes, nothing is served from another test."""
    return {"TOKEFF_CACHE": str(tmp_path / name)}


def _metric(out: Path, metric: str, tokenizer: str | None = None, language: str = "all") -> pd.Series:
    df = pd.read_csv(out / "metrics.csv", keep_default_na=False, na_values={"value": [""]})
    rows = df[(df.metric == metric) & (df.language == language)]
    if tokenizer is not None:
        rows = rows[rows.tokenizer == tokenizer]
    return rows.set_index("tokenizer")["value"]


def _parallel_corpus(tmp_path: Path, *languages: str) -> Path:
    """A parallel corpus of some of the project's own aligned languages."""
    folder = tmp_path / "parallel"
    folder.mkdir()
    for lang in languages:
        (folder / f"{lang}.txt").write_bytes((PARALLEL / f"{lang}.txt").read_bytes())
    return folder


# --- one enormous line, and line endings -------------------------------------------------------


def test_a_20_mb_single_line_is_measured_in_bounded_memory(tmp_path: Path, shared_dir: Path) -> None:
    # One line of real sentences and no newline at all: the reader must not hold it whole, and it
    # is measured as the ~1 MB documents it is cut into (so some of it lands in the eval split).
    # (shared_dir: cl100k's encoding file loads offline from there; without it the test skips)
    sentences = " ".join((PARALLEL / f"{lang}.txt").read_text(encoding="utf-8").replace("\n", " ")
                         for lang in ("eng", "deu", "rus", "hin"))
    line = tmp_path / "line.txt"
    with line.open("w", encoding="utf-8") as f:
        for _ in range(20_000_000 // len(sentences.encode("utf-8")) + 1):
            f.write(sentences + " ")
    assert line.stat().st_size > 20_000_000 and line.read_bytes().count(b"\n") == 0
    out, log = tmp_path / "out", tmp_path / "stderr.txt"
    start = time.monotonic()
    proc = _start(["analyze", "--corpus", str(line), "--tokenizer", "bytes", "--tokenizer", "tiktoken:cl100k_base",
                   "--out", str(out), "--no-report", "--no-progress", "--bootstrap", "20", "--workers", "1"],
                  _fresh_cache(tmp_path), log)
    peak = _peak_rss_while_running(proc)
    assert proc.returncode == 0, log.read_text()
    assert time.monotonic() - start < 120
    # read whole and measured as one document, this line took ~900 MiB; in pieces, ~300 MiB
    assert peak < 500 * 2**20, f"peak RSS {peak / 2**20:.0f} MiB for a 20 MB line"
    bpt = _metric(out, "bytes_per_token")
    assert bpt["bytes"] == 1.0 and 2.0 < bpt["tiktoken:cl100k_base"] < 5.0
    n_docs = json.loads((out / "run.json").read_text())["corpora"][0]["documents"]
    assert 1 <= n_docs <= 12  # ~20 pieces of ~1 MB, about a fifth of them in the eval split


def _peak_rss_while_running(proc: subprocess.Popen) -> int:
    """Peak resident memory of ``proc`` (no workers here: --workers 1), sampled every 0.1 s."""
    peak = 0
    while proc.poll() is None:
        try:
            status = Path(f"/proc/{proc.pid}/status").read_text()
            peak = max(peak, int(status.split("VmRSS:")[1].split()[0]) * 1024)
        except (OSError, IndexError):
            pass
        time.sleep(0.1)
    return peak


def test_mixed_crlf_and_lf_read_the_same_as_lf(tmp_path: Path) -> None:
    lines = (PARALLEL / "eng.txt").read_text(encoding="utf-8").splitlines()
    lf, mixed = tmp_path / "lf" / "text.txt", tmp_path / "mixed" / "text.txt"
    lf.parent.mkdir()
    mixed.parent.mkdir()
    lf.write_bytes("".join(x + "\n" for x in lines).encode())
    mixed.write_bytes("".join(x + ("\r\n" if i % 2 else "\n") for i, x in enumerate(lines)).encode())
    for f in (lf, mixed):
        proc = tokeff("analyze", "--corpus", str(f), "--lines", "--tokenizer", "bytes", "--tokenizer", "tiktoken:gpt2",
                      "--out", str(f.parent / "out"), "--no-report", "--no-progress", "--bootstrap", "20",
                      env=_fresh_cache(tmp_path))
        assert proc.returncode == 0, proc.stderr
    # the same table, byte for byte: no stray "\r" reached a tokenizer
    assert (lf.parent / "out" / "metrics.csv").read_bytes() == (mixed.parent / "out" / "metrics.csv").read_bytes()


# --- tokenizers: ranks files, huge vocabularies, UNK ---------------------------------------------


def test_tiktoken_ranks_file_equals_the_tokeff_model(tmp_path: Path) -> None:
    ranks, model = tmp_path / "m.tiktoken", tmp_path / "m.json"
    for fmt, path in (("tiktoken", ranks), ("tokeff", model)):
        proc = tokeff("train-bpe", "--corpus", str(PARALLEL), "--vocab-size", "600", "--pattern", "gpt2",
                      "--format", fmt, "--out", str(path), "--no-progress")
        assert proc.returncode == 0, proc.stderr
    out = tmp_path / "out"
    proc = tokeff("analyze", "--corpus", f"parallel:{PARALLEL}", "--tokenizer", f"tokeff:{model}",
                  "--tokenizer", f"tiktoken:{ranks}@gpt2", "--tokenizer", f"tiktoken:{ranks}",
                  "--out", str(out), "--no-report", "--no-progress", "--bootstrap", "0", env=_fresh_cache(tmp_path))
    assert proc.returncode == 0, proc.stderr
    bpt = _metric(out, "bytes_per_token")
    assert bpt[f"tiktoken:{ranks}@gpt2"] == bpt[f"tokeff:{model}"]  # same ranks, same pattern
    assert bpt[f"tiktoken:{ranks}"] != bpt[f"tokeff:{model}"]  # default cl100k pre-split: not the trained one


def test_corrupt_tiktoken_ranks_file_is_one_line(tmp_path: Path) -> None:
    garbage = tmp_path / "bad.tiktoken"
    garbage.write_bytes(b"this is not base64 and not a rank\n\xff\xfe")
    assert_one_line_error(tokeff("analyze", "--tokenizer", f"tiktoken:{garbage}", "--out", str(tmp_path / "o")),
                          "not a valid tiktoken ranks file")
    partial = tmp_path / "partial.tiktoken"
    partial.write_text("QQ== 0\nQg== 1\n", encoding="ascii")  # only "A" and "B": text has no encoding
    assert_one_line_error(tokeff("analyze", "--tokenizer", f"tiktoken:{partial}", "--out", str(tmp_path / "o")),
                          "254 of the 256 single bytes")
    assert_one_line_error(tokeff("analyze", "--tokenizer", f"tiktoken:{partial}@nope", "--out", str(tmp_path / "o")),
                          "unknown pre-split pattern 'nope'")
    assert_one_line_error(tokeff("analyze", "--tokenizer", f"tiktoken:{tmp_path / 'missing.tiktoken'}",
                                 "--out", str(tmp_path / "o")), "no such file")


def test_o200k_vocabulary_beyond_uint16_trains(tmp_path: Path, shared_dir: Path) -> None:
    # 200,019 ids do not fit uint16 token arrays; the LM loop must widen them, not wrap ids.
    # (shared_dir: o200k's encoding file loads offline from there; without it the test skips)
    out = tmp_path / "out"
    proc = tokeff("analyze", "--corpus", f"parallel:{_parallel_corpus(tmp_path, 'eng', 'deu')}",
                  "--tokenizer", "tiktoken:o200k_base", "--train", "--budget", "steps=1", "--out", str(out),
                  "--no-report", "--no-progress", "--bootstrap", "0", env=_fresh_cache(tmp_path))
    assert proc.returncode == 0, proc.stderr
    bpb = _metric(out, "bits_per_byte")["tiktoken:o200k_base"]
    assert 0 < bpb < 40  # one step from random init: about log2(200k) bits per token, finite


def test_language_lost_to_unk_is_dropped_from_premiums_with_the_reason(tmp_path: Path, shared_dir: Path) -> None:
    # BERT's uncased WordPiece has no Ethiopic: Amharic comes out as [UNK]s. Its "premium" would
    # look tiny (one UNK per word), so it must be left out, saying why, not reported.
    bert = f"hf:{shared_dir / BERT}"
    out = tmp_path / "out"
    proc = tokeff("analyze", "--corpus", f"parallel:{_parallel_corpus(tmp_path, 'eng', 'deu', 'amh')}",
                  "--tokenizer", bert, "--tokenizer", "bytes", "--out", str(out), "--no-report", "--no-progress",
                  "--bootstrap", "20", env=_fresh_cache(tmp_path))
    assert proc.returncode == 0, proc.stderr
    df = pd.read_csv(out / "metrics.csv", keep_default_na=False, na_values={"value": [""]})
    amh = df[(df.metric == "premium") & (df.language == "amh")].set_index("tokenizer")
    assert pd.isna(amh.loc[bert, "value"]) and "lost to UNK" in amh.loc[bert, "note"]
    assert amh.loc["bytes", "value"] > 1  # the byte baseline still has its premium
    assert df[(df.metric == "premium") & (df.language == "deu") & (df.tokenizer == bert)]["value"].iloc[0] > 1
    dropped = json.loads((out / "run.json").read_text())["dropped"]
    assert [(d["tokenizer"], d["language"]) for d in dropped] == [(bert, "amh")]
    assert "UNK" in dropped[0]["reason"] and dropped[0]["unk_char_rate"] > 0.9


# --- corpora too small to split, and options that make no sense ---------------------------------


def test_corpus_without_eval_documents_is_one_line(tmp_path: Path) -> None:
    one = tmp_path / "single.txt"  # its only document ("single.txt:1") falls in the train split
    one.write_text("A corpus of one paragraph cannot be measured on held-out text.\n", encoding="utf-8")
    assert_one_line_error(tokeff("analyze", "--corpus", str(one), "--tokenizer", "bytes", "--out", str(tmp_path / "o"),
                                 env=_fresh_cache(tmp_path)),
                          "no document in the eval split", "1 document in all", "--lines")
    assert not (tmp_path / "o" / "metrics.csv").exists()  # no empty table passed off as a result


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["analyze", "--tokenizer", "bytes", "--train", "--budget", "nonsense"], ["--budget nonsense", "steps=200"]),
        (["analyze", "--tokenizer", "bytes", "--train", "--budget", "steps=-5"], ["--budget steps=-5", "positive"]),
        (["analyze", "--tokenizer", "bytes", "--train", "--model-size", "huge"], ["--model-size huge", "tiny"]),
        (["sweep", "--vocab", "abc"], ["--vocab 'abc'", "whole numbers"]),
        (["analyze", "--tokenizer", "train:bpe:100"], ["too small", "256"]),
    ],
)
def test_nonsense_options_fail_before_any_work(args: list[str], fragments: list[str], tmp_path: Path) -> None:
    start = time.monotonic()
    proc = tokeff(*args, "--out", str(tmp_path / "o"), "--no-progress", env=_fresh_cache(tmp_path))
    assert_one_line_error(proc, *fragments)
    assert time.monotonic() - start < 30  # refused up front, not after measuring the corpus
    assert not (tmp_path / "o" / "metrics.csv").exists()


# --- Ctrl-C ---------------------------------------------------------------------------------------


def _start(args: list[str], env: dict[str, str], stderr: Path) -> subprocess.Popen:
    """``python -m tokeff ARGS`` in its own process group, as a terminal runs a job; its stderr
    goes to the file ``stderr`` so the test can watch progress without blocking on a pipe."""
    with stderr.open("w") as err:
        return subprocess.Popen([sys.executable, "-m", "tokeff", *args], cwd=REPO, stdout=subprocess.DEVNULL,
                                stderr=err, text=True, env={**os.environ, **env}, start_new_session=True)


def _ctrl_c(proc: subprocess.Popen, to_group: bool = True) -> tuple[int, float]:
    """SIGINT to the whole process group (the CLI and its workers), as a terminal sends it, or to
    the CLI alone, as ``kill -INT`` does; (exit status, seconds to exit)."""
    sent = time.monotonic()
    if to_group:
        os.killpg(proc.pid, signal.SIGINT)
    else:
        os.kill(proc.pid, signal.SIGINT)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        pytest.fail("tokeff did not exit within 20 s of Ctrl-C")
    return proc.returncode, time.monotonic() - sent


def _wait_for(condition, proc: subprocess.Popen, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            pytest.fail(f"tokeff ended (status {proc.returncode}) before the moment to interrupt it")
        if time.monotonic() > end:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail("the moment to interrupt never came")
        time.sleep(0.05)


def _assert_interrupted_cleanly(status: int, err: str, seconds: float, out: Path, group: int) -> None:
    assert status == 130, err
    assert seconds < 10
    assert "Traceback" not in err
    assert len([x for x in err.splitlines() if x.startswith("tokeff: interrupted")]) == 1, err
    assert "Error" not in err  # no KeyboardInterrupt or BrokenProcessPool from a worker either
    time.sleep(0.5)
    assert not _group_alive(group), "a worker outlived Ctrl-C"
    assert not list(out.rglob("*.tmp")) if out.exists() else True
    if (out / "metrics.csv").exists():
        pd.read_csv(out / "metrics.csv")  # whole: parses
    if (out / "run.json").exists():
        json.loads((out / "run.json").read_text())


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


@pytest.mark.parametrize("to_group", [True, False], ids=["terminal", "kill-INT-to-the-CLI-only"])
def test_ctrl_c_during_measurement_exits_130_and_ends_the_workers(to_group: bool, tmp_path: Path,
                                                                   shared_dir: Path) -> None:
    big = tmp_path / "big.txt"  # ~20 MB of real sentences: several seconds of measuring on 2 workers
    ntrex = [p.read_bytes() for p in sorted((shared_dir / "corpora" / "ntrex128").glob("*.txt"))
             if p.stem in {"eng", "deu", "rus", "zho-CN", "hin", "arb"}]
    with big.open("wb") as f:
        for _ in range(20_000_000 // sum(map(len, ntrex)) + 1):
            for text in ntrex:
                f.write(text.replace(b"\n", b"\n\n") + b"\n\n")
    (tmp_path / "again.txt").symlink_to(big)  # a second corpus: work still queued for the workers
    out, log = tmp_path / "out", tmp_path / "stderr.txt"
    proc = _start(["analyze", "--corpus", str(big), "--corpus", str(tmp_path / "again.txt"), "--tokenizer", "bytes",
                   "--tokenizer", "tiktoken:cl100k_base", "--workers", "2", "--out", str(out), "--no-report"],
                  _fresh_cache(tmp_path), log)
    # interrupt once the progress bar shows text measured (tqdm redraws with "\r")
    _wait_for(lambda: re.search(r"measuring:\s+[1-9]", log.read_text()), proc)
    status, seconds = _ctrl_c(proc, to_group)
    _assert_interrupted_cleanly(status, log.read_text(), seconds, out, proc.pid)
    assert not (out / "metrics.csv").exists()  # nothing finished, so nothing claims to be a result


def test_ctrl_c_while_sentencepiece_trains_exits_at_once(tmp_path: Path, shared_dir: Path) -> None:
    # SentencePiece trains in C++ for about a minute on all of NTREX-128; Python only sees the
    # interrupt when control comes back, so tokeff must not wait for the trainer to return.
    out, log = tmp_path / "out", tmp_path / "stderr.txt"
    proc = _start(["analyze", "--corpus", f"parallel:{shared_dir / 'corpora' / 'ntrex128'}",
                   "--tokenizer", "train:spm-unigram:8000", "--out", str(out), "--no-report"], _fresh_cache(tmp_path), log)
    _wait_for(lambda: "training train:spm-unigram:8000" in log.read_text(), proc)
    time.sleep(3)  # well inside the trainer by now
    status, seconds = _ctrl_c(proc)
    _assert_interrupted_cleanly(status, log.read_text(), seconds, out, proc.pid)


def test_ctrl_c_during_training_keeps_metrics_and_resumes_to_the_same_result(tmp_path: Path) -> None:
    corpus = f"parallel:{_parallel_corpus(tmp_path, 'eng', 'deu', 'rus')}"
    args = ["analyze", "--corpus", corpus, "--tokenizer", "bytes", "--train", "--budget", "steps=6",
            "--no-report", "--no-progress", "--bootstrap", "0", "--workers", "1"]
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    proc = tokeff(*args, "--out", str(whole), env=_fresh_cache(tmp_path, "c1"))
    assert proc.returncode == 0, proc.stderr

    log = tmp_path / "stderr.txt"
    run = _start([*args, "--out", str(cut)], _fresh_cache(tmp_path, "c2"), log)
    _wait_for(lambda: (cut / "metrics.csv").exists() and list((cut / "checkpoints").rglob("checkpoint.pt")), run)
    status, seconds = _ctrl_c(run)
    _assert_interrupted_cleanly(status, log.read_text(), seconds, cut, run.pid)
    assert "bits_per_byte" not in set(pd.read_csv(cut / "metrics.csv").metric)  # measured, not yet trained

    proc = tokeff(*args, "--out", str(cut), env=_fresh_cache(tmp_path, "c2"))  # the same command again
    assert proc.returncode == 0, proc.stderr
    assert "bytes (seed 0): resuming from the checkpoint" in proc.stderr
    assert _metric(cut, "bits_per_byte")["bytes"] == _metric(whole, "bits_per_byte")["bytes"]
    assert json.loads((cut / "run.json").read_text())["training"]["runs"][0]["steps"] == 6


# --- determinism ----------------------------------------------------------------------------------


def test_the_same_command_twice_gives_byte_identical_metrics(tmp_path: Path) -> None:
    corpus = f"parallel:{_parallel_corpus(tmp_path, 'eng', 'deu', 'rus', 'zho-CN', 'hin')}"
    args = ["analyze", "--corpus", corpus, "--tokenizer", "train:hf-bpe:1024", "--tokenizer", "train:spm-unigram:2000",
            "--tokenizer", "train:bpe:1024", "--workers", "2", "--bootstrap", "100", "--no-report", "--no-progress"]
    tables = []
    for i in (1, 2):
        out = tmp_path / f"run{i}"
        proc = tokeff(*args, "--out", str(out), env=_fresh_cache(tmp_path, f"cache{i}"))  # no cache hits: recompute
        assert proc.returncode == 0, proc.stderr
        tables.append((out / "metrics.csv").read_bytes())
    assert tables[0] == tables[1]
    # the trained tokenizers themselves are the same too (only tokeff BPE's training time differs)
    assert _saved_tokenizers(tmp_path / "run1") == _saved_tokenizers(tmp_path / "run2")


def _saved_tokenizers(out: Path) -> dict[str, object]:
    saved: dict[str, object] = {}
    for p in sorted((out / "tokenizers").iterdir()):
        if p.name.startswith("train-bpe-"):
            model = json.loads(p.read_text(encoding="utf-8"))
            model.get("training", {}).pop("seconds", None)
            saved[p.name] = model
        else:
            saved[p.name] = p.read_bytes()
    assert len(saved) == 3
    return saved
