"""A corpus is a named, lazily read stream of documents.

Nothing here holds a corpus in memory: a :class:`Corpus` keeps a function that opens its source
and yields :class:`Document` objects one at a time, so every pass re-reads the files.

Splits. Tokenizers trained on the fly learn from the *train* split and every metric is measured
on the *eval* split, for every tokenizer alike. A document's split is a pure function of its
``doc_id`` (a hash, not its position in a shuffled list), so it is deterministic, needs no pass
over the corpus, and keeps aligned lines of a parallel corpus together: line *i* has the same
``doc_id`` in every language and so lands in the same split in all of them. The hash and the
split functions are in :mod:`tokeff.docid` (``split_of``, ``in_train``), shared with the metrics.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
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
    """

    name: str
    open: Callable[[], Iterator[Document]] = field(repr=False)
    parallel: bool = False
    reference_language: str | None = None
    description: str = ""
    train_fraction: float = DEFAULT_TRAIN_FRACTION

    def documents(self, split: Split = "all") -> Iterator[Document]:
        """Documents of one split, in corpus order (split a few thousand at a time: :func:`in_train`)."""
        if split == "all":
            yield from self.open()
            return
        want_train = split == "train"
        batch: list[Document] = []
        chars = 0
        for doc in self.open():
            batch.append(doc)
            chars += len(doc.text)
            if len(batch) >= SPLIT_BATCH_DOCS or chars >= SPLIT_BATCH_CHARS:
                yield from self._of_split(batch, want_train)
                batch, chars = [], 0
        yield from self._of_split(batch, want_train)

    def _of_split(self, docs: list[Document], want_train: bool) -> Iterator[Document]:
        for doc, train in zip(docs, in_train([d.doc_id for d in docs], self.train_fraction).tolist()):
            if train == want_train:
                yield doc

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
