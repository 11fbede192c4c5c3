"""Training losses: the one thing a user may vary while the tokenizer comparison stays fair.

tokeff trains every tokenizer with the same loss so that the tokenizer is the only variable; this
registry lets a user test that choice itself. Whatever the *training* loss, *evaluation* is always
plain token cross-entropy turned into bits per byte (:mod:`tokeff.lm.evaluate`), so numbers from
runs under different losses stay comparable.

Each loss maps logits ``(N, V)`` and targets ``(N,)`` to the **sum** over the targets that are not
``IGNORE_INDEX`` of a per-target loss in nats (the training loop divides by the number of targets).
With ``p = softmax(logits)``, ``t`` the target and ``Z = Σ_v exp(logit_v)``:

====================  ==========================================  =====================================
spec                  per-target loss                             source
====================  ==========================================  =====================================
``ce`` (default)      ``−ln p_t``                                 token-level cross-entropy
``label-smoothing:ε`` ``(1−ε)(−ln p_t) + ε · (1/V) Σ_v (−ln p_v)``  Szegedy et al. 2016, §7
``z-loss:λ``          ``−ln p_t + λ (ln Z)²``                     Chowdhery et al. 2022 (PaLM), §5
``focal:γ``           ``−(1 − p_t)^γ ln p_t``                     Lin et al. 2017
====================  ==========================================  =====================================

A spec without a value takes the value of its source: ``label-smoothing`` is ε = 0.1,
``z-loss`` is λ = 1e-4, ``focal`` is γ = 2. Label smoothing at ε = 0 and focal loss at γ = 0
compute exactly cross-entropy (same operations, same bits). ``V`` counts every logit, the
training loop's separator id included.

Usage::

    loss = resolve_loss("z-loss:1e-4")   # or a Loss, returned as is
    loss(logits, targets)                # summed nats, differentiable
    loss.spec, loss.describe()           # "z-loss:0.0001", formula and source for reports
    parse_losses("ce,focal:2")           # the list a command line gives
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F

from ..errors import TokeffError
from ..registry import Registry
from .model import IGNORE_INDEX, LOSS_FN


class LossSpecError(TokeffError):
    """A loss spec that names no known loss or gives it an unusable value."""


class Loss(ABC):
    """A training loss: ``loss(logits, targets)`` is the summed per-target loss in nats.

    Subclasses set ``kind`` (the spec's name), ``formula`` and ``source`` (for reports) and, when
    the loss has one, the name, default and valid range of its single parameter.
    """

    kind: ClassVar[str]
    name: ClassVar[str]  # the same as kind: what the registry lists it by
    formula: ClassVar[str]
    source: ClassVar[str]
    param: ClassVar[str | None] = None  # the parameter's symbol in the spec and formula
    default: ClassVar[float | None] = None

    @property
    def value(self) -> float | None:
        """The parameter's value (``None`` for a loss without one)."""
        return None

    @property
    def spec(self) -> str:
        """The canonical spec: ``resolve_loss(loss.spec) == loss``."""
        if self.value is None:
            return self.kind
        text = repr(self.value)  # the shortest form that gives the value back exactly
        return f"{self.kind}:{text[:-2] if text.endswith('.0') else text}"

    def describe(self) -> str:
        """One line for results and reports: the spec, the formula with its value, the source."""
        where = "" if self.value is None else f", {self.param} = {self.value:g}"
        return f"{self.spec}: {self.formula} per target, nats, summed{where} ({self.source})"

    @abstractmethod
    def __call__(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Summed loss over the targets that are not ``IGNORE_INDEX``; ``logits`` is ``(N, V)``."""

    @classmethod
    def check(cls, value: float) -> str | None:
        """Why ``value`` is not allowed for this loss, or ``None`` when it is."""
        return None


@dataclass(frozen=True)
class CrossEntropy(Loss):
    """Token-level cross-entropy, the default and the loss every evaluation uses."""

    kind: ClassVar[str] = "ce"
    formula: ClassVar[str] = "−ln p_t"
    source: ClassVar[str] = "token-level cross-entropy, torch.nn.CrossEntropyLoss"

    def __call__(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return LOSS_FN(logits, targets)  # the evaluation's own object, so training under ce is unchanged


@dataclass(frozen=True)
class LabelSmoothing(Loss):
    """Cross-entropy against a target that puts ``1 − ε`` on the true id and ``ε`` spread evenly
    over all ``V`` ids (the true one included), as torch's ``label_smoothing`` does."""

    eps: float = 0.1
    kind: ClassVar[str] = "label-smoothing"
    formula: ClassVar[str] = "(1−ε)·(−ln p_t) + ε·(1/V)·Σ_v (−ln p_v)"
    source: ClassVar[str] = "Szegedy et al. 2016, Rethinking the Inception Architecture, §7"
    param: ClassVar[str | None] = "ε"
    default: ClassVar[float | None] = 0.1

    @property
    def value(self) -> float:
        return self.eps

    @classmethod
    def check(cls, value: float) -> str | None:
        return None if 0 <= value < 1 else "ε must be in [0, 1)"

    def __call__(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(logits, targets, ignore_index=IGNORE_INDEX, reduction="sum", label_smoothing=self.eps)


@dataclass(frozen=True)
class ZLoss(Loss):
    """Cross-entropy plus ``λ (ln Z)²``, which pulls the softmax normaliser towards 1 (PaLM trains
    with λ = 1e-4 for stability)."""

    lam: float = 1e-4
    kind: ClassVar[str] = "z-loss"
    formula: ClassVar[str] = "−ln p_t + λ·(ln Z)², Z = Σ_v exp(logit_v)"
    source: ClassVar[str] = "Chowdhery et al. 2022, PaLM, §5"
    param: ClassVar[str | None] = "λ"
    default: ClassVar[float | None] = 1e-4

    @property
    def value(self) -> float:
        return self.lam

    @classmethod
    def check(cls, value: float) -> str | None:
        return None if value >= 0 else "λ must be ≥ 0"

    def __call__(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        log_z = torch.logsumexp(logits, dim=-1)
        kept = targets != IGNORE_INDEX
        return LOSS_FN(logits, targets) + self.lam * torch.where(kept, log_z.square(), 0.0).sum()


@dataclass(frozen=True)
class Focal(Loss):
    """Cross-entropy with each target's term scaled by ``(1 − p_t)^γ``: targets the model already
    predicts well weigh less."""

    gamma: float = 2.0
    kind: ClassVar[str] = "focal"
    formula: ClassVar[str] = "−(1−p_t)^γ·ln p_t"
    source: ClassVar[str] = "Lin et al. 2017, Focal Loss for Dense Object Detection"
    param: ClassVar[str | None] = "γ"
    default: ClassVar[float | None] = 2.0

    @property
    def value(self) -> float:
        return self.gamma

    @classmethod
    def check(cls, value: float) -> str | None:
        return None if value >= 0 else "γ must be ≥ 0"

    def __call__(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        log_p = F.log_softmax(logits, dim=-1)
        # 1 − p as −expm1(ln p) keeps its precision near p = 1; the floor keeps the gradient of
        # (1 − p)^γ finite there for γ < 1. At γ = 0 the weight is exactly 1 and this is
        # cross_entropy's own log_softmax + nll_loss.
        weight = (-torch.expm1(log_p)).clamp_min(torch.finfo(log_p.dtype).tiny).pow(self.gamma)
        return F.nll_loss(weight * log_p, targets, ignore_index=IGNORE_INDEX, reduction="sum")


#: The training losses by spec name (a new loss is a class registered here).
LOSSES: Registry[type[Loss]] = Registry("training loss")
for _cls in (CrossEntropy, LabelSmoothing, ZLoss, Focal):
    _cls.name = _cls.kind
    LOSSES.register(_cls)


def known_specs() -> str:
    """``"ce, label-smoothing:ε, z-loss:λ, focal:γ"``: what a spec may say."""
    return ", ".join(c.kind if c.param is None else f"{c.kind}:{c.param}" for c in LOSSES)


def resolve_loss(spec: str | Loss) -> Loss:
    """The loss a spec names (``"ce"``, ``"label-smoothing:0.1"``, ``"z-loss:1e-4"``,
    ``"focal:2"``; a name alone takes its default), or the given :class:`Loss`.

    Raises:
        LossSpecError: an unknown name, a value that is not a number or is out of range, or a
            value given to ``ce``.
    """
    if isinstance(spec, Loss):
        return spec
    text = str(spec).strip()
    name, sep, raw = text.partition(":")
    cls = LOSSES.get(name.strip().lower()) if name.strip().lower() in LOSSES else None
    if cls is None:
        raise LossSpecError(f"unknown loss {text!r}; choose one of: {known_specs()}")
    if cls.param is None:
        if sep:
            raise LossSpecError(f"loss {text!r}: {cls.kind} takes no value; write {cls.kind}")
        return cls()
    if not sep:
        return cls(cls.default)
    try:
        value = float(raw)
    except ValueError:
        raise LossSpecError(f"loss {text!r}: {raw.strip()!r} is not a number; write e.g. {cls.kind}:{cls.default:g}") from None
    problem = "it must be finite" if not math.isfinite(value) else cls.check(value)
    if problem:
        raise LossSpecError(f"loss {text!r}: {problem}; write e.g. {cls.kind}:{cls.default:g}")
    return cls(value)


def parse_losses(specs: str) -> list[Loss]:
    """A comma-separated list of specs (``"ce,label-smoothing:0.1,z-loss:1e-4"``), in order.

    Raises:
        LossSpecError: an empty list, a bad spec (see :func:`resolve_loss`), or one loss given twice.
    """
    losses = [resolve_loss(s) for s in str(specs).split(",") if s.strip()]
    if not losses:
        raise LossSpecError(f"no loss in {specs!r}; give one or more of: {known_specs()}")
    seen = [loss.spec for loss in losses]
    twice = sorted({s for s in seen if seen.count(s) > 1})
    if twice:
        raise LossSpecError(f"loss {twice[0]} is given twice in {specs!r}; give each loss once")
    return losses
