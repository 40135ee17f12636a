"""OpenLineage events of a real demo run: file output parsed back, facets checked."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from seamline.demo.generate import generate_demo
from seamline.pipeline import run_pipeline
from seamline.seams.lineage import emit_run_events
from seamline.store import Store
from seamline.store.models import CheckResult, Run
from seamline.workspace import Workspace, load_workspace
from seamline.workspace.models import LineageSpec


@dataclass
class Demo:
    ws: Workspace
    store: Store
    run_id: int


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    root = tmp_path_factory.mktemp("lineage") / "demo"
    generate_demo(root, people=300)
    ws = load_workspace(root, env={})
    with Store.open(ws.store_url(env={})) as store:
        summary = run_pipeline(ws, store)
        assert summary.exit_code == 0, [s.messages for s in summary.stages]
        yield Demo(ws, store, summary.run_id)


def with_lineage(ws: Workspace, **lineage: Any) -> Workspace:
    project = ws.project.model_copy(update={"lineage": LineageSpec(**lineage)})
    return dataclasses.replace(ws, project=project)


def read_events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def test_file_events_carry_datasets_schemas_and_quality(demo: Demo, tmp_path: Path) -> None:
    ws = with_lineage(demo.ws, path=str(tmp_path / "ol" / "events.jsonl"))
    result = emit_run_events(ws, demo.store, demo.run_id)
    assert result.error is None
    events = read_events(tmp_path / "ol" / "events.jsonl")
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"]
    start, end = events
    assert start["run"]["runId"] == end["run"]["runId"]
    assert start["eventTime"] <= end["eventTime"]
    assert end["job"] == {**end["job"], "namespace": "seamline", "name": f"{ws.name}.run"}
    assert end["job"]["facets"]["jobType"]["processingType"] == "BATCH"
    data = ws.data_dir.resolve()
    landing = {str(data / "landing" / f"{d}.parquet") for d in ws.datasets}
    assert {i["name"] for i in end["inputs"]} == landing
    assert all(i["namespace"] == "file" for i in end["inputs"])
    outputs = {o["name"]: o for o in end["outputs"]}
    harmonized = str(data / "harmonized" / "civil_persons.parquet")
    reference = {str(p) for p in (data / "reference").glob("*.parquet")}
    assert reference  # the demo run builds golden records
    assert set(outputs) == {
        *(str(data / "harmonized" / f"{d}.parquet") for d in ws.datasets),
        *reference,
    }
    # Schema facets list the Parquet columns and their types, in order.
    schema = pq.read_schema(harmonized)
    fields = outputs[harmonized]["facets"]["schema"]["fields"]
    assert [(f["name"], f["type"]) for f in fields] == [(f.name, str(f.type)) for f in schema]
    # Inputs: row counts and null counts from the footer agree with the data.
    persons = next(i for i in end["inputs"] if i["name"].endswith("civil_persons.parquet"))
    metrics = persons["inputFacets"]["dataQualityMetrics"]
    table = pq.read_table(persons["name"])
    assert metrics["rowCount"] == table.num_rows
    column = table.column_names[2]
    assert metrics["columnMetrics"][column]["nullCount"] == table.column(column).null_count
    stats = outputs[harmonized]["outputFacets"]["outputStatistics"]
    assert stats["rowCount"] == pq.read_metadata(harmonized).num_rows
    # Contract results of the run's check stage travel as assertions on the provider.
    with demo.store.session() as s:
        check = s.scalar(select(Run.id).where(Run.parent_id == demo.run_id, Run.stage == "check"))
        recorded = {
            f"{r.seam}/{r.rule}": r.status == "pass"
            for r in s.scalars(select(CheckResult).where(CheckResult.run_id == check))
            if ws.seams[r.seam].provider == "civil_persons"
        }
    assert recorded
    assertions = outputs[harmonized]["facets"]["dataQualityAssertions"]["assertions"]
    assert {a["name"]: a["success"] for a in assertions} == recorded
    assert {"civil-to-tax/unique:national_id"} <= set(recorded)
    assert (
        next(a for a in assertions if a["name"] == "civil-to-tax/unique:national_id")["assertion"]
        == "unique"
    )


def test_a_second_emit_appends_with_the_same_run_id(demo: Demo, tmp_path: Path) -> None:
    ws = with_lineage(demo.ws, path=str(tmp_path / "events.jsonl"))
    emit_run_events(ws, demo.store, demo.run_id)
    emit_run_events(ws, demo.store, demo.run_id)
    events = read_events(tmp_path / "events.jsonl")
    assert len(events) == 4
    assert len({e["run"]["runId"] for e in events}) == 1


def test_a_failed_run_ends_with_a_fail_event(demo: Demo, tmp_path: Path) -> None:
    run = demo.store.start_run("run", workspace=demo.ws.name)
    demo.store.finish_run(run, "failed", message="civil_persons: the source file is missing")
    ws = with_lineage(demo.ws, path="lineage/events.jsonl")
    ws = dataclasses.replace(ws, root=tmp_path)
    emit_run_events(ws, demo.store, run, datasets=["civil_persons"])
    events = read_events(tmp_path / "lineage" / "events.jsonl")
    assert [e["eventType"] for e in events] == ["START", "FAIL"]
    error = events[1]["run"]["facets"]["errorMessage"]
    assert error["message"] == "civil_persons: the source file is missing"


def test_http_transport_posts_both_events(demo: Demo) -> None:
    received: list[tuple[str, dict[str, Any]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, json.loads(body)))
            self.send_response(201)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        ws = with_lineage(demo.ws, transport="http", url=url)
        result = emit_run_events(ws, demo.store, demo.run_id)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert result.error is None
    assert [p for p, _ in received] == ["/api/v1/lineage"] * 2
    assert [b["eventType"] for _, b in received] == ["START", "COMPLETE"]


def test_an_unreachable_lineage_server_is_reported_not_raised(demo: Demo) -> None:
    ws = with_lineage(demo.ws, transport="http", url="http://127.0.0.1:9")
    result = emit_run_events(ws, demo.store, demo.run_id)
    assert result.error is not None
    assert len(result.events) == 2


def test_transport_none_sends_nothing(demo: Demo, tmp_path: Path) -> None:
    ws = with_lineage(demo.ws, transport="none", path=str(tmp_path / "events.jsonl"))
    result = emit_run_events(ws, demo.store, demo.run_id)
    assert result.events == []
    assert not (tmp_path / "events.jsonl").exists()
