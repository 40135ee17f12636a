"""Measure a function in a fresh process: wall time and peak resident memory.

Each measurement runs in its own spawned process so that one reader's memory does not
hide in another's peak, and imports are paid by every contender alike.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Measurement:
    name: str
    seconds: float
    peak_mb: float
    result: Any
    mb: float = 0.0  # input megabytes processed, for throughput
    cpu_seconds: float = 0.0
    """CPU time of the measured call, its threads and processes (on a busy machine the wall
    time also holds waiting for a core)."""

    @property
    def mb_per_s(self) -> float:
        return self.mb / self.seconds if self.seconds else 0.0


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _child(fn: Callable[..., Any], args: tuple[Any, ...], queue: Any) -> None:
    started, cpu = time.perf_counter(), _cpu()
    try:
        result = fn(*args)
        error = None
    except Exception as exc:  # reported, not hidden
        result, error = None, f"{type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - started
    queue.put((seconds, _peak_mb(), result, error, _cpu() - cpu))


def _peak_mb() -> float:
    """This process's own peak resident memory.

    Linux keeps ``ru_maxrss`` across fork and exec, so a spawned child would report its
    parent's peak if that was higher; ``VmHWM`` belongs to the child's own address space.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def measure(name: str, fn: Callable[..., Any], *args: Any, mb: float = 0.0) -> Measurement:
    """Run ``fn(*args)`` in a spawned process; ``fn`` must be a module-level function."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(fn, args, queue))
    proc.start()
    seconds, peak_mb, result, error, cpu = queue.get()
    proc.join()
    if error is not None:
        raise RuntimeError(f"benchmark {name} failed: {error}")
    return Measurement(name, seconds, peak_mb, result, mb, cpu)


def table(title: str, rows: list[Measurement], baseline: str) -> str:
    """A plain-text table with each contender's time, throughput, memory and ratio."""
    base = next(m for m in rows if m.name == baseline)
    lines = [
        title,
        f"{'contender':<34}{'seconds':>9}{'CPU s':>8}{'MB/s':>9}{'peak MB':>9}"
        f"{'vs ' + baseline:>22}",
    ]
    for m in rows:
        ratio = base.seconds / m.seconds if m.seconds else float("inf")
        lines.append(
            f"{m.name:<34}{m.seconds:>9.2f}{m.cpu_seconds:>8.2f}{m.mb_per_s:>9.1f}"
            f"{m.peak_mb:>9.0f}{ratio:>21.2f}x"
        )
    return "\n".join(lines)
