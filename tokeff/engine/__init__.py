"""Engines: what runs the measuring half of the analysis pass.

An engine turns corpora and tokenizers into one merged state per corpus
(:data:`tokeff.analysis.State`); :func:`tokeff.analysis.measure` then finishes the states into
tables. Because every state is integer sums, engines differ only in where the chunks are
measured, never in the numbers.

=========  ======================================================================================
engine     runs on
=========  ======================================================================================
``local``  this machine: one process per core, this one included (:mod:`tokeff.engine.local`)
``dask``   a Dask cluster, one task per corpus shard (:mod:`tokeff.engine.dask`; ``tokeff[dask]``)
=========  ======================================================================================

An engine registers itself in :data:`ENGINES` from its own module; ``--engine NAME`` picks one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..registry import Registry

if TYPE_CHECKING:
    from ..adapters.base import Tokenizer
    from ..analysis import State
    from ..corpus.core import Corpus
    from ..metrics.settings import MetricSettings

OnBytes = Callable[[int], object]


class Engine(ABC):
    """Computes the merged accumulator state of every corpus."""

    name: str = ""

    @abstractmethod
    def states(self, corpora: "Sequence[Corpus]", tokenizers: "Sequence[Tokenizer]",
               settings: "MetricSettings", on_bytes: OnBytes | None = None) -> "list[State]":
        """One merged state per corpus, in order; ``on_bytes(n)`` as text is measured."""

    def close(self) -> None:
        """Let go of what the engine keeps between calls (a cluster it started); it can be used
        again after. Used as a context manager, an engine keeps it for the block and closes at
        its end, so a run that measures corpus after corpus starts one cluster, not one each."""

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class EngineInfo:
    """An engine as the CLI offers it."""

    name: str
    help: str
    make: Callable[..., Engine]  # make(workers=..., scheduler=...)


ENGINES: Registry[EngineInfo] = Registry("engine", discover="tokeff.engine")


def get_engine(name: str = "local", *, workers: int | None = None, scheduler: str | None = None) -> Engine:
    """The engine called ``name``, set up with ``workers`` and ``scheduler`` (a cluster's address)."""
    from ..errors import TokeffError

    try:
        info = ENGINES.get(name)
    except KeyError as e:
        raise TokeffError(f"{e.args[0]}; choose with --engine") from None
    return info.make(workers=workers, scheduler=scheduler)


def __getattr__(name: str):
    if name == "LocalEngine":
        from .local import LocalEngine

        return LocalEngine
    raise AttributeError(name)
