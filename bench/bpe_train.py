"""Benchmark: tokeff's BPE trainer against HF ``BpeTrainer`` and ``rustbpe`` (run on demand).

    python bench/bpe_train.py                                   # 200 MB and 1 GB x vocab 32k, 64k, 200k
    python bench/bpe_train.py --sizes 5 --vocab 32768           # a quick check
    python bench/bpe_train.py --sizes 10 --vocab 16384 --trainers tokeff hf rustbpe spm --repeat 3

The corpus is real text concatenated in a fixed order (the shared corpora, ``$TOKEFF_SHARED/corpora``
or ``../shared/corpora``: tinyshakespeare, gutenberg_en, ntrex128; then the Python standard library's
``.py`` files: 54 MB in all), cycled as often as needed and cut at a line end after SIZE megabytes,
written once per size to a temporary folder. Every trainer runs in its own subprocess and streams
that file line by line; each learns a byte-level BPE with the GPT-2 pre-split regex and
``min_frequency=2`` (``rustbpe`` has no minimum; on a cycled corpus every pair occurs at least
twice anyway). SentencePiece (``spm``, not run by default) has its own pre-split and no byte-level
base.

For each trainer: the wall time of the training call (reading the file included, start-up and
imports not), the CPU time of the whole subprocess (all its threads and processes), and the
process-tree peak RSS (``bench/proc_memory.py``: tokeff counts in forked processes, the others in
threads, so only the whole tree compares them). Then, per cell, tokeff over the faster peer, each
beside its target (wall time <= 1.0x, peak RSS <= 1.0x), and whether tokeff's merge list equals
HF's, pair for pair (the target asks for that at one cell at least). ``--repeat N`` keeps each
trainer's best of N runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import sysconfig
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from proc_memory import SampledRun, run_sampled  # noqa: E402  (the benches' one memory sampler)

PEERS = ("hf", "rustbpe")  # the trainers tokeff's targets are measured against
WALL_TARGET = 1.0  # tokeff's wall time over the faster peer's
MEMORY_TARGET = 1.0  # tokeff's process-tree peak RSS over that same peer's


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
    """The first ``size_mb`` MB (UTF-8 bytes, whole lines) of the fixed concatenation, cycled."""
    out = folder / f"corpus_{size_mb:g}MB.txt"
    limit = int(size_mb * 1_000_000)
    texts = []
    for f in source_files():
        data = f.read_text(encoding="utf-8", errors="replace").encode("utf-8")
        texts.append(data if data.endswith(b"\n") else data + b"\n")
    if not texts:
        raise SystemExit(f"no text found under {shared_dir()}/corpora; set TOKEFF_SHARED")
    written = 0
    with out.open("wb") as dst:
        while written < limit:
            for data in texts:
                if written + len(data) > limit:
                    cut = data[: limit - written]
                    cut = cut[: cut.rfind(b"\n") + 1]
                    dst.write(cut)
                    written = limit
                    break
                dst.write(data)
                written += len(data)
    return out


GPT2 = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""


def _hex_pairs(pairs) -> list[list[str]]:
    return [[a.hex(), b.hex()] for a, b in pairs]


def run_tokeff(path: Path, vocab: int, merges_out: Path, extra: str) -> dict:
    sys.path.insert(0, str(REPO))
    from tokeff.bpe import train_bpe

    backend = extra or "auto"
    with path.open(encoding="utf-8") as f, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a small corpus may stop short of the vocabulary (so does HF)
        t = time.perf_counter()
        model = train_bpe(f, vocab, pattern="gpt2", min_frequency=2, backend=backend)
        seconds = time.perf_counter() - t
    pairs = [(model.token_bytes(a), model.token_bytes(b)) for a, b in model.merges]
    merges_out.write_text(json.dumps({"pairs": _hex_pairs(pairs)}))
    return {"seconds": seconds, "vocab": model.vocab_size}


def run_hf(path: Path, vocab: int, merges_out: Path, extra: str) -> dict:
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
    sys.path.insert(0, str(REPO))
    from tokeff.bpe.alphabet import from_hf_string

    merges = json.loads(tok.to_str())["model"]["merges"]
    pairs = [(from_hf_string(a), from_hf_string(b)) for a, b in (m.split(" ") if isinstance(m, str) else m for m in merges)]
    merges_out.write_text(json.dumps({"pairs": _hex_pairs(pairs)}))
    return {"seconds": seconds, "vocab": tok.get_vocab_size()}


def run_rustbpe(path: Path, vocab: int, merges_out: Path, extra: str) -> dict:
    import rustbpe

    tok = rustbpe.Tokenizer()
    with path.open(encoding="utf-8") as f:
        t = time.perf_counter()
        tok.train_from_iterator(f, vocab_size=vocab, pattern=GPT2)
        seconds = time.perf_counter() - t
    # rustbpe gives the tokens in rank order, not the pairs that made them
    tokens = [bytes(b).hex() for b, _ in sorted(tok.get_mergeable_ranks(), key=lambda x: x[1])[256:]]
    merges_out.write_text(json.dumps({"tokens": tokens}))
    return {"seconds": seconds, "vocab": tok.vocab_size}


def run_spm(path: Path, vocab: int, merges_out: Path, extra: str) -> dict:
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
    merges_out.write_text("{}")
    return {"seconds": seconds, "vocab": vocab}


TRAINERS = {"tokeff": run_tokeff, "hf": run_hf, "rustbpe": run_rustbpe, "spm": run_spm}


def measure(trainer: str, path: Path, vocab: int, merges_out: Path) -> dict:
    """Run one trainer in a fresh subprocess: its result, CPU time and process-tree peak RSS."""
    name, _, extra = trainer.partition(":")
    run: SampledRun = run_sampled(
        [sys.executable, __file__, "--child", name, str(path), str(vocab), str(merges_out), extra], interval=0.05
    )
    if run.returncode != 0:
        print(f"{trainer} failed (exit status {run.returncode}): {run.stderr.strip()[-800:]}", file=sys.stderr)
        return {"seconds": float("nan"), "cpu_s": float("nan"), "rss_mb": float("nan"), "vocab": 0}
    result = json.loads(run.stdout.strip().splitlines()[-1])
    result["cpu_s"] = run.cpu_seconds
    result["rss_mb"] = run.peak_rss_mib
    return result


def merges_agree(ours: Path, theirs: Path) -> str:
    """"yes (N)" when tokeff's merge pairs equal HF's, else where they first part."""
    a = json.loads(ours.read_text()).get("pairs", [])
    b = json.loads(theirs.read_text()).get("pairs", [])
    if a == b:
        return f"yes ({len(a):,})"
    first = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return f"no: first differ at merge {first:,} of {len(a):,} / {len(b):,}"


def verdict(ratio: float, target: float) -> str:
    return f"{ratio:5.2f}x (target <= {target:.1f}x: {'met' if ratio <= target else 'NOT met'})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=float, nargs="+", default=[200, 1000], help="corpus sizes in MB")
    ap.add_argument("--vocab", type=int, nargs="+", default=[32768, 65536, 200000], help="vocabulary sizes")
    ap.add_argument(
        "--trainers", nargs="+", default=["tokeff", "hf", "rustbpe"],
        help="tokeff, tokeff:python (no C core), hf, rustbpe, spm",
    )
    ap.add_argument("--repeat", type=int, default=1, help="runs per cell; the best of each figure is shown")
    ap.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        name, path, vocab, merges_out, extra = args.child
        print(json.dumps(TRAINERS[name](Path(path), int(vocab), Path(merges_out), extra)))
        return

    print(f"load average (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} cores")
    print(f"{'MB':>6} {'vocab':>7} {'trainer':>14} {'wall s':>8} {'cpu s':>8} {'peak RSS MiB':>13} {'vocab got':>9}  merges = HF's")
    summary: list[str] = []
    agreed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="tokeff-bpe-bench-") as tmp:
        for size in args.sizes:
            path = build_corpus(size, Path(tmp))
            for vocab in args.vocab:
                rows: dict[str, dict] = {}
                for trainer in args.trainers:
                    runs = []
                    for i in range(args.repeat):
                        runs.append(measure(trainer, path, vocab, Path(tmp) / f"{trainer}.json"))
                    best = min(runs, key=lambda r: r["seconds"])
                    best["rss_mb"] = min(r["rss_mb"] for r in runs)
                    best["cpu_s"] = min(r["cpu_s"] for r in runs)
                    rows[trainer] = best
                same = ""
                if "tokeff" in rows and "hf" in rows:
                    same = merges_agree(Path(tmp) / "tokeff.json", Path(tmp) / "hf.json")
                    if same.startswith("yes"):
                        agreed.append(f"{size:g} MB x {vocab}")
                for trainer, r in rows.items():
                    print(f"{size:6g} {vocab:7d} {trainer:>14} {r['seconds']:8.2f} {r['cpu_s']:8.2f}"
                          f" {r['rss_mb']:13.0f} {r['vocab']:9d}  {same if trainer == 'tokeff' else ''}", flush=True)
                peers = [p for p in PEERS if p in rows and rows[p]["seconds"] == rows[p]["seconds"]]
                if "tokeff" in rows and peers:
                    fastest = min(peers, key=lambda p: rows[p]["seconds"])
                    ours, theirs = rows["tokeff"], rows[fastest]
                    line = (f"{size:g} MB x {vocab}: tokeff / {fastest} (the faster peer): wall "
                            f"{verdict(ours['seconds'] / theirs['seconds'], WALL_TARGET)}, peak RSS "
                            f"{verdict(ours['rss_mb'] / theirs['rss_mb'], MEMORY_TARGET)}")
                    summary.append(line)
                    print("  " + line, flush=True)
    if summary:
        print("\nRatios beside their targets:")
        for line in summary:
            print("  " + line)
        if "hf" in args.trainers and "tokeff" in args.trainers:
            print(f"  merges identical to HF's (target: at one size at least): "
                  f"{', '.join(agreed) if agreed else 'NOT at any size'}")
    print(f"load average (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
