"""Probes: small tasks where tokenization is known to matter, scored on what a trained model writes.

``arithmetic`` (:mod:`tokeff.probes.arithmetic`, :mod:`tokeff.probes.run`): multi-digit addition
and multiplication written as text (``123+4567=4690``). Tokenizers that cut numbers differently
(single digits, groups of three from the left or the right, BPE with no number rule) train the same
small LM under the same budget and loss; exact-match and per-digit accuracy on held-out problems,
longer operands included, say what the cut costs.

Public API::

    from tokeff.probes import ArithmeticTask, run_arithmetic, summarize, factor_spread

    result = run_arithmetic(["digits", "l2r3", "r2l3", "gpt2"], task=ArithmeticTask(),
                            budget="flops=1e13", losses=["ce", "focal:2"], seeds=[0, 1])
    result.scores, result.runs, result.lm_results
"""

from .arithmetic import ArithmeticTask, Problem, Score, digit_matches, is_held_out, sample_problems, score
from .run import NUMBER_TOKENIZERS, ProbeResult, factor_spread, probe_tokenizer, run_arithmetic, summarize

__all__ = [
    "NUMBER_TOKENIZERS",
    "ArithmeticTask",
    "ProbeResult",
    "Problem",
    "Score",
    "digit_matches",
    "factor_spread",
    "is_held_out",
    "probe_tokenizer",
    "run_arithmetic",
    "sample_problems",
    "score",
    "summarize",
]
