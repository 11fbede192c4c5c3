"""Atomic writes (:mod:`tokeff.files`): a file is whole or absent, and no temporary file stays
behind; the corpus layer uses them (and the cache folder) without loading pandas or the results
cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tokeff.files import atomic_write, cache_root, write_json, write_text


def test_a_write_replaces_the_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "a.txt"
    write_text(path, "first")
    write_text(path, "second, longer")
    assert path.read_text(encoding="utf-8") == "second, longer"
    assert os.listdir(path.parent) == ["a.txt"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    write_json(path, {"n": 1})

    def half(p: Path) -> None:
        p.write_text('{"n": ', encoding="utf-8")
        raise KeyboardInterrupt  # as when the user stops a run mid-write

    with pytest.raises(KeyboardInterrupt):
        atomic_write(path, half)
    assert json.loads(path.read_text(encoding="utf-8")) == {"n": 1}
    assert os.listdir(tmp_path) == ["a.json"]


def test_files_are_as_readable_as_the_umask_says(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_text(tmp_path / "a.txt", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o644  # not mkstemp's private 0600


def test_the_cache_root_follows_tokeff_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tokeff.cache

    monkeypatch.setenv("TOKEFF_CACHE", str(tmp_path / "c"))
    assert cache_root() == tmp_path / "c"
    assert tokeff.cache.cache_root is cache_root


def test_the_corpus_layer_loads_neither_the_results_cache_nor_pandas() -> None:
    code = ("import sys, tokeff.corpus, tokeff.corpus.known as k; "
            "k.corpus_folder('x'); k.list_known(); "
            "print(' '.join(m for m in ('tokeff.cache', 'tokeff.results', 'pandas') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()
    assert loaded == []


def test_an_interrupted_checkpoint_keeps_the_last_whole_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tokeff.lm.train import CHECKPOINT_FILE

    from .test_lm_train import run

    saves = []
    real_save = torch.save

    def save(obj, f, *a, **kw):
        saves.append(obj["step"])
        if len(saves) == 2:  # the second checkpoint breaks off half-written
            Path(f).write_bytes(b"half")
            raise KeyboardInterrupt
        return real_save(obj, f, *a, **kw)

    monkeypatch.setattr(torch, "save", save)
    with pytest.raises(KeyboardInterrupt):
        run(checkpoint_dir=tmp_path, checkpoint_every=4, eval_every=4)
    assert saves == [4, 8]
    assert os.listdir(tmp_path) == [CHECKPOINT_FILE]
    assert torch.load(tmp_path / CHECKPOINT_FILE, weights_only=False)["step"] == 4
