"""Training budgets: how much each tokenizer's model may train, and the step count that follows.

A budget is one quantity held equal across tokenizers, written ``kind=amount``:

==========  ==================================  ==============================================
spec        held equal                          steps for a tokenizer
==========  ==================================  ==============================================
flops=F     training compute (the default)      F / (flops_per_token * tokens_per_step)
bytes=B     text seen, in UTF-8 bytes           B / (bytes_per_token * tokens_per_step)
tokens=T    tokens seen                         T / tokens_per_step
steps=S     optimizer steps                     S
==========  ==================================  ==============================================

``flops_per_token`` is :meth:`tokeff.lm.model.ModelConfig.flops_per_token` (``6N + 6 n_layer
context d_model + 6 d_model V``), ``tokens_per_step = batch_size * context`` and
``bytes_per_token`` is the training stream's UTF-8 bytes divided by its tokens. Steps are
rounded to the nearest whole step (at least one), so the compute actually spent can differ from
the budget by half a step: under 1% from 50 steps on, but a budget that buys a large vocabulary
only a step or two is met only roughly. Results report the FLOPs actually spent.

Under equal FLOPs a tokenizer that compresses better sees more text for the same compute --
that is the point of the comparison -- while a bigger vocabulary pays for its larger output
layer with fewer tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("flops", "bytes", "tokens", "steps")


@dataclass(frozen=True)
class Budget:
    """``kind`` is one of ``flops``, ``bytes``, ``tokens``, ``steps``; ``amount`` how much."""

    kind: str
    amount: float

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"budget kind must be one of {KINDS}, got {self.kind!r}")
        if not self.amount > 0:
            raise ValueError(f"budget amount must be positive, got {self.amount!r}")

    @classmethod
    def parse(cls, spec: str | Budget) -> Budget:
        """``"flops=1e13"``, ``"bytes=5e6"``, ``"tokens=1e6"`` or ``"steps=200"``."""
        if isinstance(spec, Budget):
            return spec
        kind, sep, amount = str(spec).replace(" ", "").partition("=")
        if not sep:
            raise ValueError(f"budget must look like 'flops=1e13', 'bytes=5e6', 'tokens=1e6' or 'steps=200', got {spec!r}")
        try:
            value = float(amount)
        except ValueError:
            raise ValueError(f"budget amount {amount!r} in {spec!r} is not a number") from None
        return cls(kind.lower(), value)

    def steps(self, *, tokens_per_step: int, flops_per_token: float, bytes_per_token: float) -> int:
        """Optimizer steps for one tokenizer (formulas in the module docstring)."""
        per_step = {
            "flops": flops_per_token * tokens_per_step,
            "bytes": bytes_per_token * tokens_per_step,
            "tokens": float(tokens_per_step),
            "steps": 1.0,
        }[self.kind]
        return max(1, round(self.amount / per_step))

    def __str__(self) -> str:
        return f"{self.kind}={self.amount:g}"


#: Equal compute, sized for the demo: the ``tiny`` model trains in about a quarter of a minute per
#: tokenizer on two CPU cores, enough for bytes and 4k vocabularies trained on the embedded corpus
#: to beat their unigram baselines and flatten; 50k-200k vocabularies get fewer than 50 steps
#: and are listed with the budget they would need (:mod:`tokeff.training`).
DEFAULT_BUDGET = Budget("flops", 1.5e12)
