"""How tokenizers reach worker processes that are not forks of this one: as files, opened once
per process.

The local engine forks, so its workers share the very tokenizer objects this process loaded. The
workers of a cluster are other processes, often on other machines, that never saw them: each
tokenizer travels to them as a :class:`Parcel`.

* A tokenizer of a family that saves to a file (``hf``, ``sentencepiece``, ``tokeff-bpe``: every
  tokenizer trained on the fly, and pretrained ones of those families) travels as that file's
  bytes, written by its family's ``save`` and opened on the worker by the family's ``load``: the
  same file a run keeps in ``tokenizers/``. A worker needs neither the hub nor this machine's
  paths, and a tokenizer trained here is trained once, never on a worker.
* Any other (``bytes``, ``chars``, ``tiktoken``) travels pickled. tiktoken's adapter pickles as
  its encoding's name, which the worker loads from its own tiktoken cache
  (``TIKTOKEN_CACHE_DIR``) or the network. The pickle travels as bytes and is opened by
  :func:`unpack`, so a worker that cannot load it says so in one line, naming itself.

A worker opens each parcel once per process (:func:`unpack` keeps it by name and fingerprint),
and checks that what it opened has the fingerprint this process measured: a worker whose
tiktoken cache held another file would give other numbers, so it stops the run instead.
"""

from __future__ import annotations

import pickle
import socket
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..adapters.base import Tokenizer
from ..adapters.registry import FAMILIES
from ..errors import TokeffError, TokenizerError


@dataclass(frozen=True)
class Parcel:
    """One tokenizer on its way to a worker.

    Attributes:
        name: the name results are keyed by (``train:hf-bpe:8192``), given back on arrival.
        fingerprint: :meth:`Tokenizer.fingerprint` here; the worker's copy must have the same.
        source: where it came from, given back on arrival.
        family: the family whose ``load`` opens ``data``; empty: ``data`` is the tokenizer pickled.
        file_name: the file's name as the family's ``save`` wrote it (its suffix matters).
        data: the file's bytes, or the pickle.
    """

    name: str
    fingerprint: str
    source: str = ""
    family: str = ""
    file_name: str = ""
    data: bytes = b""

    @property
    def key(self) -> tuple[str, str]:
        return self.name, self.fingerprint


def pack(tokenizers: Sequence[Tokenizer]) -> list[Parcel]:
    """A parcel per tokenizer (see the module docstring)."""
    parcels = []
    with tempfile.TemporaryDirectory(prefix="tokeff-ship-") as tmp:
        for i, tok in enumerate(tokenizers):
            family = FAMILIES.get(tok.family) if tok.family in FAMILIES else None
            if family is None or family.save is None or not family.prefix:
                parcels.append(Parcel(tok.name, tok.fingerprint(), tok.source, data=pickle.dumps(tok)))
                continue
            path = Path(family.save(tok, Path(tmp), f"tokenizer-{i}"))
            parcels.append(Parcel(tok.name, tok.fingerprint(), tok.source, family=tok.family,
                                  file_name=path.name, data=path.read_bytes()))
    return parcels


#: Tokenizers this process has opened, by (name, fingerprint). At most :data:`KEEP` are kept
#: beyond those of the parcels last asked for (a long-lived worker serves run after run).
_OPENED: dict[tuple[str, str], Tokenizer] = {}
_LOCK = threading.Lock()
KEEP = 16


def unpack(parcels: Sequence[Parcel]) -> list[Tokenizer]:
    """The tokenizers of ``parcels``, each opened once in this process (thread-safe)."""
    with _LOCK:
        out = []
        for p in parcels:
            tok = _OPENED.get(p.key)
            if tok is None:
                tok = _OPENED[p.key] = _open(p)
            out.append(tok)
        if len(_OPENED) > KEEP + len(parcels):
            wanted = {p.key for p in parcels}
            for key in [k for k in _OPENED if k not in wanted]:
                del _OPENED[key]
        return out


def _open(p: Parcel) -> Tokenizer:
    try:
        if not p.family:
            tok = pickle.loads(p.data)
        else:
            family = FAMILIES.get(p.family)
            with tempfile.TemporaryDirectory(prefix="tokeff-") as tmp:
                path = Path(tmp) / p.file_name
                path.write_bytes(p.data)
                tok = family.load(f"{family.prefix}:{path}")  # every family's loader reads the file whole
    except TokeffError as e:
        raise type(e)(f"on the worker at {socket.gethostname()}: {e}") from None
    tok.name, tok.source = p.name, p.source
    if tok.fingerprint() != p.fingerprint:
        raise TokenizerError(f"{p.name}: the tokenizer opened on {socket.gethostname()} is not the one this run "
                             "measures (another file in its cache?); give every worker the same tokenizer files")
    return tok
