"""The optional compiled core, ``tokeff._native._core``, or ``None`` when it was not built.

One extension module built from the C files of this folder, one per purpose (``core.h`` lists
them): the BPE trainer's merge loop and piece counter (:mod:`tokeff.bpe`), the analysis pass's
text scan, id flattening and round-trip check (:mod:`tokeff.metrics.batch`), and the BLAKE2b
hash of document ids (the split and the bootstrap's keys). The piece counter and the text scan
intern substrings in the same C hash table (``intern.h``).

Built by ``pip install`` when a C compiler is present (see ``setup.py``); everything works without
it, only slower. Set the environment variable ``TOKEFF_PURE_PYTHON=1`` to ignore it (the tests use
this to check that both paths agree). Other modules read ``tokeff._native.core`` at call time, so
setting it to ``None`` switches the fallback on for a running process too.
"""

from __future__ import annotations

import os
import warnings
from types import ModuleType

#: The interface version of the core this source expects (``CORE_ABI`` in ``module.c``; both are
#: bumped when a function is added or its arguments change).
ABI = 3


def checked(module: ModuleType | None) -> ModuleType | None:
    """``module`` if it was built from this source (its ``ABI`` matches), else None, with a
    warning that says how to rebuild: an editable install keeps the core it was first built with
    (``git pull`` does not rebuild it), which would otherwise fail mid-run on a function it lacks."""
    if module is None or getattr(module, "ABI", None) == ABI:
        return module
    warnings.warn("tokeff's compiled core was built from another version of its source and is ignored "
                  "(pure Python is used, which is slower); rebuild it with: pip install -e .",
                  RuntimeWarning, stacklevel=2)
    return None


core: ModuleType | None = None
if not os.environ.get("TOKEFF_PURE_PYTHON"):
    try:
        from tokeff._native import _core as core
    except ImportError:  # not built: pure Python it is
        core = None
    core = checked(core)
