"""The json source: documents and NDJSON, record paths, field mappings, bad input."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from seamline.crypto.parquet import PLAIN
from seamline.errors import SeamlineError, SourceError
from seamline.plugins import Registry
from seamline.sources.base import Batch, ReadContext
from seamline.sources.jsonsrc import JsonOptions, JsonReader, register
from seamline.sources.jsonsrc.paths import get_path, parse_path
from seamline.sources.jsonsrc.walk import JsonTextError, walk_document
from seamline.sources.landing import land

PEOPLE = [
    {
        "id": 1,
        "name": "Aigul Toktogulova",
        "address": {"city": "Бишкек", "street": "Чуй 12"},
        "phones": ["+996 555 000111", "+996 700 222333"],
    },
    {"id": 2, "name": "Бакыт Садыков", "address": {"city": "Ош"}, "phones": []},
    {"id": 3, "name": "Светлана Иванова", "address": None, "phones": ["+996 312 444555"]},
]


def registry() -> Registry:
    reg = Registry()
    register(reg)
    return reg


def reader_for(
    tmp_path: Path, limit: int | None = None, batch: int = 65_536, **opts: Any
) -> JsonReader:
    options = JsonOptions.model_validate({"kind": "json", **opts})
    return JsonReader(
        options, ReadContext(base_dir=tmp_path, dataset="people", limit=limit, batch_size=batch)
    )


def read(reader: JsonReader) -> tuple[pa.Table, list[Batch]]:
    batches = list(reader.batches())
    return pa.Table.from_batches([b.data for b in batches]), batches


def quarantined(batches: list[Batch]) -> list[Any]:
    return [q for b in batches for q in b.quarantined]


def write_doc(tmp_path: Path, name: str = "people.json") -> Path:
    path = tmp_path / name
    doc = {"meta": {"agency": "Налоговая служба"}, "data": {"people": PEOPLE}}
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


# -- whole documents ---------------------------------------------------------------


def test_record_path_selects_and_flattens(tmp_path: Path) -> None:
    write_doc(tmp_path)
    table, batches = read(reader_for(tmp_path, path="people.json", record_path="$.data.people[*]"))
    assert table.column("name").to_pylist() == [
        "Aigul Toktogulova",
        "Бакыт Садыков",
        "Светлана Иванова",
    ]
    assert table.column("address_city").to_pylist() == ["Бишкек", "Ош", None]
    assert table.column("address_street").to_pylist() == ["Чуй 12", None, None]
    assert json.loads(table.column("phones").to_pylist()[0]) == PEOPLE[0]["phones"]
    assert table.column("_record_no").to_pylist() == [1, 2, 3]
    assert table.schema.field("id").type == pa.int64()
    assert quarantined(batches) == []


def test_source_pos_names_the_real_line(tmp_path: Path) -> None:
    path = write_doc(tmp_path)
    table, _ = read(reader_for(tmp_path, path="people.json", record_path="data.people"))
    lines = path.read_text(encoding="utf-8").splitlines()
    for pos, pid in zip(table.column("_source_pos").to_pylist(), [1, 2, 3], strict=True):
        line_no = int(pos.split()[1])
        assert lines[line_no - 1].strip() == "{"
        assert f'"id": {pid}' in lines[line_no]
    assert table.column("_source_pos").to_pylist()[1].endswith("($.data.people[1])")


def test_dotted_and_wildcard_paths_agree(tmp_path: Path) -> None:
    write_doc(tmp_path)
    a, _ = read(reader_for(tmp_path, path="people.json", record_path="data.people"))
    b, _ = read(reader_for(tmp_path, path="people.json", record_path="$.data.people[*]"))
    assert a.equals(b)


def test_fields_mapping(tmp_path: Path) -> None:
    write_doc(tmp_path)
    fields = {"person": "id", "city": "address.city", "phone": "phones[0]", "all": "phones[*]"}
    table, _ = read(
        reader_for(tmp_path, path="people.json", record_path="data.people", fields=fields)
    )
    assert table.column_names == ["_record_no", "_source_pos", "person", "city", "phone", "all"]
    assert table.column("city").to_pylist() == ["Бишкек", "Ош", None]
    assert table.column("phone").to_pylist() == ["+996 555 000111", None, "+996 312 444555"]
    assert json.loads(table.column("all").to_pylist()[1]) == []


def test_top_level_array_and_single_object(tmp_path: Path) -> None:
    (tmp_path / "arr.json").write_text(json.dumps(PEOPLE[:2]), encoding="utf-8")
    (tmp_path / "one.json").write_text(json.dumps(PEOPLE[0]), encoding="utf-8")
    arr, _ = read(reader_for(tmp_path, path="arr.json"))
    one, _ = read(reader_for(tmp_path, path="one.json"))
    assert arr.column("id").to_pylist() == [1, 2]
    assert one.column("address_city").to_pylist() == ["Бишкек"]


def test_non_objects_are_quarantined_and_mixed_types_land_as_text(tmp_path: Path) -> None:
    rows = [{"id": 1}, "Айгуль", {"id": "два"}, [1], {"id": 4}]
    (tmp_path / "mixed.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    table, batches = read(reader_for(tmp_path, path="mixed.json"))
    assert table.column("id").to_pylist() == ["1", "два", "4"]
    bad = {q.record_no: q for q in quarantined(batches)}
    assert sorted(bad) == [2, 4]
    assert bad[2].reason == "JSON string, expected an object"
    assert bad[2].raw.decode("utf-8") == '"Айгуль"'
    assert bad[4].reason == "JSON array, expected an object"


def test_malformed_record_is_quarantined_and_the_read_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text(
        '[\n  {"name": "Бакыт"},\n  {"name": "Айгуль",,},\n  {"name": "Нурлан"}\n]\n',
        encoding="utf-8",
    )
    table, batches = read(reader_for(tmp_path, path="broken.json"))
    assert table.column("name").to_pylist() == ["Бакыт", "Нурлан"]
    assert table.column("_record_no").to_pylist() == [1, 3]
    (q,) = quarantined(batches)
    assert (q.record_no, q.position) == (2, "line 3 ($[1])")
    assert q.reason.startswith("not JSON: Expecting property name enclosed in double quotes")
    assert "line 3 column 21" in q.reason
    assert q.raw.decode("utf-8") == '{"name": "Айгуль",,}'


def test_malformed_outside_the_records_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"data": [{"a": 1}]\n "more": 2}\n', encoding="utf-8")
    with pytest.raises(SourceError) as err:
        list(reader_for(tmp_path, path="broken.json", record_path="data").batches())
    assert err.value.where == f"{path}:2:2"
    assert "malformed JSON" in err.value.message


def test_extra_data_after_document(tmp_path: Path) -> None:
    (tmp_path / "two.json").write_text('[{"a": 1}]\n[{"a": 2}]\n', encoding="utf-8")
    with pytest.raises(SourceError, match="extra data") as err:
        list(reader_for(tmp_path, path="two.json", format="json").batches())
    assert err.value.where is not None
    assert err.value.where.endswith("two.json:2:1")


def test_record_path_that_does_not_fit(tmp_path: Path) -> None:
    write_doc(tmp_path)
    with pytest.raises(SourceError, match=r"no key 'persons'.*keys there: people"):
        list(reader_for(tmp_path, path="people.json", record_path="data.persons").batches())
    with pytest.raises(SourceError, match=r"expects an array at \$\.meta"):
        list(reader_for(tmp_path, path="people.json", record_path="meta[0]").batches())


def test_empty_document_is_an_error_but_empty_ndjson_is_not(tmp_path: Path) -> None:
    (tmp_path / "empty.json").write_text("  \n", encoding="utf-8")
    with pytest.raises(SourceError, match="empty"):
        list(reader_for(tmp_path, path="empty.json", format="json").batches())
    table, batches = read(reader_for(tmp_path, path="empty.json"))
    assert table.num_rows == 0
    assert len(batches) == 1


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist") as err:
        list(reader_for(tmp_path, path="nowhere/люди.json").batches())
    assert err.value.hint is not None
    assert str(tmp_path / "nowhere") in err.value.hint
    (tmp_path / "dir.json").mkdir()
    with pytest.raises(SourceError, match="folder"):
        list(reader_for(tmp_path, path="dir.json").batches())


def test_wrong_encoding_of_a_document(tmp_path: Path) -> None:
    body = json.dumps([{"name": "Бакыт Садыков"}], ensure_ascii=False)
    (tmp_path / "cp.json").write_bytes(body.encode("cp1251"))
    with pytest.raises(SourceError, match="not utf-8 text") as err:
        list(reader_for(tmp_path, path="cp.json").batches())
    assert err.value.hint is not None
    assert "encoding" in err.value.hint
    table, _ = read(reader_for(tmp_path, path="cp.json", encoding="cp1251"))
    assert table.column("name").to_pylist() == ["Бакыт Садыков"]
    (tmp_path / "u16.json").write_bytes(body.encode("utf-16"))
    with pytest.raises(SourceError, match="UTF-16 byte order mark"):
        list(reader_for(tmp_path, path="u16.json").batches())
    table, _ = read(reader_for(tmp_path, path="u16.json", encoding="utf-16"))
    assert table.column("name").to_pylist() == ["Бакыт Садыков"]


def test_utf8_bom_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "bom.json").write_bytes(b"\xef\xbb\xbf" + json.dumps([{"a": 1}]).encode())
    (tmp_path / "bom.ndjson").write_bytes(b"\xef\xbb\xbf" + b'{"a": 1}\n{"a": 2}\n')
    assert read(reader_for(tmp_path, path="bom.json"))[0].column("a").to_pylist() == [1]
    assert read(reader_for(tmp_path, path="bom.ndjson"))[0].column("a").to_pylist() == [1, 2]


# -- NDJSON --------------------------------------------------------------------------


def write_ndjson(path: Path, count: int, bad_every: int = 0) -> int:
    """Write ``count`` records; every ``bad_every``-th line is broken. Returns the bad count."""
    bad = 0
    with path.open("wb") as fh:
        for i in range(1, count + 1):
            if bad_every and i % bad_every == 0:
                fh.write(b'{"id": ' + str(i).encode() + b', "name": "\xd0\x90\xd0\xb9\n')
                bad += 1
            else:
                rec = {"id": i, "name": f"Айгуль {i}", "tax": {"due": i * 1.5, "year": 2024}}
                fh.write(json.dumps(rec, ensure_ascii=False).encode("utf-8") + b"\n")
    return bad


def test_ndjson_bad_lines_quarantined_and_counted_by_land(tmp_path: Path) -> None:
    bad = write_ndjson(tmp_path / "people.ndjson", 1000, bad_every=7)
    options = JsonOptions(path="people.ndjson")
    ctx = ReadContext(base_dir=tmp_path, dataset="people", batch_size=128)
    result = land("people", options, tmp_path / "data", ctx, registry=registry(), files=PLAIN)
    assert result.read == 1000
    assert result.quarantined == bad == 142
    assert result.landed == 1000 - bad
    landed = pq.read_table(tmp_path / "data" / "landing" / "people.parquet")
    assert landed.column("tax_due").to_pylist()[:2] == [1.5, 3.0]
    assert landed.column("_source_pos").to_pylist()[:2] == ["line 1", "line 2"]
    q = pq.read_table(tmp_path / "data" / "quarantine" / "people.parquet").to_pylist()
    assert q[0]["_record_no"] == 7
    assert q[0]["_source_pos"] == "line 7"
    assert q[0]["reason"].startswith("not JSON: Unterminated string")
    assert q[0]["raw"].decode("utf-8").startswith('{"id": 7')


def test_ndjson_streams_in_batches_and_honours_limit(tmp_path: Path) -> None:
    write_ndjson(tmp_path / "p.jsonl", 10)
    _, batches = read(reader_for(tmp_path, path="p.jsonl", batch=3))
    assert [b.read for b in batches] == [3, 3, 3, 1]
    table, batches = read(reader_for(tmp_path, path="p.jsonl", batch=3, limit=5))
    assert table.column("id").to_pylist() == [1, 2, 3, 4, 5]
    assert sum(b.read for b in batches) == 5
    table, _ = read(reader_for(tmp_path, path="p.jsonl", limit=0))
    assert table.num_rows == 0


def test_ndjson_blank_lines_and_line_numbers(tmp_path: Path) -> None:
    (tmp_path / "g.ndjson").write_text('{"a": 1}\n\n   \n{"a": 2}\r\n', encoding="utf-8")
    table, _ = read(reader_for(tmp_path, path="g.ndjson"))
    assert table.column("_record_no").to_pylist() == [1, 2]
    assert table.column("_source_pos").to_pylist() == ["line 1", "line 4"]


def test_ndjson_line_in_wrong_encoding_is_quarantined(tmp_path: Path) -> None:
    (tmp_path / "mix.ndjson").write_bytes(
        '{"name": "Айгуль"}\n'.encode() + '{"name": "Бакыт"}\n'.encode("cp1251")
    )
    table, batches = read(reader_for(tmp_path, path="mix.ndjson"))
    assert table.column("name").to_pylist() == ["Айгуль"]
    (q,) = quarantined(batches)
    assert (q.record_no, q.position) == (2, "line 2")
    assert q.reason.startswith("not utf-8 text: invalid")
    assert q.raw == '{"name": "Бакыт"}'.encode("cp1251")


def test_ndjson_utf16(tmp_path: Path) -> None:
    text = '{"name": "Олжас"}\n{"name": "Dana"}\n'
    (tmp_path / "u.ndjson").write_bytes(text.encode("utf-16"))
    table, _ = read(reader_for(tmp_path, path="u.ndjson", encoding="utf-16"))
    assert table.column("name").to_pylist() == ["Олжас", "Dana"]


def test_ndjson_with_record_path_per_line(tmp_path: Path) -> None:
    lines = [
        {"batch": 1, "items": [{"v": "а"}, {"v": "б"}]},
        {"batch": 2, "items": []},
        {"batch": 3},
        {"batch": 4, "items": [{"v": "в"}]},
    ]
    (tmp_path / "b.ndjson").write_text(
        "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", encoding="utf-8"
    )
    table, batches = read(reader_for(tmp_path, path="b.ndjson", record_path="items"))
    assert table.column("v").to_pylist() == ["а", "б", "в"]
    assert table.column("_source_pos").to_pylist() == [
        "line 1 ($.items[0])",
        "line 1 ($.items[1])",
        "line 4 ($.items[0])",
    ]
    (q,) = quarantined(batches)
    assert q.position == "line 3"
    assert "no key 'items'" in q.reason
    assert table.column("_record_no").to_pylist() == [1, 2, 4]


def test_auto_format(tmp_path: Path) -> None:
    (tmp_path / "lines.json").write_text('{"a": 1}\n{"a": 2}\n', encoding="utf-8")
    table, _ = read(reader_for(tmp_path, path="lines.json"))
    assert table.column("a").to_pylist() == [1, 2]
    with pytest.raises(SourceError, match="extra data"):
        list(reader_for(tmp_path, path="lines.json", format="json").batches())
    write_doc(tmp_path, "pretty.json")
    table, _ = read(reader_for(tmp_path, path="pretty.json", record_path="data.people"))
    assert table.num_rows == 3


# -- options and registration -----------------------------------------------------------


def test_bookkeeping_names_in_records(tmp_path: Path) -> None:
    (tmp_path / "k.ndjson").write_text('{"_record_no": 5, "a": 1}\n{"a": 2}\n', encoding="utf-8")
    table, batches = read(reader_for(tmp_path, path="k.ndjson"))
    assert table.column("a").to_pylist() == [2]
    (q,) = quarantined(batches)
    assert q.reason == "field _record_no has the name of a column seamline adds"
    table, _ = read(reader_for(tmp_path, path="k.ndjson", fields={"rec": "_record_no"}))
    assert table.column("rec").to_pylist() == [5, None]
    with pytest.raises(ValidationError, match="added by seamline"):
        JsonOptions(path="k.ndjson", fields={"_source_pos": "a"})


def test_options_validate() -> None:
    with pytest.raises(ValidationError, match="cannot read the path"):
        JsonOptions(path="a.json", record_path="data[x")
    with pytest.raises(ValidationError, match="unknown text encoding"):
        JsonOptions(path="a.json", encoding="utf-9")
    with pytest.raises(ValidationError, match="field 'city'"):
        JsonOptions(path="a.json", fields={"city": "address]["})
    with pytest.raises(ValidationError):
        JsonOptions.model_validate({"kind": "json", "path": "a.json", "recordpath": "x"})


def test_register() -> None:
    registry = Registry()
    register(registry)
    assert registry.connector("json") is JsonReader


def test_parse_path_forms() -> None:
    assert parse_path("$.data.people[*]") == ("data", "people", None)
    assert parse_path("data.people") == ("data", "people")
    assert parse_path("phones[0]") == ("phones", 0)
    assert parse_path("$['full name'].x") == ("full name", "x")
    assert parse_path("$") == ()
    assert get_path({"a": [{"b": 1}, {"b": 2}]}, parse_path("a[*].b")) == [1, 2]
    assert get_path({"a": [1]}, parse_path("a[5]")) is None


# -- properties ----------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values, st.sampled_from([None, 0, 2]))
def test_walker_agrees_with_json_loads(value: Any, indent: int | None) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    found = list(walk_document(text, ()))
    expected = value if isinstance(value, list) else [value]
    assert [f.value for f in found] == expected
    for f in found:
        assert json.loads(text[f.start : f.end]) == f.value


@given(st.text(max_size=60))
def test_walker_never_crashes_on_text(text: str) -> None:
    with contextlib.suppress(JsonTextError):
        list(walk_document(text, parse_path("a[*]")))


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.binary(max_size=40), max_size=12), st.sampled_from(["json", "ndjson"]))
def test_any_bytes_read_or_fail_cleanly(tmp_path: Path, lines: list[bytes], fmt: str) -> None:
    (tmp_path / "fuzz.dat").write_bytes(b"\n".join(lines))
    try:
        batches = list(reader_for(tmp_path, path="fuzz.dat", format=fmt, batch=4).batches())
    except SeamlineError:
        assert fmt == "json"
        return
    numbers = sorted(
        [n for b in batches for n in b.data.column("_record_no").to_pylist()]
        + [q.record_no for q in quarantined(batches)]
    )
    assert numbers == list(range(1, len(numbers) + 1))
