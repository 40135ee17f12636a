"""Parallel reading of splittable files: byte ranges decoded by a pool of processes,
or by a Spark workspace's executors.

A reader that can cut its file at record boundaries (fixed-length records by their
length, VB files at block descriptors) hands each byte range to a worker process, which
decodes it with the reader's own code into ordinary batches numbered from 1 within the
range. The batches come back in file order; ``_record_no`` and every quarantined
record's number are then offset by the records of the earlier ranges, so the result is
the same as a single-core read, record for record.

Where the reader's context carries a :class:`~seamline.connector.RangeRunner`
(``ReadContext.ranges``: the connect stage sets one on a workspace with ``engine:
spark``), the same tasks run there instead, on other machines: their batches come back
as Arrow IPC bytes rather than through shared memory, and are offset the same way. The
readers do not know where their ranges ran.

Processes rather than threads: the decoders are NumPy and Arrow calls interleaved with
enough Python that threads would serialise on the interpreter lock. On Linux the pool
forks (a worker starts in milliseconds and shares the parent's imports); elsewhere it
spawns. At most ``2 * workers`` ranges are in flight, so memory stays bounded however
large the file is.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import tempfile
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seamline.connector import RangeRunner
from seamline.errors import SeamlineError, SourceError
from seamline.sources.base import RECORD_NO, Batch, QuarantineRecord, ReadContext

Workers = Literal["auto"] | int
MIN_RANGE_BYTES = 8 << 20
"""A file gets one worker per this many bytes at most: below it, starting a worker costs
more than it saves."""


def cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def resolve_workers(workers: Workers, size: int, runner: RangeRunner | None = None) -> int:
    """``auto``: one per core (per slot of ``runner``), fewer for a small file; a number
    is taken as given.

    A daemonic process (a worker of another pool) may not start processes: one then."""
    if mp.current_process().daemon:
        return 1
    if workers == "auto":
        most = size // MIN_RANGE_BYTES
        if most <= 1:  # a small file never starts the runner's engine
            return 1
        return max(1, min(runner.slots() if runner is not None else cores(), most))
    return max(1, int(workers))


LineSpan = tuple[int, int, int]
"""Bytes from..to of a text file, cut after a line break, and the number of the first line."""


def line_spans(path: Path, target: int) -> list[LineSpan]:
    """A text file cut after ``\\n`` into ranges of about ``target`` bytes, with line numbers.

    Counting line breaks with ``bytes.count`` runs at memory speed, so the numbers cost
    one pass over the file in the parent.
    """
    out: list[LineSpan] = []
    first, line = 0, 1
    with path.open("rb") as fh:
        while True:
            fh.seek(first)
            block = fh.read(target)
            if not block:
                break
            more = fh.readline()  # to the end of the line the block stops in
            out.append((first, first + len(block) + len(more), line))
            line += block.count(b"\n") + more.count(b"\n")
            first += len(block) + len(more)
    return out


def renumber(batch: Batch, offset: int) -> Batch:
    """A batch numbered within its range, numbered within the file."""
    if not offset:
        return batch
    data = batch.data
    at = data.schema.get_field_index(RECORD_NO)
    if at >= 0:
        moved = pc.add(data.column(at), pa.scalar(offset, pa.int64()))
        data = data.set_column(at, RECORD_NO, moved)
    quarantined = [replace(q, record_no=q.record_no + offset) for q in batch.quarantined]
    return Batch(data, quarantined, batch.consumed)


@dataclass
class Shipped:
    """A range's batches on their way to the parent: the data in an Arrow IPC file in
    shared memory (the parent maps it, no copy through the pipe), the quarantine pickled."""

    path: str
    quarantined: list[list[QuarantineRecord]]

    def batches(self) -> list[Batch]:
        with pa.memory_map(self.path) as source:
            reader = pa.ipc.open_file(source)
            data = [reader.get_batch(i) for i in range(reader.num_record_batches)]
        os.unlink(self.path)  # the mapping stays readable until its batches are gone
        return [Batch(d, q) for d, q in zip(data, self.quarantined, strict=True)]


def _ship(batches: list[Batch]) -> Shipped | list[Batch]:
    if not batches or any(b.data.schema != batches[0].data.schema for b in batches):
        return batches  # pickled through the pipe
    # shared memory, so the bytes never reach a disk; mkstemp opens the file exclusively,
    # readable by this user only
    shm = "/dev/shm"  # noqa: S108
    folder = shm if os.path.isdir(shm) else None
    fd, path = tempfile.mkstemp(prefix="seamline-range-", suffix=".arrow", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh, pa.ipc.new_file(fh, batches[0].data.schema) as writer:
            for b in batches:
                writer.write_batch(b.data)
    except OSError:  # shared memory full: the pipe is slower but has room
        os.unlink(path)
        return batches
    return Shipped(path, [b.quarantined for b in batches])


def _call(fn: Callable[..., Any], *args: Any) -> tuple[Any, str | None]:
    """Run a task in a worker; an error comes back as text (seamline's errors do not pickle)."""
    try:
        return fn(*args), None
    except Exception as exc:  # reported by the parent with the file
        return None, f"{type(exc).__name__}: {exc}"


def _portable(task: tuple[Any, ...]) -> tuple[Any, ...]:
    """A task as sent to another machine: a context in it goes without its runner (a
    range is decoded where it is sent, never sent on)."""
    return tuple(
        replace(a, ranges=None) if isinstance(a, ReadContext) and a.ranges is not None else a
        for a in task
    )


def _remote(
    tasks: Sequence[tuple[Any, ...]], workers: int, where: str, runner: RangeRunner
) -> Iterator[Any]:
    calls = [(_call, *_portable(t)) for t in tasks]
    try:
        for result, error in runner.run(calls, 2 * workers):
            if error is not None:
                raise SourceError(
                    f"a worker on {runner.where} failed to read its part of the file: {error}",
                    where=where,
                    hint="Read the file with workers: 1 to see the error where it happens.",
                )
            yield result
    except SourceError:
        raise
    except SeamlineError as exc:  # the runner could not run a task (an executor lost)
        raise SourceError(exc.message, where=where, hint=exc.hint) from exc
    except Exception as exc:  # a runner's own errors have no common base
        raise SourceError(
            f"{runner.where} failed to read the parts of the file: {exc}",
            where=where,
            hint="Read the file with workers: 1 to read it in this process.",
        ) from exc


def ordered(
    tasks: Sequence[tuple[Any, ...]],
    workers: int,
    where: str,
    discard: Callable[[Any], None] | None = None,
    runner: RangeRunner | None = None,
) -> Iterator[Any]:
    """``task[0](*task[1:])`` for every task on ``workers`` processes (or ``runner``'s
    workers, ``workers`` at a time), results in order.

    ``discard`` releases the results nobody took when the reading stops early."""
    if runner is not None:
        yield from _remote(tasks, workers, where, runner)
        return
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    if method == "fork":
        # pyarrow loads pandas on the first array built from NumPy (a fifth of a second);
        # loaded here once, every forked worker has it instead of loading it again
        pa.array(np.zeros(1, dtype=np.int64))
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context(method))
    pending: deque[Future[tuple[Any, str | None]]] = deque()
    upcoming = iter(tasks)
    try:
        for task in upcoming:
            pending.append(pool.submit(_call, *task))
            if len(pending) >= 2 * workers:
                break
        while pending:
            result, error = pending.popleft().result()
            if error is not None:
                raise SourceError(
                    f"a worker process failed to read its part of the file: {error}",
                    where=where,
                    hint="Read the file with workers: 1 to see the error where it happens.",
                )
            following = next(upcoming, None)
            if following is not None:
                pending.append(pool.submit(_call, *following))
            yield result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for future in pending:
            if discard is not None and not future.cancelled() and future.exception() is None:
                discard(future.result()[0])


def _unlink(result: tuple[int, Any]) -> None:
    if isinstance(result[1], Shipped):
        with contextlib.suppress(OSError):
            os.unlink(result[1].path)


def _shipped(fn: Callable[..., tuple[int, list[Batch]]], *args: Any) -> tuple[int, Any]:
    records, batches = fn(*args)
    return records, _ship(batches)


@dataclass
class Packed:
    """A range's batches on their way from another machine: the data as one Arrow IPC
    stream, the quarantine and each batch's count of source records beside it."""

    data: bytes
    quarantined: list[list[QuarantineRecord]]
    consumed: list[int | None]

    def batches(self) -> list[Batch]:
        reader = pa.ipc.open_stream(self.data)
        data = list(reader)
        return [
            Batch(d, q, c) for d, q, c in zip(data, self.quarantined, self.consumed, strict=True)
        ]


def _packed(fn: Callable[..., tuple[int, list[Batch]]], *args: Any) -> tuple[int, Any]:
    records, batches = fn(*args)
    if not batches or any(b.data.schema != batches[0].data.schema for b in batches):
        return records, batches  # pickled whole
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batches[0].data.schema) as writer:
        for b in batches:
            writer.write_batch(b.data)
    packed = Packed(
        sink.getvalue().to_pybytes(),
        [b.quarantined for b in batches],
        [b.consumed for b in batches],
    )
    return records, packed


def read_ranges(
    tasks: Sequence[tuple[Any, ...]], workers: int, where: str, runner: RangeRunner | None = None
) -> Iterator[Batch]:
    """Tasks that return ``(records, batches numbered from 1)``, run on ``workers``
    processes (or by ``runner``); their batches in order, numbered within the file."""
    offset = 0
    wrap = _shipped if runner is None else _packed
    tasks = [(wrap, *t) for t in tasks]
    for records, batches in ordered(tasks, workers, where, discard=_unlink, runner=runner):
        if isinstance(batches, Shipped | Packed):
            batches = batches.batches()
        for batch in batches:
            yield renumber(batch, offset)
        offset += records
