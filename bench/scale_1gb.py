"""Memory and time of ``python -m tokeff analyze`` on a ~1 GB corpus.

Run on demand (not a test), from the repository root::

    python bench/scale_1gb.py [--size 1GB] [--single-line] [--shared ../shared] [--workers N] [--keep DIR]

It builds a corpus of about ``--size`` in a temporary folder from real text (paragraphs of the
shared Gutenberg books and Tiny Shakespeare, NTREX-128 sentences in every language, and the
standard library's own Python source, shuffled and repeated; ``--single-line``: one line of
real sentences without a newline), runs::

    python -m tokeff analyze --corpus THAT --tokenizer tiktoken:cl100k_base --tokenizer bytes --no-report --no-cache

in a subprocess, samples the resident memory of the whole process tree (the CLI and its forked
measurement workers) every 0.2 s with ``bench/proc_memory.py``, and prints wall time, MB/s of corpus and peak RSS, and whether
peak RSS stayed under 1 GB (exit status 1 if not). It also says whether the progress bar of the
long pass showed an ETA. ``tests/test_scale.py`` (``pytest -m slow``) reuses these functions.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from proc_memory import SampledRun, run_sampled  # noqa: E402  (the benches' one memory sampler)

RSS_LIMIT = 1 << 30  # 1 GiB: what "memory bounded" means for a laptop-sized run
SAMPLE_SECONDS = 0.2
# tqdm shows "[elapsed<remaining, rate]" only when it knows the total; without it "[elapsed, rate]".
_ETA = re.compile(r"\[\d+:\d+(?::\d+)?<\d+:\d+(?::\d+)?")


def parse_size(text: str) -> int:
    """``"1GB"``, ``"100MB"``, ``"2e8"`` -> bytes (decimal units: 1 GB = 10**9 bytes)."""
    m = re.fullmatch(r"\s*([0-9.eE+]+)\s*([kKmMgG]?)[bB]?\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(f"size {text!r}: expected e.g. 1GB, 100MB or 2e8")
    return int(float(m.group(1)) * {"": 1, "k": 10**3, "m": 10**6, "g": 10**9}[m.group(2).lower()])


def shared_folder(default: str | None = None) -> Path:
    return Path(default or os.environ.get("TOKEFF_SHARED") or REPO.parent / "shared").resolve()


def _paragraphs(text: str) -> Iterator[str]:
    """Blank-line-separated blocks with their inner blank lines gone (one document each)."""
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        block = block.strip("\n")
        if block.strip():
            yield block


def document_pool(shared: Path) -> list[str]:
    """Real documents to build a corpus from: prose, many scripts, and code."""
    pool: list[str] = []
    for sub in ("gutenberg_en", "tinyshakespeare"):
        for f in sorted((shared / "corpora" / sub).glob("*.txt")):
            if f.name != "SOURCE.txt":
                pool += _paragraphs(f.read_text(encoding="utf-8", errors="replace"))
    for f in sorted((shared / "corpora" / "ntrex128").glob("*.txt")):
        if f.stem.islower():  # <lang>.txt, not SOURCE.txt
            pool += [x for x in f.read_text(encoding="utf-8").splitlines() if x.strip()]
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for f in sorted(stdlib.glob("*.py"))[:200]:
        pool += _paragraphs(f.read_text(encoding="utf-8", errors="replace"))
    if not pool:
        raise SystemExit(f"no text found under {shared}/corpora; set TOKEFF_SHARED or pass --shared")
    return pool


def build_corpus(path: Path, size: int, shared: Path, seed: int = 0) -> int:
    """Write about ``size`` bytes of shuffled, repeated real documents to ``path``
    (blank-line separated); returns the bytes written."""
    pool = [p.encode("utf-8") for p in document_pool(shared)]
    rng = random.Random(seed)
    written = 0
    with path.open("wb") as f:
        while written < size:
            rng.shuffle(pool)
            for doc in pool:
                f.write(doc + b"\n\n")
                written += len(doc) + 2
                if written >= size:
                    break
    return written


def build_single_line(path: Path, size: int, shared: Path) -> int:
    """One line of about ``size`` bytes: real sentences joined by spaces, no newline at all."""
    sentences = [x.strip() for x in document_pool(shared)[:5000]]
    chunk = " ".join(s.replace("\n", " ") for s in sentences).encode("utf-8") + b" "
    written = 0
    with path.open("wb") as f:
        while written < size:
            part = chunk[: size - written]
            f.write(part)
            written += len(part)
    return written


def showed_eta(stderr: str) -> bool:
    """Whether the progress bar of the long pass showed an ETA (it does when it knows the total)."""
    return bool(_ETA.search(stderr))


def last_progress(stderr: str) -> str:
    """The measurement bar's last state (text measured, elapsed time of the pass, rate)."""
    states = [s.strip() for s in re.split(r"[\r\n]", stderr) if s.startswith("measuring:")]
    return states[-1] if states else ""


def run_monitored(args: list[str], *, env: dict[str, str] | None = None, timeout: float = 3600) -> SampledRun:
    """Run ``python -m tokeff ARGS`` and sample its process tree's RSS every 0.2 s."""
    return run_sampled([sys.executable, "-m", "tokeff", *args], cwd=REPO, env=env, timeout=timeout,
                       interval=SAMPLE_SECONDS)


def analyze_args(corpus: Path, out: Path, workers: int | None = None) -> list[str]:
    args = ["analyze", "--corpus", str(corpus), "--tokenizer", "tiktoken:cl100k_base", "--tokenizer", "bytes",
            "--no-report", "--no-cache", "--out", str(out)]  # a cached result would time nothing
    if workers:
        args += ["--workers", str(workers)]
    return args


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=parse_size, default=parse_size("1GB"), help="corpus size, e.g. 1GB, 100MB (default 1GB)")
    ap.add_argument("--shared", help="the shared data folder (default: TOKEFF_SHARED or ../shared)")
    ap.add_argument("--workers", type=int, help="--workers for analyze (default: all cores)")
    ap.add_argument("--single-line", action="store_true", help="one line of --size bytes instead of many documents")
    ap.add_argument("--keep", metavar="DIR", help="build the corpus and results here and keep them")
    opts = ap.parse_args()
    shared = shared_folder(opts.shared)
    env = {"TIKTOKEN_CACHE_DIR": os.environ.get("TIKTOKEN_CACHE_DIR", str(shared / "tokenizers" / "tiktoken"))}
    with tempfile.TemporaryDirectory(prefix="tokeff-scale-") as tmp:
        folder = Path(opts.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        corpus = folder / "scale.txt"
        t0 = time.perf_counter()
        size = (build_single_line if opts.single_line else build_corpus)(corpus, opts.size, shared)
        print(f"built {corpus.name}: {size / 1e6:,.0f} MB in {time.perf_counter() - t0:.0f} s", flush=True)
        args = analyze_args(corpus, folder / "results", opts.workers)
        print("running: python -m tokeff " + " ".join(args), flush=True)
        stats = run_monitored(args, env=env)
    if stats.returncode != 0:
        print(stats.stderr[-2000:], file=sys.stderr)
        print(f"analyze failed with exit status {stats.returncode}")
        return 1
    ok = stats.peak_rss < RSS_LIMIT
    print(f"wall time      {stats.wall_seconds:,.1f} s")
    print(f"throughput     {size / 1e6 / stats.wall_seconds:,.2f} MB/s (whole command, corpus bytes)")
    print(f"peak RSS       {stats.peak_rss / 2**20:,.0f} MiB (process tree: CLI + workers)")
    print(f"RSS < 1 GiB    {'yes' if ok else 'NO'}")
    print(f"progress ETA   {'shown' if showed_eta(stats.stderr) else 'not shown (the bar has no total)'}")
    print(f"last progress  {last_progress(stats.stderr) or '(none)'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
