"""``hf:DATASET[@CONFIG][:SPLIT][:FIELD]``: a Hugging Face dataset split as a corpus.

Read through the optional ``datasets`` library, which keeps its own cache and checksums: online
the split is streamed, offline (``TOKEFF_OFFLINE`` / ``HF_HUB_OFFLINE``) it is read from that
cache. One document per row, the text in ``FIELD`` (default ``text``), ``doc_id = SPLIT:ROW``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from itertools import count

from ..errors import CorpusError, one_line
from .core import Corpus, Document
from .download import is_offline
from .registry import SPECS, CorpusSpec


def parse_hf_spec(spec: str) -> tuple[str, str | None, str, str]:
    """``DATASET[@CONFIG][:SPLIT][:FIELD]`` (the part after ``hf:``) as (dataset, config, split, field).

    >>> parse_hf_spec("wikitext@wikitext-2-raw-v1:test")
    ('wikitext', 'wikitext-2-raw-v1', 'test', 'text')

    The ``hf:`` prefix itself may be included or not.
    """
    spec = spec.removeprefix("hf:")
    parts = spec.split(":")
    if not parts[0] or len(parts) > 3:
        raise CorpusError(f"hf:{spec}: expected hf:DATASET[@CONFIG][:SPLIT][:FIELD], e.g. hf:wikitext@wikitext-2-raw-v1:test:text")
    dataset, _, config = parts[0].partition("@")
    split = parts[1] if len(parts) > 1 and parts[1] else "train"
    field = parts[2] if len(parts) > 2 and parts[2] else "text"
    return dataset, config or None, split, field


def hf_corpus(spec: str, *, language: str = "und", offline: bool | None = None) -> Corpus:
    """A Hugging Face dataset split as a corpus: one document per row, text in ``FIELD``.

    ``spec`` is the whole spec or the part after ``hf:``. Needs the optional ``datasets`` library. Online the split
    is *streamed* (nothing is held in memory or fully downloaded first); offline
    (``TOKEFF_OFFLINE`` / ``HF_HUB_OFFLINE``) it is read from the ``datasets`` cache.
    """
    spec = spec.removeprefix("hf:")
    dataset, config, split, field = parse_hf_spec(spec)
    offline = is_offline() if offline is None else offline
    if offline:
        # datasets reads this when it is imported; tokeff's own switch must reach it too.
        os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    try:
        import datasets
    except ImportError:
        raise CorpusError(f"hf:{spec} needs the Hugging Face datasets library: pip install datasets") from None
    try:
        ds = datasets.load_dataset(dataset, config, split=split, streaming=not offline)
    except Exception as e:  # noqa: BLE001 - datasets raises many types; the user needs one line
        raise CorpusError(f"hf:{spec}: cannot load dataset {dataset!r} split {split!r}: {one_line(e)}") from None

    def documents() -> Iterator[Document]:
        rows = iter(ds)
        for i in count():
            try:
                row = next(rows)
            except StopIteration:
                return
            except Exception as e:  # noqa: BLE001 - a stream can fail mid-way (network, cache)
                raise CorpusError(f"hf:{spec}: reading row {i} failed: {one_line(e)}") from None
            if not isinstance(row, Mapping) or field not in row:
                fields = ", ".join(row) if isinstance(row, Mapping) else "?"
                raise CorpusError(f"hf:{spec}: row {i} has no text field {field!r} (fields: {fields}); "
                                  f"name the field as hf:{_hf_name(dataset, config)}:{split}:FIELD")
            text = row[field]
            if text is not None and not isinstance(text, str):
                raise CorpusError(f"hf:{spec}: row {i}: field {field!r} holds {type(text).__name__}, not text")
            if text and text.strip():
                yield Document(text, language, f"{split}:{i}")

    name = re.sub(r"[^A-Za-z0-9._-]+", "-", "-".join(x for x in (dataset, config, split) if x))
    return Corpus(name=name, open=documents, description=f"Hugging Face dataset {dataset}"
                  f"{f' ({config})' if config else ''}, split {split}, field {field!r}")


def _hf_name(dataset: str, config: str | None) -> str:
    return f"{dataset}@{config}" if config else dataset


SPECS.register(CorpusSpec(
    "hf", "hf:DATASET[@CONFIG][:SPLIT][:FIELD]", "a Hugging Face dataset, streamed (needs the `datasets` library)",
    matches=lambda spec: spec.startswith("hf:"), load=lambda spec, o: [hf_corpus(spec, language=o.language)],
    order=30,
))
