"""Does the Dask engine scale, and what does it cost against the local engine on one machine?

Run on demand (not a test), from the repository root::

    python bench/engine_scaling.py [--mb 16] [--shards 16] [--tokenizer tiktoken:cl100k_base] [--repeat 3]

The corpus is NTREX-128 (the first lines of every language, about ``--mb`` megabytes, each line
a document with the id ``LANG:LINE``) written as ``--shards`` JSON-lines shards into a temporary
folder and read back as ``shards:DIR/*.jsonl``, the way a pretraining dump is read. Every
document is measured (``split="all"``, every metric family, 1,000 bootstrap replicates), so the
megabytes per second are of the whole corpus. It times the same measurement five ways:

* in one process (the local engine with ``workers=1``: the in-process baseline);
* the local engine with 2 processes (``tokeff analyze``'s default on 2 cores);
* the Dask engine on a ``LocalCluster`` of 1, then 2 worker processes of one thread each,
  *warm*: the cluster is started and one untimed run has loaded the tokenizers in the workers
  (what every measurement after the first on a long-lived cluster costs);
* the Dask engine *cold*, as ``--engine dask --workers 2`` runs: starting and closing its own
  cluster is part of the time.

The variants take turns, ``--repeat`` rounds of one run each, after both clusters are started
and warm, so that a change in a shared machine's load reaches them alike. Each time is the best
of its ``--repeat`` runs (cold: of one), split into the engine's part (reading
and measuring the shards, merging the states) and the whole ``measure`` call, which adds the
finish (bootstrap intervals and rows, in this process, the same for every engine). It prints the
scaling ratio from 1 to 2 Dask workers (target: at least 1.7x on 2 cores) and the Dask engine's
time over the local engine's with 2 processes each (target: at most 1.15x), both for the engine's
part and for the whole call, with the machine's load average before and after and, for scale,
what the local engine gained from its second process in the same rounds: on a shared machine the
ratios say as much about the other jobs as about the engines. (The in-process run keeps the
libraries' own thread pools, as ``--workers 1`` does; tiktoken's costs it time on short texts.)
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tokeff.adapters import load_tokenizer  # noqa: E402
from tokeff.analysis import MetricSettings, measure  # noqa: E402
from tokeff.corpus import load_corpus  # noqa: E402
from tokeff.engine import Engine  # noqa: E402
from tokeff.engine.dask import DaskEngine  # noqa: E402
from tokeff.engine.local import LocalEngine  # noqa: E402


class Timed(Engine):
    """An engine whose ``states`` calls are timed."""

    def __init__(self, inner: Engine) -> None:
        self.inner, self.seconds = inner, 0.0

    def states(self, *args, **kwargs):
        t = time.perf_counter()
        try:
            return self.inner.states(*args, **kwargs)
        finally:
            self.seconds = time.perf_counter() - t

    def close(self) -> None:
        self.inner.close()


def write_shards(shared: Path, mb: float, shards: int, folder: Path) -> int:
    """About ``mb`` megabytes of NTREX-128 lines as ``shards`` JSON-lines files; their bytes."""
    from tokeff.corpus.sources import parallel_corpus

    per_lang: dict[str, list] = {}
    for d in parallel_corpus(shared / "corpora" / "ntrex128").documents():
        per_lang.setdefault(d.language, []).append(d)
    total = sum(len(d.text.encode("utf-8")) for lines in per_lang.values() for d in lines)
    longest = max(map(len, per_lang.values()))
    k = max(1, min(longest, int(longest * mb * 1e6 / total) + 1))
    docs = [d for lang in sorted(per_lang) for d in per_lang[lang][:k]]
    size = -(-len(docs) // shards)
    for s in range(shards):
        part = docs[s * size:(s + 1) * size]
        (folder / f"part-{s:03d}.jsonl").write_text(
            "".join(json.dumps({"text": d.text, "id": f"{d.language}:{d.doc_id}", "language": d.language},
                               ensure_ascii=False) + "\n" for d in part), encoding="utf-8")
    return sum(len(d.text.encode("utf-8")) for d in docs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=16.0, help="megabytes of NTREX-128 (default 16: all of it)")
    ap.add_argument("--shards", type=int, default=16)
    ap.add_argument("--tokenizer", action="append", help="tokenizers to measure (default tiktoken:cl100k_base)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--shared", type=Path, default=Path(os.environ.get("TOKEFF_SHARED", REPO.parent / "shared")))
    args = ap.parse_args()
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(args.shared / "tokenizers" / "tiktoken"))
    from distributed import LocalCluster

    warnings.filterwarnings("ignore", message="Port .* is already in use")  # two clusters, one default port

    settings = MetricSettings(split="all")
    toks = [load_tokenizer(t) for t in (args.tokenizer or ["tiktoken:cl100k_base"])]
    load0 = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="tokeff-bench-") as tmp:
        nbytes = write_shards(args.shared, args.mb, args.shards, Path(tmp))
        (corpus,) = load_corpus(f"shards:{tmp}/*.jsonl")
        print(f"{nbytes / 1e6:.1f} MB of NTREX-128 in {len(corpus.shards())} shards; tokenizers: "
              f"{', '.join(t.name for t in toks)}; best of {args.repeat}; load average {load0[0]:.2f}\n")

        def timed(engine: Engine) -> tuple[float, float]:
            e = Timed(engine)
            t = time.perf_counter()
            measure([corpus], toks, settings=settings, engine=e, progress=False)
            return e.seconds, time.perf_counter() - t

        # both clusters up and warm first, then the variants in turn, round after round: on a
        # shared machine a change of load then reaches every variant alike
        with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                          silence_logs=logging.ERROR) as one, \
                LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                             silence_logs=logging.ERROR) as two, \
                DaskEngine(scheduler=one.scheduler_address) as dask1, DaskEngine(scheduler=two.scheduler_address) as dask2:
            variants = {"in one process (local, 1)": (1, lambda: LocalEngine(1)),
                        "local engine, 2 processes": (2, lambda: LocalEngine(2)),
                        "dask, 1 worker (warm)": (1, lambda: dask1),
                        "dask, 2 workers (warm)": (2, lambda: dask2)}
            timed(dask1), timed(dask2)  # warm: the workers import tokeff and open the tokenizers
            times: dict[str, list[tuple[float, float]]] = {how: [] for how in variants}
            for _ in range(args.repeat):
                for how, (_, make) in variants.items():
                    times[how].append(timed(make()))
        rows: dict[str, tuple[int, float, float]] = {
            how: (procs, min(t[0] for t in times[how]), min(t[1] for t in times[how]))
            for how, (procs, _) in variants.items()}

        def cold() -> tuple[float, float]:
            t = time.perf_counter()
            with DaskEngine(workers=2) as engine:
                engine_s, _ = timed(engine)  # the cluster starts in the engine's first call
            return engine_s, time.perf_counter() - t

        rows["dask, 2 workers (cold: own cluster)"] = (2, *cold())

    print(f"{'how':<38} {'procs':>5} {'engine s':>9} {'whole s':>8} {'MB/s':>7}")
    for how, (procs, engine_s, whole_s) in rows.items():
        print(f"{how:<38} {procs:>5} {engine_s:>9.2f} {whole_s:>8.2f} {nbytes / 1e6 / whole_s:>7.2f}")
    d1, d2 = rows["dask, 1 worker (warm)"], rows["dask, 2 workers (warm)"]
    local2, inproc = rows["local engine, 2 processes"], rows["in one process (local, 1)"]
    print()
    print(f"scaling, dask 1 -> 2 workers:          engine {d1[1] / d2[1]:.2f}x, whole {d1[2] / d2[2]:.2f}x"
          "   (target >= 1.7x)")
    print(f"dask 2 workers / local 2 processes:    engine {d2[1] / local2[1]:.2f}x, whole {d2[2] / local2[2]:.2f}x"
          "   (target <= 1.15x)")
    cold2 = rows["dask, 2 workers (cold: own cluster)"]
    print(f"  cold (cluster started and closed):   whole {cold2[2] / local2[2]:.2f}x")
    print(f"dask 1 worker / in one process:        engine {d1[1] / inproc[1]:.2f}x, whole {d1[2] / inproc[2]:.2f}x")
    print(f"for scale, local 1 -> 2 processes:     engine {inproc[1] / local2[1]:.2f}x, whole {inproc[2] / local2[2]:.2f}x"
          "   (what this machine's second core gave while the bench ran)")
    print(f"\nload average before {load0[0]:.2f}, after {os.getloadavg()[0]:.2f} (2 cores)")


if __name__ == "__main__":
    main()
