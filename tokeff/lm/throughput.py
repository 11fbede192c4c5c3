"""What the hardware could do: the measured matmul peak that model FLOP utilization is against.

MFU (model FLOP utilization, Chowdhery et al. 2022, PaLM §B) = achieved training FLOP/s / the
machine's peak FLOP/s, with training FLOPs from the formula every budget uses
(:meth:`tokeff.lm.model.ModelConfig.flops_per_token`). The peak is *measured*, not read off a
data sheet: the best of a few large square matrix products in the training dtype, on the training
device, with the threads training uses. Measured once per process and device.
"""

from __future__ import annotations

import functools
import time

import torch


@functools.lru_cache(maxsize=8)
def peak_flops(device: str = "cpu", dtype: str = "float32", n: int = 2048, repeats: int = 5) -> float:
    """Best FLOP/s of ``n × n @ n × n`` (``2 n³`` FLOPs) over ``repeats`` timings, after a warm-up."""
    dev = torch.device(device)
    dt = getattr(torch, dtype)
    a, b = torch.randn(n, n, device=dev, dtype=dt), torch.randn(n, n, device=dev, dtype=dt)
    torch.mm(a, b)  # warm up
    best = float("inf")
    for _ in range(repeats):
        if dev.type == "cuda":
            torch.cuda.synchronize()
        t = time.perf_counter()
        torch.mm(a, b)
        if dev.type == "cuda":
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best


def mfu(achieved_flops_per_second: float, peak: float) -> float:
    """Model FLOP utilization: achieved over peak FLOP/s (NaN when either is unknown)."""
    if not peak or not achieved_flops_per_second == achieved_flops_per_second:
        return float("nan")
    return achieved_flops_per_second / peak
