"""Which process runs a stage, and whether a process recorded earlier is still alive.

A run records its pid, host and the process's start time; a later run on the same
host marks runs left ``running`` by a process that no longer exists as ``aborted``.
The start time guards against a reused pid. Written by hand over ``/proc`` (two small
reads) rather than adding psutil for it; where ``/proc`` is absent only the pid is
checked.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path


def host_name() -> str:
    return socket.gethostname()[:255]


def started_at(pid: int) -> float | None:
    """When process ``pid`` started, in seconds since the epoch (None if unknown)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
        boot = next(
            float(line.split()[1])
            for line in Path("/proc/stat").read_text(encoding="ascii").splitlines()
            if line.startswith("btime ")
        )
    except (OSError, StopIteration, ValueError, IndexError):
        return None
    # The command name (field 2) may hold spaces; fields after its ')' are plain.
    fields = stat.rsplit(")", 1)[-1].split()
    try:
        ticks = int(fields[19])  # field 22 of the whole line: starttime
    except (IndexError, ValueError):
        return None
    return boot + ticks / os.sysconf("SC_CLK_TCK")


def alive(pid: int, started: float | None) -> bool:
    """Whether the process ``pid`` that started at ``started`` still runs (on this host)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    if started is None:
        return True
    now_started = started_at(pid)
    # A pid handed to a new process has a later start time; allow clock-tick rounding.
    return now_started is None or abs(now_started - started) < 2.0
