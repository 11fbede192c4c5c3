"""Shared test fixtures.

Real data for tests lives beside the checkout in ``../shared`` (override with ``TOKEFF_SHARED``):
real corpora and pretrained tokenizer files that cannot be downloaded here. Tests read it in place
through the one ``shared_dir`` fixture and skip, saying why, where it is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def _shared_path() -> Path:
    return Path(os.environ.get("TOKEFF_SHARED", REPO_ROOT.parent / "shared")).resolve()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The shared real-data folder; skips the test when it is not there."""
    path = _shared_path()
    if not (path / "corpora").is_dir():
        pytest.skip(f"real test data not found at {path} (set TOKEFF_SHARED to the shared data folder)")
    return path


@pytest.fixture(scope="session", autouse=True)
def _offline_tiktoken_cache() -> None:
    """Point tiktoken at the shared encodings so ``tiktoken:NAME`` loads offline in tests."""
    cache = _shared_path() / "tokenizers" / "tiktoken"
    if cache.is_dir():
        os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(cache))


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests (and the CLI subprocesses they start) cache results in a fresh folder, never the user's."""
    os.environ["TOKEFF_CACHE"] = str(tmp_path_factory.mktemp("tokeff-cache"))
