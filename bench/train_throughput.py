"""Training throughput: tokeff's loop against a bare PyTorch loop, and this machine's peak.

    python bench/train_throughput.py [--model small] [--vocab 4096] [--steps 30] [--repeats 3]

Both loops train the same model (``tokeff.lm.model.GPT``, same preset, same vocabulary) on
batches of the same shape for the same number of steps, with the same optimizer and gradient
clipping; the bare loop has no data stream, schedule, curve points, checkpoints or progress bar.
They alternate ``--repeats`` times and the best of each is reported, because other work on the
machine makes single timings noisy. tokeff's time is its reported training wall time (the
steps only; tokenization and evaluation are timed separately).

Peak: the best of several large fp32 ``torch.mm`` calls (``2 n**3`` FLOPs each).
MFU = flops_per_token * tokens/s / peak, with flops_per_token from
``ModelConfig.flops_per_token`` (``6N + 6 n_layer context d_model + 6 d_model V``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tokeff.lm import LOSS_FN, GPT, PRESETS, TrainConfig, resolve_device, train_lm  # noqa: E402
from tokeff.lm.throughput import peak_flops  # noqa: E402  (the peak the run records its MFU against)
from tokeff.lm.train import fused_adamw  # noqa: E402  (the same optimizer settings)


class RandomTokenizer:
    """Stands in for a tokenizer of any vocabulary size: ids drawn per text, reproducibly."""

    def __init__(self, vocab_size: int) -> None:
        self.name = f"random-{vocab_size}"
        self.vocab_size = vocab_size

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        return [
            np.random.default_rng(len(t)).integers(0, self.vocab_size, max(1, len(t) // 4)).tolist() for t in texts
        ]


def bare_loop(model: str, vocab: int, steps: int, tc: TrainConfig, device: torch.device) -> float:
    """tokens/s of the plainest loop over the same model, batch shape and optimizer."""
    cfg = PRESETS[model]
    net = GPT(cfg, vocab).to(device)
    opt = torch.optim.AdamW(net.parameters(), lr=tc.lr, betas=tc.betas, weight_decay=tc.weight_decay, fused=fused_adamw(device))
    g = torch.Generator().manual_seed(0)
    data = torch.randint(0, vocab, (steps, tc.batch_size, cfg.context + 1), generator=g).to(device)
    t = time.perf_counter()
    for s in range(steps):
        x, y = data[s, :, :-1], data[s, :, 1:]
        loss = LOSS_FN(net(x).reshape(-1, vocab), y.reshape(-1)) / y.numel()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), tc.grad_clip)
        opt.step()
        opt.zero_grad(set_to_none=True)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps * tc.batch_size * cfg.context / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="small", choices=sorted(PRESETS))
    ap.add_argument("--vocab", type=int, default=4096)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--compile", action="store_true", help="also time tokeff's loop with torch.compile")
    args = ap.parse_args()

    device = resolve_device("auto")
    tc = TrainConfig()
    cfg = PRESETS[args.model]
    tok = RandomTokenizer(args.vocab - 1)  # tokeff adds one id (the separator): same logits
    texts = ["x" * 4000] * 200  # ~200k tokens: the stream never wraps in a short run
    flops_per_token = cfg.flops_per_token(args.vocab)
    print(f"device {device}, {torch.get_num_threads()} threads, torch {torch.__version__}")
    print(f"model {args.model} {cfg}, vocab {args.vocab}, {tc.batch_size * cfg.context} tokens/step, {args.steps} steps")

    peak = peak_flops(device.type)
    bare, ours, ours_compiled = [], [], []
    for r in range(args.repeats):
        bare.append(bare_loop(args.model, args.vocab, args.steps, tc, device))
        res = train_lm(tok, texts, texts[:1], model=args.model, budget=f"steps={args.steps}", eval_every=args.steps, progress=False, device=device)
        ours.append(res.train_tokens_seen / res.wall_seconds)
        if args.compile:
            res = train_lm(tok, texts, texts[:1], model=args.model, budget=f"steps={args.steps}", eval_every=args.steps, progress=False, device=device, compile=True)
            ours_compiled.append(res.train_tokens_seen / res.wall_seconds)
        print(f"  repeat {r + 1}: bare {bare[-1]:,.0f} tok/s, tokeff {ours[-1]:,.0f} tok/s" + (f", tokeff+compile {ours_compiled[-1]:,.0f} tok/s" if ours_compiled else ""))

    print(f"peak fp32 matmul: {peak / 1e9:.1f} GFLOP/s")
    for name, runs in [("bare PyTorch", bare), ("tokeff", ours), ("tokeff+compile", ours_compiled)]:
        if runs:
            best = max(runs)
            mfu = flops_per_token * best / peak
            print(f"{name:15s} best {best:8,.0f} tok/s  {flops_per_token * best / 1e9:6.1f} GFLOP/s  MFU {mfu:5.1%}")
    print(f"ratio tokeff / bare: {max(ours) / max(bare):.3f} (target >= 0.95)")


if __name__ == "__main__":
    main()
