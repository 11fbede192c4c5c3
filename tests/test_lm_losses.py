"""Training losses: each against a value worked out by hand, the exact reductions to cross-entropy,
the spec parser's errors, and the training loop using the chosen loss while scoring with plain CE."""

from __future__ import annotations

import math

import pytest
import torch

from tokeff.adapters.simple import BytesTokenizer
from tokeff.errors import TokeffError
from tokeff.lm import GPT, LOSS_FN, LOSSES, ModelConfig, TrainConfig, evaluate_lm, train_lm
from tokeff.lm.losses import CrossEntropy, Focal, LabelSmoothing, ZLoss, parse_losses, resolve_loss
from tokeff.lm.train import CHECKPOINT_FILE

# Two rows whose softmax is easy by hand, and a third row that is ignored:
#   row 0: exp(logits) = 1, 2, 3 -> Z = 6, p = 1/6, 1/3, 1/2; target 2 (p_t = 1/2)
#   row 1: exp(logits) = 4, 1, 1 -> Z = 6, p = 2/3, 1/6, 1/6; target 0 (p_t = 2/3)
#   row 2: large logits, target IGNORE_INDEX: must change nothing
LOGITS = torch.tensor(
    [[0.0, math.log(2), math.log(3)], [math.log(4), 0.0, 0.0], [100.0, -100.0, 50.0]], dtype=torch.float64
)
TARGETS = torch.tensor([2, 0, -1])


def loss_of(spec: str) -> float:
    return float(resolve_loss(spec)(LOGITS, TARGETS))


def test_cross_entropy_by_hand() -> None:
    # -ln(1/2) - ln(2/3) = ln 2 + ln 3/2 = ln 3
    assert loss_of("ce") == pytest.approx(math.log(3), rel=1e-12)


def test_label_smoothing_by_hand() -> None:
    # (1-ε)·CE + ε/V · Σ_rows Σ_v -ln p_v, with Σ_v -ln p_v = ln 36 (row 0) and ln 54 (row 1)
    eps = 0.1
    assert loss_of("label-smoothing:0.1") == pytest.approx((1 - eps) * math.log(3) + eps / 3 * math.log(36 * 54), rel=1e-12)


def test_z_loss_by_hand() -> None:
    # ln Z = ln 6 in both kept rows; the ignored row's (ln Z)² ≈ 10⁴ must not count
    assert loss_of("z-loss:0.01") == pytest.approx(math.log(3) + 0.01 * 2 * math.log(6) ** 2, rel=1e-12)


def test_focal_by_hand() -> None:
    # (1 - 1/2)² ln 2 + (1 - 2/3)² ln 3/2
    assert loss_of("focal:2") == pytest.approx(0.25 * math.log(2) + math.log(1.5) / 9, rel=1e-12)


def test_reductions_to_cross_entropy_are_exact() -> None:
    g = torch.Generator().manual_seed(0)
    logits = (torch.randn(64, 50, generator=g) * 4).requires_grad_()
    targets = torch.randint(0, 50, (64,), generator=g)
    targets[::7] = -1
    ce = LOSS_FN(logits, targets)
    (ce_grad,) = torch.autograd.grad(ce, logits)
    for spec in ("label-smoothing:0", "focal:0"):
        loss = resolve_loss(spec)(logits, targets)
        assert torch.equal(loss, ce), spec  # the same bits, not merely close
        (grad,) = torch.autograd.grad(loss, logits)
        assert torch.equal(grad, ce_grad), spec
    # z-loss adds λ·Σ (ln Z)² over the kept targets, and nothing else (float64: to rounding)
    logits = logits.detach().double()
    extra = 1e-3 * (torch.logsumexp(logits, -1)[targets != -1] ** 2).sum()
    z = resolve_loss("z-loss:1e-3")(logits, targets)
    assert float(z - LOSS_FN(logits, targets)) == pytest.approx(float(extra), rel=1e-12)
    assert torch.equal(resolve_loss("z-loss:0")(logits, targets), LOSS_FN(logits, targets))


def test_ignored_targets_count_for_nothing() -> None:
    for spec in ("ce", "label-smoothing:0.2", "z-loss:0.5", "focal:1.5"):
        kept = resolve_loss(spec)(LOGITS[:2], TARGETS[:2])
        assert float(resolve_loss(spec)(LOGITS, TARGETS)) == pytest.approx(float(kept), rel=1e-12), spec
        assert float(resolve_loss(spec)(LOGITS[2:], TARGETS[2:])) == 0.0, spec


def test_focal_below_one_has_finite_gradients_on_certain_targets() -> None:
    # p_t rounds to 1 in float32: (1 - p)^0.5 has an infinite slope there unless it is floored
    logits = torch.tensor([[60.0, 0.0, 0.0], [0.0, 1.0, 2.0]], requires_grad=True)
    resolve_loss("focal:0.5")(logits, torch.tensor([0, 1])).backward()
    assert torch.isfinite(logits.grad).all()


def test_specs_defaults_and_descriptions() -> None:
    assert resolve_loss("ce") == CrossEntropy()
    assert resolve_loss(" Z-Loss:1e-4 ") == ZLoss(1e-4)
    assert resolve_loss("label-smoothing") == LabelSmoothing(0.1)  # the source's value
    assert resolve_loss("z-loss") == ZLoss(1e-4)
    assert resolve_loss("focal") == Focal(2.0)
    for loss in (CrossEntropy(), LabelSmoothing(0.05), ZLoss(3e-4), Focal(1.0)):
        assert resolve_loss(loss.spec) == loss
        assert resolve_loss(loss) is loss
    assert ZLoss(1e-4).spec == "z-loss:0.0001"
    assert "λ·(ln Z)²" in ZLoss(1e-4).describe() and "λ = 0.0001" in ZLoss(1e-4).describe()
    assert "PaLM" in ZLoss().describe() and "Lin et al. 2017" in Focal().describe()
    assert set(LOSSES.names()) == {"ce", "label-smoothing", "z-loss", "focal"}
    assert [loss.spec for loss in parse_losses("ce, label-smoothing:0.1,z-loss:1e-4,")] == [
        "ce", "label-smoothing:0.1", "z-loss:0.0001"]


@pytest.mark.parametrize(
    "spec, says",
    [
        ("hinge", "unknown loss 'hinge'; choose one of: ce, label-smoothing:ε, z-loss:λ, focal:γ"),
        ("z-loss:abc", "'abc' is not a number"),
        ("label-smoothing:1", "ε must be in [0, 1)"),
        ("focal:-1", "γ must be ≥ 0"),
        ("z-loss:-1e-4", "λ must be ≥ 0"),
        ("z-loss:inf", "must be finite"),
        ("ce:0.1", "ce takes no value"),
    ],
)
def test_bad_specs_say_what_to_write_in_one_line(spec: str, says: str) -> None:
    with pytest.raises(TokeffError) as info:
        resolve_loss(spec)
    assert says in str(info.value) and "\n" not in str(info.value)


def test_bad_lists() -> None:
    with pytest.raises(TokeffError, match="loss ce is given twice"):
        parse_losses("ce,z-loss,ce")
    with pytest.raises(TokeffError, match="no loss in ' , '"):
        parse_losses(" , ")


MICRO = ModelConfig(n_layer=1, n_head=2, d_model=32, context=32)
TEXTS = [f"{i}: It is a truth universally acknowledged, that a single man in possession" for i in range(120)]


def run(loss: str, **kw):
    return train_lm(BytesTokenizer(), TEXTS, TEXTS[:6], model=MICRO, budget="steps=12", progress=False, device="cpu",
                    train_config=TrainConfig(batch_size=4), loss=loss, **kw)


def test_training_uses_the_loss_and_scores_with_cross_entropy(tmp_path) -> None:
    ce, focal0, z = run("ce"), run("focal:0"), run("z-loss:0.05", checkpoint_dir=tmp_path)
    # focal at γ = 0 is cross-entropy to the bit, so the whole run is
    assert focal0.curve["bits_per_byte"].tolist() == ce.curve["bits_per_byte"].tolist()
    assert z.bits_per_byte != ce.bits_per_byte  # the z-loss run trained differently
    assert (ce.loss, z.loss) == ("ce", "z-loss:0.05")
    assert z.loss_function == ZLoss(0.05).describe() and ce.loss_function == CrossEntropy().describe()
    # the z-loss model's bits per byte are plain cross-entropy on the evaluation texts
    net = GPT(MICRO, 257)
    net.load_state_dict(torch.load(tmp_path / CHECKPOINT_FILE, weights_only=False)["model"])
    docs = BytesTokenizer().encode_batch(TEXTS[:6])
    plain = evaluate_lm(net, docs, TEXTS[:6], context=32, sep_id=256, vocab_size=257)
    assert plain.bits_per_byte == pytest.approx(z.bits_per_byte, rel=1e-6)
    # a checkpoint trained under one loss does not resume under another
    with pytest.raises(ValueError, match="different run"):
        run("z-loss:0.01", checkpoint_dir=tmp_path, resume=True)
