"""tokeff's full analysis against the script a careful user would write instead (run on demand).

    python bench/vs_handwritten.py                       # tiktoken, HF, sentencepiece; 1 core and 2
    python bench/vs_handwritten.py --libraries hf --cores 2 --repeat 3

For each tokenizer (tiktoken ``cl100k_base``, HF GPT-2 from its ``vocab.json`` + ``merges.txt``,
the SentencePiece model of Mistral 7B, all from the shared folder: ``$TOKEFF_SHARED`` or
``../shared``) and each number of cores, two subprocesses measure all of NTREX-128 from its files:

* **by hand**: ``bench/handwritten.py``, the library alone: bytes and characters per token,
  in-context and standalone fertility, continued-word rate, premiums, Rényi efficiency through
  ``tokenization-scorer``, round trips; the library's batch calls get one thread per core;
* **tokeff**: ``load_tokenizer`` + ``parallel_corpus`` + ``measure`` with every metric (intervals,
  per-language rows, coverage, token lengths...), split ``all``, one process per core.

Each subprocess is pinned to that many cores (``sched_setaffinity``) and times itself from loading
the tokenizer to having the numbers (interpreter start-up and imports not included). The numbers
the script computes are asserted equal to tokeff's (relative difference below 1e-9; the premiums
of every language). The ratio is tokeff's wall time over the script's, beside its target
(<= 0.6x); CPU time of each side is shown too. ``--repeat N`` alternates the two N times and keeps
each side's best, as the machine's load moves timings from run to run.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
TARGET = 0.6  # tokeff's wall time over the hand-written script's

LIBRARIES = {  # name -> (tokeff spec, handwritten.py's kind and name), relative to the shared folder
    "tiktoken": ("tiktoken:cl100k_base", "tiktoken", "cl100k_base"),
    "hf": ("hf:{shared}/tokenizers/hf/gpt2", "hf", "{shared}/tokenizers/hf/gpt2"),
    "spm": ("spm:{shared}/tokenizers/spm/mistral-7b-v0.1.model", "spm", "{shared}/tokenizers/spm/mistral-7b-v0.1.model"),
}
MODULES = {"tiktoken": "tiktoken", "hf": "tokenizers", "spm": "sentencepiece"}  # imported before the clock starts
SCALARS = ("bytes_per_token", "chars_per_token", "fertility_in_context", "fertility", "continued_word_rate",
           "renyi_efficiency", "roundtrip_fidelity")


def shared_dir() -> Path:
    return Path(os.environ.get("TOKEFF_SHARED", REPO.parent / "shared")).resolve()


def pin(cores: int) -> None:
    """Run this process (and what it starts) on the first ``cores`` CPUs it may use."""
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < cores:
        raise SystemExit(f"asked for {cores} cores, this process may use {len(allowed)}")
    os.sched_setaffinity(0, allowed[:cores])


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def child_handwritten(kind: str, name: str, corpus: Path, cores: int) -> dict:
    sys.path.insert(0, str(HERE))
    from handwritten import measure_by_hand

    import regex, tokenization_scorer  # noqa: E401,F401  imports are not timed, on either side
    importlib.import_module(MODULES[kind])

    wall, cpu = time.perf_counter(), cpu_seconds()
    numbers = measure_by_hand(kind, name, corpus, threads=cores)
    return {"wall": time.perf_counter() - wall, "cpu": cpu_seconds() - cpu, "numbers": numbers}


def child_tokeff(spec: str, corpus: Path, cores: int) -> dict:
    sys.path.insert(0, str(REPO))
    from tokeff.adapters import base, load_tokenizer
    from tokeff.analysis import MetricSettings, measure
    from tokeff.corpus.sources import parallel_corpus

    importlib.import_module(MODULES[spec.split(":")[0]])
    # os.cpu_count() ignores the affinity mask: tell tokeff how many cores this machine has
    base.threads = cores
    wall, cpu = time.perf_counter(), cpu_seconds()
    tok = load_tokenizer(spec)
    corpus_ = parallel_corpus(corpus)
    # --- the full analysis: every metric family ---
    m = measure([corpus_], [tok], settings=MetricSettings(split="all"), workers=cores, progress=False)
    seconds = time.perf_counter() - wall, cpu_seconds() - cpu
    df = m.metrics
    overall = df[df.language == "all"].set_index("metric")["value"]
    premium = df[df.metric == "premium"].set_index("language")["value"]
    numbers = {k: float(overall[k]) for k in SCALARS}
    numbers["premium"] = {k: float(v) for k, v in premium.items()}
    return {"wall": seconds[0], "cpu": seconds[1], "numbers": numbers}


def run_child(*args: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def differences(ours: dict, theirs: dict) -> list[str]:
    """The numbers that differ by more than 1e-9 relative."""
    out = []
    for k in SCALARS:
        if not math.isclose(ours[k], theirs[k], rel_tol=1e-9):
            out.append(f"{k}: tokeff {ours[k]!r}, by hand {theirs[k]!r}")
    if ours["premium"].keys() != theirs["premium"].keys():
        out.append(f"premium languages: tokeff {sorted(ours['premium'])}, by hand {sorted(theirs['premium'])}")
    for lang in ours["premium"].keys() & theirs["premium"].keys():
        if not math.isclose(ours["premium"][lang], theirs["premium"][lang], rel_tol=1e-9):
            out.append(f"premium[{lang}]: tokeff {ours['premium'][lang]!r}, by hand {theirs['premium'][lang]!r}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--libraries", nargs="+", choices=list(LIBRARIES), default=list(LIBRARIES))
    ap.add_argument("--cores", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeat", type=int, default=1, help="alternate runs per side; the best is kept")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    shared = shared_dir()
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(shared / "tokenizers" / "tiktoken"))
    if args.child:
        side, cores, *rest = args.child
        pin(int(cores))
        result = (child_handwritten(rest[0], rest[1], Path(rest[2]), int(cores)) if side == "hand"
                  else child_tokeff(rest[0], Path(rest[1]), int(cores)))
        print(json.dumps(result))
        return

    corpus = shared / "corpora" / "ntrex128"
    print(f"NTREX-128 from {corpus.name}/, read from its files by both sides; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'library':10} {'cores':>5} {'by hand s':>9} {'tokeff s':>9} {'cpu hand':>8} {'cpu tokeff':>10}  "
          f"tokeff / by hand (wall)          numbers")
    lines = []
    for lib in args.libraries:
        spec, kind, name = (x.format(shared=shared) for x in LIBRARIES[lib])
        for cores in args.cores:
            hand = ours = None
            for _ in range(args.repeat):
                h = run_child("hand", str(cores), kind, name, str(corpus))
                t = run_child("tokeff", str(cores), spec, str(corpus))
                hand = h if hand is None or h["wall"] < hand["wall"] else hand
                ours = t if ours is None or t["wall"] < ours["wall"] else ours
            diff = differences(ours["numbers"], hand["numbers"])
            ratio = ours["wall"] / hand["wall"]
            verdict = f"{ratio:5.2f}x (target <= {TARGET}x: {'met' if ratio <= TARGET else 'NOT met'})"
            same = "equal" if not diff else f"DIFFER ({len(diff)})"
            line = (f"{lib:10} {cores:5d} {hand['wall']:9.2f} {ours['wall']:9.2f} {hand['cpu']:8.2f} "
                    f"{ours['cpu']:10.2f}  {verdict:32} {same}")
            print(line, flush=True)
            lines.append(line)
            steps = hand["numbers"]["seconds"]
            print("    by hand, wall s by step: " + ", ".join(f"{k} {v:.2f}" for k, v in steps.items()))
            for d in diff:
                print("    " + d)
            assert not diff, f"{lib}: the hand-written script and tokeff disagree"
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
