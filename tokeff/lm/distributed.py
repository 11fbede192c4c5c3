"""Training across processes: the shared loop under ``torchrun``, with DistributedDataParallel.

``torchrun --nproc_per_node=N`` starts N copies of a command and tells each its place through the
environment (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``...). :func:`join` reads it
and joins the process group (gloo on the CPU; NCCL for CUDA tensors when there is a GPU), unless
the caller already did; without ``torchrun`` it is one process, and nothing changes.

What a run means does not depend on the number of processes:

* **the global batch**: step ``s`` trains on the rows :func:`tokeff.lm.train.batch_at` gives, as
  in one process; rank ``r`` of ``W`` takes the contiguous block ``r·B/W .. (r+1)·B/W`` of its
  ``B`` rows (:meth:`Group.rows`; ``B`` must be a multiple of ``W``);
* **the update**: each rank's loss is its summed nats over its own targets, and DDP averages the
  gradients of the ``W`` equal blocks, so every rank holds the gradient of the global batch's
  mean loss, the one-process gradient (up to the order floats are added in). Gradient clipping
  and AdamW then take the same step on every rank;
* **the budget** counts steps of the global batch, so ``steps=``, ``tokens=``, ``bytes=`` and
  ``flops=`` budgets give the same number of steps.

Only rank 0 evaluates (learning-curve points and the final score), writes checkpoints and shows
progress; its numbers are shared with every rank (:meth:`Group.share`), so every rank returns the
same result. A resumed run loads rank 0's checkpoint on every rank. Dropout (off in every preset)
would draw other masks per rank than one process draws.
"""

from __future__ import annotations

import atexit
import os
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ContextManager

import torch


#: How long a rank waits for the others in one collective. ``analyze --train`` under torchrun has
#: the other ranks wait while rank 0 trains tokenizers and measures the corpora, which can take
#: hours (torch's default gives up after 30 minutes); a process that dies still ends the run at
#: once, as torchrun stops every process when one fails.
WAIT = timedelta(hours=24)


@dataclass(frozen=True)
class Group:
    """This process's place among the processes training one model (rank 0 of 1 alone)."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0
    local_world: int = 1

    @property
    def main(self) -> bool:
        """Rank 0: the one that evaluates, writes and reports."""
        return self.rank == 0

    def rows(self, batch_size: int) -> slice:
        """This rank's contiguous block of a global batch of ``batch_size`` rows."""
        if batch_size % self.world:
            raise ValueError(f"a batch of {batch_size} rows does not split evenly over {self.world} processes; "
                             "use a process count that divides it")
        n = batch_size // self.world
        return slice(self.rank * n, (self.rank + 1) * n)

    def place(self, dev: torch.device) -> torch.device:
        """The device this rank trains on: its own GPU (``LOCAL_RANK``); on the CPU, the cores
        shared out among the ranks of this machine, unless ``OMP_NUM_THREADS`` says how many
        threads each takes (torchrun sets it to 1 unless you did)."""
        if self.world == 1:
            return dev
        if dev.type == "cuda":
            dev = torch.device("cuda", self.local_rank)
            torch.cuda.set_device(dev)
        elif dev.type == "cpu" and not os.environ.get("OMP_NUM_THREADS"):
            torch.set_num_threads(max(1, (os.cpu_count() or 1) // self.local_world))
        return dev

    def wrap(self, net: torch.nn.Module, dev: torch.device) -> torch.nn.Module:
        """``net`` in DistributedDataParallel (which averages gradients over ranks), or as it is."""
        if self.world == 1:
            return net
        from torch.nn.parallel import DistributedDataParallel

        ids = [dev.index] if dev.type == "cuda" else None
        return DistributedDataParallel(net, device_ids=ids)

    def accumulate(self, model: torch.nn.Module, last: bool) -> ContextManager:
        """Around one micro-batch's backward: gradients are averaged over ranks only after the
        last micro-batch of a step (DDP's ``no_sync`` before it)."""
        if self.world == 1 or last:
            return nullcontext()
        return model.no_sync()

    def share(self, value: Any) -> Any:
        """Rank 0's ``value``, on every rank (pickled; the others' ``value`` is ignored)."""
        if self.world == 1:
            return value
        import torch.distributed as dist

        box = [value if self.main else None]
        dist.broadcast_object_list(box, src=0, device=_object_device())
        return box[0]


def launched() -> Group:
    """This process's place as ``torchrun`` gave it (from the environment; joins nothing)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        world = dist.get_world_size()
        return Group(dist.get_rank(), world, int(os.environ.get("LOCAL_RANK", dist.get_rank())),
                     int(os.environ.get("LOCAL_WORLD_SIZE", world)))
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Group()
    rank = int(os.environ.get("RANK", "0"))
    return Group(rank, world, int(os.environ.get("LOCAL_RANK", rank)), int(os.environ.get("LOCAL_WORLD_SIZE", world)))


def join() -> Group:
    """:func:`launched`, with the process group joined when there are several processes."""
    group = launched()
    if group.world == 1:
        return group
    import torch.distributed as dist

    if not dist.is_initialized():
        # gloo for CPU tensors and the objects shared from rank 0; NCCL for the GPUs' gradients
        dist.init_process_group(backend="cpu:gloo,cuda:nccl" if torch.cuda.is_available() else "gloo",
                                timeout=WAIT)
        atexit.register(_leave)
    return group


def _leave() -> None:
    import torch.distributed as dist

    if dist.is_initialized():
        dist.destroy_process_group()


def _object_device() -> torch.device | None:
    """Where :meth:`Group.share` stages its pickles: the CPU when the group has gloo, else the
    default (this rank's GPU, for an NCCL-only group a caller set up)."""
    import torch.distributed as dist

    return torch.device("cpu") if "gloo" in str(dist.get_backend()) else None
