"""Saving, loading and exporting a :class:`~tokeff.bpe.model.BPEModel`.

**tokeff's own format** (``.json``, UTF-8)::

    {
      "format": "tokeff-bpe",
      "version": 1,
      "vocab_size": 4096,                      # 256 + len(merges) + len(special_tokens)
      "pattern": {"name": "gpt2", "regex": "'(?:[sdmt]|ll|ve|re)| ?\\\\p{L}++|..."},
      "merges": [[32, 116], [104, 101], ...],  # merge k = [a, b] makes token 256 + k
      "special_tokens": ["<|endoftext|>"],     # ids 256 + len(merges) + i
      "training": {"min_frequency": 2, "corpus": "...", ...}
    }

Merges are pairs of ids, so the file is small and exact for any bytes; a token's bytes are found by
expanding ids down to bytes (< 256).

**Exports** that other libraries load and that encode exactly like tokeff (tested):

* :func:`export_hf` — a HF ``tokenizers`` ``tokenizer.json``: ``Split`` on the same regex
  (behaviour ``isolated``) then ``ByteLevel`` without its own regex; a ``BPE`` model whose vocab and
  merges spell bytes in GPT-2's byte-to-unicode alphabet; the ``ByteLevel`` decoder; special tokens
  as added tokens (HF always recognizes those in text, like ``encode(..., allow_special=True)``).
* :func:`export_tiktoken` — a ranks file, one ``base64(token bytes) rank`` line per non-special
  token, for ``tiktoken.load.load_tiktoken_bpe``; pass the model's ``pattern`` as ``pat_str``.

HF reads regexes with Oniguruma, where ``{m,n}+`` is *not* possessive but "one or more times
{m,n}" (so cl100k's ``\\p{N}{1,3}+`` would glue any number of digits); the export therefore writes
``{m,n}`` there, which matches the same text in these patterns because nothing follows that
quantifier inside its alternative.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import regex

from tokeff.bpe.alphabet import to_hf_string
from tokeff.bpe.errors import ModelFormatError
from tokeff.bpe.model import BPEModel

FORMAT = "tokeff-bpe"
VERSION = 1


def to_dict(model: BPEModel) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "vocab_size": model.vocab_size,
        "pattern": {"name": model.pattern_name, "regex": model.pattern},
        "merges": [list(pair) for pair in model.merges],
        "special_tokens": list(model.special_tokens),
        "training": model.training,
    }


def from_dict(data: dict[str, Any], source: str = "data") -> BPEModel:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ModelFormatError(f"{source} is not a tokeff BPE model (no \"format\": \"{FORMAT}\")")
    if data.get("version") != VERSION:
        raise ModelFormatError(
            f"{source} has format version {data.get('version')!r}; this tokeff reads version {VERSION}"
            " (upgrade tokeff, or retrain the model)"
        )
    try:
        model = BPEModel(
            merges=[tuple(pair) for pair in data["merges"]],
            pattern=data["pattern"]["regex"],
            pattern_name=data["pattern"].get("name", "custom"),
            special_tokens=tuple(data.get("special_tokens", ())),
            training=data.get("training", {}),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFormatError(f"{source} is a damaged tokeff BPE model: {exc}") from None
    if "vocab_size" in data and data["vocab_size"] != model.vocab_size:
        raise ModelFormatError(f"{source} says vocab_size={data['vocab_size']} but holds {model.vocab_size}")
    return model


def save(model: BPEModel, path: str | Path) -> Path:
    path = Path(path)
    text = json.dumps(to_dict(model), ensure_ascii=False, separators=(",", ":"))
    # one merge per line keeps the file diff-able and still compact
    text = text.replace("],[", "],\n[")
    path.write_text(text + "\n", encoding="utf-8")
    return path


def load(path: str | Path) -> BPEModel:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelFormatError(f"no BPE model file at {path}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFormatError(f"{path} is not a JSON file: {exc}") from None
    return from_dict(data, str(path))


def hf_regex(pattern: str) -> str:
    """``pattern`` as Oniguruma (HF) reads it like ``regex``/tiktoken: ``{m,n}+`` -> ``{m,n}``."""
    return regex.sub(r"(?<!\\)(\{\d+(?:,\d*)?\})\+", r"\1", pattern)


def to_hf_json(model: BPEModel) -> dict[str, Any]:
    n_base = 256 + len(model.merges)
    strings = [to_hf_string(model.token_bytes(i)) for i in range(n_base)]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {
                "id": i,
                "content": s,
                "single_word": False,
                "lstrip": False,
                "rstrip": False,
                "normalized": False,
                "special": True,
            }
            for s, i in model.special_token_ids.items()
        ],
        "normalizer": None,
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [
                {
                    "type": "Split",
                    "pattern": {"Regex": hf_regex(model.pattern)},
                    "behavior": "Isolated",
                    "invert": False,
                },
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
            ],
        },
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": False,
            "vocab": {s: i for i, s in enumerate(strings)},
            "merges": [[strings[a], strings[b]] for a, b in model.merges],
        },
    }


def export_hf(model: BPEModel, path: str | Path) -> Path:
    path = Path(path)
    path.write_text(json.dumps(to_hf_json(model), ensure_ascii=False), encoding="utf-8")
    return path


def export_tiktoken(model: BPEModel, path: str | Path) -> Path:
    path = Path(path)
    lines = [
        base64.b64encode(model.token_bytes(i)).decode("ascii") + f" {i}\n" for i in range(256 + len(model.merges))
    ]
    path.write_text("".join(lines), encoding="ascii")
    return path
