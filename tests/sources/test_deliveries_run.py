"""Deliveries across real runs: a queue on the real RabbitMQ, idle polls, killed runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pika
import pyarrow.parquet as pq
import pytest

from seamline.crypto.parquet import PLAIN
from seamline.pipeline import ConnectStage, run_pipeline
from seamline.sources.amqp import AmqpOptions
from seamline.sources.base import ReadContext
from seamline.sources.deliveries import current_state, deliver
from seamline.store import Store
from seamline.workspace import load_workspace
from seamline.workspace.template import write_example


def seamline(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SEAMLINE_STORE"}
    env["COLUMNS"] = "220"
    return subprocess.run(
        [sys.executable, "-m", "seamline", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )


@pytest.fixture
def queue(amqp_url: str) -> Iterator[tuple[str, str]]:
    name = f"seamline-deliveries-{uuid.uuid4().hex[:10]}"
    conn = pika.BlockingConnection(pika.URLParameters(amqp_url))
    ch = conn.channel()
    ch.queue_declare(queue=name, durable=False, auto_delete=False)
    try:
        yield amqp_url, name
    finally:
        ch.queue_delete(queue=name)
        conn.close()


def publish(url: str, queue: str, first: int, n: int) -> None:
    conn = pika.BlockingConnection(pika.URLParameters(url))
    ch = conn.channel()
    for i in range(first, first + n):
        body = json.dumps({"citizen_id": i, "name": f"Citizen {i}"}).encode()
        ch.basic_publish(exchange="", routing_key=queue, body=body)
    conn.close()


@pytest.mark.rabbitmq
def test_a_queue_keeps_every_acknowledged_message_across_runs(
    tmp_path: Path, queue: tuple[str, str]
) -> None:
    """Issue: publish 1,000, run, publish 1,000, run: the state must hold all 2,000."""
    url, name = queue
    options = AmqpOptions.model_validate(
        {"kind": "amqp", "url": url, "queue": name, "idle_timeout": 0.3, "key": ["citizen_id"]}
    )
    with Store.open(f"sqlite:///{tmp_path}/store.db") as store:

        def poll() -> tuple[str, int | None]:
            done = deliver(
                store, "citizens", options, tmp_path / "data", ReadContext(tmp_path, "citizens"),
                run_id=None,
                files=PLAIN,
            )  # fmt: skip
            return done.status, done.state_rows

        publish(url, name, 1, 1000)
        assert poll() == ("ok", 1000)
        publish(url, name, 1001, 1000)
        assert poll() == ("ok", 2000)
        assert poll() == ("empty", 2000)  # an idle poll keeps the state
        publish(url, name, 1991, 20)  # ten ids seen before, ten new ones
        assert poll() == ("ok", 2010)
        kept = store.deliveries("citizens")
    path = current_state(tmp_path / "data", "citizens")
    assert path is not None
    table = pq.read_table(path)
    ids = table.column("citizen_id").to_pylist()
    assert sorted(ids) == list(range(1, 2011))
    record_nos = table.column("_record_no").to_pylist()
    assert len(set(record_nos)) == 2010
    assert [d.mode for d in kept] == ["append"] * 4
    assert [(d.status, d.read, d.first_record_no) for d in kept] == [
        ("ok", 1000, 1),
        ("ok", 1000, 1001),
        ("empty", 0, 2001),
        ("ok", 20, 2001),
    ]


def test_an_idle_poll_is_a_successful_run_that_keeps_the_state(tmp_path: Path) -> None:
    ws = tmp_path / "program"
    write_example(ws)
    first = seamline("run", str(ws))
    assert first.returncode == 0, first.stderr + first.stdout
    landing = ws / ".seamline" / "data" / "landing" / "civil_persons.parquet"
    rows = pq.read_table(landing).num_rows
    (ws / "data" / "persons.csv").write_text(
        "pin,family_name,given_name,birth_date,marital\n", encoding="utf-8"
    )
    second = seamline("run", str(ws))
    text = second.stdout + second.stderr
    assert second.returncode == 0, text
    assert (
        f"no new data: the source delivered nothing; the current state ({rows} rows) is kept"
        in text
    )
    assert "maps column" not in text
    # An idle poll is no schema change: no column is reported missing.
    assert "missing from the latest delivery" not in text
    assert pq.read_table(landing).num_rows == rows
    listed = seamline("deliveries", "civil_persons", "-w", str(ws))
    assert listed.returncode == 0, listed.stderr
    lines = [line for line in listed.stdout.splitlines() if "snapshot" in line]
    assert len(lines) == 2
    assert "empty" in lines[0] and "│ no " in lines[0]
    assert "ok" in lines[1] and "│ yes " in lines[1] and f"│ {rows} " in lines[1]
    shown = seamline("read", "civil_persons", "-w", str(ws), "--landed")
    assert shown.returncode == 0, shown.stderr
    assert f"read {rows} records: {rows} accepted, 0 quarantined" in shown.stderr
    assert "Toktogulova" in shown.stdout


SLEEPER = """
import sys, time
from pathlib import Path
from seamline.sources.deliveries import delivery_file
from seamline.store import Store
with Store.open(sys.argv[1]) as store:
    run = store.start_run("run", workspace="pilot")
    did = store.start_delivery("civil_persons", run_id=run, mode="snapshot", first_record_no=1)
    final = delivery_file(Path(sys.argv[2]), "civil_persons", did)
    final.parent.mkdir(parents=True, exist_ok=True)
    final.with_name(final.name + ".partial").write_bytes(b"PAR1 half-written")
    print(run, flush=True)
    time.sleep(120)
"""


def test_a_run_killed_mid_way_is_marked_aborted_by_the_next_run(tmp_path: Path) -> None:
    ws = tmp_path / "program"
    write_example(ws)
    workspace = load_workspace(ws)
    url = workspace.store_url()
    with Store.open(url):
        pass  # the schema exists before two processes use the store
    proc = subprocess.Popen(
        [sys.executable, "-c", SLEEPER, url, str(workspace.data_dir)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        killed = int(proc.stdout.readline())
        with Store.open(url) as store:
            assert store.abort_dead_runs() == []  # alive: left alone
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()
    with Store.open(url) as store:
        summary = run_pipeline(workspace, store, stages=[ConnectStage()])
        runs = {r.id: r for r in store.list_runs()}
        delivered = store.deliveries("civil_persons")
    assert runs[killed].status == "aborted"
    assert f"the process {proc.pid}" in (runs[killed].message or "")
    assert runs[summary.run_id].status == "ok"
    assert [(d.status, d.in_state) for d in delivered] == [("aborted", False), ("ok", True)]
    folder = workspace.data_dir / "landing" / "civil_persons"
    assert sorted(p.name for p in folder.iterdir()) == [f"{delivered[1].id:06d}.parquet"]


@pytest.fixture
def nats_stream(nats_url: str) -> Iterator[tuple[str, str, str]]:
    import asyncio

    import nats

    tag = uuid.uuid4().hex[:10]
    name, subject = f"SEAMLINE_DELIVERIES_{tag}", f"seamline.deliveries.{tag}"

    async def call(what: str, *args: object, **kwargs: object) -> None:
        nc = await nats.connect(nats_url)
        try:
            await getattr(nc.jetstream(), what)(*args, **kwargs)
        finally:
            await nc.close()

    asyncio.run(call("add_stream", name=name, subjects=[subject]))
    try:
        yield nats_url, name, subject
    finally:
        asyncio.run(call("delete_stream", name))


def nats_publish(url: str, subject: str, first: int, n: int) -> None:
    import asyncio

    import nats

    async def go() -> None:
        nc = await nats.connect(url)
        try:
            js = nc.jetstream()
            for i in range(first, first + n):
                await js.publish(subject, json.dumps({"payment_id": i}).encode())
        finally:
            await nc.close()

    asyncio.run(go())


@pytest.mark.nats
def test_a_nats_stream_keeps_every_acknowledged_message_across_runs(
    tmp_path: Path, nats_stream: tuple[str, str, str]
) -> None:
    from seamline.sources.nats import NatsOptions

    url, name, subject = nats_stream
    options = NatsOptions.model_validate(
        {
            "kind": "nats",
            "url": url,
            "stream": name,
            "subject": subject,
            "durable": f"landing_{name.lower()}",
            "idle_timeout": 0.5,
            "key": ["payment_id"],
        }
    )
    state: dict[str, object] = {}
    with Store.open(f"sqlite:///{tmp_path}/store.db") as store:

        def poll() -> tuple[str, int | None]:
            nonlocal state
            done = deliver(
                store, "payments", options, tmp_path / "data",
                ReadContext(tmp_path, "payments", state=dict(state)), run_id=None,
                files=PLAIN,
            )  # fmt: skip
            if done.landing.committed:
                state = done.landing.state
            return done.status, done.state_rows

        nats_publish(url, subject, 1, 1000)
        assert poll() == ("ok", 1000)
        nats_publish(url, subject, 1001, 1000)
        assert poll() == ("ok", 2000)
        assert poll() == ("empty", 2000)
    path = current_state(tmp_path / "data", "payments")
    assert path is not None
    ids = pq.read_table(path).column("payment_id").to_pylist()
    assert sorted(ids) == list(range(1, 2001))
