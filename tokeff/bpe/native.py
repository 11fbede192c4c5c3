"""The optional compiled core (``_core.c``), or ``None`` when it was not built.

It holds the BPE trainer's merge loop and piece counter, and the analysis pass's text scan
(:mod:`tokeff.metrics.batch`): both intern substrings in the same C hash table.

Built by ``pip install`` when a C compiler is present (see ``setup.py``); everything works without
it, only slower. Set the environment variable ``TOKEFF_PURE_PYTHON=1`` to ignore it (the tests use
this to check that both paths agree). Other modules read ``native.core`` at call time, so setting
it to ``None`` switches the fallback on for a running process too.
"""

from __future__ import annotations

import os
from types import ModuleType

core: ModuleType | None = None
if not os.environ.get("TOKEFF_PURE_PYTHON"):
    try:
        from tokeff.bpe import _core as core
    except ImportError:  # not built: pure Python it is
        core = None
