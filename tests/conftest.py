"""Shared test fixtures.

Real data for tests lives beside the checkout in ``../shared`` (override with ``TOKEFF_SHARED``):
real corpora and pretrained tokenizer files that cannot be downloaded here. Tests read it in place
through the one ``shared_dir`` fixture and skip, saying why, where it is absent.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
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


def _folder_state(folder: Path) -> dict[str, tuple[int, int]]:
    """Each file of ``folder`` (not below it) by name: (size, modification time in ns)."""
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir() if p.is_file()}


@pytest.fixture(scope="session", autouse=True)
def _tiktoken_cache_unchanged(_offline_tiktoken_cache: None) -> Iterator[None]:
    """The suite leaves tiktoken's cache folder as it found it.

    tiktoken copies every file it loads into ``TIKTOKEN_CACHE_DIR`` under a key made from the
    file's path, so a test that loads a ranks file it wrote with tiktoken itself (not through
    ``tiktoken:PATH``, which turns the cache off) would leave a copy in the shared folder at every
    run. Fails at the end of the session, naming the files added, removed or changed.
    """
    folder = Path(os.environ.get("TIKTOKEN_CACHE_DIR") or "")
    if not os.environ.get("TIKTOKEN_CACHE_DIR") or not folder.is_dir():
        yield
        return
    before = _folder_state(folder)
    yield
    after = _folder_state(folder)
    changes = [f"added {n}" for n in sorted(after.keys() - before.keys())]
    changes += [f"removed {n}" for n in sorted(before.keys() - after.keys())]
    changes += [f"changed {n}" for n in sorted(before.keys() & after.keys()) if before[n] != after[n]]
    if changes:
        pytest.fail(f"the test run changed tiktoken's cache folder {folder}: {', '.join(changes)}; "
                    "load ranks files with TIKTOKEN_CACHE_DIR='' (tiktoken then reads them without caching)",
                    pytrace=False)


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests (and the CLI subprocesses they start) cache results in a fresh folder, never the user's."""
    os.environ["TOKEFF_CACHE"] = str(tmp_path_factory.mktemp("tokeff-cache"))
