"""Fixed-width and NDJSON files read by several processes give what one process gives."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from seamline.sources import fixedwidth, jsonsrc
from seamline.sources.base import ReadContext
from seamline.sources.fixedwidth import FixedWidthOptions, FixedWidthReader
from seamline.sources.jsonsrc import JsonOptions, JsonReader
from seamline.sources.parallel import line_spans

LAYOUT: list[dict[str, Any]] = [
    {"name": "person_id", "start": 1, "length": 6, "type": "integer"},
    {"name": "full_name", "start": 7, "length": 12},
    {"name": "tax_due", "start": 19, "length": 9, "type": "decimal", "scale": 2},
]

LINE = st.one_of(
    st.builds(
        lambda i, name, tax: f"{i:>6}{name:<12}{tax:>9}",
        st.integers(0, 999_999),
        st.sampled_from(["Aigul", "Бакыт Садыков", "", "Жылдыз"]),
        st.integers(0, 10**8),
    ),
    st.sampled_from(["", "   ", "short", "x" * 27, "12345 Bad Tax  12.3.4.5"]),  # defects
)


def read(path: Path, workers: int, **options: Any) -> tuple[Any, Any]:
    opts = FixedWidthOptions(path=path.name, columns=LAYOUT, workers=workers, **options)
    reader = FixedWidthReader(opts, ReadContext(base_dir=path.parent, batch_size=3))
    rows, bad = [], []
    for batch in reader.batches():
        rows.extend(batch.data.to_pylist())
        bad.extend((q.record_no, q.position, q.reason, q.raw) for q in batch.quarantined)
    return rows, bad


@settings(max_examples=25, deadline=None)
@given(
    lines=st.lists(LINE, max_size=40),
    crlf=st.booleans(),
    final_newline=st.booleans(),
    skip=st.integers(0, 2),
    range_bytes=st.integers(1, 120),
    bad_byte=st.booleans(),
)
def test_fixed_width_parallel_equals_single(
    lines: list[str],
    crlf: bool,
    final_newline: bool,
    skip: int,
    range_bytes: int,
    bad_byte: bool,
) -> None:
    eol = b"\r\n" if crlf else b"\n"
    data = eol.join(line.encode("utf-8") for line in lines) + (eol if final_newline else b"")
    if bad_byte and lines:
        data = data[: len(data) // 2] + b"\xff" + data[len(data) // 2 :]  # not UTF-8
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "people.txt"
        path.write_bytes(data)
        single = read(path, 1, skip_rows=skip)
        old = fixedwidth.reader.MIN_RANGE_BYTES
        fixedwidth.reader.MIN_RANGE_BYTES = range_bytes  # ranges of a few lines each
        try:
            parallel = read(path, 2, skip_rows=skip)
        finally:
            fixedwidth.reader.MIN_RANGE_BYTES = old
        assert parallel == single
        numbers = [r["_record_no"] for r in single[0]] + [q[0] for q in single[1]]
        assert sorted(numbers) == list(range(1, len(numbers) + 1))


def test_line_spans_cut_after_line_breaks(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_bytes(b"aa\nbbbb\nc\n\ndd")
    assert line_spans(path, 4) == [(0, 8, 1), (8, 13, 3)]  # each range to a line end
    assert line_spans(path, 100) == [(0, 13, 1)]


JSON_LINE = st.one_of(
    st.builds(
        lambda i, name, extra: json.dumps(
            {"pin": i, "name": name, **({"note": extra} if extra is not None else {})},
            ensure_ascii=False,
        ),
        st.integers(0, 10**6),
        st.sampled_from(["Aigul", "Бакыт", None]),
        st.one_of(st.none(), st.integers(), st.text(max_size=3), st.booleans()),
    ),
    st.sampled_from(["", "  ", "{broken", "[1, 2]", '"text"', '{"pin": "08144"}']),  # defects
)


def read_json(path: Path, workers: int) -> tuple[Any, Any, Any]:
    opts = JsonOptions(path=path.name, format="ndjson", workers=workers)
    reader = JsonReader(opts, ReadContext(base_dir=path.parent, batch_size=4))
    rows, bad, types = [], [], set()
    for batch in reader.batches():
        rows.extend(batch.data.to_pylist())
        types.add(str(batch.data.schema))
        bad.extend((q.record_no, q.position, q.reason, q.raw) for q in batch.quarantined)
    return rows, bad, types


@settings(max_examples=25, deadline=None)
@given(lines=st.lists(JSON_LINE, max_size=30), range_bytes=st.integers(1, 150))
def test_ndjson_parallel_equals_single(lines: list[str], range_bytes: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "people.ndjson"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        single = read_json(path, 1)
        old = jsonsrc.reader.MIN_RANGE_BYTES
        jsonsrc.reader.MIN_RANGE_BYTES = range_bytes
        try:
            parallel = read_json(path, 2)
        finally:
            jsonsrc.reader.MIN_RANGE_BYTES = old
        # same rows, quarantine and column types (the parts' type scans merged)
        assert parallel == single
