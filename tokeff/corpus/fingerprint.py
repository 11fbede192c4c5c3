"""A hash of a corpus's content: what the results cache knows a corpus by.

Not its name or path: an edited file is a new corpus, and the same file read from another folder
is the same one.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable

from .core import Corpus, Document


def corpus_fingerprint(corpus: Corpus, documents: Iterable[Document] | None = None) -> str:
    """A hash of a corpus's content, computed in one streaming pass.

    Every document contributes its ``doc_id``, ``language`` and ``text`` in corpus order, each
    length-prefixed so that no two different corpora can produce the same byte stream (``"ab"+"c"``
    versus ``"a"+"bc"``). The train fraction is included because it decides which documents are
    measured. The corpus name is *not*: renaming a corpus does not change its numbers (a caller
    that stores the name in its cached table should put the name in the key as well).

    Memory stays constant: one document at a time, whatever the corpus size. A caller that
    streams the corpus anyway passes its documents (``corpus.documents("all")``, in order) as
    ``documents``, so one pass serves both.
    """
    h = hashlib.sha256()
    h.update(f"tokeff-corpus-v1 train_fraction={corpus.train_fraction!r}\n".encode())
    length = struct.Struct("<Q").pack  # 8 bytes, little-endian
    buf = bytearray()  # the same bytes, handed to the hash a megabyte at a time (fewer calls)
    for doc in corpus.documents("all") if documents is None else documents:
        i, lang, text = (doc.doc_id.encode("utf-8", "surrogatepass"), doc.language.encode("utf-8", "surrogatepass"),
                         doc.text.encode("utf-8", "surrogatepass"))
        buf += length(len(i))
        buf += i
        buf += length(len(lang))
        buf += lang
        buf += length(len(text))
        buf += text
        if len(buf) >= 1 << 20:
            h.update(buf)
            buf.clear()
    h.update(buf)
    return h.hexdigest()
