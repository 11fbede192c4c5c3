"""Peak memory of a process tree: the one sampler every bench uses (Linux ``/proc``).

tokeff does its work in forked processes (the BPE trainer's counting workers, the analysis
pass's measuring workers), HF ``tokenizers`` and ``rustbpe`` in threads. Only the memory of the
whole process tree compares the two, so :func:`run_sampled` starts a command and, until it exits,
adds up the resident set size (``VmRSS``) of the process and all its descendants every
``interval`` seconds, keeping the largest sum: the **process-tree peak RSS**.

A summed RSS counts a page shared by a parent and its forked children once per process, so it
overstates what the machine needs (an upper bound): a bench that holds tokeff's forked workers to
a peer's threads with it is conservative. A spike shorter than ``interval`` can be missed.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass


def _children_map() -> dict[int, list[int]]:
    """Parent pid -> its children's pids, for every process now running."""
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # the field after the ")" closing the command name: state, then ppid
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def tree_pids(root: int) -> list[int]:
    """``root`` and all its descendants."""
    kids = _children_map()
    pids, i = [root], 0
    while i < len(pids):
        pids += kids.get(pids[i], [])
        i += 1
    return pids


def process_rss(pid: int) -> int:
    """Resident set size of one process in bytes; 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants, summed, now."""
    return sum(process_rss(pid) for pid in tree_pids(root))


@dataclass
class SampledRun:
    """What :func:`run_sampled` measured of one command."""

    returncode: int
    wall_seconds: float  # from start to exit, interpreter start-up included
    cpu_seconds: float  # user + system CPU of the process and every descendant it waited for
    peak_rss: int  # bytes: the largest summed RSS of the process tree seen
    stdout: str
    stderr: str

    @property
    def peak_rss_mib(self) -> float:
        return self.peak_rss / 2**20


def run_sampled(
    argv: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    cwd: str | os.PathLike | None = None,
    timeout: float | None = None,
    interval: float = 0.02,
) -> SampledRun:
    """Run ``argv`` and sample its process tree's summed RSS every ``interval`` seconds.

    ``env`` is added to this process's environment. Output goes to temporary files (a pipe
    the command fills would stall it). After ``timeout`` seconds the command is killed and
    ``returncode`` is negative.
    """
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out, tempfile.TemporaryFile("w+", encoding="utf-8") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(argv), cwd=cwd, stdout=out, stderr=err, text=True,
                                env={**os.environ, **(env or {})})
        peak = 0
        while True:
            # wait4 rather than poll(): it also gives the CPU time of the whole tree
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak = max(peak, tree_rss(proc.pid))
            if timeout is not None and time.perf_counter() - start > timeout:
                proc.kill()
            time.sleep(interval)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return SampledRun(proc.returncode, wall, usage.ru_utime + usage.ru_stime,
                          max(peak, usage.ru_maxrss * 1024), out.read(), err.read())
