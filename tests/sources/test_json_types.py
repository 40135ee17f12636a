"""The json source: types from the whole input or declared, streamed documents, broken input."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seamline.crypto.parquet import PLAIN
from seamline.sources.base import Batch, ReadContext
from seamline.sources.jsonsrc import JsonOptions, JsonReader
from seamline.sources.jsonsrc.stream import TextStream
from seamline.sources.jsonsrc.walk import Broken, Found, walk_document
from seamline.sources.landing import land


def reader_for(tmp_path: Path, batch: int = 65_536, **opts: Any) -> JsonReader:
    options = JsonOptions.model_validate({"kind": "json", **opts})
    return JsonReader(options, ReadContext(base_dir=tmp_path, dataset="d", batch_size=batch))


def read(reader: JsonReader) -> tuple[pa.Table, list[Batch]]:
    batches = list(reader.batches())
    return pa.Table.from_batches([b.data for b in batches]), batches


def quarantined(batches: list[Batch]) -> list[Any]:
    return [q for b in batches for q in b.quarantined]


def zips() -> list[dict[str, Any]]:
    """The issue's file: the first ZIP a number, most later ones strings with a leading 0."""
    rows: list[dict[str, Any]] = [{"id": 1, "zip": 8144, "address": {"zip": 19104}}]
    for i in range(2, 101):
        z: Any = f"0{8000 + i}" if i % 10 else 19100 + i
        rows.append({"id": i, "zip": z, "address": {"zip": z}, "tags": [z]})
    return rows


@pytest.mark.parametrize("fmt", ["ndjson", "json"])
def test_numbers_and_strings_in_one_field_land_as_text(tmp_path: Path, fmt: str) -> None:
    rows = zips()
    path = tmp_path / f"zips.{fmt}"
    if fmt == "ndjson":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    else:
        path.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    table, batches = read(reader_for(tmp_path, batch=7, path=path.name))
    assert quarantined(batches) == []
    assert table.num_rows == 100
    assert table.schema.field("zip").type == pa.string()
    assert table.schema.field("address_zip").type == pa.string()
    assert table.schema.field("id").type == pa.int64()
    want = [str(r["zip"]) for r in rows]
    assert table.column("zip").to_pylist() == want
    assert table.column("address_zip").to_pylist() == [str(r["address"]["zip"]) for r in rows]
    assert table.column("zip").to_pylist()[1] == "08002"  # the leading zero kept
    assert json.loads(table.column("tags").to_pylist()[1]) == ["08002"]
    # Landed whole: the run no longer fails on its quarantine share.
    result = land(
        "d",
        reader_for(tmp_path, path=path.name).opts,
        tmp_path / "data",
        _ctx(tmp_path),
        files=PLAIN,
    )
    assert (result.read, result.landed, result.quarantined, result.ok) == (100, 100, 0, True)


def _ctx(tmp_path: Path) -> ReadContext:
    return ReadContext(base_dir=tmp_path, dataset="d", batch_size=16)


def test_a_field_null_for_10000_records_then_text(tmp_path: Path) -> None:
    lines = [json.dumps({"n": i, "zip": None}) for i in range(10_000)]
    lines += [json.dumps({"n": 10_000, "zip": "08144"}), json.dumps({"n": 10_001, "zip": 8144})]
    lines += [json.dumps({"n": 10_002, "late": True})]
    (tmp_path / "late.ndjson").write_text("\n".join(lines), encoding="utf-8")
    reader = reader_for(tmp_path, batch=1000, path="late.ndjson")
    batches = list(reader.batches())
    assert {b.data.schema for b in batches} == {batches[0].data.schema}  # one shape throughout
    table = pa.Table.from_batches([b.data for b in batches])
    assert table.schema.field("zip").type == pa.string()
    assert table.schema.field("late").type == pa.bool_()
    assert table.column("zip").to_pylist()[-3:] == ["08144", "8144", None]
    assert table.column("late").to_pylist()[-1] is True
    assert quarantined(batches) == []


def test_integers_and_decimals_make_a_number_column(tmp_path: Path) -> None:
    rows = [{"x": 1, "b": True, "big": 1}, {"x": 2.5, "b": False, "big": 2**70}]
    (tmp_path / "n.json").write_text(json.dumps(rows), encoding="utf-8")
    table, _ = read(reader_for(tmp_path, path="n.json"))
    assert table.schema.field("x").type == pa.float64()
    assert table.column("x").to_pylist() == [1.0, 2.5]
    assert table.schema.field("b").type == pa.bool_()
    assert table.column("big").to_pylist() == ["1", str(2**70)]  # too big for int64: text


def test_declared_types_convert_and_quarantine_what_does_not_fit(tmp_path: Path) -> None:
    rows = [
        {"zip": 8144, "n": "42", "x": "1.5", "ok": "true", "d": "2024-03-12", "t": "2024-03-12T08:30:00+02:00"},
        {"zip": "08144", "n": 7, "x": 2, "ok": False, "d": None, "t": "2024-03-12T08:30:00"},
        {"zip": "1", "n": "4x", "x": 1, "ok": True, "d": "2024-03-12", "t": None},
        {"zip": "2", "n": 1, "x": 1, "ok": True, "d": "12.03.2024", "t": None},
    ]  # fmt: skip
    (tmp_path / "t.ndjson").write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    types = {
        "zip": "string",
        "n": "integer",
        "x": "number",
        "ok": "boolean",
        "d": "date",
        "t": "timestamp",
        "absent": "integer",
    }
    table, batches = read(reader_for(tmp_path, path="t.ndjson", types=types))
    assert table.column("zip").to_pylist() == ["8144", "08144"]
    assert table.column("n").to_pylist() == [42, 7]
    assert table.column("x").to_pylist() == [1.5, 2.0]
    assert table.column("ok").to_pylist() == [True, False]
    assert table.column("d").to_pylist() == [dt.date(2024, 3, 12), None]
    assert table.column("t").to_pylist() == [dt.datetime(2024, 3, 12, 6, 30), dt.datetime(2024, 3, 12, 8, 30)]  # fmt: skip
    assert table.schema.field("absent").type == pa.int64()
    assert table.column("absent").null_count == 2
    bad = {q.record_no: q.reason for q in quarantined(batches)}
    assert bad == {
        3: "field n: '4x' is not an integer (declared integer)",
        4: "field d: '12.03.2024' is not an ISO 8601 date (e.g. 2024-03-12) (declared date)",
    }


def test_declared_types_are_validated() -> None:
    with pytest.raises(ValueError, match="decimal"):
        JsonOptions.model_validate({"kind": "json", "path": "x", "types": {"a": "decimal"}})
    with pytest.raises(ValueError, match="added by seamline"):
        JsonOptions.model_validate({"kind": "json", "path": "x", "types": {"_record_no": "string"}})


# -- broken and truncated documents -------------------------------------------------


def test_malformed_items_quarantined_with_reasons_and_counts_add_up(tmp_path: Path) -> None:
    good = [json.dumps({"id": i, "zip": f"0{i}"}) for i in range(1, 201)]
    items = list(good)
    items[49] = '{"id": 50, "zip": 050}'  # a number with a leading zero is not JSON
    items[99] = '{"id": 100 "zip": "0100"}'  # a missing comma
    items[149] = '{"id": 150, "zip": "01\x0250"}'  # a control character in a string
    body = "[\n" + ",\n".join(items) + "\n]\n"
    body = body.replace('{"id": 180,', '{"id": 180,}, x{"id": 180,', 1)  # junk between items
    (tmp_path / "b.json").write_text(body, encoding="utf-8")
    result = land(
        "d",
        reader_for(tmp_path, path="b.json").opts,
        tmp_path / "data",
        _ctx(tmp_path),
        files=PLAIN,
    )
    assert result.read == result.landed + result.quarantined
    q = pq.read_table(tmp_path / "data" / "quarantine" / "d.parquet").to_pylist()
    reasons = {r["_source_pos"]: r["reason"] for r in q}
    assert set(reasons) == {
        "line 51 ($[49])",
        "line 101 ($[99])",
        "line 151 ($[149])",
        "line 181 ($[179])",
        "line 181 ($[180])",
    }
    assert reasons["line 101 ($[99])"].startswith("not JSON: Expecting ',' delimiter at line 101")
    assert all(r.endswith("the read went on after it") for r in reasons.values())
    landed = pq.read_table(result.landing_path).column("id").to_pylist()
    assert len(landed) == result.landed == 196
    assert landed == sorted(set(range(1, 201)) - {50, 100, 150, 180})
    assert result.read == 201  # the junk between two items counts as one more record


@pytest.mark.parametrize(
    ("tail", "reason"),
    [
        ('{"id": 3, "name": "Айг', "the file ends inside this record"),
        ('{"id": 3}', "the file ends before the array of records is closed"),
        ("", "the file ends before the array of records is closed"),
    ],
)
def test_truncated_array_lands_what_came_before(tmp_path: Path, tail: str, reason: str) -> None:
    body = '{"data": [\n{"id": 1},\n{"id": 2},\n' + tail
    (tmp_path / "cut.json").write_text(body, encoding="utf-8")
    table, batches = read(reader_for(tmp_path, path="cut.json", record_path="data"))
    ids = table.column("id").to_pylist()
    assert ids in ([1, 2], [1, 2, 3])
    (q,) = quarantined(batches)
    assert q.reason.startswith("truncated: ") and reason in q.reason
    assert q.reason.endswith("records after it, if any, are missing")
    assert q.record_no == len(ids) + 1


# -- streaming ------------------------------------------------------------------------


@given(
    st.lists(
        st.dictionaries(
            st.text(max_size=4),
            st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
            max_size=3,
        ),
        max_size=6,
    ),
    st.integers(min_value=1, max_value=9),
)
def test_small_chunks_read_the_same_records(rows: list[dict[str, Any]], chunk: int) -> None:
    text = json.dumps({"a": [1, 2], "rows": rows}, indent=1, ensure_ascii=False)
    data = io.BytesIO(text.encode("utf-8"))
    stream = TextStream(data.read, "utf-8", chunk=chunk)
    found = list(walk_document(stream, ("rows",)))
    assert all(isinstance(f, Found) for f in found)
    assert [f.value for f in found if not isinstance(f, Broken)] == rows


SCRIPT = """
import json, resource, sys, time
from pathlib import Path
from seamline.sources.base import ReadContext
from seamline.sources.jsonsrc import JsonOptions, JsonReader
path = Path(sys.argv[1])
opts = JsonOptions.model_validate({"kind": "json", "path": path.name})
reader = JsonReader(opts, ReadContext(base_dir=path.parent, dataset="big", batch_size=500))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
rows = sum(b.data.num_rows for b in reader.batches())
seconds = time.perf_counter() - t
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"rows": rows, "grew_kb": after - before, "seconds": seconds}))
"""


def _peak_growth(path: Path, records: int) -> dict[str, Any]:
    note = "x" * 2000  # long records: 2 KB each
    with path.open("w", encoding="utf-8") as fh:
        fh.write("[")
        for i in range(records):
            fh.write(("," if i else "") + json.dumps({"id": i, "zip": f"0{i}", "note": note}))
        fh.write("]")
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(path)], capture_output=True, text=True, check=True
    )
    got: dict[str, Any] = json.loads(out.stdout)
    assert got["rows"] == records
    return got


def test_a_big_array_is_read_in_bounded_memory(tmp_path: Path) -> None:
    small = _peak_growth(tmp_path / "small.json", 6_000)  # 12 MB
    big = _peak_growth(tmp_path / "big.json", 24_000)  # 48 MB
    # Held at once: a 1 MB chunk of text, the batch being filled (500 records, 1 MB of
    # text) and the one handed out, whatever the file's size: four times the file
    # adds (almost) nothing, where holding it would add 36 MB of text and its objects.
    assert big["grew_kb"] < small["grew_kb"] + 4 * 1024, (small, big)


def test_positions_in_a_long_minified_document(tmp_path: Path) -> None:
    rows = [{"id": i, "pad": "y" * 100} for i in range(30_000)]  # 3.5 MB on one line
    text = json.dumps(rows)
    cut = text.index('{"id": 25000,')
    text = text[:cut] + '{"id": 25000,, ' + text[cut + len('{"id": 25000,') :]
    (tmp_path / "min.json").write_text("\n" + text, encoding="utf-8")
    table, batches = read(reader_for(tmp_path, path="min.json"))
    assert table.num_rows == 29_999
    (q,) = quarantined(batches)
    assert q.position == "line 2 ($[25000])"
    assert q.reason.startswith(
        f"not JSON: Expecting property name enclosed in double quotes at line 2 column {cut + 14}"
    )
