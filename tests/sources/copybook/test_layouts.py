"""Copybook layouts beyond the basics: larger REDEFINES, text counters, bad-record detail."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seamline.errors import SourceError
from seamline.sources.base import QuarantineRecord, ReadContext
from seamline.sources.copybook import CopybookOptions, CopybookReader, parse_copybook

E = "cp037"


def _read(
    tmp_path: Path, copybook: str, data: bytes, **options: object
) -> tuple[list[dict[str, object]], list[QuarantineRecord]]:
    (tmp_path / "book.cpy").write_text(copybook)
    (tmp_path / "data.dat").write_bytes(data)
    opts = CopybookOptions(path="data.dat", copybook="book.cpy", **options)  # type: ignore[arg-type]
    reader = CopybookReader(opts, ReadContext(base_dir=tmp_path, batch_size=3))
    rows: list[dict[str, object]] = []
    bad: list[QuarantineRecord] = []
    for batch in reader.batches():
        rows.extend(batch.data.to_pylist())
        bad.extend(batch.quarantined)
    return rows, bad


REDEF = """\
       01  REC.
           05  CODE         PIC X(2).
           05  SHORT        PIC X(3).
           05  LONG REDEFINES SHORT.
               10  PART-A   PIC X(3).
               10  PART-B   PIC X(4).
           05  TAIL         PIC X(2).
"""


def test_a_larger_redefines_widens_the_group() -> None:
    layout = parse_copybook(REDEF)
    assert layout.record_length == 2 + 7 + 2
    assert layout.find("TAIL").offset == 9
    assert layout.find("LONG").offset == layout.find("SHORT").offset == 2


def test_a_larger_redefines_reads_every_record(tmp_path: Path) -> None:
    data = b"".join(f"C{i}abcdefgZZ".encode(E) for i in range(7))
    rows, bad = _read(tmp_path, REDEF, data)
    assert not bad
    assert [r["TAIL"] for r in rows] == ["ZZ"] * 7
    assert rows[0]["LONG_PART_B"] == "defg"
    assert [r["_record_no"] for r in rows] == list(range(1, 8))


ODO_X = """\
       01  REC.
           05  N            PIC X(2).
           05  ITEM OCCURS 0 TO 3 DEPENDING ON N.
               10  V        PIC 9(2).
"""


def test_occurs_depending_on_a_text_counter(tmp_path: Path) -> None:
    data = "02112200".encode(E) + " 3112233".encode(E) + "xx000000".encode(E)
    rows, bad = _read(tmp_path, ODO_X, data, flatten=False)
    assert [r["ITEM"] for r in rows] == [[{"V": 11}, {"V": 22}], [{"V": 11}, {"V": 22}, {"V": 33}]]
    assert len(bad) == 1 and bad[0].record_no == 3
    assert "REC.N (an OCCURS DEPENDING ON counter) is not a number: hex A7 A7" in bad[0].reason


def test_quarantined_records_show_their_own_bytes(tmp_path: Path) -> None:
    book = "       01  REC.\n           05  ID  PIC X(2).\n           05  AMT PIC 9(3).\n"
    data = "01123".encode(E) + "02A23".encode(E) + "03B45".encode(E) + "04456".encode(E)
    rows, bad = _read(tmp_path, book, data)
    assert [r["ID"] for r in rows] == ["01", "04"]
    assert [(q.record_no, q.position) for q in bad] == [(2, "byte 5"), (3, "byte 10")]
    assert bad[0].reason.endswith("hex C1 F2 F3")
    assert bad[1].reason.endswith("hex C2 F4 F5")
    assert bad[0].raw == "02A23".encode(E) and bad[1].raw == "03B45".encode(E)


@pytest.mark.parametrize("size", [36, 32])
def test_long_field_hex_is_cut(tmp_path: Path, size: int) -> None:
    book = f"       01  REC.\n           05  AMT PIC X({size}).\n"
    rows, bad = _read(tmp_path, book, b"\xff" * size, encoding="ascii")
    assert not rows and len(bad) == 1
    shown = bad[0].reason.split("hex ")[1]
    assert shown.count("FF") == 32 and shown.endswith("...") == (size > 32)


VAR = """\
       01  REC.
           05  N            PIC 9.
           05  ITEM OCCURS 0 TO 3 DEPENDING ON N.
               10  K        PIC 9.
               10  SUB OCCURS 0 TO 2 DEPENDING ON K.
                   15  S    PIC X.
           05  TAIL         PIC X(2).
"""


def test_variable_size_occurs_moves_what_follows(tmp_path: Path) -> None:
    recs = ["0ZZ", "11aYY", "22ab0XX", "3" + "0" + "1c" + "2de" + "WW"]
    data = "".join(recs).encode(E) + "2".encode(E)  # a last record cut short
    rows, bad = _read(tmp_path, VAR, data, variable_size_occurs=True, flatten=False)
    assert [r["TAIL"] for r in rows] == ["ZZ", "YY", "XX", "WW"]
    assert rows[2]["ITEM"] == [{"K": 2, "SUB": [{"S": "a"}, {"S": "b"}]}, {"K": 0, "SUB": []}]
    assert rows[3]["ITEM"] == [
        {"K": 0, "SUB": []},
        {"K": 1, "SUB": [{"S": "c"}]},
        {"K": 2, "SUB": [{"S": "d"}, {"S": "e"}]},
    ]
    assert [r["_source_pos"] for r in rows] == ["byte 0", "byte 3", "byte 8", "byte 15"]
    (q,) = bad
    assert q.record_no == 5 and q.position == "byte 24" and "truncated record" in q.reason


def test_variable_size_occurs_in_rdw_records_flat(tmp_path: Path) -> None:
    recs = ["0ZZ", "11aYY"]
    data = b"".join((len(r) + 4).to_bytes(2, "big") + b"\0\0" + r.encode(E) for r in recs)
    rows, bad = _read(tmp_path, VAR, data, record_format="V", variable_size_occurs=True)
    assert not bad
    assert [r["TAIL"] for r in rows] == ["ZZ", "YY"]
    assert rows[1]["ITEM_1_SUB_1_S"] == "a" and rows[1]["ITEM_1_SUB_2_S"] is None


def test_occurs_mappings_turn_codes_into_counts(tmp_path: Path) -> None:
    book = """\
       01  REC.
           05  KIND         PIC X.
           05  ITEM OCCURS 0 TO 2 DEPENDING ON KIND.
               10  V        PIC X.
"""
    data = "AxyBxyCxy".encode(E)
    rows, bad = _read(tmp_path, book, data, occurs_mappings={"ITEM": {"A": 0, "B": 2}})
    assert [(r["ITEM_1_V"], r["ITEM_2_V"]) for r in rows] == [(None, None), ("x", "y")]
    (q,) = bad
    assert q.record_no == 3 and "KIND = 'C' has no count in occurs_mappings for ITEM" in q.reason


def test_display_numbers_padded_after_the_digits(tmp_path: Path) -> None:
    book = "       01  REC.\n           05  N  PIC 9(3).\n           05  S  PIC S9(3).\n"
    data = "33 ".encode(E) + "12C".encode(E)[:2] + b"\xc3" + b"\xf3\xf3\x00" + "001".encode(E)
    rows, bad = _read(tmp_path, book, data)
    assert [r["N"] for r in rows] == [33] and rows[0]["S"] == 123
    assert len(bad) == 1 and "hex F3 F3 00" in bad[0].reason  # 0x00 is no digit on z/OS
    rows, bad = _read(tmp_path, book, data, nul_as_blank=True)
    assert not bad and [r["N"] for r in rows] == [33, 33]


def test_group_text_reads_a_group_whole(tmp_path: Path) -> None:
    book = """\
       01  REC.
           05  ACCT.
               10  BRANCH   PIC 9(3).
               10  SERIAL   PIC 9(4).
           05  CODE         PIC X.
"""
    rows, bad = _read(tmp_path, book, "0420017X".encode(E), group_text=["ACCT"])
    assert not bad
    assert rows[0]["ACCT_BRANCH"] == 42 and rows[0]["ACCT_TEXT"] == "0420017"
    assert list(rows[0])[-2:] == ["ACCT_TEXT", "CODE"]
    with pytest.raises(SourceError, match="not a group"):
        _read(tmp_path, book, b"", group_text=["CODE"])


def test_extra_copybooks_overlay_their_records(tmp_path: Path) -> None:
    (tmp_path / "b.cpy").write_text("       01  REC-B.\n           05  WHOLE PIC X(8).\n")
    book = "       01  REC-A.\n           05  PART-1 PIC X(4).\n           05  PART-2 PIC X(4).\n"
    rows, bad = _read(tmp_path, book, "abcdefgh".encode(E), extra_copybooks=["b.cpy"])
    assert not bad
    assert (rows[0]["REC_A_PART_1"], rows[0]["REC_B_WHOLE"]) == ("abcd", "abcdefgh")
    with pytest.raises(SourceError, match="does not exist") as err:
        _read(tmp_path, book, b"", extra_copybooks=["missing.cpy"])
    assert "source.extra_copybooks" in (err.value.hint or "")


@settings(max_examples=50, deadline=None)
@given(
    items=st.lists(st.text("abcxyz", max_size=2), max_size=3),
    n=st.integers(1, 12),
)
def test_variable_size_occurs_matches_a_plain_reading(items: list[str], n: int) -> None:
    """n records of random nested counts, written tight, read back as written."""
    body = str(len(items)) + "".join(str(len(s)) + s for s in items) + "TT"
    with tempfile.TemporaryDirectory() as folder:
        rows, bad = _read(
            Path(folder), VAR, (body * n).encode(E), variable_size_occurs=True, flatten=False
        )
    assert not bad and len(rows) == n
    for row in rows:
        assert row["TAIL"] == "TT" and row["N"] == len(items)
        assert row["ITEM"] == [{"K": len(s), "SUB": [{"S": c} for c in s]} for s in items]


def test_kept_fillers_are_numbered(tmp_path: Path) -> None:
    book = """\
       01  REC.
           05  FILLER       PIC X.
           05  CODE         PIC X(2).
           05  FILLER.
               10  PART     PIC X(2).
               10  FILLER   PIC X.
"""
    data = "-ABcd.".encode(E)
    rows, _ = _read(tmp_path, book, data, keep_fillers=True, flatten=False)
    assert rows[0]["FILLER_1"] == "-" and rows[0]["FILLER_2"] == {"PART": "cd", "FILLER_3": "."}
    rows, _ = _read(tmp_path, book, data, keep_fillers="groups", flatten=False)
    assert [k for k in rows[0] if not k.startswith("_")] == ["CODE", "FILLER_1"]
    assert rows[0]["FILLER_1"] == {"PART": "cd"}
