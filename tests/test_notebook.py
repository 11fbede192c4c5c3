"""The example notebook runs from top to bottom on the shared data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "examples" / "compare_tokenizers.ipynb"


def test_compare_tokenizers_notebook_runs(shared_dir, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("TOKEFF_SHARED", str(shared_dir))
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(shared_dir / "tokenizers" / "tiktoken"))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(REPO / "examples")}})
    client.execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    # the tables the notebook shows: units in the metric headers, premiums against English,
    # the cl100k / o200k ratio, and the character-fallback note of the no-space languages
    for shown in ("bytes_per_token (UTF-8 bytes / token)", "fertility (tokens / word (standalone))",
                  "premium vs eng", "cl100k premium / o200k premium", "segmentation=characters"):
        assert shown in text, shown
    # every tokenizer made it into the tables under its short name
    for name in ("tiktoken:cl100k_base", "tiktoken:o200k_base", "hf:claude-legacy.tokenizer.json",
                 "spm:mistral-7b-v0.1.model"):
        assert name in text, name
