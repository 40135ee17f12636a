"""The xml source: streamed record selection, field XPaths, namespaces, broken files."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from pydantic import ValidationError

from seamline.crypto.parquet import PLAIN
from seamline.errors import SeamlineError, SourceError
from seamline.plugins import Registry
from seamline.sources.base import Batch, ReadContext
from seamline.sources.landing import land
from seamline.sources.xmlsrc import XmlOptions, XmlReader, register

DOC = """<?xml version="1.0" encoding="UTF-8"?>
<Registry agency="Налоговая служба">
  <Header><Created>2024-05-01</Created></Header>
  <People>
    <Person id="1">
      <Name><Given>Aigul</Given><Family>Toktogulova</Family></Name>
      <City>Бишкек</City>
      <Phone>+996 555 000111</Phone>
      <Phone>+996 700 222333</Phone>
    </Person>
    <Person id="2">
      <Name><Given>Бакыт</Given><Family>Садыков</Family></Name>
      <City>Ош</City>
    </Person>
    <Person id="3">
      <Name><Given>Светлана</Given></Name>
    </Person>
  </People>
</Registry>
"""

NS_DOC = """<?xml version="1.0" encoding="UTF-8"?>
<r:Registry xmlns:r="urn:example:registry" xmlns="urn:example:people">
  <Person code="A1"><Name>Олжас</Name></Person>
  <Person code="A2"><Name>Dana</Name></Person>
</r:Registry>
"""


def registry() -> Registry:
    reg = Registry()
    register(reg)
    return reg


def reader_for(
    tmp_path: Path, limit: int | None = None, batch: int = 65_536, **opts: Any
) -> XmlReader:
    options = XmlOptions.model_validate({"kind": "xml", **opts})
    ctx = ReadContext(base_dir=tmp_path, dataset="people", limit=limit, batch_size=batch)
    return XmlReader(options, ctx)


def read(reader: XmlReader) -> tuple[pa.Table, list[Batch]]:
    batches = list(reader.batches())
    return pa.Table.from_batches([b.data for b in batches]), batches


def test_fields_by_relative_xpath(tmp_path: Path) -> None:
    (tmp_path / "p.xml").write_text(DOC, encoding="utf-8")
    fields = {
        "id": "@id",
        "given": "Name/Given",
        "family": "Name/Family/text()",
        "city": "City",
        "phones": "Phone",
        "agency": "../../@agency",
        "phone_count": "count(Phone)",
    }
    table, batches = read(reader_for(tmp_path, path="p.xml", record_path="//Person", fields=fields))
    assert table.column("id").to_pylist() == ["1", "2", "3"]
    assert table.column("given").to_pylist() == ["Aigul", "Бакыт", "Светлана"]
    assert table.column("family").to_pylist() == ["Toktogulova", "Садыков", None]
    assert table.column("city").to_pylist() == ["Бишкек", "Ош", None]
    assert json.loads(table.column("phones")[0].as_py()) == ["+996 555 000111", "+996 700 222333"]
    assert table.column("agency").to_pylist() == ["Налоговая служба"] * 3
    assert table.column("phone_count").to_pylist() == [2, 0, 0]
    assert table.column("_source_pos").to_pylist() == ["line 5", "line 11", "line 15"]
    assert not [q for b in batches for q in b.quarantined]


def test_flatten_everything(tmp_path: Path) -> None:
    (tmp_path / "p.xml").write_text(DOC, encoding="utf-8")
    table, _ = read(reader_for(tmp_path, path="p.xml", record_path="/Registry/People/Person"))
    assert table.column("Name_Given").to_pylist() == ["Aigul", "Бакыт", "Светлана"]
    assert table.column("Name_Family").to_pylist() == ["Toktogulova", "Садыков", None]
    assert table.column("id").to_pylist() == ["1", "2", "3"]
    assert json.loads(table.column("Phone")[0].as_py()) == ["+996 555 000111", "+996 700 222333"]


def test_anchored_path_must_match_from_the_root(tmp_path: Path) -> None:
    (tmp_path / "p.xml").write_text(DOC, encoding="utf-8")
    table, _ = read(reader_for(tmp_path, path="p.xml", record_path="/People/Person"))
    assert table.num_rows == 0
    table, _ = read(reader_for(tmp_path, path="p.xml", record_path="//People/*"))
    assert table.num_rows == 3


def test_namespaces(tmp_path: Path) -> None:
    (tmp_path / "n.xml").write_text(NS_DOC, encoding="utf-8")
    ns = {"p": "urn:example:people", "r": "urn:example:registry"}
    table, _ = read(
        reader_for(
            tmp_path,
            path="n.xml",
            record_path="/r:Registry/p:Person",
            namespaces=ns,
            fields={"code": "@code", "name": "p:Name"},
        )
    )
    assert table.column("name").to_pylist() == ["Олжас", "Dana"]
    # a name without a prefix matches any namespace
    table, _ = read(reader_for(tmp_path, path="n.xml", record_path="//Person"))
    assert table.column("Name").to_pylist() == ["Олжас", "Dana"]
    table, _ = read(reader_for(tmp_path, path="n.xml", record_path="//r:Person", namespaces=ns))
    assert table.num_rows == 0


def test_land_counts_and_batches(tmp_path: Path) -> None:
    people = "".join(f'<Person id="{i}"><Name>Айгуль {i}</Name></Person>\n' for i in range(1, 1001))
    (tmp_path / "big.xml").write_text(f"<Registry>\n{people}</Registry>\n", encoding="utf-8")
    options = XmlOptions(path="big.xml", record_path="//Person")
    ctx = ReadContext(base_dir=tmp_path, dataset="people", batch_size=300)
    result = land("people", options, tmp_path / "data", ctx, registry=registry(), files=PLAIN)
    assert (result.read, result.landed, result.quarantined) == (1000, 1000, 0)
    landed = pq.read_table(tmp_path / "data" / "landing" / "people.parquet")
    assert landed.column("_source_pos")[999].as_py() == "line 1001"
    assert landed.column("Name")[0].as_py() == "Айгуль 1"
    _, batches = read(reader_for(tmp_path, path="big.xml", record_path="//Person", batch=300))
    assert [b.read for b in batches] == [300, 300, 300, 100]
    table, _ = read(reader_for(tmp_path, path="big.xml", record_path="//Person", limit=5))
    assert table.column("id").to_pylist() == ["1", "2", "3", "4", "5"]


def test_memory_stays_flat(tmp_path: Path) -> None:
    body = "".join(
        f'<Person id="{i}"><Name>Бакыт Садыков {i}</Name><Note>{"x" * 200}</Note></Person>'
        for i in range(20_000)
    )
    path = tmp_path / "huge.xml"
    path.write_text(f"<Registry>{body}</Registry>", encoding="utf-8")
    size = path.stat().st_size
    tracemalloc.start()
    try:
        total = 0
        for b in reader_for(
            tmp_path, path="huge.xml", record_path="//Person", batch=1000
        ).batches():
            total += b.read
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == 20_000
    assert peak < size / 3, f"peak {peak:,} bytes for a {size:,} byte file"


def test_malformed_xml_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.xml"
    path.write_text(
        "<Registry>\n  <Person><Name>Олжас</Name></Person>\n  <Person><Name>Dana</Person>\n</Registry>\n",
        encoding="utf-8",
    )
    with pytest.raises(SourceError, match="malformed XML") as err:
        list(reader_for(tmp_path, path="bad.xml", record_path="//Person").batches())
    assert err.value.where is not None
    assert err.value.where.startswith(f"{path}:3:")


def test_wrong_encoding_is_an_error(tmp_path: Path) -> None:
    text = '<?xml version="1.0" encoding="UTF-8"?>\n<R><Person>Бакыт</Person></R>\n'
    (tmp_path / "cp.xml").write_bytes(text.encode("cp1251"))
    with pytest.raises(SourceError, match="malformed XML") as err:
        list(reader_for(tmp_path, path="cp.xml", record_path="//Person").batches())
    assert err.value.where is not None
    assert ":2:" in err.value.where
    declared = text.replace("UTF-8", "windows-1251")
    (tmp_path / "ok.xml").write_bytes(declared.encode("cp1251"))
    table, _ = read(reader_for(tmp_path, path="ok.xml", record_path="//Person"))
    assert table.column("text").to_pylist() == ["Бакыт"]


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        list(reader_for(tmp_path, path="реестр.xml", record_path="//P").batches())
    (tmp_path / "empty.xml").write_bytes(b"")
    with pytest.raises(SourceError, match="malformed XML"):
        list(reader_for(tmp_path, path="empty.xml", record_path="//P").batches())


def test_entities_are_not_expanded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("тайна", encoding="utf-8")
    doc = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>'
        "<r><Person><Name>&x;</Name></Person></r>"
    )
    (tmp_path / "xxe.xml").write_text(doc, encoding="utf-8")
    table, _ = read(reader_for(tmp_path, path="xxe.xml", record_path="//Person"))
    assert table.column("Name").to_pylist() == [None]


def test_options_validate() -> None:
    with pytest.raises(ValidationError, match="must start with"):
        XmlOptions(path="a.xml", record_path="Person")
    with pytest.raises(ValidationError, match="predicates"):
        XmlOptions(path="a.xml", record_path="//Person[@id=1]")
    with pytest.raises(ValidationError, match="prefix 'p'"):
        XmlOptions(path="a.xml", record_path="//p:Person")
    with pytest.raises(ValidationError, match="added by seamline"):
        XmlOptions(path="a.xml", record_path="//Person", fields={"_record_no": "@id"})
    with pytest.raises(ValidationError, match="not an XPath"):
        XmlOptions(path="a.xml", record_path="//Person", fields={"x": "Name[["})


def test_register() -> None:
    assert registry().connector("xml") is XmlReader


@settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=120))
def test_garbage_fails_cleanly(tmp_path: Path, body: bytes) -> None:
    (tmp_path / "g.xml").write_bytes(b"<r><Person>" + body)
    try:
        batches = list(reader_for(tmp_path, path="g.xml", record_path="//Person").batches())
    except SeamlineError:
        return
    etree.fromstring(b"<r><Person>" + body)  # accepted input must be well-formed XML
    assert sum(b.read for b in batches) == 1


def test_land_quarantines_a_record_it_cannot_name(tmp_path: Path) -> None:
    (tmp_path / "q.xml").write_text(
        "<R>\n<P><Name>Олжас</Name></P>\n<P><_source_pos>x</_source_pos></P>\n<P><Name>Dana</Name></P>\n</R>",
        encoding="utf-8",
    )
    options = XmlOptions(path="q.xml", record_path="//P")
    ctx = ReadContext(base_dir=tmp_path, dataset="q")
    result = land("q", options, tmp_path / "data", ctx, registry=registry(), files=PLAIN)
    assert (result.read, result.landed, result.quarantined) == (3, 2, 1)
    q = pq.read_table(tmp_path / "data" / "quarantine" / "q.parquet").to_pylist()
    assert (q[0]["_record_no"], q[0]["_source_pos"]) == (2, "line 3")
    assert q[0]["raw"] == b"<P><_source_pos>x</_source_pos></P>"
