"""Every file connector tells when its file last changed: the delivery's source time.

A seam's freshness is measured from it (see tests/seams/test_freshness_source.py), so a
file that stopped changing is stale however often it is read again.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from seamline.crypto.parquet import PLAIN
from seamline.plugins import default_registry
from seamline.sources.base import ReadContext
from seamline.sources.landing import land
from seamline.store.deliveries import source_time

COPYBOOK = """\
       01 PERSON-REC.
          05 PERSON-ID    PIC 9(4).
          05 FULL-NAME    PIC X(12).
"""


def _csv(root: Path) -> dict[str, Any]:
    (root / "p.csv").write_text("id,name\n1,Dana Ellsworth\n", encoding="utf-8")
    return {"kind": "csv", "path": "p.csv"}


def _fixed(root: Path) -> dict[str, Any]:
    (root / "p.txt").write_text("   1Dana Ellsworth\n", encoding="utf-8")
    columns = [{"name": "id", "start": 1, "length": 4}, {"name": "name", "start": 5, "length": 14}]
    return {"kind": "fixed_width", "path": "p.txt", "columns": columns}


def _copybook(root: Path) -> dict[str, Any]:
    (root / "p.cpy").write_text(COPYBOOK, encoding="utf-8")
    (root / "p.dat").write_bytes("0001Dana Ellswor".encode("cp037"))
    return {"kind": "copybook", "path": "p.dat", "copybook": "p.cpy", "workers": 1}


def _json(root: Path) -> dict[str, Any]:
    (root / "p.json").write_text('[{"id": 1, "name": "Dana Ellsworth"}]', encoding="utf-8")
    return {"kind": "json", "path": "p.json"}


def _xml(root: Path) -> dict[str, Any]:
    text = "<people><person><id>1</id><name>Dana Ellsworth</name></person></people>"
    (root / "p.xml").write_text(text, encoding="utf-8")
    return {"kind": "xml", "path": "p.xml", "record_path": "/people/person"}


def _parquet(root: Path) -> dict[str, Any]:
    pq.write_table(pa.table({"id": [1], "name": ["Dana Ellsworth"]}), root / "p.parquet")
    return {"kind": "parquet", "path": "p.parquet"}


def _spreadsheet(root: Path) -> dict[str, Any]:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["id", "name"])
    sheet.append([1, "Dana Ellsworth"])
    book.save(root / "p.xlsx")
    return {"kind": "spreadsheet", "path": "p.xlsx"}


def _folder(root: Path) -> dict[str, Any]:
    (root / "drops").mkdir()
    (root / "drops" / "a.csv").write_text("id,name\n1,Dana Ellsworth\n", encoding="utf-8")
    return {"kind": "folder", "path": "drops/*.csv", "format": "csv"}


SOURCES = {
    "csv": (_csv, "p.csv"),
    "fixed_width": (_fixed, "p.txt"),
    "copybook": (_copybook, "p.dat"),
    "json": (_json, "p.json"),
    "xml": (_xml, "p.xml"),
    "parquet": (_parquet, "p.parquet"),
    "spreadsheet": (_spreadsheet, "p.xlsx"),
    "folder": (_folder, "drops/a.csv"),
}


@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_a_file_delivery_carries_the_file_modification_time(tmp_path: Path, kind: str) -> None:
    make, name = SOURCES[kind]
    spec = make(tmp_path)
    # The provider wrote the file three days ago and has not touched it since.
    written = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=3)
    os.utime(tmp_path / name, (written.timestamp(), written.timestamp()))
    options = default_registry().connector(spec["kind"]).options_model.model_validate(spec)
    landed = land(
        "people", options, tmp_path / "data", ReadContext(tmp_path, "people"), files=PLAIN
    )
    assert landed.read == 1 and landed.landed == 1, landed.failed
    assert source_time(landed.metadata) == (written, "file modified")
