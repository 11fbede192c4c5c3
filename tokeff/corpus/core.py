"""A corpus is a named, lazily read stream of documents.

Nothing here holds a corpus in memory: a :class:`Corpus` keeps a function that opens its source
and yields :class:`Document` objects one at a time, so every pass re-reads the files.

Splits. Tokenizers trained on the fly learn from the *train* split and every metric is measured
on the *eval* split, for every tokenizer alike. A document's split is a pure function of its
``doc_id`` (a hash, not its position in a shuffled list), so it is deterministic, needs no pass
over the corpus, and keeps aligned lines of a parallel corpus together: line *i* has the same
``doc_id`` in every language and so lands in the same split in all of them. The hash and the
split functions are in :mod:`tokeff.docid` (``split_of``, ``in_train``), shared with the metrics.

Shards. A corpus is also a list of :class:`Shard` objects (:meth:`Corpus.shards`): pieces that
can each be read on their own, one after another giving exactly the corpus's documents, so an
engine can map one shard per task over processes or machines and merge the metric states. A
corpus read from one source is one shard; a sharded corpus (:mod:`tokeff.corpus.shards`) has one
per file, and its shards are picklable (no closures), so they can be shipped to other processes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from ..docid import DEFAULT_TRAIN_FRACTION, in_train

Split = Literal["all", "train", "eval"]


@dataclass(frozen=True, slots=True)
class Document:
    """One unit of text.

    Attributes:
        text: the text (a paragraph, a file, a line of a parallel corpus).
        language: a language tag (ISO 639-3 with an optional script/region suffix, as NTREX
            uses: ``eng``, ``zho-CN``); ``code-python`` for source code; ``und`` if unknown.
        doc_id: stable identity within the corpus; decides the split and is the unit the
            bootstrap resamples. Aligned lines of a parallel corpus share it across languages.
    """

    text: str
    language: str = "und"
    doc_id: str = ""


#: Documents :meth:`Corpus.documents` splits at a time (and at most this many characters).
SPLIT_BATCH_DOCS, SPLIT_BATCH_CHARS = 4096, 1 << 22


def documents_of_split(docs: Iterable[Document], split: Split = "all",
                       train_fraction: float = DEFAULT_TRAIN_FRACTION) -> Iterator[Document]:
    """The documents of ``docs`` in ``split``, in their order, decided a few thousand at a time
    (:func:`in_train`)."""
    if split == "all":
        yield from docs
        return
    want_train = split == "train"
    batch: list[Document] = []
    chars = 0
    for doc in docs:
        batch.append(doc)
        chars += len(doc.text)
        if len(batch) >= SPLIT_BATCH_DOCS or chars >= SPLIT_BATCH_CHARS:
            yield from _of_split(batch, want_train, train_fraction)
            batch, chars = [], 0
    yield from _of_split(batch, want_train, train_fraction)


def _of_split(docs: list[Document], want_train: bool, train_fraction: float) -> Iterator[Document]:
    for doc, train in zip(docs, in_train([d.doc_id for d in docs], train_fraction).tolist()):
        if train == want_train:
            yield doc


@dataclass(frozen=True)
class Shard:
    """One piece of a corpus that can be read on its own: the unit of work an engine maps.

    Attributes:
        name: the shard's name within its corpus (a sharded corpus: the file's path below the
            glob's folder; a corpus of one source: the corpus's name).
        path: the file it reads (``""`` when it is not one file).
        open: a function returning a fresh iterator over the shard's documents. The shard
            pickles when this does: sharded corpora use a module-level reader object, never a
            closure, so their shards can be sent to another process or a Dask worker.
        train_fraction: the corpus's share of documents in the train split.
    """

    name: str
    path: str
    open: Callable[[], Iterator[Document]] = field(repr=False)
    train_fraction: float = DEFAULT_TRAIN_FRACTION

    def documents(self, split: Split = "all") -> Iterator[Document]:
        """This shard's documents of one split, in order: the split is decided by each
        document's id alone, exactly as the whole corpus decides it."""
        yield from documents_of_split(self.open(), split, self.train_fraction)

    def texts(self, split: Split = "all") -> Iterator[str]:
        return (d.text for d in self.documents(split))


def read_shards(shards: Sequence[Shard]) -> Iterator[Document]:
    """The documents of ``shards``, one shard after another: the ``open`` of a corpus made of
    them (``functools.partial(read_shards, shards)`` pickles; a closure would not)."""
    for shard in shards:
        yield from shard.open()


@dataclass
class Corpus:
    """A named stream of documents, opened afresh on every pass.

    Attributes:
        name: short name used in results (``"pydoc-topics"``, ``"ntrex128"``).
        open: a function returning a fresh iterator over all documents.
        parallel: True when documents are aligned across languages (same ``doc_id``).
        reference_language: the language premiums are measured against (parallel corpora).
        description: one line for reports (what it is, where it came from).
        train_fraction: share of documents in the train split.
        parts: the shards, when the corpus is read as several (``open`` then reads them one
            after another); empty for a corpus of one source. See :meth:`shards`.
    """

    name: str
    open: Callable[[], Iterator[Document]] = field(repr=False)
    parallel: bool = False
    reference_language: str | None = None
    description: str = ""
    train_fraction: float = DEFAULT_TRAIN_FRACTION
    parts: tuple[Shard, ...] = field(default=(), repr=False)

    def shards(self) -> list[Shard]:
        """The pieces an engine can read independently, in corpus order: their documents, one
        shard after another, are the corpus's documents. A corpus of one source is one shard
        (picklable when its ``open`` is)."""
        if not self.parts:
            return [Shard(self.name, "", self.open, self.train_fraction)]
        return [replace(s, train_fraction=self.train_fraction) for s in self.parts]

    def documents(self, split: Split = "all") -> Iterator[Document]:
        """Documents of one split, in corpus order (split a few thousand at a time: :func:`in_train`)."""
        yield from documents_of_split(self.open(), split, self.train_fraction)

    def texts(self, split: Split = "all") -> Iterator[str]:
        return (d.text for d in self.documents(split))

    def __iter__(self) -> Iterator[Document]:
        return self.documents("all")

    def summary(self, split: Split = "all") -> dict[str, object]:
        """Documents, UTF-8 bytes, characters and languages of a split (one pass)."""
        docs = nbytes = nchars = 0
        langs: dict[str, int] = {}
        for d in self.documents(split):
            docs += 1
            nchars += len(d.text)
            nbytes += len(d.text.encode("utf-8"))
            langs[d.language] = langs.get(d.language, 0) + 1
        return {"name": self.name, "split": split, "documents": docs, "bytes": nbytes,
                "characters": nchars, "languages": sorted(langs), "description": self.description}
