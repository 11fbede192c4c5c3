"""Memory and time at scale (``pytest -m slow``; minutes, not part of the default run).

Both cases run ``python -m tokeff analyze`` in a subprocess through the functions of
``bench/scale_1gb.py`` and sample the resident memory of the whole process tree (the CLI and its
forked workers): a single line of 200 MB, and a 100 MB corpus of real documents. Memory must stay
under 1 GiB however large the input.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _bench():
    spec = importlib.util.spec_from_file_location("scale_1gb", REPO / "bench" / "scale_1gb.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("kind, size", [("single line", 200_000_000), ("corpus", 100_000_000)])
def test_peak_memory_stays_under_1_gib(kind: str, size: int, tmp_path: Path, shared_dir: Path) -> None:
    bench = _bench()
    corpus = tmp_path / "scale.txt"
    build = bench.build_single_line if kind == "single line" else bench.build_corpus
    assert build(corpus, size, shared_dir) >= size
    if kind == "single line":
        assert corpus.read_bytes().count(b"\n") == 0
    out = tmp_path / "out"
    stats = bench.run_monitored(bench.analyze_args(corpus, out, workers=2),
                                env={"TOKEFF_CACHE": str(tmp_path / "cache")}, timeout=1800)
    assert stats.returncode == 0, stats.stderr[-2000:]
    assert stats.peak_rss < bench.RSS_LIMIT, f"{kind}: peak RSS {stats.peak_rss / 2**20:.0f} MiB"
    df = pd.read_csv(out / "metrics.csv")
    bpt = df[(df.metric == "bytes_per_token") & (df.language == "all")].set_index("tokenizer")["value"]
    assert bpt["bytes"] == 1.0 and bpt["tiktoken:cl100k_base"] > 2
