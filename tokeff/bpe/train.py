"""``train_bpe``: learn a byte-level BPE from an iterable of texts.

Two steps (see :mod:`tokeff.bpe.count` and :mod:`tokeff.bpe.merge_loop`):

1. stream the texts once, pre-split each with the pattern and count the chunks (in parallel);
2. learn merges on the ``{chunk: count}`` table with incrementally updated pair counts and a heap.

Training once to the largest size gives every smaller one for free: merge ``k`` never depends on
later merges, so the model for ``n`` tokens is a prefix of the merge list
(:meth:`BPEModel.truncate`).

The merge loop runs in C when the package's C core (:mod:`tokeff._native`, ``merge.c``) was
built, else in pure Python; both give the same merges.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterable
from typing import Any

from tokeff import _native
from tokeff.bpe.alphabet import HF_BYTE_RANK
from tokeff.bpe.count import count_chunks, default_workers
from tokeff.bpe.errors import BPETrainingError
from tokeff.bpe.merge_loop import learn_merges as _learn_merges_py
from tokeff.bpe.model import BPEModel
from tokeff.bpe.patterns import Pattern


DEFAULT_MIN_FREQUENCY = 2
"""A pair must occur at least twice to be merged: a merge seen once describes one string, not the
language (HF's own default, 0, would keep merging pairs seen once until the vocabulary is full)."""

ProgressCallback = Callable[[str, int, int], None]
"""``callback(stage, done, total)`` with stage ``"count"`` (characters read; total 0 = unknown) or
``"merge"`` (merges learned out of the merges wanted)."""


def has_c_core() -> bool:
    """Whether the compiled merge loop is available."""
    return _native.core is not None


def learn_merges(
    chunks: dict[str, int],
    n_merges: int,
    min_frequency: int = DEFAULT_MIN_FREQUENCY,
    *,
    backend: str = "auto",
    on_merge: Callable[[int], None] | None = None,
    release: bool = False,
) -> list[tuple[int, int]]:
    """Merges from a ``{chunk: count}`` table; ``backend`` is ``"auto"``, ``"c"`` or ``"python"``.

    ``release=True`` empties ``chunks``: the C core does so as soon as it has read the chunks into
    its own arrays, so that the dict is not alive beside the merge state (training's peak memory).
    """
    if backend not in ("auto", "c", "python"):
        raise ValueError(f"backend must be 'auto', 'c' or 'python', not {backend!r}")
    core = _native.core
    if backend == "c" and core is None:
        raise BPETrainingError("the C core of tokeff.bpe is not built; reinstall tokeff with a C compiler")
    if backend != "python" and core is not None:
        return core.learn_merges(chunks, n_merges, min_frequency, HF_BYTE_RANK, on_merge, release)
    merges = _learn_merges_py(chunks, n_merges, min_frequency, on_merge)
    if release:
        chunks.clear()
    return merges


def _progress_hooks(progress: bool | ProgressCallback, n_merges: int) -> tuple[Any, Any, Any]:
    """(on_batch, on_merge, close) for a tqdm bar, a user callback, or nothing."""
    if callable(progress):
        read = 0

        def on_batch(chars: int) -> None:
            nonlocal read
            read += chars
            progress("count", read, 0)

        return on_batch, lambda k: progress("merge", k, n_merges), lambda: None
    if not progress:
        return None, None, lambda: None
    from tqdm.auto import tqdm

    bars: dict[str, Any] = {}

    def on_batch_bar(chars: int) -> None:
        if "count" not in bars:
            bars["count"] = tqdm(desc="counting chunks", unit="char", unit_scale=True)
        bars["count"].update(chars)

    def on_merge_bar(k: int) -> None:
        if "merge" not in bars:
            if "count" in bars:
                bars["count"].close()
            bars["merge"] = tqdm(desc="learning merges", total=n_merges, unit="merge")
        bars["merge"].update(k - bars["merge"].n)

    def close() -> None:
        for bar in bars.values():
            bar.close()

    return on_batch_bar, on_merge_bar, close


def train_bpe(
    texts: Iterable[str],
    vocab_size: int,
    *,
    pattern: str | Pattern = "gpt2",
    special_tokens: Iterable[str] = (),
    min_frequency: int = DEFAULT_MIN_FREQUENCY,
    progress: bool | ProgressCallback = False,
    workers: int | None = None,
    corpus: str = "",
    backend: str = "auto",
) -> BPEModel:
    """Train a byte-level BPE with ``vocab_size`` tokens (256 bytes + merges + special tokens).

    Args:
        texts: any iterable of strings, read once (a list, a generator over files...). Each text is
            pre-split on its own; nothing is merged across texts.
        vocab_size: the full vocabulary size wanted, special tokens included.
        pattern: ``"gpt2"``, ``"cl100k"``, ``"o200k"``, ``"none"``, ``"digits"``, ``"l2r3"``,
            ``"r2l3"`` or a custom regex (see :mod:`tokeff.bpe.patterns`).
        special_tokens: strings that get their own ids after the merges. They are cut out of the
            training text, so no merge ever learns part of one.
        min_frequency: stop when the most frequent pair occurs fewer times than this (default 2).
        progress: ``True`` for tqdm bars, or a callback ``(stage, done, total)``.
        workers: processes that count chunks when the regex reads every text (a custom pattern,
            or no C core; default: one per core; 1 = no subprocess). With the C core and a preset
            pattern, counting runs in this process (see :mod:`tokeff.bpe.count`).
        corpus: a description of the training data, stored with the model.
        backend: ``"auto"`` (C core if built), ``"c"`` or ``"python"`` for the merge loop.

    Raises:
        BPETrainingError: ``vocab_size`` below ``256 + len(special_tokens)``, an empty corpus,
            no pair occurring ``min_frequency`` times, or text with lone surrogates.

    Warns:
        UserWarning: when the corpus runs out of pairs before ``vocab_size``; the model is
            returned with the size it reached.
    """
    if isinstance(texts, (str, bytes)):
        raise BPETrainingError(
            "train_bpe takes an iterable of texts, not one string (which would be read character by"
            " character); pass [text] or a list of lines"
        )
    pat = Pattern.resolve(pattern)
    specials = tuple(special_tokens)
    if len(set(specials)) != len(specials) or any(not isinstance(s, str) or not s for s in specials):
        raise BPETrainingError(f"special tokens must be distinct non-empty strings, got {specials!r}")
    if not isinstance(vocab_size, int) or vocab_size < 256 + len(specials):
        raise BPETrainingError(
            f"vocab_size={vocab_size!r} is too small: a byte-level BPE needs at least 256 byte tokens"
            f" + {len(specials)} special tokens = {256 + len(specials)}; ask for a larger vocab_size"
        )
    if min_frequency < 0:
        raise BPETrainingError(f"min_frequency must be >= 0, got {min_frequency}")
    n_merges = vocab_size - 256 - len(specials)
    workers = default_workers() if workers is None else workers
    on_batch, on_merge, close = _progress_hooks(progress, n_merges)

    started = time.perf_counter()
    try:
        chunks, n_chars = count_chunks(texts, pat, special_tokens=specials, workers=workers, on_batch=on_batch)
        n_chunks = len(chunks)
        if not chunks:
            raise BPETrainingError(
                "the training corpus is empty (no text after pre-splitting); give train_bpe some text"
            )
        try:
            merges = learn_merges(chunks, n_merges, min_frequency, backend=backend, on_merge=on_merge, release=True)
        except UnicodeEncodeError as exc:
            raise BPETrainingError(
                f"the corpus is not valid Unicode: it has lone surrogates, which have no UTF-8 bytes ({exc});"
                " clean it first (e.g. text.encode('utf-8', 'replace').decode())"
            ) from None
    finally:
        close()
    if n_merges > 0 and not merges:
        raise BPETrainingError(
            f"no pair of adjacent bytes occurs at least min_frequency={min_frequency} times in the"
            f" corpus ({n_chars} characters); give more text or lower min_frequency"
        )
    model = BPEModel(
        merges=merges,
        pattern=pat.regex,
        pattern_name=pat.name,
        special_tokens=specials,
        training={
            "vocab_size": vocab_size,
            "min_frequency": min_frequency,
            "corpus": corpus,
            "characters": n_chars,
            "distinct_chunks": n_chunks,
            "seconds": round(time.perf_counter() - started, 3),
        },
    )
    if len(merges) < n_merges:
        warnings.warn(
            f"the corpus ran out of pairs occurring at least {max(1, min_frequency)} times: the"
            f" vocabulary stopped at {model.vocab_size} tokens instead of {vocab_size}"
            " (give more text or lower min_frequency for a larger one)",
            stacklevel=2,
        )
    return model
