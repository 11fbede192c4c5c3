"""Named lists kept in one place: what the CLI help, the README tables, the engine and the report
all learn names from.

tokeff has several open-ended lists: tokenizer families, the kinds of tokenizer it trains on the
fly, corpus specs, metric families, measuring engines, training losses. Each is a
:class:`Registry`. An entry registers itself in the module that implements it, so adding one is
one new file::

    # tokeff/adapters/myfamily.py
    from .registry import FAMILIES, TokenizerFamily
    FAMILIES.register(TokenizerFamily(name="mine", ...))

A registry built over a package (``discover="tokeff.adapters"``) imports every module of that
package the first time it is read, so a new file in the package is found without editing any
list. Entries keep their registration order (the order help and tables show them in).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from typing import Generic, Protocol, TypeVar


class Named(Protocol):
    name: str


T = TypeVar("T", bound=Named)


class Registry(Generic[T]):
    """Entries by name, in registration order.

    Args:
        what: what an entry is, for error messages (``"tokenizer family"``).
        discover: a package whose modules register entries when imported; they are imported the
            first time the registry is read.
    """

    def __init__(self, what: str, discover: str | None = None) -> None:
        self.what = what
        self._discover = discover
        self._entries: dict[str, T] = {}

    def register(self, entry: T) -> T:
        """Add ``entry`` (an entry of the same name is replaced, so a module may be reloaded)."""
        self._entries[entry.name] = entry
        return entry

    def unregister(self, name: str) -> None:
        """Remove the entry called ``name`` (a plugin or a test that registered one for a while)."""
        self._entries.pop(name, None)

    def _load(self) -> None:
        if self._discover is None:
            return
        package, self._discover = self._discover, None
        root = importlib.import_module(package)
        for info in pkgutil.iter_modules(root.__path__):
            if not info.name.startswith("_"):
                importlib.import_module(f"{package}.{info.name}")

    def get(self, name: str) -> T:
        """The entry called ``name``; a ``KeyError`` whose message lists the known names."""
        self._load()
        try:
            return self._entries[name]
        except KeyError:
            raise KeyError(f"unknown {self.what} {name!r}; known: {', '.join(self._entries)}") from None

    def __contains__(self, name: object) -> bool:
        self._load()
        return name in self._entries

    def __iter__(self) -> Iterator[T]:
        self._load()
        return iter(list(self._entries.values()))

    def names(self) -> list[str]:
        self._load()
        return list(self._entries)

    def __len__(self) -> int:
        self._load()
        return len(self._entries)
