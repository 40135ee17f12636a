"""The csv source's pyarrow path gives exactly what the line-by-line path gives, or stays out."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seamline.sources.base import ReadContext
from seamline.sources.delimited import CsvOptions, CsvReader
from seamline.sources.delimited import fast as fast_module
from seamline.sources.delimited import reader as reader_module

FIELD = st.text(
    alphabet=st.sampled_from(list("abcАйгүлӨң 0123456789.,;\"'-")), min_size=0, max_size=8
)


def quote(value: str) -> str:
    if any(c in value for c in ',"\n\r') or value != value.strip():
        return '"' + value.replace('"', '""') + '"'
    return value


@contextmanager
def patched(module: object, name: str, value: object) -> Iterator[None]:
    old = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, old)


def read(
    path: Path,
    *,
    exact: bool,
    limit: int | None = None,
    chunk: int = 1 << 20,
    piece: int = 64 << 10,
    **options: object,
) -> tuple[list[dict[str, object]], list[tuple[object, ...]], list[int]]:
    """Rows, quarantine, and the record counts at which the line-by-line path started."""
    reader = CsvReader(
        CsvOptions(path=str(path), **options), ReadContext(base_dir=path.parent, limit=limit)
    )
    exact_starts: list[int] = []
    records = reader._records

    def spy(
        rows: object, tap: object, names: list[str], record_no: int, stop: int | None = None
    ) -> object:
        exact_starts.append(record_no)
        return records(rows, tap, names, record_no, stop)  # type: ignore[arg-type]

    reader._records = spy  # type: ignore[assignment,method-assign]
    encodings = frozenset() if exact else reader_module.FAST_ENCODINGS
    with (
        patched(reader_module, "FAST_ENCODINGS", encodings),
        patched(fast_module, "CHUNK_BYTES", chunk),
        patched(fast_module, "PIECE_BYTES", piece),
    ):
        batches = list(reader.batches())
    table = pa.Table.from_batches([b.data for b in batches])
    quarantined = [
        (q.record_no, q.position, q.reason, q.raw) for b in batches for q in b.quarantined
    ]
    return table.to_pylist(), quarantined, exact_starts


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.lists(FIELD, min_size=3, max_size=3), min_size=0, max_size=30),
    crlf=st.booleans(),
    trailing_newline=st.booleans(),
    title_lines=st.integers(0, 2),
    extra=st.sampled_from(["", "blank", "ragged", "quoted_break", "lone_cr"]),
)
def test_both_paths_agree_on_any_file(
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[list[str]],
    crlf: bool,
    trailing_newline: bool,
    title_lines: int,
    extra: str,
) -> None:
    eol = "\r\n" if crlf else "\n"
    lines = [f"Export of {i}" for i in range(title_lines)] + ["pin,name,address"]
    lines += [",".join(quote(v) for v in row) for row in rows]
    if extra == "blank":
        lines.insert(title_lines + 1, "")  # right after the header
    elif extra == "ragged":
        lines.append("1,2")
    elif extra == "quoted_break":
        lines.append('1,"two\nlines",3')
    text = eol.join(lines) + (eol if trailing_newline else "")
    if extra == "lone_cr":
        text += "4,5\r6"
    path = tmp_path_factory.mktemp("csv") / "export.csv"
    path.write_bytes(text.encode("utf-8"))

    chunk = 40  # a few lines per chunk: the exact path takes over mid-file
    fast = read(path, exact=False, chunk=chunk, skip_rows=title_lines, delimiter=",")
    exact = read(path, exact=True, skip_rows=title_lines, delimiter=",")
    assert fast[:2] == exact[:2]
    assert exact[2] == [0]
    real_blank = extra == "blank" and (rows or trailing_newline)
    tricky = extra in ("ragged", "quoted_break", "lone_cr") or real_blank
    if not tricky and not any(any(c in v for c in "\n\r") for row in rows for v in row):
        assert fast[2] == []  # clean: pyarrow read all of it


def test_a_clean_utf8_export_takes_the_fast_path_with_lines_and_limit(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    body = "".join(f'{i},"Осмонова, Ж.",{i % 7}\n' for i in range(1, 25_001))
    path.write_text("Ministry of Interior export\npin,name,code\n" + body, encoding="utf-8")
    rows, quarantined, exact_starts = read(path, exact=False, chunk=100_000, skip_rows=1)
    assert exact_starts == [] and quarantined == [] and len(rows) == 25_000
    assert rows[0] == {
        "_record_no": 1,
        "_source_pos": "line 3",
        "pin": "1",
        "name": "Осмонова, Ж.",
        "code": "1",
    }
    assert rows[-1]["_record_no"] == 25_000 and rows[-1]["_source_pos"] == "line 25002"
    limited = read(path, exact=False, chunk=100_000, skip_rows=1, limit=10_001)[0]
    assert len(limited) == 10_001 and limited[-1]["_source_pos"] == "line 10003"
    assert read(path, exact=True, skip_rows=1, limit=10_001)[0] == limited


def test_one_bad_record_hands_over_to_the_exact_path_from_its_chunk(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    lines = [f"{i},Садыков,{i % 3}" for i in range(1, 5_001)]
    lines[3_999] = "4000,Садыков"  # ragged
    path.write_text("pin,name,code\n" + "\n".join(lines) + "\n", encoding="utf-8")
    rows, quarantined, exact_starts = read(path, exact=False, chunk=20_000)
    assert len(exact_starts) == 1 and 0 < exact_starts[0] < 3_999  # handed over mid-file
    assert len(rows) == 4_999
    assert quarantined == [
        (
            4_000,
            "line 4001",
            "2 fields where the header has 3",
            b"4000,\xd0\xa1\xd0\xb0\xd0\xb4\xd1\x8b\xd0\xba\xd0\xbe\xd0\xb2\n",
        )
    ]
    assert rows[-1]["_source_pos"] == "line 5001" and rows[-1]["_record_no"] == 5_000


def test_bad_bytes_and_other_code_pages_stay_exact(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"pin,name\n1,ok\n2,\xff\xfe\n")
    rows, quarantined, exact_starts = read(path, exact=False, encoding="utf-8")
    assert exact_starts == [0]
    assert [r["pin"] for r in rows] == ["1"]
    assert quarantined[0][:2] == (2, "line 3")
    cp = tmp_path / "cp.csv"
    cp.write_bytes("pin,name\n1,Садыков\n".encode("cp1251"))
    cp_rows, _, cp_starts = read(cp, exact=False, encoding="cp1251")
    assert cp_starts == [0] and cp_rows[0]["name"] == "Садыков"


def test_a_quoted_line_break_at_every_chunk_boundary(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    lines = [
        f'{i},Бекова,"line one\nline two {i}"' if i % 5 == 0 else f"{i},Бекова,x" for i in range(60)
    ]
    path.write_text("pin,name,note\n" + "\n".join(lines) + "\n", encoding="utf-8")
    exact = read(path, exact=True)
    assert len(exact[0]) == 60 and exact[0][5]["note"] == "line one\nline two 5"
    for chunk in range(8, 200, 3):  # every cut lands at a different line, some inside quotes
        fast = read(path, exact=False, chunk=chunk, piece=chunk // 3)
        assert fast[:2] == exact[:2], chunk


def test_the_fast_path_takes_over_again_after_a_bad_record(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    lines = [f"{i},Садыков,{i % 3}" for i in range(1, 20_001)]
    for bad in (3_999, 12_000):
        lines[bad] = f"{bad + 1},Садыков"  # ragged
    path.write_text("pin,name,code\n" + "\n".join(lines) + "\n", encoding="utf-8")
    fast = read(path, exact=False, chunk=50_000, piece=4_000)
    exact = read(path, exact=True)
    assert fast[:2] == exact[:2]
    assert [q[:2] for q in fast[1]] == [(4_000, "line 4001"), (12_001, "line 12002")]
    # two short stretches line by line, each under ~300 records; pyarrow for the rest
    assert len(fast[2]) == 2 and fast[2][0] < 4_000 < fast[2][1] < 12_001
    assert fast[2][0] > 3_600 and fast[2][1] > 11_600
