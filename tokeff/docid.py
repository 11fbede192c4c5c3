"""Document ids, hashed: which split a document is in, and its bootstrap key.

A document's split and its bootstrap resampling group are pure functions of its ``doc_id``, so
they need no pass over the corpus and aligned lines of a parallel corpus (which share their id)
land together in every language. Both come from one hash::

    h(id) = BLAKE2b(UTF-8 bytes of id, digest_size=8), read as a big-endian 64-bit integer

(RFC 7693; ``hashlib.blake2b``, or the C core's own copy, ``tokeff/_native/blake2b.c``).

* split: ``"train"`` when h / 2**64 < train fraction, else ``"eval"`` (:func:`split_of`);
* bootstrap key: h >> 1, which fits an int64; its low 16 bits are the document's bootstrap slot
  (:func:`doc_key`, :mod:`tokeff.metrics.bootstrap`).

The batched functions (:func:`doc_hashes`, :func:`doc_keys`, :func:`in_train`) hash thousands of
ids in one C call when the core is built, and give the same arrays in pure Python without it.

This module imports nothing of tokeff but the C core, so the corpus layer and the metrics can
both use it.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from typing import Literal

import numpy as np

from . import _native

#: Share of documents in the train split unless the corpus says otherwise.
DEFAULT_TRAIN_FRACTION = 0.8


def doc_hash(doc_id: str) -> int:
    """The 64-bit BLAKE2b hash h of a document id (see the module docstring)."""
    return int.from_bytes(hashlib.blake2b(doc_id.encode("utf-8"), digest_size=8).digest(), "big")


def split_of(doc_id: str, train_fraction: float = DEFAULT_TRAIN_FRACTION) -> Literal["train", "eval"]:
    """``"train"`` for a deterministic ``train_fraction`` of ids, ``"eval"`` for the rest."""
    return "train" if doc_hash(doc_id) / 2**64 < train_fraction else "eval"


def doc_key(doc_id: str) -> int:
    """A 63-bit hash of a document id (h >> 1); its low 16 bits are the document's bootstrap slot."""
    return doc_hash(doc_id) >> 1


def doc_hashes(doc_ids: Sequence[str]) -> np.ndarray:
    """:func:`doc_hash` of each id, as a uint64 array (one C call with the core)."""
    if _native.core is not None:
        return np.frombuffer(_native.core.doc_hashes(doc_ids), dtype=np.uint64)
    return np.fromiter(map(doc_hash, doc_ids), dtype=np.uint64, count=len(doc_ids))


def doc_keys(doc_ids: Sequence[str]) -> np.ndarray:
    """:func:`doc_key` of each id, as an int64 array (one C call with the core)."""
    if _native.core is not None:
        return np.frombuffer(_native.core.doc_keys(doc_ids), dtype=np.int64)
    return np.fromiter(map(doc_key, doc_ids), dtype=np.int64, count=len(doc_ids))


@functools.lru_cache(maxsize=16)
def train_threshold(train_fraction: float) -> int:
    """The least 64-bit hash h that :func:`split_of` puts in the eval split (2**64 if none): it
    compares the float h / 2**64 with the fraction, which only grows with h, so "train" is exactly
    h below this threshold. Found by bisection with that same comparison, so no rounding of the
    float can make the two disagree."""
    lo, hi = 0, 1 << 64
    while lo < hi:
        mid = (lo + hi) // 2
        if mid / 2**64 < train_fraction:
            lo = mid + 1
        else:
            hi = mid
    return lo


def in_train(doc_ids: Sequence[str], train_fraction: float = DEFAULT_TRAIN_FRACTION) -> np.ndarray:
    """``split_of(i, train_fraction) == "train"`` for each id, as a bool array: the ids' hashes
    (:func:`doc_hashes`) compared with :func:`train_threshold`, without a Python call per id when
    the core is built."""
    threshold = train_threshold(train_fraction)
    hashes = doc_hashes(doc_ids)
    if threshold >= 1 << 64:
        return np.ones(len(hashes), dtype=bool)
    return hashes < np.uint64(threshold)
