"""The script a careful user would write instead of tokeff, for one tokenizer, with its library alone.

    python bench/handwritten.py tiktoken cl100k_base ../shared/corpora/ntrex128
    python bench/handwritten.py hf ../shared/tokenizers/hf/gpt2 ../shared/corpora/ntrex128
    python bench/handwritten.py spm ../shared/tokenizers/spm/mistral-7b-v0.1.model ../shared/corpora/ntrex128

It reads a parallel corpus (``<lang>.txt`` files aligned line by line, NTREX-128's layout; empty
lines skipped) and prints, over all of it, the numbers tokeff reports under the same names
(definitions in ``tokeff/metrics/``):

* ``bytes_per_token``, ``chars_per_token``: UTF-8 bytes and code points over tokens;
* ``fertility_in_context``: tokens over words; ``fertility`` and ``continued_word_rate``: each
  distinct word encoded once on its own (cached in a dict), tokens per word and the share of words
  split into two tokens or more (Rust et al. 2021);
* ``premium`` per language: tokens of its lines over tokens of the same lines in English
  (Petrov et al. 2023);
* ``renyi_efficiency``: through ``tokenization-scorer`` (Zouhar et al. 2023), α = 2.5, divided by
  log |V| of the whole vocabulary;
* ``roundtrip_fidelity``: the share of lines that ``decode(encode(line))`` gives back exactly.

A word is a run of letters, marks and digits, or one grapheme cluster of a script written without
spaces (tokeff's definition, written here as one would by hand). Nothing here imports tokeff:
``bench/vs_handwritten.py`` runs this and tokeff side by side and asserts the numbers agree.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import regex

NO_SPACE = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}\p{Tibetan}\u30fc\u3005"
WORD = regex.compile(rf"(?=[{NO_SPACE}])\X|(?:(?![{NO_SPACE}])[\p{{L}}\p{{M}}\p{{N}}])+", regex.V1)
RUN = regex.compile(r"[\p{L}\p{M}\p{N}]+")  # the same words, for lines without a no-space script
HAS_NO_SPACE = regex.compile(rf"[{NO_SPACE}]")
LANGUAGE_FILE = re.compile(r"[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")  # eng.txt, zho-CN.txt; not SOURCE.txt


def words(line: str) -> list[str]:
    return WORD.findall(line) if HAS_NO_SPACE.search(line) else RUN.findall(line)


class Library:
    """The four calls the script needs from a tokenizer library, and its vocabulary size."""

    def __init__(self, kind: str, name: str, threads: int) -> None:
        self.encode_batch: Callable[[list[str]], list[list[int]]]
        self.encode_words: Callable[[list[str]], list[int]]  # token count of each word alone
        self.decode_batch: Callable[[list[list[int]]], list[str]]
        if kind == "tiktoken":
            import tiktoken

            enc = tiktoken.get_encoding(name)
            self.vocab_size = enc.n_vocab
            # tiktoken's batch calls hand every text to a thread pool: on one core, or for words
            # (short texts), a loop is faster
            if threads > 1:
                self.encode_batch = lambda texts: enc.encode_ordinary_batch(texts, num_threads=threads)
                self.decode_batch = lambda ids: enc.decode_batch(ids, num_threads=threads)
            else:
                self.encode_batch = lambda texts: [enc.encode_ordinary(t) for t in texts]
                self.decode_batch = lambda ids: [enc.decode(x) for x in ids]
            self.encode_words = lambda ws: [len(enc.encode_ordinary(w)) for w in ws]
        elif kind == "hf":
            from tokenizers import Tokenizer, decoders, models, pre_tokenizers

            folder = Path(name)
            if (folder / "tokenizer.json").is_file():
                tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
            else:  # GPT-2's own files: a byte-level BPE
                tok = Tokenizer(models.BPE.from_file(str(folder / "vocab.json"), str(folder / "merges.txt")))
                tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
                tok.decoder = decoders.ByteLevel()
            os.environ["TOKENIZERS_PARALLELISM"] = "true" if threads > 1 else "false"
            self.vocab_size = tok.get_vocab_size(with_added_tokens=True)
            self.encode_batch = lambda texts: [e.ids for e in tok.encode_batch(texts, add_special_tokens=False)]
            self.encode_words = lambda ws: [len(e.ids) for e in tok.encode_batch(ws, add_special_tokens=False)]
            self.decode_batch = lambda ids: tok.decode_batch(ids, skip_special_tokens=False)
        elif kind == "spm":
            import sentencepiece as spm

            sp = spm.SentencePieceProcessor(model_file=name)
            self.vocab_size = sp.get_piece_size()
            self.encode_batch = lambda texts: sp.encode(texts, out_type=int, num_threads=threads)
            self.encode_words = lambda ws: list(map(len, sp.encode(ws, out_type=int, num_threads=threads)))
            self.decode_batch = lambda ids: sp.decode(ids, num_threads=threads)
        else:
            raise SystemExit(f"unknown library {kind!r}: tiktoken, hf or spm")


def measure_by_hand(kind: str, name: str, corpus: Path, threads: int = 1, reference: str = "eng") -> dict:
    """Every number of the module docstring, for the corpus of ``<lang>.txt`` files in ``corpus``."""
    import tokenization_scorer

    seconds: dict[str, float] = {}  # wall time by step, to show where the script spends it
    clock = [time.perf_counter()]

    def lap(step: str) -> None:
        now = time.perf_counter()
        seconds[step] = seconds.get(step, 0.0) + now - clock[0]
        clock[0] = now

    lib = Library(kind, name, threads)
    lap("load")
    n_bytes = n_chars = n_tokens = n_words = n_lines = roundtrip_ok = 0
    word_counts: Counter[str] = Counter()
    tokens_per_line: dict[str, dict[int, int]] = {}  # language -> {line number: tokens}
    token_lines: list[str] = []  # every line's ids, as tokenization-scorer reads them
    for path in sorted(corpus.glob("*.txt")):
        if not LANGUAGE_FILE.fullmatch(path.stem):
            continue
        with path.open(encoding="utf-8") as f:
            numbered = [(i, line.rstrip("\n")) for i, line in enumerate(f, 1)]
        numbered = [(i, line) for i, line in numbered if line.strip()]
        lines = [line for _, line in numbered]
        lap("read")
        ids = lib.encode_batch(lines)
        counts = [len(x) for x in ids]
        n_lines += len(lines)
        n_bytes += sum(len(line.encode("utf-8")) for line in lines)
        n_chars += sum(map(len, lines))
        n_tokens += sum(counts)
        tokens_per_line[path.stem] = {i: c for (i, _), c in zip(numbered, counts)}
        lap("encode")
        token_lines += [" ".join(map(str, x)) for x in ids]
        lap("renyi (tokenization-scorer)")
        for line in lines:
            ws = words(line)
            n_words += len(ws)
            word_counts.update(ws)
        lap("words")
        roundtrip_ok += sum(d == line for d, line in zip(lib.decode_batch(ids), lines))
        lap("round trip")

    distinct = list(word_counts)
    tokens_of_word = dict(zip(distinct, lib.encode_words(distinct)))  # each distinct word once
    word_tokens = sum(n * tokens_of_word[w] for w, n in word_counts.items())
    continued = sum(n for w, n in word_counts.items() if tokens_of_word[w] >= 2)
    lap("standalone words")

    premium = {}
    ref = tokens_per_line[reference]
    for lang, per_line in tokens_per_line.items():
        common = per_line.keys() & ref.keys()
        premium[lang] = sum(per_line[i] for i in common) / sum(ref[i] for i in common)

    lap("premiums")
    renyi = tokenization_scorer.score(token_lines, metric="renyi", power=2.5, vocab=lib.vocab_size)
    lap("renyi (tokenization-scorer)")
    return {
        "bytes_per_token": n_bytes / n_tokens,
        "chars_per_token": n_chars / n_tokens,
        "fertility_in_context": n_tokens / n_words,
        "fertility": word_tokens / n_words,
        "continued_word_rate": continued / n_words,
        "renyi_efficiency": float(renyi),
        "roundtrip_fidelity": roundtrip_ok / n_lines,
        "premium": premium,
        "seconds": seconds,
    }


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5):
        raise SystemExit(__doc__.split("\n\n")[1])
    kind, name, folder = sys.argv[1:4]
    print(json.dumps(measure_by_hand(kind, name, Path(folder), int(sys.argv[4]) if len(sys.argv) == 5 else 1), indent=1))
