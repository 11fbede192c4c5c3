"""The arithmetic probe: a deterministic generator with right answers, held-out problems never
trained on, scoring by hand, the number tokenizers, and a tiny run of the whole probe."""

from __future__ import annotations

import itertools
import re

import pytest
import torch

from tokeff.errors import TokeffError
from tokeff.adapters.simple import BytesTokenizer
from tokeff.lm import GPT, ModelConfig, TrainConfig
from tokeff.probes import (
    ArithmeticTask,
    Problem,
    digit_matches,
    factor_spread,
    is_held_out,
    probe_tokenizer,
    run_arithmetic,
    sample_problems,
    score,
    summarize,
)
from tokeff.probes.run import score_model

TASK = ArithmeticTask(addition_digits=(1, 2, 3), multiplication_digits=(1, 2), n_train=2000, n_test=100)


def test_problems_are_text_with_right_answers() -> None:
    p = Problem(123, "+", 4567)
    assert (p.prompt, p.answer, p.text) == ("123+4567=", "4690", "123+4567=4690")
    assert Problem(12, "*", 34).text == "12*34=408"
    for problem in TASK.train_problems() + [p for ps in TASK.test_sets().values() for p in ps]:
        a, rest = problem.text.split(problem.op)
        b, c = rest.split("=")
        assert int(c) == (int(a) + int(b) if problem.op == "+" else int(a) * int(b))
        assert len(a) == len(b) == problem.digits  # both operands have the length asked for
        assert "\n" not in problem.text


def test_generator_is_deterministic_and_seeded() -> None:
    assert TASK.train_texts() == ArithmeticTask(**{**TASK.__dict__}).train_texts()
    assert TASK.test_sets() == ArithmeticTask(**{**TASK.__dict__}).test_sets()
    other = ArithmeticTask(**{**TASK.__dict__, "seed": 1})
    assert other.train_texts() != TASK.train_texts()
    three = sample_problems("+", 3, 2000, held_out=False, seed=0, share=0.2)
    assert min(p.a for p in three) >= 100 and max(p.a for p in three) <= 999
    assert len({p.a // 100 for p in three}) == 9 and len({p.a % 10 for p in three}) == 10  # all leading digits
    assert {p.a for p in sample_problems("+", 1, 500, held_out=False, seed=0, share=0.2)} == set(range(10))


def test_held_out_problems_are_never_trained_on() -> None:
    train = {p.text for p in TASK.train_problems()}
    assert not any(is_held_out(p.a, p.op, p.b, 0.2) for p in TASK.train_problems())
    tests = TASK.test_sets()
    assert set(tests) == {("+", 1), ("+", 2), ("+", 3), ("+", 4), ("*", 1), ("*", 2), ("*", 3)}
    for (op, d), problems in tests.items():
        assert all(p.op == op and p.digits == d for p in problems)
        assert not train & {p.text for p in problems}, (op, d)
        assert len(set(problems)) == len(problems)  # distinct
        assert all(is_held_out(p.a, p.op, p.b, 0.2) for p in problems)
    assert len(tests[("+", 1)]) < 100  # one-digit sums: only the held-out share of the 100 exists
    assert len(tests[("+", 3)]) == 100
    assert not any(p.digits == 4 for p in TASK.train_problems())  # longer operands: never trained on
    share = sum(is_held_out(a, "+", b, 0.2) for a in range(100) for b in range(100)) / 10_000
    assert share == pytest.approx(0.2, abs=0.02)


@pytest.mark.parametrize(
    "completion, answer, right, positions",
    [
        ("4690", "4690", 4, 4),
        ("4680", "4690", 3, 4),
        ("469", "4690", 0, 4),  # a missing digit shifts every digit: all wrong
        ("14690", "4690", 4, 5),  # an extra digit is one wrong position
        ("", "4690", 0, 4),
        ("46x0", "4690", 3, 4),
    ],
)
def test_digit_matches_by_hand(completion: str, answer: str, right: int, positions: int) -> None:
    assert digit_matches(completion, answer) == (right, positions)


def test_score_by_hand() -> None:
    problems = [Problem(1, "+", 2), Problem(45, "+", 55), Problem(12, "*", 34)]  # 3, 100, 408
    s = score(problems, ["3", "10", "418"])  # "10" against "100": only the units line up and agree
    assert (s.exact, s.digits_right, s.digit_positions, s.n) == (1, 1 + 1 + 2, 1 + 3 + 3, 3)
    assert s.exact_match == pytest.approx(1 / 3) and s.digit_accuracy == pytest.approx(4 / 7)
    with pytest.raises(ValueError, match="2 completions for 3 problems"):
        score(problems, ["3", "100"])


def test_number_tokenizers_cut_numbers_their_way() -> None:
    texts = ArithmeticTask(n_train=3000).train_texts()
    cuts = {}
    for spec in ("digits", "l2r3", "r2l3", "gpt2"):
        tok = probe_tokenizer(spec, texts, 1024)
        ids = tok.encode_batch(["1234+5678=6912"])[0]
        assert tok.decode(ids) == "1234+5678=6912"
        cuts[spec] = [tok.decode([i]) for i in ids]
    assert cuts["digits"] == list("1234+5678=6912")  # nothing to merge: the 256 bytes
    assert probe_tokenizer("digits", texts, 1024).vocab_size == 256
    assert all(len(c) <= 3 for spec in ("l2r3", "r2l3") for c in cuts[spec])
    assert "".join(cuts["l2r3"]).startswith("1234") and cuts["l2r3"][1] == "4"  # 123|4 ...
    assert cuts["r2l3"][0] == "1"  # 1|234 ...
    # every cut of 1|234|+|5|678|=|6|912 is a token boundary, and some tokens hold several digits
    r2l3_ends = set(itertools.accumulate(len(c) for c in cuts["r2l3"]))
    assert {1, 4, 5, 6, 9, 10, 11, 14} <= r2l3_ends and any(len(c) > 1 for c in cuts["r2l3"])
    l2r3_ends = set(itertools.accumulate(len(c) for c in cuts["l2r3"]))
    assert {3, 4, 5, 8, 9, 10, 13, 14} <= l2r3_ends  # 123|4|+|567|8|=|691|2
    with pytest.raises(TokeffError, match="unknown probe tokenizer 'wordpiece'"):
        probe_tokenizer("wordpiece", texts, 1024)


class Oracle(GPT):
    """Writes ``a op b + offset`` byte by byte after ``[SEP] a op b =``, then ``[SEP]`` (id 256)."""

    def __init__(self, offset: int = 0) -> None:
        super().__init__(ModelConfig(n_layer=1, n_head=1, d_model=8, context=32), vocab_size=257)
        self.offset = offset

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        logits = torch.zeros(*idx.shape, 257)
        for r, row in enumerate(idx.tolist()):
            text = bytes(row[len(row) - row[::-1].index(256):]).decode()
            if not text:  # this row is done; its batch goes on
                continue
            prompt, written = text.split("=")
            a, op, b = re.fullmatch(r"(\d+)([+*])(\d+)", prompt).groups()
            answer = str((int(a) + int(b) if op == "+" else int(a) * int(b)) + self.offset)
            logits[r, -1, ord(answer[len(written)]) if len(written) < len(answer) else 256] = 1.0
        return logits


def test_score_model_reads_what_the_model_writes() -> None:
    task = ArithmeticTask(addition_digits=(1, 2), multiplication_digits=(1,), n_test=30)
    tok, tests = BytesTokenizer(), task.test_sets()
    prompts = {k: [[256, *ids] for ids in tok.encode_batch([p.prompt for p in ps])] for k, ps in tests.items()}
    right = score_model(Oracle(), tok, tests, prompts)
    assert set(right) == set(tests) and all(s.exact_match == 1.0 and s.digit_accuracy == 1.0 for s in right.values())
    off = score_model(Oracle(offset=1), tok, tests, prompts)[("+", 2)]  # every answer one too large
    expected = [digit_matches(str(int(p.answer) + 1), p.answer) for p in tests[("+", 2)]]
    assert off.exact_match == 0.0 and (off.digits_right, off.digit_positions) == tuple(map(sum, zip(*expected)))
    assert 0.4 < off.digit_accuracy < 0.67  # the units are always wrong, the tens mostly right


def test_tiny_probe_run() -> None:
    """Two tokenizers x two losses, 5 steps each: a few seconds on an idle machine."""
    task = ArithmeticTask(addition_digits=(1, 2), n_train=300, n_test=20)
    result = run_arithmetic(["digits", "l2r3"], task=task, budget="steps=5", losses=["ce", "focal:2"], seeds=[3],
                            model=ModelConfig(n_layer=1, n_head=2, d_model=32, context=32),
                            train_config=TrainConfig(batch_size=4))
    s = result.scores
    assert len(s) == 2 * 2 * 3  # tokenizers x losses x test sets (1, 2 and the longer 3 digits)
    assert set(s["loss"]) == {"ce", "focal:2"} and set(s["seed"]) == {3}
    assert s.loc[s["digits"] == 3, "longer"].all() and not s.loc[s["digits"] < 3, "longer"].any()
    assert s["exact_match"].between(0, 1).all() and s["digit_accuracy"].between(0, 1).all()
    assert (s.loc[s["digits"] == 2, "n"] == 20).all()
    assert len(result.runs) == 4 and (result.runs["steps"] == 5).all()
    vocab = result.runs["vocab_size"].tolist()
    assert vocab[:2] == [256, 256] and vocab[2] == vocab[3] > 256  # digits: nothing to merge
    assert result.lm_results[("l2r3", "focal:2", 3)].loss == "focal:2"
    summary = summarize(s)
    assert len(summary) == 2 * 2 * 3 and (summary["seeds"] == 1).all()
    spread = factor_spread(s)
    assert list(spread["digits"]) == [1, 2, 3]
    assert (spread[["tokenizer_range", "loss_range"]] >= 0).all().all()
    assert spread["seed_std"].isna().all()  # one seed: no spread to show


def test_factor_spread_by_hand() -> None:
    import pandas as pd

    rows = [
        {"tokenizer": t, "loss": l, "seed": s, "operation": "addition", "digits": 2, "longer": False,
         "exact_match": {"a": 0.2, "b": 0.6}[t] + {"ce": 0.0, "z": 0.1}[l] + 0.02 * s, "digit_accuracy": 0.5, "n": 10}
        for t in "ab" for l in ("ce", "z") for s in (0, 1)
    ]
    spread = factor_spread(pd.DataFrame(rows)).iloc[0]
    assert spread["tokenizer_range"] == pytest.approx(0.4) and spread["loss_range"] == pytest.approx(0.1)
    assert spread["seed_std"] == pytest.approx(0.02 / 2**0.5)
