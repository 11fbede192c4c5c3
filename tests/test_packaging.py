"""What a build gives: the corpora an installed tokeff ships, and a compiled core that matches
its source.

``setup.py`` copies ``corpora/`` into the built package as ``tokeff/_corpora``; the first test runs
that build step into a temporary folder and uses tokeff from there, as a wheel would install it.
The compiled core (``tokeff._native._core``) is built from every C file of ``tokeff/_native/``; a
source distribution carries them and their headers, and builds a core from them alone. A core
built from another version of that source (an editable install not rebuilt) is refused.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import tarfile
import types
from pathlib import Path

import numpy as np
import pytest

from tokeff import _native

REPO = Path(__file__).resolve().parents[1]


def test_a_built_package_holds_the_corpora_and_finds_them(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    subprocess.run([sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(lib)], cwd=REPO, check=True,
                   capture_output=True)
    shipped = sorted(p.relative_to(REPO / "corpora") for p in (REPO / "corpora").rglob("*") if p.is_file())
    copied = sorted(p.relative_to(lib / "tokeff" / "_corpora") for p in (lib / "tokeff" / "_corpora").rglob("*")
                    if p.is_file())
    assert shipped and copied == shipped
    # tokeff imported from the build folder (away from the source tree) reads its own copy
    env = {k: v for k, v in os.environ.items() if k != "TOKEFF_CORPORA"}
    code = ("import tokeff.corpus.default as d; "
            "print(d.corpora_dir()); "
            "print(len({x.language for x in d.parallel_sample_corpus().documents('all')}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env={**env, "PYTHONPATH": str(lib)},
                         check=True, capture_output=True, text=True).stdout.split()
    assert Path(out[0]) == lib / "tokeff" / "_corpora"
    assert int(out[1]) == len(list((REPO / "corpora" / "parallel").glob("*.txt")))


def test_a_compiled_core_from_older_source_is_refused_with_a_warning() -> None:
    stale = types.ModuleType("_core")  # as built before the interface changed: no ABI, or an older one
    with pytest.warns(RuntimeWarning, match="pip install -e ."):
        assert _native.checked(stale) is None
    stale.ABI = _native.ABI - 1
    with pytest.warns(RuntimeWarning):
        assert _native.checked(stale) is None
    stale.ABI = _native.ABI
    assert _native.checked(stale) is stale


def test_the_built_core_is_the_one_this_source_expects() -> None:
    try:
        core = importlib.import_module("tokeff._native._core")
    except ImportError:
        pytest.skip("the C core is not built (pure-Python install)")
    assert getattr(core, "ABI", None) == _native.ABI, \
        "the C core is stale or the ABI numbers in module.c and _native/__init__.py differ: rebuild with pip install -e ."


@pytest.mark.skipif(_native.core is None, reason="the C core is not built here (no compiler, or TOKEFF_PURE_PYTHON)")
def test_a_source_distribution_builds_the_whole_core(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "setup.py", "-q", "egg_info", "--egg-base", str(tmp_path), "sdist", "--dist-dir",
                    str(tmp_path)], cwd=REPO, check=True, capture_output=True)
    with tarfile.open(next(tmp_path.glob("tokeff-*.tar.gz"))) as tar:
        tar.extractall(tmp_path, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
        shipped = {Path(n).name for n in tar.getnames() if "/tokeff/_native/" in n}
    source = {p.name for p in (REPO / "tokeff" / "_native").iterdir() if p.suffix in (".c", ".h")}
    assert source <= shipped
    unpacked = next(p for p in tmp_path.glob("tokeff-*") if p.is_dir())
    # the build only warns when it fails (the core is optional): the import below is the check
    subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--inplace"], cwd=unpacked, check=True,
                   capture_output=True)
    code = ("from tokeff import _native; import numpy as np; "
            "print(_native.core.__file__); print(np.frombuffer(_native.core.doc_keys(['a']), dtype=np.int64)[0])")
    env = {k: v for k, v in os.environ.items() if k != "TOKEFF_PURE_PYTHON"}
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env={**env, "PYTHONPATH": str(unpacked)},
                         check=True, capture_output=True, text=True).stdout.split()
    assert Path(out[0]).parent == unpacked / "tokeff" / "_native"
    assert int(out[1]) == np.frombuffer(_native.core.doc_keys(["a"]), dtype=np.int64)[0]
