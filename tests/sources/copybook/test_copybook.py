"""The copybook connector on copybooks and EBCDIC bytes built in the test."""

from __future__ import annotations

import contextlib
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seamline.errors import CopybookError, SeamlineError, SourceError
from seamline.plugins import Registry
from seamline.sources.base import ReadContext
from seamline.sources.copybook import (
    CopybookOptions,
    CopybookReader,
    layout_table,
    parse_copybook,
    read_file,
    register,
)
from seamline.sources.copybook.codepages import decode_table

PERSON = """\
       01  PERSON.
           05  PERSON-ID        PIC 9(6).
           05  NAME.
               10  GIVEN        PIC X(12).
               10  FAMILY       PIC X(14).
           05  STATUS           PIC X.
               88  ACTIVE       VALUE 'A'.
               88  CLOSED       VALUE 'C'.
           05  BALANCE          PIC S9(7)V99 COMP-3.
           05  VISITS           PIC S9(4) COMP.
           05  SCORE            PIC S9(3)V9 .
           05  PHONE-COUNT      PIC 9.
           05  PHONES OCCURS 0 TO 3 DEPENDING ON PHONE-COUNT.
               10  PHONE        PIC X(5).
"""


def packed(value: int, nbytes: int) -> bytes:
    sign = "d" if value < 0 else "c"
    digits = str(abs(value)).rjust(nbytes * 2 - 1, "0")
    return bytes.fromhex(digits + sign)


def zoned(value: int, width: int, codepage: str = "cp037") -> bytes:
    text = str(abs(value)).rjust(width, "0")
    raw = bytearray(text.encode(codepage))
    zone = 0xD0 if value < 0 else 0xC0
    raw[-1] = zone | (raw[-1] & 0x0F)
    return bytes(raw)


def person(pid: int, given: str, family: str, status: str, balance: int, visits: int,
           score: int, phones: list[str], codepage: str = "cp037") -> bytes:  # fmt: skip
    rec = str(pid).rjust(6, "0").encode(codepage)
    rec += given.ljust(12).encode(codepage) + family.ljust(14).encode(codepage)
    rec += status.encode(codepage) + packed(balance, 5) + visits.to_bytes(2, "big", signed=True)
    rec += zoned(score, 4) + str(len(phones)).encode(codepage)
    body = b"".join(p.ljust(5).encode(codepage) for p in phones)
    return rec + body.ljust(15, b"\x40")


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "person.cpy").write_text(PERSON)
    data = person(1, "Aigul", "Toktogulova", "A", 123456, 7, -125, ["55501", "55502"])
    data += person(2, "Bakyt", "Sadykov", "C", -5, -3, 10, [])
    (tmp_path / "people.dat").write_bytes(data)
    return tmp_path


def _read(base: Path, **options: object) -> list[pa.RecordBatch]:
    opts = CopybookOptions(path="people.dat", copybook="person.cpy", **options)  # type: ignore[arg-type]
    reader = CopybookReader(opts, ReadContext(base_dir=base, batch_size=1000))
    return [b.data for b in reader.batches()]


def test_register_adds_the_kind() -> None:
    registry = Registry()
    register(registry)
    assert registry.connector("copybook") is CopybookReader


def test_layout_offsets_types_and_88_levels() -> None:
    layout = parse_copybook(PERSON)
    assert layout.record_length == 6 + 26 + 1 + 5 + 2 + 4 + 1 + 15
    rows = {r["field"]: r for r in layout_table(layout)}
    bal = rows["PERSON.BALANCE"]
    assert (bal["start"], bal["end"], bal["length"]) == (34, 38, 5)
    assert bal["type"] == "PIC S9(7)V99 COMP-3 → decimal(9,2)"
    assert layout.find("STATUS").values88 == {"A": "ACTIVE", "C": "CLOSED"}


def test_fixed_records_decode_flat(files: Path) -> None:
    (batch,) = _read(files)
    rows = batch.to_pylist()
    assert rows[0]["NAME_GIVEN"] == "Aigul"
    assert rows[0]["BALANCE"] == Decimal("1234.56")
    assert rows[1]["BALANCE"] == Decimal("-0.05")
    assert rows[1]["VISITS"] == -3
    assert rows[0]["SCORE"] == Decimal("-12.5")
    assert rows[0]["PHONES_1_PHONE"] == "55501" and rows[0]["PHONES_3_PHONE"] is None
    assert rows[1]["PHONES_1_PHONE"] is None
    assert rows[1]["_record_no"] == 2 and rows[1]["_source_pos"] == "byte 60"
    assert batch.schema.field("BALANCE").type == pa.decimal128(9, 2)


def test_nested_output_keeps_structs_and_lists(files: Path) -> None:
    (batch,) = _read(files, flatten=False)
    rows = batch.to_pylist()
    assert rows[0]["NAME"] == {"GIVEN": "Aigul", "FAMILY": "Toktogulova"}
    assert rows[0]["PHONES"] == [{"PHONE": "55501"}, {"PHONE": "55502"}]
    assert rows[1]["PHONES"] == []


def test_bad_packed_and_truncated_records_are_quarantined(tmp_path: Path) -> None:
    (tmp_path / "person.cpy").write_text(PERSON)
    good = person(1, "Aigul", "Toktogulova", "A", 1, 1, 1, [])
    bad = bytearray(person(2, "Bakyt", "Sadykov", "A", 1, 1, 1, []))
    bad[35] = 0xAB  # a non-digit nibble inside BALANCE
    (tmp_path / "people.dat").write_bytes(good + bytes(bad) + good[:17])
    opts = CopybookOptions(path="people.dat", copybook="person.cpy")
    batches = list(CopybookReader(opts, ReadContext(base_dir=tmp_path)).batches())
    accepted = sum(b.data.num_rows for b in batches)
    quarantined = [q for b in batches for q in b.quarantined]
    assert accepted == 1
    assert [q.record_no for q in quarantined] == [2, 3]
    assert "PERSON.BALANCE" in quarantined[0].reason and "packed" in quarantined[0].reason
    assert quarantined[0].position == "byte 60" and quarantined[0].raw == bytes(bad)
    assert "truncated" in quarantined[1].reason and quarantined[1].raw == good[:17]


def test_variable_records_with_rdw(tmp_path: Path) -> None:
    (tmp_path / "person.cpy").write_text(PERSON)
    recs = [
        person(i, "Aigul", "T", "A", i, i, i, ["1"] * (i % 3))[: 45 + 5 * (i % 3)]
        for i in range(1, 4)
    ]
    big = b"".join((len(r) + 4).to_bytes(2, "big") + b"\0\0" + r for r in recs)  # z/OS RDWs
    little = b"".join(b"\0\0" + len(r).to_bytes(2, "little") + r for r in recs)
    (tmp_path / "people.dat").write_bytes(big)
    rows = [r for b in _read(tmp_path, record_format="V") for r in b.to_pylist()]
    assert [r["PERSON_ID"] for r in rows] == [1, 2, 3]
    assert rows[0]["PHONES_2_PHONE"] is None and rows[1]["PHONES_2_PHONE"] == "1"
    (tmp_path / "people.dat").write_bytes(little)
    rows = [
        r
        for b in _read(tmp_path, record_format="V", rdw_big_endian=False, rdw_includes_header=False)
        for r in b.to_pylist()
    ]
    assert [r["PERSON_ID"] for r in rows] == [1, 2, 3]


def test_bad_rdw_quarantines_the_rest(tmp_path: Path) -> None:
    (tmp_path / "person.cpy").write_text(PERSON)
    rec = person(1, "Aigul", "T", "A", 1, 1, 1, [])
    (tmp_path / "people.dat").write_bytes(
        (len(rec) + 4).to_bytes(2, "big") + b"\0\0" + rec + b"\x7f\xff\0\0abc"
    )
    opts = CopybookOptions(path="people.dat", copybook="person.cpy", record_format="V")
    (batch,) = CopybookReader(opts, ReadContext(base_dir=tmp_path)).batches()
    assert batch.data.num_rows == 1
    (q,) = batch.quarantined
    assert q.raw == b"\x7f\xff\0\0abc" and "cannot be split" in q.reason


def test_segments_select_the_redefines_group(tmp_path: Path) -> None:
    (tmp_path / "seg.cpy").write_text(
        "       01  REC.\n           05  KIND PIC X.\n           05  ORG.\n"
        "               10  ORG-NAME PIC X(6).\n           05  PERS REDEFINES ORG.\n"
        "               10  AGE PIC 9(3) COMP-3.\n               10  FILLER PIC X(4).\n"
    )
    data = "OSalymb".encode("cp037") + "P".encode("cp037") + packed(42, 2) + b"\x40" * 4
    (tmp_path / "seg.dat").write_bytes(data)
    table = read_file(
        tmp_path / "seg.cpy",
        tmp_path / "seg.dat",
        segment_field="KIND",
        segments={"O": "ORG", "P": "PERS"},
    )
    rows = table.to_pylist()
    assert rows[0]["ORG_ORG_NAME"] == "Salymb" and rows[0]["PERS_AGE"] is None
    assert rows[1]["PERS_AGE"] == 42 and rows[1]["ORG_ORG_NAME"] is None


def test_text_lines_and_code_pages(tmp_path: Path) -> None:
    (tmp_path / "t.cpy").write_text(
        "01 R.\n  05 NAME PIC X(6).\n  05 N PIC S9(3) SIGN LEADING SEPARATE.\n"
    )
    (tmp_path / "t.txt").write_bytes(b"Aigul -012\r\nBakyt +007\n")
    rows = read_file(
        tmp_path / "t.cpy", tmp_path / "t.txt", record_format="D", encoding="ascii"
    ).to_pylist()
    assert [(r["NAME"], r["N"], r["_source_pos"]) for r in rows] == [
        ("Aigul", -12, "line 1"),
        ("Bakyt", 7, "line 2"),
    ]
    (tmp_path / "c.cpy").write_text("01 R.\n  05 NAME PIC X(6).\n")
    name = "Бакыт "
    for cp in ("cp1025", "cp1047"):
        inverse = {chr(c): b for b, c in enumerate(decode_table(cp))}
        text = name if cp == "cp1025" else "[a^b] "
        (tmp_path / "c.dat").write_bytes(bytes(inverse[ch] for ch in text))
        rows = read_file(tmp_path / "c.cpy", tmp_path / "c.dat", encoding=cp).to_pylist()
        assert rows[0]["NAME"] == text.rstrip()


def test_floats_ibm_and_binary_little_endian(tmp_path: Path) -> None:
    (tmp_path / "f.cpy").write_text(
        "01 R.\n  05 F1 COMP-1.\n  05 F2 COMP-2.\n  05 B PIC S9(4) COMP-5.\n"
    )
    ibm_one = bytes([0x41, 0x10, 0, 0])  # 1.0 in IBM hex float
    ibm_minus = bytes([0xC2, 0x64, 0, 0, 0, 0, 0, 0])  # -100.0
    (tmp_path / "f.dat").write_bytes(ibm_one + ibm_minus + (-2).to_bytes(2, "little", signed=True))
    (row,) = read_file(tmp_path / "f.cpy", tmp_path / "f.dat", comp5_little_endian=True).to_pylist()
    assert (row["F1"], row["F2"], row["B"]) == (1.0, -100.0, -2)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("       01  R.\n           05  A PIC X(3\n", ":2:"),
        ("       01  R.\n           05  A PICK X.\n", ":2:"),
        ("       01  R.\n           05  A PIC X REDEFINES B.\n", ":2:"),
        ("       05  A PIC X.\n", ":1:"),
    ],
)
def test_parse_errors_name_line_and_column(text: str, where: str) -> None:
    with pytest.raises(CopybookError) as info:
        parse_copybook(text, source="x.cpy")
    assert info.value.where is not None and where in info.value.where


def test_fixed_format_areas_are_ignored() -> None:
    def card(seq: str, code: str) -> str:
        return f"{seq:<6}{code:<66}SEQ{seq}\n"

    text = card("000100", " 01  R.") + card("000200", "*    A COMMENT LINE")
    text += card("000300", "     05  A  PIC X(4).")
    layout = parse_copybook(text)
    assert [f.name for f in layout.leaves()] == ["A"] and layout.record_length == 4


def test_missing_file_is_a_source_error(tmp_path: Path) -> None:
    (tmp_path / "person.cpy").write_text(PERSON)
    opts = CopybookOptions(path="nope.dat", copybook="person.cpy")
    with pytest.raises(SourceError) as info:
        list(CopybookReader(opts, ReadContext(base_dir=tmp_path)).batches())
    assert "nope.dat" in str(info.value)


def test_limit_and_batch_size(tmp_path: Path) -> None:
    (tmp_path / "person.cpy").write_text(PERSON)
    rec = person(1, "Aigul", "T", "A", 1, 1, 1, [])
    (tmp_path / "people.dat").write_bytes(rec * 10)
    opts = CopybookOptions(path="people.dat", copybook="person.cpy")
    batches = list(
        CopybookReader(opts, ReadContext(base_dir=tmp_path, batch_size=3, limit=7)).batches()
    )
    assert [b.read for b in batches] == [3, 3, 1]
    assert batches[-1].data.column("_record_no").to_pylist() == [7]


WORDS = st.sampled_from(["01", "05", "10", "88", "PIC", "X(3)", "S9(4)V99", "COMP-3", ".", "OCCURS",
                         "2", "TO", "DEPENDING", "ON", "REDEFINES", "A", "B", "VALUE", "'X'", "*", "\n"])  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), st.lists(WORDS, max_size=40).map(" ".join)))
def test_parser_fuzz_only_raises_copybook_errors(text: str) -> None:
    with contextlib.suppress(CopybookError):
        parse_copybook(text)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.binary(max_size=400),
    encoding=st.sampled_from(["cp037", "cp875", "ascii", "cp1025"]),
    fmt=st.sampled_from(["F", "V", "D"]),
)
def test_decoder_fuzz_never_crashes(tmp_path: Path, data: bytes, encoding: str, fmt: str) -> None:
    (tmp_path / "person.cpy").write_text(PERSON)
    (tmp_path / "people.dat").write_bytes(data)
    opts = CopybookOptions(
        path="people.dat", copybook="person.cpy", encoding=encoding, record_format=fmt
    )  # type: ignore[arg-type]
    try:
        batches = list(CopybookReader(opts, ReadContext(base_dir=tmp_path, batch_size=4)).batches())
    except SeamlineError:
        return
    numbers = [n for b in batches for n in b.data.column("_record_no").to_pylist()]
    numbers += [q.record_no for b in batches for q in b.quarantined]
    assert sorted(numbers) == list(range(1, len(numbers) + 1))
    if fmt == "F":
        assert len(numbers) == -(-len(data) // 60)
