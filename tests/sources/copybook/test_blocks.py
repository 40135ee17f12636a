"""Variable-length files: RDW records (V), BDW blocks (VB) and spanned records (VBS)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seamline.errors import SourceError
from seamline.sources.base import QuarantineRecord, ReadContext
from seamline.sources.copybook import CopybookOptions, CopybookReader

E = "cp037"
BOOK = "       01  REC.\n           05  ID   PIC 9(2).\n           05  NAME PIC X(8).\n"


def rdw(payload: bytes, code: int = 0, include: bool = True) -> bytes:
    return (len(payload) + (4 if include else 0)).to_bytes(2, "big") + bytes([code, 0]) + payload


def bdw(body: bytes, include: bool = True) -> bytes:
    return (len(body) + (4 if include else 0)).to_bytes(2, "big") + b"\0\0" + body


def rec(i: int, name: str) -> bytes:
    return f"{i:02d}{name}".encode(E)


def _read(
    tmp_path: Path, data: bytes, **options: object
) -> tuple[list[dict[str, object]], list[QuarantineRecord]]:
    (tmp_path / "book.cpy").write_text(BOOK)
    (tmp_path / "data.dat").write_bytes(data)
    opts = CopybookOptions(path="data.dat", copybook="book.cpy", **options)  # type: ignore[arg-type]
    reader = CopybookReader(opts, ReadContext(base_dir=tmp_path, batch_size=2))
    rows: list[dict[str, object]] = []
    bad: list[QuarantineRecord] = []
    numbers: list[int] = []
    for batch in reader.batches():
        rows.extend(batch.data.to_pylist())
        bad.extend(batch.quarantined)
        numbers.extend(r["_record_no"] for r in batch.data.to_pylist())
        numbers.extend(q.record_no for q in batch.quarantined)
    assert sorted(numbers) == list(range(1, len(numbers) + 1))  # every record accounted for
    return rows, bad


FOUR = [rec(1, "Aigul"), rec(2, "Bakyt Sa"), rec(3, "Nurlan"), rec(4, "Cholpon")]


def test_vb_blocks_hold_rdw_records(tmp_path: Path) -> None:
    data = bdw(rdw(FOUR[0]) + rdw(FOUR[1])) + bdw(rdw(FOUR[2]) + rdw(FOUR[3]))
    rows, bad = _read(tmp_path, data, record_format="VB")
    assert not bad
    assert [(r["ID"], r["NAME"]) for r in rows] == [
        (1, "Aigul"),
        (2, "Bakyt Sa"),
        (3, "Nurlan"),
        (4, "Cholpon"),
    ]
    first_block = 4 + 4 + len(FOUR[0]) + 4 + len(FOUR[1])
    assert [r["_source_pos"] for r in rows] == [
        "byte 4",
        f"byte {8 + len(FOUR[0])}",
        f"byte {first_block + 4}",
        f"byte {first_block + 8 + len(FOUR[2])}",
    ]


def test_vb_read_as_v_is_refused_with_the_fix(tmp_path: Path) -> None:
    data = bdw(rdw(FOUR[0]) + rdw(FOUR[1])) + bdw(rdw(FOUR[2]) + rdw(FOUR[3]))
    with pytest.raises(SourceError) as err:
        _read(tmp_path, data, record_format="V")
    assert "block descriptor word" in str(err.value)
    assert "VB" in (err.value.hint or "")


def test_vb_extended_bdw_and_cobrix_lengths(tmp_path: Path) -> None:
    body = rdw(FOUR[0]) + rdw(FOUR[1])
    extended = (0x80000000 | (len(body) + 4)).to_bytes(4, "big") + body
    rows, bad = _read(tmp_path, extended, record_format="VB")
    assert not bad and [r["ID"] for r in rows] == [1, 2]
    body = rdw(FOUR[2], include=False) + rdw(FOUR[3], include=False)
    rows, bad = _read(
        tmp_path, bdw(body, include=False), record_format="VB", rdw_includes_header=False
    )
    assert not bad and [r["ID"] for r in rows] == [3, 4]


def test_vb_bad_rdw_loses_only_the_rest_of_its_block(tmp_path: Path) -> None:
    block1 = rdw(FOUR[0]) + b"\x00\x09\x07\x07" + FOUR[1]
    data = bdw(block1) + bdw(rdw(FOUR[2]) + rdw(FOUR[3]))
    rows, bad = _read(tmp_path, data, record_format="VB")
    assert [r["ID"] for r in rows] == [1, 3, 4]
    (q,) = bad
    assert q.record_no == 2 and q.position == f"byte {8 + len(FOUR[0])}"
    assert "00 09 07 07" in q.reason and "next block is read" in q.reason
    assert q.raw == b"\x00\x09\x07\x07" + FOUR[1]


def test_v_with_lengths_of_the_other_convention_is_quarantined_not_misread(
    tmp_path: Path,
) -> None:
    data = b"".join(rdw(r, include=False) for r in FOUR)
    rows, bad = _read(tmp_path, data, record_format="V")
    assert len(rows) == 1 and len(bad) == 1  # the first record is cut short, the rest is kept
    assert "splits cleanly with rdw_includes_header: false" in bad[0].reason
    rows, bad = _read(tmp_path, data, record_format="V", rdw_includes_header=False)
    assert not bad and [r["ID"] for r in rows] == [1, 2, 3, 4]


def test_vbs_joins_spanned_segments(tmp_path: Path) -> None:
    long = rec(5, "Azamat U")
    data = bdw(rdw(FOUR[0]) + rdw(long[:3], code=1))
    data += bdw(rdw(long[3:6], code=3))
    data += bdw(rdw(long[6:], code=2) + rdw(FOUR[1]))
    rows, bad = _read(tmp_path, data, record_format="VBS")
    assert not bad
    assert [(r["ID"], r["NAME"]) for r in rows] == [(1, "Aigul"), (5, "Azamat U"), (2, "Bakyt Sa")]
    assert rows[1]["_source_pos"] == f"byte {8 + len(FOUR[0])}"


def test_vbs_broken_spans_are_quarantined(tmp_path: Path) -> None:
    long = rec(5, "Azamat U")
    data = bdw(rdw(long[6:], code=2) + rdw(FOUR[0]) + rdw(long[:3], code=1))
    data += bdw(rdw(FOUR[1]) + rdw(long[:4], code=1))
    rows, bad = _read(tmp_path, data, record_format="VBS")
    assert [r["ID"] for r in rows] == [1, 2]
    reasons = [q.reason for q in bad]
    assert "without its first segment" in reasons[0]
    assert all("has no last segment" in r for r in reasons[1:]) and len(reasons) == 3
    assert [q.raw for q in bad[1:]] == [long[:3], long[:4]]


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz"])
def test_packed_files_are_unpacked(tmp_path: Path, suffix: str) -> None:
    import bz2
    import gzip
    import lzma

    pack = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress}[suffix]
    data = bdw(rdw(FOUR[0]) + rdw(FOUR[1]))
    (tmp_path / "book.cpy").write_text(BOOK)
    (tmp_path / f"data.dat{suffix}").write_bytes(pack(data))
    opts = CopybookOptions(path=f"data.dat{suffix}", copybook="book.cpy", record_format="VB")
    (batch,) = CopybookReader(opts, ReadContext(base_dir=tmp_path)).batches()
    assert batch.data.column("ID").to_pylist() == [1, 2]
    assert batch.data.column("_source_pos").to_pylist() == ["byte 4", f"byte {8 + len(FOUR[0])}"]


def test_a_broken_packed_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "book.cpy").write_text(BOOK)
    (tmp_path / "data.dat.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    opts = CopybookOptions(path="data.dat.gz", copybook="book.cpy")
    with pytest.raises(SourceError, match="cannot unpack the gzip data file") as err:
        list(CopybookReader(opts, ReadContext(base_dir=tmp_path)).batches())
    assert "source.compression" in (err.value.hint or "")
    opts = CopybookOptions(path="data.dat.gz", copybook="book.cpy", compression="none")
    batches = list(CopybookReader(opts, ReadContext(base_dir=tmp_path)).batches())
    bad = [q for b in batches for q in b.quarantined]  # read as is: 13 bytes of no records
    assert [q.record_no for q in bad] == [1, 2] and "truncated record" in bad[1].reason


TEXT = "       01  REC.\n           05  BODY PIC X(40).\n"


@settings(max_examples=60, deadline=None)
@given(
    payloads=st.lists(st.text("abcXYZ0129", min_size=1, max_size=40), min_size=1, max_size=30),
    cuts=st.lists(st.integers(1, 12), min_size=1, max_size=40),
    spanned=st.booleans(),
)
def test_vb_and_vbs_give_back_every_record(
    payloads: list[str], cuts: list[int], spanned: bool
) -> None:
    """Records cut into blocks (and, for VBS, into segments) read back whole, in order."""
    pieces: list[bytes] = []
    k = 0
    for text in payloads:
        raw = text.encode("latin-1")
        if not spanned:
            pieces.append(rdw(raw))
            continue
        parts = []
        while raw:
            size, k = cuts[k % len(cuts)], k + 1
            parts.append(raw[:size])
            raw = raw[size:]
        for i, part in enumerate(parts):
            code = 0 if len(parts) == 1 else 1 if i == 0 else 2 if i == len(parts) - 1 else 3
            pieces.append(rdw(part, code=code))
    data = b""
    while pieces:  # blocks of one to three descriptor words
        size, k = cuts[k % len(cuts)] % 3 + 1, k + 1
        data += bdw(b"".join(pieces[:size]))
        pieces = pieces[size:]
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        (base / "book.cpy").write_text(TEXT)
        (base / "data.dat").write_bytes(data)
        fmt = "VBS" if spanned else "VB"
        opts = CopybookOptions(path="data.dat", copybook="book.cpy", record_format=fmt)
        opts = opts.model_copy(update={"encoding": "latin-1"})
        reader = CopybookReader(opts, ReadContext(base_dir=base, batch_size=7))
        rows = [r for b in reader.batches() for r in b.data.to_pylist()]
    assert [r["BODY"] for r in rows] == payloads
    assert [r["_record_no"] for r in rows] == list(range(1, len(payloads) + 1))


@settings(max_examples=80, deadline=None)
@given(
    data=st.binary(max_size=300),
    fmt=st.sampled_from(["V", "VB", "VBS"]),
    include=st.booleans(),
    big=st.booleans(),
)
def test_any_bytes_are_landed_or_quarantined(
    data: bytes, fmt: str, include: bool, big: bool
) -> None:
    """Garbage never crashes the reader: every record is numbered, landed or quarantined."""
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        (base / "book.cpy").write_text(TEXT)
        (base / "data.dat").write_bytes(data)
        opts = CopybookOptions(path="data.dat", copybook="book.cpy")
        opts = opts.model_copy(
            update={"record_format": fmt, "rdw_includes_header": include, "rdw_big_endian": big}
        )
        reader = CopybookReader(opts, ReadContext(base_dir=base, batch_size=5))
        failure: SourceError | None = None
        try:
            batches = list(reader.batches())
        except SourceError as exc:
            failure = exc
    if failure is not None:  # only the "this is VB, not V" refusal
        assert fmt == "V" and "block descriptor word" in str(failure)
        return
    numbers = [r for b in batches for r in b.data.column("_record_no").to_pylist()]
    numbers += [q.record_no for b in batches for q in b.quarantined]
    assert sorted(numbers) == list(range(1, len(numbers) + 1))
    raw = sum(len(q.raw) for b in batches for q in b.quarantined)
    assert raw <= len(data)
