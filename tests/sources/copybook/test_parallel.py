"""Parallel reading gives what one process gives: rows, quarantine and record numbers."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seamline.sources.base import ReadContext
from seamline.sources.copybook import CopybookOptions, CopybookReader
from seamline.sources.copybook import reader as reader_module
from seamline.sources.copybook.split import spans
from seamline.sources.parallel import resolve_workers

BOOK = """\
       01  REC.
           05  ID      PIC 9(4).
           05  NAME    PIC X(6).
           05  AMOUNT  PIC S9(5)V99 COMP-3.
"""
E = "cp037"


def record(i: int, bad: bool) -> bytes:
    packed = bytes.fromhex(f"{i * 7 % 10**7:07d}C")
    if bad:
        packed = b"\xff" + packed[1:]  # an invalid nibble: the record goes to quarantine
    return f"{i % 10000:04d}".encode(E) + f"P{i:05d}"[:6].encode(E) + packed


def rdw(payload: bytes) -> bytes:
    return (len(payload) + 4).to_bytes(2, "big") + b"\0\0" + payload


def bdw(body: bytes) -> bytes:
    return (len(body) + 4).to_bytes(2, "big") + b"\0\0" + body


def read(folder: Path, workers: int, batch_size: int, **options: Any) -> tuple[Any, Any]:
    opts = CopybookOptions(path="d.dat", copybook="d.cpy", workers=workers, **options)
    reader = CopybookReader(opts, ReadContext(base_dir=folder, batch_size=batch_size))
    rows, bad = [], []
    for batch in reader.batches():
        rows.extend(batch.data.to_pylist())
        bad.extend((q.record_no, q.position, q.reason, q.raw) for q in batch.quarantined)
    return rows, bad


def both(folder: Path, range_bytes: int, batch_size: int, **options: Any) -> tuple[Any, Any]:
    single = read(folder, 1, batch_size, **options)
    old = reader_module.MIN_RANGE_BYTES
    reader_module.MIN_RANGE_BYTES = range_bytes  # small ranges: many cuts in a small file
    try:
        parallel = read(folder, 2, batch_size, **options)
    finally:
        reader_module.MIN_RANGE_BYTES = old
    return single, parallel


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(0, 60),
    bad=st.sets(st.integers(0, 59), max_size=8),
    batch_size=st.integers(1, 9),
    tail=st.integers(0, 13),
)
def test_fixed_length_parallel_equals_single(
    n: int, bad: set[int], batch_size: int, tail: int
) -> None:
    # ranges hold whole batches: batch_size moves the cuts to every record position
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "d.cpy").write_text(BOOK)
        data = b"".join(record(i, i in bad) for i in range(n)) + b"\x40" * tail
        (folder / "d.dat").write_bytes(data)
        single, parallel = both(folder, 1, batch_size, encoding=E, record_format="FB")
        assert parallel == single
        assert len(single[0]) + len(single[1]) == n + (1 if tail else 0)


@settings(max_examples=25, deadline=None)
@given(
    blocks=st.lists(st.integers(1, 5), min_size=0, max_size=12),
    bad=st.sets(st.integers(0, 59), max_size=6),
    broken_rdw=st.sets(st.integers(0, 11), max_size=2),
    broken_bdw=st.one_of(st.none(), st.integers(0, 11)),
    range_bytes=st.integers(1, 200),
)
def test_vb_parallel_equals_single(
    blocks: list[int],
    bad: set[int],
    broken_rdw: set[int],
    broken_bdw: int | None,
    range_bytes: int,
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "d.cpy").write_text(BOOK)
        out, i = b"", 0
        for b, size in enumerate(blocks):
            body = b""
            for _ in range(size):
                body += rdw(record(i, i in bad))
                i += 1
            if b in broken_rdw:  # a record descriptor that overruns its block
                body = b"\x00\x7f\x00\x00" + body[4:]
            block = bdw(body)
            if b == broken_bdw:  # the rest of the file cannot be split into blocks
                block = b"\xff\xff\x00\x00" + block[4:]
            out += block
        (folder / "d.dat").write_bytes(out)
        single, parallel = both(folder, range_bytes, 4, encoding=E, record_format="VB")
        assert parallel == single


def test_spans_cut_at_records_and_blocks(tmp_path: Path) -> None:
    (tmp_path / "d.cpy").write_text(BOOK)
    (tmp_path / "d.dat").write_bytes(b"".join(record(i, False) for i in range(100)))
    opts = CopybookOptions(path="d.dat", copybook="d.cpy", encoding=E, record_format="F")
    reader = CopybookReader(opts, ReadContext(base_dir=tmp_path, batch_size=10))
    framing = reader.framing(reader.layout, reader.assembler())
    cuts = spans(tmp_path / "d.dat", framing, 300)
    assert cuts == [(a, min(1400, a + 280)) for a in range(0, 1400, 280)]  # 2 batches each
    rows, bad = both(tmp_path, 300, 10, encoding=E)[1]
    assert [r["_record_no"] for r in rows] == list(range(1, 101)) and not bad


def test_workers_option(tmp_path: Path) -> None:
    assert resolve_workers(3, 10) == 3
    assert resolve_workers("auto", 10) == 1  # a small file stays on one core
    with pytest.raises(ValueError, match="greater than 0"):
        CopybookOptions(path="d.dat", copybook="d.cpy", workers=0)


def test_a_read_stopped_early_leaves_no_parts_behind(tmp_path: Path) -> None:
    (tmp_path / "d.cpy").write_text(BOOK)
    (tmp_path / "d.dat").write_bytes(b"".join(record(i, False) for i in range(400)))
    shm = Path("/dev/shm")  # where the parts are handed over
    before = set(shm.glob("seamline-range-*")) if shm.is_dir() else set()
    opts = CopybookOptions(path="d.dat", copybook="d.cpy", encoding=E, workers=2)
    old = reader_module.MIN_RANGE_BYTES
    reader_module.MIN_RANGE_BYTES = 1
    try:
        batches = CopybookReader(opts, ReadContext(base_dir=tmp_path, batch_size=10)).batches()
        first = next(batches)
        batches.close()  # the consumer stops: parts already decoded must be released
    finally:
        reader_module.MIN_RANGE_BYTES = old
    assert first.data.column("_record_no").to_pylist() == list(range(1, 11))
    after = set(shm.glob("seamline-range-*")) if shm.is_dir() else set()
    assert after <= before
