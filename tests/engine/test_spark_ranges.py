"""Parallel reading on Spark's executors gives what one process gives.

A copybook FB file, an NDJSON file and a fixed-width file, each with bad records, are
cut into byte ranges that Spark (``local[2]``) decodes; rows, ``_record_no``, positions
and the quarantine must equal those of a read in one process (the copybook's batches
too; text files are cut at lines, so their batches are the process pool's), and the
ranges must really have been run by Spark. Connect on a Spark workspace is run once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from seamline.engine.spark_engine import spark_session, stop_session
from seamline.engine.spark_ranges import SparkRanges
from seamline.errors import SourceError
from seamline.pipeline import run_pipeline
from seamline.sources import fixedwidth, jsonsrc
from seamline.sources.base import Batch, ReadContext, Reader
from seamline.sources.copybook import CopybookOptions, CopybookReader
from seamline.sources.copybook import reader as copybook_reader
from seamline.sources.fixedwidth import FixedWidthOptions, FixedWidthReader
from seamline.sources.jsonsrc import JsonOptions, JsonReader
from seamline.sources.stage import ConnectStage
from seamline.store import Store
from seamline.workspace import load_workspace
from seamline.workspace.template import write_example

MASTER = "local[2]"
CONF = {"spark.driver.memory": "1g", "spark.ui.enabled": "false"}

BOOK = """\
       01  REC.
           05  ID      PIC 9(4).
           05  NAME    PIC X(6).
           05  AMOUNT  PIC S9(5)V99 COMP-3.
"""
E = "cp037"
RECORDS = 1_000
BAD = {0, 17, 18, 250, 511, 999}


@pytest.fixture(scope="module")
def runner(java_runtime: None) -> Iterator[SparkRanges]:
    """One Spark session for the module (starting one takes seconds)."""
    spark_session(MASTER, CONF)
    yield SparkRanges(MASTER, CONF)
    stop_session()


def _record(i: int) -> bytes:
    packed = bytes.fromhex(f"{i * 7 % 10**7:07d}C")
    if i in BAD:
        packed = b"\xff" + packed[1:]  # an invalid nibble: the record goes to quarantine
    return f"{i % 10000:04d}".encode(E) + f"P{i:05d}"[:6].encode(E) + packed


def _read(reader: Reader[Any]) -> list[tuple[list[dict[str, Any]], list[Any]]]:
    """Every batch: its rows and its quarantine (batch boundaries count too)."""
    out = []
    for batch in reader.batches():
        assert isinstance(batch, Batch)
        bad = [(q.record_no, q.position, q.reason, q.raw) for q in batch.quarantined]
        out.append((batch.data.to_pylist(), bad))
    return out


def _flat(batches: list[tuple[list[dict[str, Any]], list[Any]]]) -> tuple[list[Any], list[Any]]:
    return [r for rows, _ in batches for r in rows], [q for _, bad in batches for q in bad]


def _numbers(batches: list[tuple[list[dict[str, Any]], list[Any]]]) -> list[int]:
    return sorted(
        [r["_record_no"] for rows, _ in batches for r in rows]
        + [q[0] for _, bad in batches for q in bad]
    )


def test_copybook_ranges_on_spark_equal_one_process(
    runner: SparkRanges, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "d.cpy").write_text(BOOK)
    (tmp_path / "d.dat").write_bytes(b"".join(_record(i) for i in range(RECORDS)))

    def read(workers: int, ranges: SparkRanges | None) -> Any:
        opts = CopybookOptions(
            path="d.dat", copybook="d.cpy", encoding=E, record_format="FB", workers=workers
        )
        context = ReadContext(base_dir=tmp_path, batch_size=64, ranges=ranges)
        return _read(CopybookReader(opts, context))

    single = read(1, runner)  # workers: 1 reads in this process whatever the runner
    assert runner.tasks_run == 0
    monkeypatch.setattr(copybook_reader, "MIN_RANGE_BYTES", 3 * 64 * 15)  # ranges of 3 batches
    on_spark = read(2, runner)
    assert runner.tasks_run == 6  # 1,000 records of 15 bytes in ranges of 192 records
    assert on_spark == single
    assert _numbers(single) == list(range(1, RECORDS + 1))
    assert [q[0] for _, bad in single for q in bad] == sorted(i + 1 for i in BAD)


def test_ndjson_ranges_on_spark_equal_one_process(
    runner: SparkRanges, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = []
    for i in range(400):
        if i % 97 == 5:
            lines.append('{"person_id": 1, "name": ')  # cut short: not JSON
        elif i % 89 == 3:
            lines.append("[1, 2]")  # JSON, but not an object
        elif i % 50 == 0:
            lines.append("")  # blank lines are not records
        else:
            value: dict[str, Any] = {"person_id": i, "name": f"Aigul {i}"}
            if i > 300:  # a column that only the last parts have, and a wider type
                value["tax_due"] = i / 4 if i % 2 else i
            lines.append(json.dumps(value, ensure_ascii=False))
    (tmp_path / "people.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")

    def read(workers: int, ranges: SparkRanges | None) -> Any:
        opts = JsonOptions(path="people.ndjson", workers=workers)
        context = ReadContext(base_dir=tmp_path, batch_size=32, ranges=ranges)
        return _read(JsonReader(opts, context))

    single = read(1, runner)
    before = runner.tasks_run
    monkeypatch.setattr(jsonsrc.reader, "MIN_RANGE_BYTES", 2_000)
    on_spark = read(2, runner)
    assert runner.tasks_run - before >= 2 * 4  # every part scanned, then read, on Spark
    # parts end at line breaks, not after whole batches: the batches are the process
    # pool's, and the records (rows, numbers, positions, quarantine) one process's
    assert on_spark == read(2, None)
    assert _flat(on_spark) == _flat(single)
    assert len({q[2] for _, bad in single for q in bad}) == 2
    numbers = _numbers(single)
    assert numbers == list(range(1, len(numbers) + 1))


def test_fixed_width_ranges_on_spark_equal_one_process(
    runner: SparkRanges, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout: list[dict[str, Any]] = [
        {"name": "person_id", "start": 1, "length": 6, "type": "integer"},
        {"name": "full_name", "start": 7, "length": 14},
    ]
    lines = [
        "short" if i % 41 == 7 else "" if i % 53 == 0 else f"{i:>6}{'Бакыт ' + str(i):<14}"
        for i in range(300)
    ]
    (tmp_path / "people.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")

    def read(workers: int, ranges: SparkRanges | None) -> Any:
        opts = FixedWidthOptions(path="people.txt", columns=layout, workers=workers)
        context = ReadContext(base_dir=tmp_path, batch_size=16, ranges=ranges)
        return _read(FixedWidthReader(opts, context))

    single = read(1, runner)
    before = runner.tasks_run
    monkeypatch.setattr(fixedwidth.reader, "MIN_RANGE_BYTES", 1_500)
    on_spark = read(2, runner)
    assert runner.tasks_run - before >= 4
    assert on_spark == read(2, None)
    assert _flat(on_spark) == _flat(single)
    assert len(_flat(single)[1]) == len([i for i in range(300) if i % 41 == 7])


def test_a_failed_range_names_the_file(
    runner: SparkRanges, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error raised on an executor comes back as the reader's SourceError."""
    (tmp_path / "d.cpy").write_text(BOOK)
    (tmp_path / "d.dat").write_bytes(b"".join(_record(i) for i in range(200)))
    opts = CopybookOptions(path="d.dat", copybook="d.cpy", encoding=E, workers=2)
    # the executors resolve the copybook again: one they cannot find fails there
    context = ReadContext(base_dir=tmp_path, batch_size=64, ranges=runner)
    reader = CopybookReader(opts, context)
    reader.layout  # noqa: B018 - loaded here, before the file goes
    monkeypatch.setattr(copybook_reader, "MIN_RANGE_BYTES", 64 * 15)
    (tmp_path / "d.cpy").unlink()
    with pytest.raises(SourceError, match=r"on Spark .* failed to read its part") as info:
        _read(reader)
    assert info.value.where == str(tmp_path / "d.dat")


def test_connect_on_a_spark_workspace_reads_on_the_executors(
    runner: SparkRanges, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_url: str
) -> None:
    """``engine: spark``: connect hands a large copybook file's ranges to the executors,
    says so, and lands what one process reads, in a data folder given as a file:// URI."""
    write_example(tmp_path)
    data = tmp_path / "shared" / "data"
    yaml = (tmp_path / "seamline.yaml").read_text()
    yaml = yaml.replace("engine: duckdb ", "engine: spark ").replace(
        "data_dir: .seamline/data ", f"data_dir: {data.as_uri()} "
    )
    (tmp_path / "seamline.yaml").write_text(yaml + f"spark:\n  master: {MASTER}\n")
    (tmp_path / "data" / "claims.cpy").write_text(BOOK)
    # connect reads in batches of 65,536 records, and an F/FB range holds whole batches
    claims = b"".join(_record(i) for i in range(150_000))
    (tmp_path / "data" / "claims.dat").write_bytes(claims)
    (tmp_path / "datasets" / "claims.yaml").write_text(
        "id: claims\ntitle: Claims\nsystem: civil-registry-db\nowner: civil-registry\n"
        "entity: Person\n"
        "source:\n  kind: copybook\n  path: data/claims.dat\n  copybook: data/claims.cpy\n"
        f"  encoding: {E}\n  record_format: FB\n  workers: 2\n"
    )
    ws = load_workspace(tmp_path, env={"SEAMLINE_STORE": postgres_url})
    assert ws.data_dir == data
    monkeypatch.setattr(copybook_reader, "MIN_RANGE_BYTES", 64 * 15)
    with Store.open(postgres_url) as store:
        summary = run_pipeline(ws, store, stages=[ConnectStage()])
    (connect,) = summary.stages
    assert connect.status == "ok", connect.messages
    parts = 3  # 65,536 + 65,536 + 18,928 records
    assert connect.where.startswith(
        f"connect decoded claims in {parts} parts on Spark ({MASTER})'s executors"
    )
    detail = {d["dataset"]: d for d in connect.details}
    assert detail["claims"]["read on"] == f"Spark ({MASTER}): {parts} parts"
    assert "read on" not in detail["civil_persons"]  # a small CSV: read in this process
    landed = pq.read_table(detail["claims"]["landing"])
    assert landed.num_rows == 150_000 - len(BAD)
    opts = CopybookOptions(
        path="data/claims.dat", copybook="data/claims.cpy", encoding=E, record_format="FB"
    )
    single = CopybookReader(opts, ReadContext(base_dir=tmp_path)).batches()
    expected = pa.Table.from_batches([b.data for b in single])
    assert landed.select(expected.column_names).equals(expected)
    assert connect.counts["quarantined"] == len(BAD)


def test_executors_without_seamline_fail_the_read_in_one_sentence(
    runner: SparkRanges, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job Spark cannot run (here: no Python where the executors look) fails the read
    with the worker's error and the file's name, not a page of Java stack."""
    (tmp_path / "d.cpy").write_text(BOOK)
    (tmp_path / "d.dat").write_bytes(b"".join(_record(i) for i in range(200)))
    missing = tmp_path / "no-python" / "python3"
    broken = SparkRanges(MASTER, {**CONF, "spark.pyspark.python": str(missing)})
    opts = CopybookOptions(path="d.dat", copybook="d.cpy", encoding=E, workers=2)
    reader = CopybookReader(opts, ReadContext(base_dir=tmp_path, batch_size=64, ranges=broken))
    monkeypatch.setattr(copybook_reader, "MIN_RANGE_BYTES", 64 * 15)
    try:
        with pytest.raises(SourceError, match="could not run a part of the read") as info:
            _read(reader)
    finally:
        runner.slots()  # the session's executors back on this process's Python
    assert info.value.where == str(tmp_path / "d.dat")
    assert str(missing) in info.value.message
    assert "\n" not in info.value.message
    assert info.value.hint is not None and "spark.pyspark.python" in info.value.hint
