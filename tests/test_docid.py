"""Document-id hashing (:mod:`tokeff.docid`): one BLAKE2b hash decides a document's split and its
bootstrap slot, the same one by id or by batch, with or without the C core."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tokeff import _native
from tokeff.docid import doc_hash, doc_hashes, doc_key, doc_keys, in_train, split_of, train_threshold

# ids at the edges of BLAKE2b's 128-byte blocks, empty, and multi-byte UTF-8
EDGES = ["", "x" * 127, "x" * 128, "x" * 129, "x" * 256, "é" * 64, "日本語"]

ids_lists = st.lists(st.text(max_size=300), max_size=20)


def test_the_hash_is_blake2b_64_read_big_endian() -> None:
    # pinned: changing the hash would move documents between the splits and the bootstrap slots
    assert doc_hash("line-1") == 0xECE2A8317C2E94C8
    assert doc_hash("eng/42") == 0x7AE5461785D46A47
    assert doc_hash("é") == int(hashlib.blake2b("é".encode(), digest_size=8).hexdigest(), 16)
    assert (split_of("line-1"), split_of("eng/42")) == ("eval", "train")
    assert doc_key("line-1") == 0xECE2A8317C2E94C8 >> 1
    assert doc_key("line-1") & 0xFFFF == 19044


def test_doc_key_is_stable_and_fits_an_int64() -> None:
    assert doc_key("line-1") == doc_key("line-1") != doc_key("line-2")
    assert all(0 <= doc_key(i) < 2**63 for i in EDGES)


@pytest.mark.parametrize("core", ["c", "python"])
@settings(max_examples=100, deadline=None)
@given(ids=ids_lists)
def test_batched_hashes_are_the_hashes_of_each_id(core: str, ids: list[str]) -> None:
    if core == "c" and _native.core is None:
        pytest.skip("the C core is not built (pure-Python install)")
    ids = ids + EDGES
    saved = _native.core
    try:
        if core == "python":
            _native.core = None
        hashes, keys = doc_hashes(ids), doc_keys(ids)
    finally:
        _native.core = saved
    assert (hashes.dtype, keys.dtype) == (np.uint64, np.int64)
    assert hashes.tolist() == [doc_hash(i) for i in ids]
    assert keys.tolist() == [doc_key(i) for i in ids]


@pytest.mark.parametrize("core", ["c", "python"])
@settings(max_examples=200, deadline=None)
@given(ids=st.lists(st.text(st.characters(blacklist_categories=("Cs",)), max_size=12), max_size=50),
       fraction=st.one_of(st.sampled_from([0.0, 0.8, 0.5, 1.0, 1e-300, 1 - 2**-53, 2.0]), st.floats(0, 1)))
def test_splitting_a_batch_of_ids_agrees_with_split_of(core: str, ids: list[str], fraction: float) -> None:
    if core == "c" and _native.core is None:
        pytest.skip("the C core is not built (pure-Python install)")
    saved = _native.core
    try:
        if core == "python":
            _native.core = None
        got = in_train(ids, fraction).tolist()
    finally:
        _native.core = saved
    assert got == [split_of(i, fraction) == "train" for i in ids]


@given(fraction=st.floats(0, 1), offset=st.integers(-3, 3))
def test_the_train_threshold_is_where_split_of_turns(fraction: float, offset: int) -> None:
    # split_of compares the float h / 2**64: right at the threshold, whatever its rounding
    t = train_threshold(fraction)
    h = min(max(t + offset, 0), 2**64 - 1)
    assert (h / 2**64 < fraction) == (h < t)


def test_about_the_train_fraction_of_ids_are_train() -> None:
    ids = [f"doc-{i}" for i in range(20_000)]
    assert 0.79 < in_train(ids).mean() < 0.81
    assert 0.29 < in_train(ids, 0.3).mean() < 0.31


def test_the_module_imports_nothing_heavier_than_numpy() -> None:
    code = ("import sys, tokeff.docid; "
            "print(' '.join(sorted(m for m in sys.modules if m.startswith('tokeff') or m in "
            "('pandas', 'torch', 'regex', 'tqdm', 'platformdirs'))))")
    loaded = set(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
                 .stdout.split())
    assert loaded <= {"tokeff", "tokeff.docid", "tokeff._native", "tokeff._native._core"}
