"""The embedded default corpus: real text that every machine with Python already has.

``default`` expands to three corpora, so the first run needs no download:

* ``pydoc-topics`` -- English prose: the documentation topics every Python ships in
  ``pydoc_data.topics`` (about 465 KB), one document per paragraph.
* ``stdlib-code`` -- Python source code: a fixed list of standard-library modules read from the
  running interpreter (about 320 KB), one document per top-level statement block (a function,
  a class, or the lines between them).
* ``tokeff-parallel`` -- a small multilingual sample written by the tokeff project itself, in
  ``corpora/parallel/``: aligned sentences in 25 languages and 15 scripts, English the reference.

The first two come from the interpreter that runs tokeff, so their exact bytes depend on the
Python version (recorded in every ``run.json``).
"""

from __future__ import annotations

import os
import sysconfig
from collections.abc import Iterator
from pathlib import Path

from ..errors import CorpusError
from .core import Corpus, Document
from .registry import SPECS, CorpusSpec
from .sources import parallel_corpus

#: Standard-library modules that make up ``stdlib-code``; fixed so runs are comparable.
STDLIB_MODULES = (
    "functools", "heapq", "bisect", "textwrap", "fractions", "string", "calendar",
    "json/decoder", "json/encoder", "csv", "shlex", "queue", "contextlib", "abc", "copy",
    "pprint", "graphlib", "colorsys", "base64",
)


def corpora_dir() -> Path:
    """The folder of corpora tokeff ships: ``TOKEFF_CORPORA`` when set; else the copy inside an
    installed package (``tokeff/_corpora``, put there by ``setup.py``); else ``corpora/`` of the
    source tree, as in an editable install."""
    env = os.environ.get("TOKEFF_CORPORA")
    if env:
        return Path(env)
    installed = Path(__file__).resolve().parents[1] / "_corpora"
    return installed if installed.is_dir() else Path(__file__).resolve().parents[2] / "corpora"


def _pydoc_documents() -> Iterator[Document]:
    from pydoc_data.topics import topics

    for key in sorted(topics):
        for i, para in enumerate(p for p in topics[key].split("\n\n") if p.strip()):
            yield Document(para.strip("\n"), "eng", f"{key}:{i}")


def pydoc_corpus() -> Corpus:
    return Corpus("pydoc-topics", _pydoc_documents,
                  description="English prose: Python's pydoc_data.topics, one document per paragraph")


def _code_blocks(source: str) -> Iterator[str]:
    """Split a module at top-level ``def``/``class``/decorator lines."""
    block: list[str] = []
    for line in source.splitlines():
        if line.startswith(("def ", "class ", "async def ", "@")) and block and not block[-1].startswith("@"):
            if any(b.strip() for b in block):
                yield "\n".join(block).strip("\n")
            block = []
        block.append(line)
    if any(b.strip() for b in block):
        yield "\n".join(block).strip("\n")


def _stdlib_documents() -> Iterator[Document]:
    root = Path(sysconfig.get_paths()["stdlib"])
    for module in STDLIB_MODULES:
        path = root / f"{module}.py"
        if not path.exists():  # a stripped-down Python; the corpus summary shows the size
            continue
        for i, block in enumerate(_code_blocks(path.read_text(encoding="utf-8"))):
            yield Document(block, "code-python", f"{module}:{i}")


def stdlib_corpus() -> Corpus:
    return Corpus("stdlib-code", _stdlib_documents,
                  description=f"Python source: {len(STDLIB_MODULES)} standard-library modules, one document per top-level block")


def parallel_sample_corpus() -> Corpus:
    folder = corpora_dir() / "parallel"
    if not folder.is_dir():
        raise CorpusError(f"the shipped parallel sample is missing ({folder}); reinstall tokeff from its repository "
                          "or set TOKEFF_CORPORA to its corpora/ folder")
    corpus = parallel_corpus(folder, name="tokeff-parallel", reference_language="eng")
    corpus.description = "multilingual sample written by the tokeff project: " + corpus.description.removeprefix("parallel corpus, ")
    return corpus


def default_corpora() -> list[Corpus]:
    """The three corpora that ``default`` stands for."""
    return [pydoc_corpus(), stdlib_corpus(), parallel_sample_corpus()]


SPECS.register(CorpusSpec(
    "default", "default", "the embedded default, three corpora: `pydoc-topics` (English prose: Python's "
    "`pydoc_data.topics`), `stdlib-code` (a fixed list of standard-library modules), `tokeff-parallel` (a "
    "25-language, 15-script aligned sample written by this project, in `corpora/parallel/`)",
    matches=lambda spec: spec == "default", load=lambda spec, options: default_corpora(), order=0,
))
