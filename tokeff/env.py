"""Environment variables set for the length of a ``with`` block.

Some libraries take settings only from the environment, and read them at every call: HF
``tokenizers`` its thread pool (``TOKENIZERS_PARALLELISM``), tiktoken its cache folder
(``TIKTOKEN_CACHE_DIR``). tokeff sets them around its own calls and puts back what was there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def setenv(name: str, value: str | None) -> Iterator[None]:
    """``os.environ[name] = value`` inside the block (``None``: unset), the old value after it."""
    saved = os.environ.get(name)
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = saved
