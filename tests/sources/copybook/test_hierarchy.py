"""Hierarchical segments: children nested into their parent, every segment accounted for."""

from __future__ import annotations

from pathlib import Path

import pytest

from seamline.errors import SourceError
from seamline.sources.base import QuarantineRecord, ReadContext
from seamline.sources.copybook import CopybookOptions, CopybookReader

E = "cp037"
BOOK = """\
       01  REC.
           05  SEG          PIC X.
           05  AGENCY.
               10  NAME     PIC X(6).
           05  OFFICE REDEFINES AGENCY.
               10  CITY     PIC X(4).
               10  FLOOR    PIC 9(2).
           05  CLERK REDEFINES AGENCY.
               10  CLERK-ID PIC 9(3).
               10  FILLER   PIC X(3).
"""
SEGMENTS = {"A": "AGENCY", "O": "OFFICE", "C": "CLERK"}
KIDS = {"AGENCY": ["OFFICE"], "OFFICE": ["CLERK"]}


def _read(
    tmp_path: Path, records: list[str], batch_size: int = 2, **options: object
) -> tuple[list[dict[str, object]], list[QuarantineRecord]]:
    (tmp_path / "book.cpy").write_text(BOOK)
    (tmp_path / "data.dat").write_bytes("".join(records).encode(E))
    opts = CopybookOptions(
        path="data.dat",
        copybook="book.cpy",
        segment_field="SEG",
        segments=SEGMENTS,
        **{"segment_children": KIDS, **options},  # type: ignore[arg-type]
    )
    reader = CopybookReader(opts, ReadContext(base_dir=tmp_path, batch_size=batch_size))
    rows: list[dict[str, object]] = []
    bad: list[QuarantineRecord] = []
    for batch in reader.batches():
        rows.extend(batch.data.to_pylist())
        bad.extend(batch.quarantined)
    numbers = sorted([int(str(r["_record_no"])) for r in rows] + [q.record_no for q in bad])
    assert numbers == list(range(1, len(numbers) + 1))
    return rows, bad


def test_children_nest_under_their_parent_across_batches(tmp_path: Path) -> None:
    records = ["ASocial", "OOsh 03", "C001   ", "C002   ", "OTalas12", "AFund  ", "ANaryn "]
    records[4] = "OTala12"
    rows, bad = _read(tmp_path, records)
    assert not bad
    assert [r["AGENCY"]["NAME"] for r in rows] == ["Social", "Fund", "Naryn"]  # type: ignore[index]
    assert rows[0]["AGENCY"] == {
        "NAME": "Social",
        "OFFICE": [
            {"CITY": "Osh", "FLOOR": 3, "CLERK": [{"CLERK_ID": 1}, {"CLERK_ID": 2}]},
            {"CITY": "Tala", "FLOOR": 12, "CLERK": []},
        ],
    }
    assert rows[1]["AGENCY"] == {"NAME": "Fund", "OFFICE": []}
    assert [r["_source_pos"] for r in rows] == ["byte 0", "byte 35", "byte 42"]
    assert "OFFICE" not in rows[0] and "CLERK" not in rows[0]


def test_segments_that_cannot_be_placed_are_quarantined(tmp_path: Path) -> None:
    records = [
        "C009   ",  # a clerk before any agency
        "ASocial",
        "OOsh xx",  # bad FLOOR: quarantined, and its clerk with it
        "C001   ",
        "X??????",  # unknown segment id
        "OBish 01",
    ]
    records[5] = "OBish01"
    rows, bad = _read(tmp_path, records)
    assert [(q.record_no, q.position) for q in bad] == [
        (1, "byte 0"),
        (3, "byte 14"),
        (4, "byte 21"),
        (5, "byte 28"),
    ]
    assert "CLERK segment whose OFFICE segment does not come before it" in bad[0].reason
    assert "FLOOR" in bad[1].reason and "hex A7 A7" in bad[1].reason
    assert "CLERK segment whose OFFICE segment was quarantined" in bad[2].reason
    assert "segment id 'X' is not one of segments (A, C, O)" in bad[3].reason
    assert bad[2].raw == "C001   ".encode(E)
    (row,) = rows
    assert row["_record_no"] == 2
    assert row["AGENCY"] == {
        "NAME": "Social",
        "OFFICE": [{"CITY": "Bish", "FLOOR": 1, "CLERK": []}],
    }


def test_empty_file_gives_the_nested_schema(tmp_path: Path) -> None:
    (tmp_path / "book.cpy").write_text(BOOK)
    (tmp_path / "data.dat").write_bytes(b"")
    opts = CopybookOptions(
        path="data.dat",
        copybook="book.cpy",
        segment_field="SEG",
        segments=SEGMENTS,
        segment_children=KIDS,
    )
    (batch,) = CopybookReader(opts, ReadContext(base_dir=tmp_path)).batches()
    assert batch.data.num_rows == 0
    assert batch.data.schema.names == ["_record_no", "_source_pos", "SEG", "AGENCY"]


@pytest.mark.parametrize(
    ("kids", "message"),
    [
        ({"AGENCY": ["OFFICE"], "CLERK": ["OFFICE"]}, "has two parents"),
        ({"OFFICE": ["CLERK"], "CLERK": ["OFFICE"]}, "is its own ancestor"),
        ({"AGENCY": ["NAME"]}, "is not at the top level"),
        ({"AGENCY": ["NOPE"]}, "no group 'NOPE'"),
    ],
)
def test_bad_children_are_refused(tmp_path: Path, kids: dict[str, list[str]], message: str) -> None:
    with pytest.raises(SourceError, match=message):
        _read(tmp_path, ["ASocial"], segment_children=kids)
