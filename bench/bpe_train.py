"""Benchmark: tokeff's BPE trainer against HF ``tokenizers`` and sentencepiece (run on demand).

    python bench/bpe_train.py                      # 1, 10, 50 MB x vocab 4096, 16384
    python bench/bpe_train.py --sizes 1 10 --vocab 16384 --trainers tokeff hf --repeat 3

The corpus is real text concatenated in a fixed order — the shared corpora (``../shared/corpora``,
or ``$TOKEFF_SHARED/corpora``: tinyshakespeare, gutenberg_en, ntrex128) then the Python standard
library's ``.py`` files — cut at a line end after SIZE megabytes and written to a temporary folder.
Every trainer runs in its own subprocess and streams that file line by line; we report the wall
time of the training call, the CPU time of the whole subprocess (all its threads and child
processes: less sensitive than wall time to a busy machine) and two memory peaks: "peak RSS", the
``ru_maxrss`` of the largest single process (from ``os.wait4``), and "peak total", the largest sum
of proportional set sizes over the subprocess and its own child processes, sampled every 20 ms
(tokeff counts in worker processes, HF in threads, so only the total compares them fairly).
With ``--repeat N`` the best of N runs is shown.

All trainers learn a byte-level BPE with the same pre-split (GPT-2 regex) and ``min_frequency=2``,
except sentencepiece, which has its own pre-split and no byte-level base (characters covering
99.95% of the text, the rest as ``byte_fallback`` pieces).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from proc_memory import tree_bytes  # noqa: E402  (the benches' shared process-tree sampler)



def shared_dir() -> Path:
    return Path(os.environ.get("TOKEFF_SHARED", REPO.parent / "shared")).resolve()


def source_files() -> list[Path]:
    corpora = shared_dir() / "corpora"
    files: list[Path] = [corpora / "tinyshakespeare" / "input.txt"]
    files += sorted((corpora / "gutenberg_en").glob("pg*.txt"))
    files += sorted(p for p in (corpora / "ntrex128").glob("*.txt") if p.stem.islower())  # not SOURCE.txt
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files += sorted(p for p in stdlib.rglob("*.py") if "site-packages" not in p.parts)
    return [f for f in files if f.is_file()]


def build_corpus(size_mb: float, folder: Path) -> Path:
    """The first ``size_mb`` MB (UTF-8 bytes, whole lines) of the fixed concatenation."""
    out = folder / f"corpus_{size_mb:g}MB.txt"
    limit = int(size_mb * 1_000_000)
    written = 0
    with out.open("w", encoding="utf-8") as dst:
        for f in source_files():
            text = f.read_text(encoding="utf-8", errors="replace")
            if not text.endswith("\n"):
                text += "\n"
            data = text.encode("utf-8")
            if written + len(data) > limit:
                cut = data[: limit - written]
                cut = cut[: cut.rfind(b"\n") + 1]
                dst.write(cut.decode("utf-8", errors="ignore"))
                written += len(cut)
                break
            dst.write(text)
            written += len(data)
    if written < limit * 0.95:
        print(f"note: only {written / 1e6:.1f} MB of text available for {size_mb:g} MB", file=sys.stderr)
    return out


GPT2 = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""


def run_tokeff(path: Path, vocab: int, extra: str) -> dict:
    sys.path.insert(0, str(REPO))
    from tokeff.bpe import train_bpe

    backend = extra or "auto"
    with path.open(encoding="utf-8") as f, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a small corpus may stop short of the vocabulary (so does HF)
        t = time.perf_counter()
        model = train_bpe(f, vocab, pattern="gpt2", min_frequency=2, backend=backend)
        seconds = time.perf_counter() - t
    return {"seconds": seconds, "vocab": model.vocab_size}


def run_hf(path: Path, vocab: int, extra: str) -> dict:
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(GPT2), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    trainer = trainers.BpeTrainer(
        vocab_size=vocab, min_frequency=2, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
    )
    with path.open(encoding="utf-8") as f:
        t = time.perf_counter()
        tok.train_from_iterator(f, trainer)
        seconds = time.perf_counter() - t
    return {"seconds": seconds, "vocab": tok.get_vocab_size()}


def run_spm(path: Path, vocab: int, extra: str) -> dict:
    import sentencepiece as spm

    with tempfile.TemporaryDirectory() as tmp, path.open(encoding="utf-8") as f:
        t = time.perf_counter()
        spm.SentencePieceTrainer.train(
            sentence_iterator=f,
            model_prefix=f"{tmp}/m",
            model_type="bpe",
            vocab_size=vocab,
            byte_fallback=True,
            character_coverage=0.9995,  # rare characters fall back to bytes
            num_threads=os.cpu_count() or 1,
            max_sentence_length=1 << 16,
            minloglevel=2,
        )
        seconds = time.perf_counter() - t
    return {"seconds": seconds, "vocab": vocab}


TRAINERS = {"tokeff": run_tokeff, "hf": run_hf, "spm": run_spm}


def _watch_memory(pid: int, peak: list[float], done: threading.Event) -> None:
    """Sample the total memory of the process tree every 20 ms; keep the largest sum."""
    while not done.wait(0.02):
        peak[0] = max(peak[0], tree_bytes(pid, "pss") / 2**20)


def measure(trainer: str, path: Path, vocab: int) -> dict:
    """Run one trainer in a fresh subprocess; its result plus its CPU time and memory peaks."""
    name, _, extra = trainer.partition(":")
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", name, str(path), str(vocab), extra],
        stdout=subprocess.PIPE,
        text=True,
    )
    peak, done = [0.0], threading.Event()
    watcher = threading.Thread(target=_watch_memory, args=(proc.pid, peak, done), daemon=True)
    watcher.start()
    out = proc.stdout.read()
    done.set()
    watcher.join()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        return {"seconds": float("nan"), "rss_mb": float("nan"), "cpu_s": float("nan"), "tree_mb": float("nan"), "error": proc.returncode}
    result = json.loads(out.strip().splitlines()[-1])
    result["rss_mb"] = usage.ru_maxrss / 1024  # kilobytes on Linux; the largest single process
    result["tree_mb"] = peak[0]
    result["cpu_s"] = usage.ru_utime + usage.ru_stime  # the whole child, all threads and processes
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=float, nargs="+", default=[1, 10, 50], help="corpus sizes in MB")
    ap.add_argument("--vocab", type=int, nargs="+", default=[4096, 16384], help="vocabulary sizes")
    ap.add_argument(
        "--trainers", nargs="+", default=["tokeff", "hf", "spm"],
        help="tokeff, tokeff:python (no C core), hf, spm",
    )
    ap.add_argument("--repeat", type=int, default=1, help="runs per cell; the best time is shown")
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        name, path, vocab, extra = args.child
        print(json.dumps(TRAINERS[name](Path(path), int(vocab), extra)))
        return

    print(f"{'MB':>5} {'vocab':>6} {'trainer':>14} {'wall s':>8} {'cpu s':>7} {'peak RSS MB':>12} {'peak total MB':>14} {'tokeff/HF wall':>15}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            path = build_corpus(size, Path(tmp))
            for vocab in args.vocab:
                rows = {}
                for trainer in args.trainers:
                    runs = [measure(trainer, path, vocab) for _ in range(args.repeat)]
                    best = min(runs, key=lambda r: r["seconds"])
                    best["rss_mb"] = min(r["rss_mb"] for r in runs)
                    best["cpu_s"] = min(r["cpu_s"] for r in runs)
                    best["tree_mb"] = min(r["tree_mb"] for r in runs)
                    rows[trainer] = best
                hf = rows.get("hf", {}).get("seconds")
                for trainer, r in rows.items():
                    ratio = f"{r['seconds'] / hf:15.2f}" if hf and trainer.startswith("tokeff") else ""
                    print(
                        f"{size:5g} {vocab:6d} {trainer:>14} {r['seconds']:8.2f} {r['cpu_s']:7.2f}"
                        f" {r['rss_mb']:12.0f} {r['tree_mb']:14.0f} {ratio}",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
