"""Memory of a process and all its descendants, for the benchmarks (Linux ``/proc``).

tokeff's work runs in forked worker processes, so a bench must add up the whole process tree.
Two measures:

* ``rss``: resident set size, summed: pages shared between a parent and its forked children
  count once per process, so the sum overstates what the machine needs (an upper bound).
* ``pss``: proportional set size, summed: a page shared by k processes counts 1/k in each, so
  the sum is what the tree really occupies.
"""

from __future__ import annotations

import os

_FIELDS = {"rss": ("status", "VmRSS:"), "pss": ("smaps_rollup", "Pss:")}


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


def process_bytes(pid: int, kind: str = "rss") -> int:
    """``kind`` (``rss`` or ``pss``) of one process in bytes; 0 when it is gone."""
    name, field = _FIELDS[kind]
    try:
        with open(f"/proc/{pid}/{name}") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_bytes(root: int, kind: str = "rss") -> int:
    """``kind`` of ``root`` and all its descendants, summed, in bytes, now."""
    return sum(process_bytes(pid, kind) for pid in tree_pids(root))
