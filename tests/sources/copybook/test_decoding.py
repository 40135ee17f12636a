"""Decoding details: wide numbers, overpunched text lines, edited pictures, text options."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seamline.sources.base import ReadContext
from seamline.sources.copybook import CopybookOptions, CopybookReader, parse_copybook, read_file
from seamline.sources.copybook.decode import decode_field
from seamline.sources.copybook.text import Codec


def _batches(base: Path, **options: Any) -> tuple[list[dict[str, Any]], list[Any]]:
    opts = CopybookOptions(path="d.dat", copybook="d.cpy", **options)
    batches = list(CopybookReader(opts, ReadContext(base_dir=base, batch_size=100)).batches())
    rows = [r for b in batches for r in b.data.to_pylist()]
    return rows, [q for b in batches for q in b.quarantined]


def _write(base: Path, copybook: str, data: bytes) -> None:
    (base / "d.cpy").write_text(copybook)
    (base / "d.dat").write_bytes(data)


OVERPUNCH = """\
       01  LINE-REC.
           05  NAME        PIC X(8).
           05  AMOUNT      PIC S9(3)V99.
           05  ADJUST      PIC S9(3) SIGN IS LEADING.
"""


def test_text_lines_with_ascii_overpunched_signs(tmp_path: Path) -> None:
    lines = [
        "Aigul   1234{A23",  # { = +0 last digit, A = +1 leading
        "Bakyt   1234}J23",  # } = -0, J = -1 leading
        "Nurlan  0012R003",  # R = -9
        "Cholpon 0012p0 7",  # p = -0 (some ASCII compilers); a blank inside ADJUST
        "Azamat  12X4}003",  # X is no digit
    ]
    _write(tmp_path, OVERPUNCH, "\n".join(lines).encode("ascii") + b"\n")
    rows, bad = _batches(tmp_path, record_format="D", encoding="ascii")
    assert [(r["NAME"], r["AMOUNT"], r["ADJUST"]) for r in rows] == [
        ("Aigul", Decimal("123.40"), 123),
        ("Bakyt", Decimal("-123.40"), -123),
        ("Nurlan", Decimal("-1.29"), 3),
    ]
    assert [r["_source_pos"] for r in rows] == ["line 1", "line 2", "line 3"]
    assert [q.position for q in bad] == ["line 4", "line 5"]
    assert "LINE-REC.ADJUST" in bad[0].reason and "zoned" in bad[0].reason
    assert "LINE-REC.AMOUNT" in bad[1].reason and bad[1].raw == lines[4].encode("ascii")


def test_overpunched_text_lines_with_invalid_values_as_null(tmp_path: Path) -> None:
    _write(tmp_path, OVERPUNCH, b"Aigul   12X4}A23\r\n")
    rows, bad = _batches(tmp_path, record_format="D", encoding="ascii", invalid_values="null")
    assert not bad
    assert (rows[0]["AMOUNT"], rows[0]["ADJUST"]) == (None, 123)


WIDE = """\
       01  W.
           05  BIN20       PIC 9(20) BINARY.
           05  SBIN37      PIC S9(37) COMP.
           05  LBIN19      PIC S9(19) COMP-9.
           05  PACK25      PIC S9(25)V99 COMP-3.
           05  ZONE30      PIC S9(30).
"""


def _zoned(value: int, width: int) -> bytes:
    raw = bytearray(str(abs(value)).rjust(width, "0").encode("cp037"))
    raw[-1] = (0xD0 if value < 0 else 0xC0) | (raw[-1] & 0x0F)
    return bytes(raw)


def _packed(value: int, nbytes: int) -> bytes:
    digits = str(abs(value)).rjust(nbytes * 2 - 1, "0")
    return bytes.fromhex(digits + ("d" if value < 0 else "c"))


def test_binary_wider_than_8_bytes_and_wide_decimals(tmp_path: Path) -> None:
    layout = parse_copybook(WIDE)
    sizes = {f.name: f.size for f in layout.leaves()}
    assert sizes == {"BIN20": 9, "SBIN37": 16, "LBIN19": 9, "PACK25": 14, "ZONE30": 30}
    big = 2**64 + 12345  # 20 digits, past uint64
    neg = -(10**36) - 7
    rec = big.to_bytes(9, "big") + neg.to_bytes(16, "big", signed=True)
    rec += (-(10**18) - 1).to_bytes(9, "little", signed=True)
    rec += _packed(-(10**26) - 99, 14) + _zoned(-(10**29) - 1, 30)
    top_bit = (2**71).to_bytes(9, "big")  # an unsigned 9-byte value of 22 digits: too big
    _write(tmp_path, WIDE, rec + top_bit + rec[9:])
    rows, bad = _batches(tmp_path)
    (row,) = rows
    assert row["BIN20"] == Decimal(big) and row["SBIN37"] == Decimal(neg)
    assert row["LBIN19"] == Decimal(-(10**18) - 1)
    assert row["PACK25"] == Decimal("-1000000000000000000000000.99")
    assert row["ZONE30"] == Decimal(-(10**29) - 1)
    (q,) = bad
    assert "W.BIN20" in q.reason and "out of range" in q.reason and q.position == "byte 78"


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(-(10**38) + 1, 10**38 - 1), min_size=1, max_size=20))
def test_wide_packed_zoned_and_binary_agree_with_python_ints(values: list[int]) -> None:
    layout = parse_copybook(
        "01 R.\n  05 P PIC S9(38) COMP-3.\n  05 Z PIC S9(38).\n  05 B PIC S9(38) COMP.\n"
    )
    p, z, b = layout.leaves()
    codec = Codec.for_encoding("cp037")
    rows = [_packed(v, 20) + _zoned(v, 38) + v.to_bytes(16, "big", signed=True) for v in values]
    matrix = np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(len(values), -1)
    for f in (p, z, b):
        arr, bad, null = decode_field(f, matrix[:, f.offset : f.offset + f.size], codec)
        assert not bad.any() and not null.any()
        assert arr.type == pa.decimal128(38, 0)
        assert arr.to_pylist() == [Decimal(v) for v in values]


EDITED = """\
       01  E.
           05  SIGNED-POINT  PIC S9(3).99.
           05  PLUS-IMPLIED  PIC +9(4)V99.
           05  TRAILING      PIC 9(4).99-.
"""


def test_edited_pictures_overpunch_implied_point_and_junk(tmp_path: Path) -> None:
    good = "305.0L" + "-030503" + "0789.09-"  # L = -3 overpunched on the last digit
    junk = "1E5.00" + "+000001" + "   1.5  "  # an exponent is not a COBOL number
    _write(tmp_path, EDITED, (good + junk).encode("cp037"))
    rows, bad = _batches(tmp_path)
    assert rows[0]["SIGNED_POINT"] == Decimal("-305.03")
    assert rows[0]["PLUS_IMPLIED"] == Decimal("-305.03")
    assert rows[0]["TRAILING"] == Decimal("-789.09")
    (q,) = bad
    assert "E.SIGNED-POINT" in q.reason


TEXT = """\
       01  T.
           05  CODE        PIC X(4).
           05  NOTE        PIC X(6).
"""


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, [("A\x00B", "x\x01"), ("", "é")]),
        ({"control_chars": "space"}, [("A B", "x"), ("", "é")]),
        ({"control_chars": "drop"}, [("AB", "x"), ("", "é")]),
        ({"control_chars": "drop", "blank_text": "null"}, [("AB", "x"), (None, "é")]),
    ],
)
def test_control_characters_and_blank_text(
    tmp_path: Path, options: dict[str, Any], expected: list[tuple[Any, Any]]
) -> None:
    data = b"A\x00B " + b"x\x01    " + b"    " + "é     ".encode("latin-1")
    _write(tmp_path, TEXT, data)
    rows, _ = _batches(tmp_path, encoding="latin-1", **options)
    assert [(r["CODE"], r["NOTE"]) for r in rows] == expected


def test_invalid_text_replace_keeps_the_record(tmp_path: Path) -> None:
    _write(tmp_path, TEXT, b"AB\xffC" + b"note  ")
    rows, bad = _batches(tmp_path, encoding="ascii")
    assert not rows and "T.CODE" in bad[0].reason
    rows, bad = _batches(tmp_path, encoding="ascii", invalid_values="null")
    assert not bad and rows[0]["CODE"] is None
    rows, bad = _batches(tmp_path, encoding="ascii", invalid_values="replace")
    assert not bad and rows[0]["CODE"] == "AB\ufffdC" and rows[0]["NOTE"] == "note"


def test_ebcdic_common_reads_non_invariant_bytes_as_spaces(tmp_path: Path) -> None:
    data = "AB".encode("cp037") + b"\x41\xb2" + "Osh".encode("cp037") + b"\x6a\xca\x40"
    _write(tmp_path, TEXT, data)
    assert read_file(tmp_path / "d.cpy", tmp_path / "d.dat").to_pylist()[0]["CODE"] == "AB\xa0¥"
    rows, _ = _batches(tmp_path, encoding="ebcdic-common")
    assert (rows[0]["CODE"], rows[0]["NOTE"]) == ("AB", "Osh|-")


def test_debug_columns_show_the_bytes(tmp_path: Path) -> None:
    _write(tmp_path, "01 R.\n  05 N PIC S9(3) COMP-3.\n", b"\x12\x3d")
    hexed = read_file(tmp_path / "d.cpy", tmp_path / "d.dat", debug="hex").to_pylist()[0]
    raw = read_file(tmp_path / "d.cpy", tmp_path / "d.dat", debug="raw").to_pylist()[0]
    assert (hexed["N"], hexed["N_debug"], raw["N_debug"]) == (-123, "123D", b"\x12\x3d")


def test_rdw_in_record_and_text_cut_off_by_the_record_end(tmp_path: Path) -> None:
    copybook = "01 R.\n  05 LEN PIC 9(4) COMP.\n  05 FILLER PIC XX.\n  05 NAME PIC X(10).\n"
    recs = [b"Aigul Tokt", b"Bakyt"]  # the second record lost its trailing blanks
    data = b"".join(
        (len(r) + 4).to_bytes(2, "big") + b"\0\0" + r.decode().encode("cp037") for r in recs
    )
    _write(tmp_path, copybook, data)
    rows, bad = _batches(tmp_path, record_format="V", rdw_in_record=True)
    assert not bad
    assert [(r["LEN"], r["NAME"]) for r in rows] == [(14, "Aigul Tokt"), (9, "Bakyt")]


MIXED = (
    EDITED
    + """\
           05  WIDE-BIN      PIC S9(20) COMP.
           05  WIDE-PACK     PIC 9(21) COMP-3.
           05  CODE          PIC X(3).
"""
)


@settings(max_examples=80, deadline=None)
@given(
    data=st.binary(min_size=0, max_size=400),
    encoding=st.sampled_from(["cp037", "ascii", "ebcdic-common"]),
)
def test_edited_and_wide_fields_never_crash(data: bytes, encoding: str) -> None:
    layout = parse_copybook(MIXED)
    width = layout.record_length
    matrix = np.frombuffer(data[: len(data) // width * width], dtype=np.uint8).reshape(-1, width)
    codec = Codec.for_encoding(encoding)
    for f in layout.leaves():
        arr, bad, null = decode_field(f, matrix[:, f.offset : f.offset + f.size], codec)
        assert len(arr) == len(bad) == len(null) == len(matrix)
        assert arr.null_count >= int((bad | null).sum()) or f.kind == "alnum"


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=0, max_size=64), st.integers(min_value=1, max_value=8))
def test_translate_lookup_equals_an_array_lookup(data: bytes, width: int) -> None:
    from seamline.sources.copybook.text import lookup

    rows = len(data) // width
    sub = np.frombuffer(data[: rows * width], dtype=np.uint8).reshape(rows, width)
    table = np.random.default_rng(rows).integers(0, 256, 256).astype(np.uint8)
    assert np.array_equal(lookup(table.tobytes(), sub[:, ::-1]), table[sub[:, ::-1]])


def test_zoned_separate_sign_with_blanks_and_digits_only(tmp_path: Path) -> None:
    copybook = """\
       01  R.
           05  A   PIC S9(3) SIGN IS LEADING SEPARATE.
           05  B   PIC 9(3).
"""
    _write(tmp_path, copybook, b"+12 123-  7004" + b"-12 12X")
    rows, quarantined = _batches(tmp_path, encoding="ascii")
    assert [(r["A"], r["B"]) for r in rows] == [(12, 123), (-7, 4)]
    assert [q.record_no for q in quarantined] == [3]
    assert "B" in quarantined[0].reason
