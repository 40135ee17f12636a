"""``encoding: auto``: UTF-8 unless the file is clearly not, bad bytes quarantined anywhere."""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from seamline.crypto.parquet import PLAIN
from seamline.errors import SourceError
from seamline.sources.base import ReadContext
from seamline.sources.delimited import CsvOptions, CsvReader
from seamline.sources.delimited import encoding as encoding_module
from seamline.sources.delimited import fast as fast_module
from seamline.sources.delimited import reader as reader_module
from seamline.sources.landing import land

NAMES = ["Садыков", "Осмонова", "Aigul", "Жылдыз", "Токтогулова", "Bakyt"]
HEADER = b"pin,name,city\n"


def line(i: int) -> bytes:
    return f"{i:06d},{NAMES[i % len(NAMES)]},Бишкек\n".encode()


def export(size: int) -> bytes:
    """A UTF-8 export of about ``size`` bytes (Cyrillic and Latin names)."""
    out = bytearray(HEADER)
    i = 1
    while len(out) < size:
        out += line(i)
        i += 1
    return bytes(out)


def with_bad_byte(data: bytes, at: int, bad: bytes) -> bytes:
    """``data`` with a record whose name holds ``bad`` starting exactly at byte ``at``.

    The record replaces the lines from one that starts at least 16 bytes before ``at``;
    its name is padded with ASCII so that ``bad`` lands at ``at``.
    """
    start = data.rfind(b"\n", 0, max(len(HEADER), at - 16)) + 1
    start = max(start, len(HEADER))
    prefix = b"999999,"
    pad = at - start - len(prefix) - 3
    assert pad >= 0
    record = prefix + b"x" * pad + b"Sad" + bad + b"kov,Osh\n"
    rest = data[data.find(b"\n", at) + 1 :] if data.find(b"\n", at) >= 0 else b""
    out = data[:start] + record + rest
    assert out[at - 3 : at + len(bad)] == b"Sad" + bad
    return out


def read(path: Path, *, exact: bool = False, chunk: int | None = None) -> CsvReader:
    reader = CsvReader(CsvOptions(path=str(path)), ReadContext(base_dir=path.parent))
    old = reader_module.FAST_ENCODINGS, fast_module.CHUNK_BYTES
    reader_module.FAST_ENCODINGS = frozenset() if exact else old[0]
    fast_module.CHUNK_BYTES = chunk or old[1]
    try:
        reader.result = list(reader.batches())  # type: ignore[attr-defined]
    finally:
        reader_module.FAST_ENCODINGS, fast_module.CHUNK_BYTES = old
    return reader


IO_CHUNK = io.DEFAULT_BUFFER_SIZE
SAMPLE = encoding_module.SAMPLE_BYTES
FAST_CHUNK = 64 * 1024
PLACES = {
    "start": lambda size: len(HEADER) + 10,
    "middle": lambda size: size // 2,
    "end": lambda size: size - 12,
    "io-chunk-end": lambda size: IO_CHUNK - 1,
    "io-chunk-start": lambda size: IO_CHUNK,
    "sample-end": lambda size: SAMPLE - 1,
    "fast-chunk-end": lambda size: FAST_CHUNK - 12,
}


@pytest.mark.parametrize("bad", [b"\xff", b"\xd0"], ids=["ff", "cut-sequence"])
@pytest.mark.parametrize("place", list(PLACES))
@pytest.mark.parametrize("exact", [False, True], ids=["fast", "exact"])
def test_a_bad_byte_anywhere_quarantines_its_record_only(
    tmp_path: Path, place: str, bad: bytes, exact: bool
) -> None:
    clean = export(SAMPLE + 40_000)
    at = PLACES[place](len(clean))
    data = with_bad_byte(clean, at, bad)
    path = tmp_path / "people.csv"
    path.write_bytes(data)

    reader = read(path, exact=exact, chunk=FAST_CHUNK)
    batches = reader.result  # type: ignore[attr-defined]
    table = pa.Table.from_batches([b.data for b in batches])
    quarantined = [q for b in batches for q in b.quarantined]
    assert reader.encoding == "utf-8"
    assert [q.reason for q in quarantined] == [
        f"byte {at} (0x{bad[0]:02X}): field 2 has bytes that are not valid utf-8"
    ]
    assert quarantined[0].raw.startswith(b"999999,") and bad in quarantined[0].raw
    records = data.count(b"\n") - 1
    assert table.num_rows == records - 1
    assert "Sadÿkov" not in table.column("name").to_pylist()
    names = table.column("name").to_pylist()
    assert names.count(NAMES[0]) + names.count(NAMES[1]) >= records // 3 - 2


@pytest.mark.parametrize("boundary", [IO_CHUNK, SAMPLE, FAST_CHUNK - 12])
def test_a_letter_split_across_a_chunk_boundary_is_not_a_bad_byte(
    tmp_path: Path, boundary: int
) -> None:
    data = with_bad_byte(export(SAMPLE + 20_000), boundary - 1, "С".encode())
    path = tmp_path / "people.csv"
    path.write_bytes(data)
    for exact in (False, True):
        reader = read(path, exact=exact, chunk=FAST_CHUNK)
        batches = reader.result  # type: ignore[attr-defined]
        assert not any(b.quarantined for b in batches)
        names = pa.Table.from_batches([b.data for b in batches]).column("name").to_pylist()
        assert any(n.endswith("SadСkov") for n in names)
        assert reader.encoding == "utf-8"


def test_ascii_export_with_a_few_bad_bytes_stays_utf8(tmp_path: Path) -> None:
    """The reported case: ``Sad\\xffkov`` must not turn the file into a code page."""
    rows = [f"{i},Nurlan Abenov {i},Osh\n".encode() for i in range(1, 200)]
    rows[0] = b"1,Sad\xffkov,Osh\n"
    rows[150] = b"151,Osmon\xe9va,Osh\n"
    path = tmp_path / "people.csv"
    path.write_bytes(HEADER + b"".join(rows))
    reader = read(path)
    batches = reader.result  # type: ignore[attr-defined]
    assert reader.encoding == "utf-8"
    assert reader.metadata()["encoding_rule"] == (
        "2 of 200 lines of the file have bytes that are not UTF-8 (2 such bytes, "
        "0 valid UTF-8 characters): read as UTF-8, those records quarantined"
    )
    assert [q.position for b in batches for q in b.quarantined] == ["line 2", "line 152"]
    assert sum(b.data.num_rows for b in batches) == 197


def test_a_file_clearly_in_a_code_page_is_read_in_it(tmp_path: Path) -> None:
    rows = ["pin,name,city"] + [f"{i},{NAMES[i % 6]},Бишкек" for i in range(1, 300)]
    path = tmp_path / "people.csv"
    path.write_bytes("\n".join(rows).encode("cp1251"))
    reader = read(path)
    batches = reader.result  # type: ignore[attr-defined]
    assert reader.encoding == "cp1251"
    assert "not UTF-8, cp1251 by charset-normalizer" in (reader.encoding_rule or "")
    assert not any(b.quarantined for b in batches)
    names = pa.Table.from_batches([b.data for b in batches]).column("name").to_pylist()
    assert names[:3] == [NAMES[1], NAMES[2], NAMES[3]]


def test_the_choice_is_recorded_with_the_landed_data(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(with_bad_byte(export(20_000), 5_000, b"\xff"))
    options = CsvOptions(path=str(path))
    result = land(
        "people", options, tmp_path, ReadContext(base_dir=tmp_path, dataset="people"), files=PLAIN
    )
    assert result.quarantined == 1
    assert result.reasons == {"field 2 has bytes that are not valid utf-8": 1}
    meta = pq.read_schema(result.landing_path).metadata  # type: ignore[arg-type]
    assert meta[b"seamline.encoding"] == b"utf-8"
    assert meta[b"seamline.encoding_rule"].startswith(b"1 of ")


def test_declared_encoding_is_reported_as_declared(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(export(2_000))
    reader = CsvReader(CsvOptions(path=str(path), encoding="UTF8"), ReadContext(base_dir=tmp_path))
    list(reader.batches())
    assert reader.metadata() == {"encoding": "utf-8", "encoding_rule": "declared"}


def test_a_bad_byte_in_the_header_names_its_offset(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(b"pin,na\xffme,city\n" + export(5_000)[len(HEADER) :])
    with pytest.raises(SourceError, match=r"byte 6 \(0xFF\); the columns cannot be named"):
        read(path)
