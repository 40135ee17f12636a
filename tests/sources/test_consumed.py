"""Every reader counts what it consumed, so a record dropped on the way fails the delivery.

The double below is a faulty reader: the real reader of each kind with the last
accepted row of its last batch taken out, as a bug in a connector would. The landing's
accounting check is the real one; the same source read by the real reader lands.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from seamline.crypto.parquet import PLAIN
from seamline.errors import SourceError
from seamline.plugins import Registry, default_registry
from seamline.sources.base import Batch, ReadContext
from seamline.sources.landing import land

ROWS = [(i, f"Person {i}") for i in range(1, 8)]


def drops_last(kind: str) -> Registry:
    """The registry with ``kind``'s reader replaced by one that drops its last record."""
    base = default_registry().connector(kind)

    class DropsLast(base):  # type: ignore[valid-type,misc]
        def batches(self) -> Iterator[Batch]:
            batches = list(super().batches())
            for b in reversed(batches):
                if b.data.num_rows:
                    b.data = b.data.slice(0, b.data.num_rows - 1)
                    break
            yield from batches

    return Registry(connectors={**default_registry().connectors, kind: DropsLast})


def source(kind: str, tmp: Path) -> dict[str, Any]:
    """A small source of ``kind`` holding ROWS, as the dataset's ``source:`` block."""
    if kind == "csv":
        (tmp / "p.csv").write_text("id,name\n" + "".join(f"{i},{n}\n" for i, n in ROWS))
        return {"kind": "csv", "path": "p.csv"}
    if kind == "csv-exact":  # a ragged line sends the reader down its exact path
        lines = "".join(f"{i},{n}\n" for i, n in ROWS)
        (tmp / "p.csv").write_text("id,name\n" + lines + "8,x,extra\n9,Person 9\n")
        return {"kind": "csv", "path": "p.csv"}
    if kind == "fixed_width":
        (tmp / "p.txt").write_text("".join(f"{i:03d}{n:<10}\n" for i, n in ROWS))
        cols = [{"name": "id", "start": 1, "length": 3}, {"name": "name", "start": 4, "length": 10}]
        return {"kind": "fixed_width", "path": "p.txt", "columns": cols}
    if kind == "copybook":
        (tmp / "p.cpy").write_text(
            "       01 REC.\n          05 ID   PIC 9(3).\n          05 NM   PIC X(10).\n"
        )
        data = "".join(f"{i:03d}{n:<10}" for i, n in ROWS).encode("cp037")
        (tmp / "p.dat").write_bytes(data)
        return {"kind": "copybook", "path": "p.dat", "copybook": "p.cpy"}
    if kind == "json":
        (tmp / "p.json").write_text(json.dumps([{"id": i, "name": n} for i, n in ROWS]))
        return {"kind": "json", "path": "p.json"}
    if kind == "ndjson":
        (tmp / "p.ndjson").write_text(
            "".join(json.dumps({"id": i, "name": n}) + "\n" for i, n in ROWS)
        )
        return {"kind": "json", "path": "p.ndjson", "format": "ndjson"}
    if kind == "xml":
        items = "".join(f"<p><id>{i}</id><name>{n}</name></p>" for i, n in ROWS)
        (tmp / "p.xml").write_text(f"<people>{items}</people>")
        return {"kind": "xml", "path": "p.xml", "record_path": "/people/p"}
    if kind == "spreadsheet":
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        assert ws is not None
        ws.append(["id", "name"])
        for row in ROWS:
            ws.append(list(row))
        wb.save(tmp / "p.xlsx")
        return {"kind": "spreadsheet", "path": "p.xlsx"}
    if kind == "parquet":
        table = pa.table({"id": [i for i, _ in ROWS], "name": [n for _, n in ROWS]})
        pq.write_table(table, tmp / "p.parquet")
        return {"kind": "parquet", "path": "p.parquet"}
    raise AssertionError(kind)


KINDS = [
    "csv",
    "csv-exact",
    "fixed_width",
    "copybook",
    "json",
    "ndjson",
    "xml",
    "spreadsheet",
    "parquet",
]


def _land(tmp: Path, spec: dict[str, Any], registry: Registry | None) -> int:
    reg = registry or default_registry()
    options = reg.connector(spec["kind"]).options_model.model_validate(spec)
    done = land(
        "people",
        options,
        tmp / "data",
        ReadContext(tmp, "people", batch_size=3),
        registry=reg,
        files=PLAIN,
    )
    return done.read


@pytest.mark.parametrize("kind", KINDS)
def test_a_reader_that_drops_its_last_record_fails_the_delivery(tmp_path: Path, kind: str) -> None:
    spec = source(kind, tmp_path)
    read = _land(tmp_path, spec, None)
    assert read >= len(ROWS)  # the real reader lands every record
    with pytest.raises(SourceError, match="did not account for every record") as caught:
        _land(tmp_path, spec, drops_last(spec["kind"]))
    assert f"reported {read:,} records read" in str(caught.value)


@pytest.mark.rabbitmq
def test_an_amqp_reader_that_drops_its_last_message_fails_and_acknowledges_nothing(
    tmp_path: Path, amqp_url: str
) -> None:
    import uuid

    from test_delivery_replay import AmqpFeed

    feed = AmqpFeed(amqp_url, f"consumed-{uuid.uuid4().hex[:8]}")
    try:
        feed.publish([i for i, _ in ROWS], 1)
        spec = {**feed.options, "dead_letter": None}
        with pytest.raises(SourceError, match="did not account for every record"):
            _land(tmp_path, spec, drops_last("amqp"))
        assert _land(tmp_path, spec, None) == len(ROWS)  # nothing was acknowledged
    finally:
        feed.close()


@pytest.mark.nats
def test_a_nats_reader_that_drops_its_last_message_fails_and_acknowledges_nothing(
    tmp_path: Path, nats_url: str
) -> None:
    import uuid

    from test_delivery_replay import NatsFeed

    feed = NatsFeed(nats_url, f"consumed_{uuid.uuid4().hex[:8]}")
    try:
        feed.publish([i for i, _ in ROWS], 1)
        with pytest.raises(SourceError, match="did not account for every record"):
            _land(tmp_path, feed.options, drops_last("nats"))
        assert _land(tmp_path, feed.options, None) == len(ROWS)
    finally:
        feed.close()
