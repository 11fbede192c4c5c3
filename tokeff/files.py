"""Writing files so that a reader never sees half of one, and where tokeff's cache folder is.

Every file tokeff writes (results, reports, cache entries, checksum records, checkpoints) goes
through :func:`atomic_write`: the content is written to a temporary file in the same folder, and
only a complete file is renamed over the target (``os.replace``, atomic on POSIX and Windows
within one file system). An interrupted run or a full disk leaves the old file or none, never a
truncated one, and no temporary file behind. (Downloaded corpora get the same treatment from
pooch: :mod:`tokeff.corpus.download`.)

This module imports only the standard library (``platformdirs`` when the cache folder is asked
for), so the corpus layer can use it without loading pandas.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: str | os.PathLike, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp)`` on a temporary path beside ``path``, then rename it over ``path``.

    The folder is created if needed. The temporary name is ``.<name>.<random>.tmp``: hidden, and
    with an ending no reader of tokeff's looks for. If ``write`` raises (or the rename fails), the
    temporary file is removed and the exception propagates; ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        # mkstemp makes the file private (0600); tokeff's files are meant to be shared like any file.
        os.chmod(tmp, 0o666 & ~_umask())
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: str | os.PathLike, text: str) -> None:
    """``text`` to ``path`` as UTF-8, atomically."""
    atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_json(path: str | os.PathLike, data: Any) -> None:
    """``data`` to ``path`` as indented JSON (values JSON cannot hold written with ``str``), atomically."""
    write_text(path, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def cache_root() -> Path:
    """The tokeff cache folder: ``$TOKEFF_CACHE``, else the user cache folder for ``tokeff``."""
    env = os.environ.get("TOKEFF_CACHE")
    if env:
        return Path(env).expanduser()
    try:
        from platformdirs import user_cache_dir
    except ImportError:  # pragma: no cover - platformdirs is a dependency; this is a fallback
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        return Path(base) / "tokeff"
    return Path(user_cache_dir("tokeff"))
