"""Arithmetic written as text: a seeded problem generator, held-out splits and scoring.

A problem is one line, ``a+b=c`` or ``a*b=c`` in decimal digits (``123+4567=4690``). Its prompt
is everything up to ``=``; the answer is ``c``. Both operands of a problem have the same number of
digits ``n``, drawn uniformly from the ``n``-digit numbers (``0..9`` for ``n = 1``,
``10**(n-1) .. 10**n - 1`` above), and every answer is computed, so every answer is right.

**Held out means never trained on.** Each problem ``(a, op, b)`` belongs to the training side or
the held-out side by a hash of its text (:func:`is_held_out`, a fixed share of every operand
length), so the two sides are disjoint by construction, whatever the sizes and seeds: a model
scored on held-out problems of a length it trained on has seen *other* problems of that length,
and on longer operands it has seen none of that length at all.

**Scoring.** ``exact_match`` is 1 when the completion is the answer, character for character.
``digit_accuracy`` compares digits aligned from the right (units with units, tens with tens) over
``max(len(completion), len(answer))`` positions, so a missing or an extra digit counts as a wrong
position::

    answer 4690, completion 4690 -> 4/4      completion 469  -> 0/4 (every digit shifted)
    answer 4690, completion 4680 -> 3/4      completion 14690 -> 4/5 (one extra digit)

Usage::

    task = ArithmeticTask(addition_digits=(2, 3), multiplication_digits=(), seed=0)
    task.train_texts()                     # ["57+8=65", ...]: what every tokenizer trains on
    task.test_sets()                       # {("+", 4): [Problem, ...], ...} held out, longer too
    score(problems, completions)           # Score(exact, digits_right, digit_positions, n)
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass

#: The operations, by the sign written between the operands.
OPERATIONS = {"+": "addition", "*": "multiplication"}


@dataclass(frozen=True)
class Problem:
    """``a op b``, with its prompt (``"a+b="``), answer and full text (one line, no newline)."""

    a: int
    op: str
    b: int

    @property
    def answer(self) -> str:
        return str(self.a + self.b if self.op == "+" else self.a * self.b)

    @property
    def prompt(self) -> str:
        return f"{self.a}{self.op}{self.b}="

    @property
    def text(self) -> str:
        return self.prompt + self.answer

    @property
    def digits(self) -> int:
        """Digits of each operand."""
        return len(str(self.a))


def is_held_out(a: int, op: str, b: int, share: float) -> bool:
    """Whether ``a op b`` is on the held-out side: the first 8 bytes of the BLAKE2b hash of
    ``"a op b"`` (as an integer over ``2**64``) fall below ``share``. Stable across runs and machines."""
    h = hashlib.blake2b(f"{a}{op}{b}".encode(), digest_size=8).digest()
    return int.from_bytes(h, "big") < share * 2**64


def operand_range(digits: int) -> tuple[int, int]:
    """The smallest and largest operand with ``digits`` digits (``0..9`` for one digit)."""
    if digits < 1:
        raise ValueError(f"operands need at least one digit, got {digits}")
    return (0 if digits == 1 else 10 ** (digits - 1)), 10**digits - 1


def sample_problems(op: str, digits: int, n: int, *, held_out: bool, seed: int, share: float) -> list[Problem]:
    """``n`` problems ``a op b`` with ``digits``-digit operands from one side of the split.

    Training problems (``held_out=False``) are drawn uniformly with replacement: a small space
    such as one-digit addition repeats. Held-out problems are distinct; when that side has fewer
    than ``n`` problems, all of them are returned. Deterministic in ``(op, digits, side, seed)``.
    """
    if op not in OPERATIONS:
        raise ValueError(f"unknown operation {op!r}; use one of {', '.join(OPERATIONS)}")
    lo, hi = operand_range(digits)
    rng = random.Random(f"tokeff-arithmetic:{seed}:{op}:{digits}:{'test' if held_out else 'train'}")
    space = (hi - lo + 1) ** 2
    if space <= 4 * n + 1000:  # small: list the side once instead of rejecting most draws
        side = [Problem(a, op, b) for a in range(lo, hi + 1) for b in range(lo, hi + 1)
                if is_held_out(a, op, b, share) == held_out]
        if held_out:
            return rng.sample(side, min(n, len(side)))
        return [rng.choice(side) for _ in range(n)] if side else []
    problems: list[Problem] = []
    seen: set[tuple[int, int]] = set()
    while len(problems) < n:
        a, b = rng.randint(lo, hi), rng.randint(lo, hi)
        if is_held_out(a, op, b, share) != held_out or (held_out and (a, b) in seen):
            continue
        seen.add((a, b))
        problems.append(Problem(a, op, b))
    return problems


@dataclass(frozen=True)
class ArithmeticTask:
    """What the probe trains on and what it scores.

    Attributes:
        addition_digits, multiplication_digits: operand lengths trained on, per operation
            (empty: the operation is not in the task).
        longer: how many operand lengths beyond the longest trained one are tested (held out
            by length: never seen in training).
        n_train: training problems per operation and operand length.
        n_test: held-out problems per operation and operand length.
        held_out_share: share of each length's problems that is never trained on.
        seed: the problems drawn (not the model's seed).
    """

    addition_digits: tuple[int, ...] = (2, 3)
    multiplication_digits: tuple[int, ...] = ()
    longer: int = 1
    n_train: int = 30_000
    n_test: int = 300
    held_out_share: float = 0.2
    seed: int = 0

    def __post_init__(self) -> None:
        if not (self.addition_digits or self.multiplication_digits):
            raise ValueError("the task needs at least one operation: give addition_digits or multiplication_digits")
        if not 0 < self.held_out_share < 1:
            raise ValueError(f"held_out_share must be in (0, 1), got {self.held_out_share}")

    def trained_lengths(self) -> dict[str, tuple[int, ...]]:
        """Operand lengths trained on, per operation sign."""
        pairs = (("+", self.addition_digits), ("*", self.multiplication_digits))
        return {op: tuple(sorted(d)) for op, d in pairs if d}

    def tested_lengths(self) -> dict[str, tuple[int, ...]]:
        """Trained lengths and ``longer`` more, per operation sign."""
        return {op: d + tuple(range(d[-1] + 1, d[-1] + 1 + self.longer)) for op, d in self.trained_lengths().items()}

    def train_problems(self) -> list[Problem]:
        """Every training problem, by operation then length (the training loop shuffles)."""
        return [p for op, lengths in self.trained_lengths().items() for d in lengths
                for p in sample_problems(op, d, self.n_train, held_out=False, seed=self.seed, share=self.held_out_share)]

    def train_texts(self) -> list[str]:
        """One text per training problem: the same texts for every tokenizer."""
        return [p.text for p in self.train_problems()]

    def test_sets(self) -> dict[tuple[str, int], list[Problem]]:
        """Held-out problems per ``(operation sign, operand length)``, longer lengths included."""
        return {(op, d): sample_problems(op, d, self.n_test, held_out=True, seed=self.seed, share=self.held_out_share)
                for op, lengths in self.tested_lengths().items() for d in lengths}


def digit_matches(completion: str, answer: str) -> tuple[int, int]:
    """``(right, positions)``: characters equal at the same distance from the right end, over
    ``max(len(completion), len(answer))`` positions."""
    positions = max(len(completion), len(answer))
    right = sum(c == a for c, a in zip(reversed(completion), reversed(answer)))
    return right, positions


@dataclass(frozen=True)
class Score:
    """Exact matches and right digits over ``n`` problems."""

    exact: int
    digits_right: int
    digit_positions: int
    n: int

    @property
    def exact_match(self) -> float:
        return self.exact / self.n if self.n else float("nan")

    @property
    def digit_accuracy(self) -> float:
        """Right digits over all digit positions (pooled over the problems)."""
        return self.digits_right / self.digit_positions if self.digit_positions else float("nan")


def score(problems: Sequence[Problem], completions: Sequence[str]) -> Score:
    """Score ``completions`` (the text written after each prompt, stop string removed)."""
    if len(problems) != len(completions):
        raise ValueError(f"{len(completions)} completions for {len(problems)} problems")
    exact = right = positions = 0
    for p, c in zip(problems, completions):
        exact += c == p.answer
        r, n = digit_matches(c, p.answer)
        right += r
        positions += n
    return Score(exact, right, positions, len(problems))
