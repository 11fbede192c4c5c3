"""tiktoken encodings (OpenAI's byte-level BPE): ``tiktoken:NAME`` and ``tiktoken:PATH.tiktoken[@PATTERN]``.

NAME is an encoding (``gpt2``, ``r50k_base``, ``p50k_base``, ``cl100k_base``, ``o200k_base``) or a
model name tiktoken knows (``gpt-4o``). tiktoken downloads encoding files on first use and caches
them in ``TIKTOKEN_CACHE_DIR``; offline, an uncached encoding is reported as unavailable.

PATH.tiktoken is a ranks file (one ``base64(token) rank`` per line, as tiktoken ships them and as
``python -m tokeff train-bpe --format tiktoken`` writes them). A ranks file holds no pre-split
regex, so one is chosen: the cl100k pattern by default, or ``@gpt2``, ``@cl100k``, ``@o200k``
(the presets of :mod:`tokeff.bpe.patterns`). It must match the pattern the ranks were trained
with, or the same ranks split text differently.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ..env import setenv
from ..errors import TokenizerError, TokenizerUnavailable
from . import base
from .base import Tokenizer, _hash
from .registry import FAMILIES, TokenizerFamily, prefixed


def _get_encoding(name: str):
    import tiktoken

    if name in tiktoken.list_encoding_names():
        loader = tiktoken.get_encoding
    else:
        try:
            tiktoken.encoding_name_for_model(name)
        except KeyError:
            raise TokenizerError(
                f"tiktoken:{name}: unknown encoding or model; known encodings: {', '.join(tiktoken.list_encoding_names())}"
            ) from None
        loader = tiktoken.encoding_for_model
    try:
        return loader(name)
    except Exception as e:  # network errors come from requests/urllib with many types
        where = os.environ.get("TIKTOKEN_CACHE_DIR") or "tiktoken's default cache"
        raise TokenizerUnavailable(
            f"tiktoken:{name}: cannot load the encoding file offline ({type(e).__name__}); "
            f"point TIKTOKEN_CACHE_DIR at a folder that holds it (looked in {where})"
        ) from None


#: Pre-split pattern of a ranks file loaded without ``@PATTERN``.
DEFAULT_FILE_PATTERN = "cl100k"
_PATTERN_SUFFIX = re.compile(r"(?P<path>.+)@(?P<pattern>\w+)")


def parse_file_spec(arg: str) -> tuple[Path, str] | None:
    """``"m.tiktoken@gpt2"`` -> ``(Path("m.tiktoken"), "gpt2")``; ``None`` when ``arg`` names no
    ranks file (it is then an encoding or model name)."""
    import tiktoken

    if arg in tiktoken.list_encoding_names():  # an encoding name wins over a file of that name
        return None
    m = _PATTERN_SUFFIX.fullmatch(arg)
    path, pattern = (m["path"], m["pattern"]) if m else (arg, DEFAULT_FILE_PATTERN)
    if not (path.endswith(".tiktoken") or Path(path).is_file()):
        return None
    return Path(path), pattern


@contextmanager
def _no_tiktoken_cache() -> Iterator[None]:
    """tiktoken copies any file it loads into its cache under a key made from the *path*, so a
    ranks file retrained in place would be read stale ever after (and a read-only cache folder
    makes loading fail): a local file is read directly instead."""
    with setenv("TIKTOKEN_CACHE_DIR", ""):  # tiktoken: empty means "no cache"
        yield


def _encoding_from_file(path: Path, pattern: str):
    """A ``tiktoken.Encoding`` from a ranks file and a preset pattern name."""
    import tiktoken
    import tiktoken.load

    from ..bpe.patterns import PRESETS

    spec = f"tiktoken:{path}@{pattern}"
    if pattern not in PRESETS:
        raise TokenizerError(f"{spec}: unknown pre-split pattern {pattern!r}; use one of {', '.join(PRESETS)}")
    if not path.is_file():
        raise TokenizerError(f"tiktoken:{path}: no such file; give a ranks file, e.g. one written by "
                             "`python -m tokeff train-bpe --format tiktoken`")
    try:
        with _no_tiktoken_cache():
            ranks = tiktoken.load.load_tiktoken_bpe(str(path))
    except Exception as e:  # binascii.Error, ValueError, UnicodeError...: all mean "not a ranks file"
        raise TokenizerError(f"tiktoken:{path}: not a valid tiktoken ranks file ({_first_line(e)}); "
                             "expected one 'base64-token rank' pair per line") from None
    # Without every single byte some text has no encoding at all (tiktoken's core would panic).
    missing = sum(bytes([b]) not in ranks for b in range(256))
    if missing:
        raise TokenizerError(f"tiktoken:{path}: not a byte-level ranks file ({missing} of the 256 single "
                             "bytes have no rank); give a complete ranks file")
    if len(set(ranks.values())) != len(ranks):
        raise TokenizerError(f"tiktoken:{path}: two tokens share a rank; give a valid ranks file")
    try:
        return tiktoken.Encoding(name=path.stem, pat_str=PRESETS[pattern], mergeable_ranks=ranks, special_tokens={})
    except Exception as e:
        raise TokenizerError(f"tiktoken:{path}: tiktoken cannot build an encoding from it ({_first_line(e)})") from None


def _first_line(e: BaseException) -> str:
    text = str(e).strip() or type(e).__name__
    return text.splitlines()[0][:120]


class TiktokenTokenizer(Tokenizer):
    family = "tiktoken"
    words_one_by_one = True  # its batch call costs more than a word's encoding

    def __init__(self, encoding_name: str) -> None:
        self._encoding_name = encoding_name
        self.name = f"tiktoken:{encoding_name}"
        file_spec = parse_file_spec(encoding_name)
        if file_spec is not None:
            path, pattern = file_spec
            self._enc = _encoding_from_file(path, pattern)
            self.source = f"tiktoken ranks file {path} ({pattern} pre-split)"
        else:
            self._enc = _get_encoding(encoding_name)
            self.source = f"tiktoken encoding {self._enc.name}"
        self.vocab_size = self._enc.n_vocab

    def encode(self, text: str) -> list[int]:
        # encode_ordinary: special-token strings in the text are plain text, never specials.
        return self._enc.encode_ordinary(text)

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        if base.threads == 1:
            # encode_ordinary_batch would still start a one-thread pool and hand it every text,
            # bookkeeping that costs a large share of the encoding itself
            encode = self._enc.encode_ordinary
            return [encode(t) for t in texts]
        return self._enc.encode_ordinary_batch(list(texts), num_threads=base.threads)

    def decode(self, ids: Sequence[int]) -> str:
        return self._enc.decode(list(ids), errors="replace")

    def decode_batch(self, batch: Sequence[Sequence[int]]) -> list[str]:
        # a plain loop: tiktoken's decode_bytes_batch starts a thread pool per call, which costs
        # more than it saves on a chunk of documents
        return [self._enc.decode_bytes(list(ids)).decode("utf-8", errors="replace") for ids in batch]

    def token_bytes(self, token_id: int) -> bytes:
        return self._enc.decode_single_token_bytes(token_id)

    def _pieces(self) -> tuple[list[bytes | None], bool]:
        # decode joins the ids' bytes; ids that are no token (gaps) and special tokens (which
        # encode_ordinary never gives) are left to the library
        special = set(self._enc._special_tokens.values())
        by_rank: list[bytes | None] = [None] * self.vocab_size
        for piece, rank in self._enc._mergeable_ranks.items():
            if 0 <= rank < self.vocab_size and rank not in special:
                by_rank[rank] = piece
        return by_rank, False

    def fingerprint(self) -> str:
        ranks = self._enc._mergeable_ranks  # the encoding's content: tiktoken exposes no public accessor
        return _hash(self.family, self._enc._pat_str, sorted(ranks.items(), key=lambda kv: kv[1]), self._enc._special_tokens)

    def __getstate__(self) -> dict:
        return {"encoding_name": self._encoding_name}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["encoding_name"])


FAMILIES.register(TokenizerFamily(
    name="tiktoken", order=10, prefix="tiktoken", package="tiktoken",
    specs=(("tiktoken:NAME", "gpt2, r50k_base, p50k_base, cl100k_base, o200k_base, or a model name tiktoken knows "
                             "(offline: TIKTOKEN_CACHE_DIR)"),
           ("tiktoken:PATH.tiktoken[@PATTERN]", "a tiktoken ranks file (e.g. from `tokeff train-bpe --format tiktoken`), "
                                                "pre-split with PATTERN: cl100k (default), gpt2, o200k")),
    matches=prefixed("tiktoken"), load=lambda spec: TiktokenTokenizer(spec.removeprefix("tiktoken:")),
))
