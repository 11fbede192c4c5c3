"""Toy tokenizers and corpora small enough to compute every metric by hand.

The other metric tests import these; the tests here pin the toys themselves, so a change to them
shows up as a failure here rather than as a puzzling number elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence

from tokeff.adapters.base import Tokenizer
from tokeff.corpus.core import Corpus, Document


class GreedyToy(Tokenizer):
    """Longest-match over a fixed vocabulary; any other character is one UNK (id 0).

    decode writes UNK as U+FFFD, so a text with an unknown character does not round-trip.
    """

    family = "toy"

    def __init__(self, vocab: Sequence[str], name: str = "toy", unk: bool = True) -> None:
        self.name = name
        self.pieces = list(vocab)
        self.index = {p: i for i, p in enumerate(self.pieces)}
        self.vocab_size = len(self.pieces)
        self.unk_id = 0 if unk else None
        self.longest = max(map(len, self.pieces))

    def encode(self, text: str) -> list[int]:
        ids, i = [], 0
        while i < len(text):
            for n in range(min(self.longest, len(text) - i), 0, -1):
                j = self.index.get(text[i:i + n])
                if j is not None and j != 0:
                    ids.append(j)
                    i += n
                    break
            else:
                ids.append(0)
                i += 1
        return ids

    def decode(self, ids: Sequence[int]) -> str:
        return "".join("\ufffd" if i == 0 else self.pieces[i] for i in ids)


#: ids:       0       1    2    3     4    5    6      7
TOY_VOCAB = ["<unk>", "a", "b", "ab", " ", "c", "zzz", "q"]

#: Three documents. Greedy encodings (piece per token):
#:   d1 "ab ab" -> ab | " " | ab        3 tokens, 5 bytes, 5 chars, words [ab, ab]
#:   d2 "abc a" -> ab | c | " " | a     4 tokens, 5 bytes, 5 chars, words [abc, a]
#:   d3 "ä b"   -> <unk> | " " | b      3 tokens, 4 bytes (ä is 2), 3 chars, words [ä, b]
TOY_DOCS = [Document("ab ab", "xx", "d1"), Document("abc a", "xx", "d2"), Document("ä b", "xx", "d3")]


def toy_corpus(docs: Sequence[Document] = TOY_DOCS, name: str = "toy", parallel: bool = False,
               reference_language: str | None = None) -> Corpus:
    docs = list(docs)
    return Corpus(name, lambda: iter(docs), parallel=parallel, reference_language=reference_language)


def test_greedy_toy_encodes_as_documented():
    tok = GreedyToy(TOY_VOCAB)
    assert [tok.encode(d.text) for d in TOY_DOCS] == [[3, 4, 3], [3, 5, 4, 1], [0, 4, 2]]
    assert tok.decode([3, 4, 3]) == "ab ab"
    assert tok.decode([0, 4, 2]) == "\ufffd b"


#: Words of the sentences :func:`write_parallel_folder` writes, one list per language.
PARALLEL_WORDS = {
    "eng": "the cat sat on a mat and saw two big dogs run far away".split(),
    "deu": "die Katze saß auf der Matte und sah zwei große Hunde weit weglaufen".split(),
    "rus": "кошка сидела на коврике и видела двух больших собак бегущих далеко прочь".split(),
}


def write_parallel_folder(folder, lines: int = 150):
    """A ``parallel:DIR`` folder of eng, deu and rus files with ``lines`` aligned sentences (the
    same word positions in each language, 3 to 14 words each, fixed by a seed); returns it."""
    import random
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(0)
    shapes = [[rng.randrange(100) for _ in range(rng.randint(3, 14))] for _ in range(lines)]
    for lang, words in PARALLEL_WORDS.items():
        text = "".join(" ".join(words[i % len(words)] for i in shape) + ".\n" for shape in shapes)
        (folder / f"{lang}.txt").write_text(text, encoding="utf-8")
    return folder
