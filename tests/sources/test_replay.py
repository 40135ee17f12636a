"""Replay: ten runs per incremental source kind on the real services, one killed with SIGKILL.

Each test publishes deliveries of 50-150 records, leaves two runs with nothing new, puts
one poison batch (queues: messages that are not JSON; SQL: rows on the watermark's edge
and without a watermark), kills one run at a random moment and starts it again at once.
At the end the current state holds every good record published exactly once, every
record sits in a kept delivery, and the deliveries add up. The seed is printed (``-s``)
and kept in the failure message; ``SEAMLINE_REPLAY_SEED`` replays one.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pyarrow.parquet as pq
import pytest

from seamline.sources.deliveries import current_state, delivery_rows
from seamline.store import Store

sys.path.insert(0, str(Path(__file__).parent))
from replay_child import connect_once

CHILD = str(Path(__file__).with_name("replay_child.py"))
ID = "record_id"


class Feed(Protocol):
    options: dict[str, Any]

    def publish(self, ids: list[int], batch: int) -> None: ...

    def poison(self, n: int, batch: int) -> int:
        """Publish an awkward batch; return how many records it must quarantine."""
        ...

    def dead_lettered(self) -> int | None: ...


@dataclass
class Replay:
    seed: int
    published: list[int] = field(default_factory=list)
    quarantined: int = 0
    killed_mid_run: int = 0
    outputs: list[str] = field(default_factory=list)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[2] / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    return env


def _deliveries(tmp_path: Path, dataset: str) -> int:
    """How many deliveries of ``dataset`` the store holds (read directly, while a run writes)."""
    with contextlib.closing(sqlite3.connect(tmp_path / "store.db", timeout=30)) as db:
        (n,) = db.execute(
            "SELECT count(*) FROM deliveries WHERE dataset = ?", (dataset,)
        ).fetchone()
    return int(n)


def replay(feed: Feed, tmp_path: Path, dataset: str) -> tuple[Replay, str]:
    seed = int(os.environ.get("SEAMLINE_REPLAY_SEED", random.randrange(2**32)))
    print(f"replay {dataset}: seed {seed}")
    rng = random.Random(seed)
    report = Replay(seed)
    url = f"sqlite:///{tmp_path}/store.db"
    with Store.open(url):
        pass  # the schema exists before the runs use the store
    argv = [sys.executable, CHILD, url, str(tmp_path / "data"), dataset, json.dumps(feed.options)]
    empties = set(rng.sample(range(2, 11), 2))
    poison_run, kill_run = rng.sample([r for r in range(3, 11) if r not in empties], 2)
    durations: list[float] = []
    next_id = 1
    for run in range(1, 11):
        if run not in empties:
            n = rng.randint(50, 150)
            ids = list(range(next_id, next_id + n))
            next_id += n
            feed.publish(ids, run)
            report.published += ids
            if run == poison_run:
                report.quarantined += feed.poison(rng.randint(3, 8), run)
        if run == kill_run:
            # a random point of the delivery itself: from when the child has started it
            # (its row is in the store) to a little past the usual length of a run
            delay = rng.uniform(0.0, sorted(durations)[len(durations) // 2])
            before = _deliveries(tmp_path, dataset)
            proc = subprocess.Popen(argv, env=_env(), stdout=subprocess.PIPE, text=True)
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "started"
            deadline = time.monotonic() + 30
            while _deliveries(tmp_path, dataset) == before and time.monotonic() < deadline:
                if proc.poll() is not None:
                    break
                time.sleep(0.01)
            time.sleep(delay)
            if proc.poll() is None:
                report.killed_mid_run += 1
                os.kill(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate(timeout=60)
            report.outputs.append(f"run {run} killed after {delay:.2f}s: {out.strip()}")
        started = time.monotonic()
        with contextlib.redirect_stdout(io.StringIO()) as out:
            code = connect_once(url, str(tmp_path / "data"), dataset, feed.options)
        durations.append(time.monotonic() - started)
        report.outputs.append(f"run {run} ({durations[-1]:.1f}s): {out.getvalue().strip()}")
        assert code == 0, f"seed {seed}: " + "\n".join(report.outputs)
    return report, url


def check(report: Replay, store: Store, tmp_path: Path, dataset: str, feed: Feed) -> None:
    where = f"seed {report.seed}:\n" + "\n".join(report.outputs)
    path = current_state(tmp_path / "data", dataset)
    assert path is not None, where
    ids = [int(i) for i in pq.read_table(path, columns=[ID]).column(ID).to_pylist()]
    assert len(ids) == len(set(ids)), f"duplicates in the state; {where}"
    assert sorted(ids) == sorted(report.published), f"lost or extra records; {where}"
    rows = delivery_rows(store, dataset)
    statuses = {str(r["status"]) for r in rows}
    assert statuses <= {"ok", "empty", "failed", "aborted"}, where
    for r in rows:
        assert r["read"] == int(str(r["landed"])) + int(str(r["quarantined"])), where
    assert sum(int(str(r["quarantined"])) for r in rows) == report.quarantined, where
    # every published record sits in a delivery file that is kept and in the state
    delivered: set[int] = set()
    for d in store.deliveries(dataset):
        if d.in_state and d.path:
            column = pq.read_table(d.path, columns=[ID]).column(ID).to_pylist()
            delivered |= {int(i) for i in column if i is not None}
    assert delivered == set(report.published), where
    assert sum(1 for r in rows if r["status"] == "empty") >= 2, where
    dead = feed.dead_lettered()
    if dead is not None:
        assert dead == report.quarantined, where
        # the deliveries say so too (kept from the reader's metadata)
        noted = sum(int(d.metadata.get("dead_lettered", 0)) for d in store.deliveries(dataset))
        assert noted == report.quarantined, where
        assert any("dead-lettered to" in str(r["source"]) for r in rows), where
    aborted = sum(1 for r in rows if r["status"] == "aborted")
    print(
        f"replay {dataset}: seed {report.seed}, published {len(report.published)}, "
        f"in state {len(ids)}, duplicates {len(ids) - len(set(ids))}, "
        f"lost {len(set(report.published) - set(ids))}, quarantined {report.quarantined}, "
        f"killed mid-run {report.killed_mid_run}, deliveries {len(rows)} ({aborted} aborted)"
    )
    print("\n".join(report.outputs))


def body(i: int) -> bytes:
    return json.dumps({ID: i, "name": f"Person {i}"}).encode()


# -- AMQP ------------------------------------------------------------------------------


class AmqpFeed:
    def __init__(self, url: str, tag: str) -> None:
        import pika

        self.url, self.queue, self.dead = url, f"replay-{tag}", f"replay-{tag}-dead"
        self.conn = pika.BlockingConnection(pika.URLParameters(url))
        self.ch = self.conn.channel()
        for q in (self.queue, self.dead):
            self.ch.queue_declare(queue=q, durable=True)
        self.options = {
            "kind": "amqp",
            "url": url,
            "queue": self.queue,
            "idle_timeout": 0.3,
            "dead_letter": self.dead,
        }
        self.poisoned = 0

    def _send(self, message_id: str, payload: bytes) -> None:
        import pika

        props = pika.BasicProperties(message_id=message_id, delivery_mode=2)
        self.ch.basic_publish(exchange="", routing_key=self.queue, body=payload, properties=props)

    def publish(self, ids: list[int], batch: int) -> None:
        for i in ids:
            self._send(f"m{i}", body(i))

    def poison(self, n: int, batch: int) -> int:
        for k in range(n):
            self.poisoned += 1
            self._send(f"p{self.poisoned}", b"{not json " + str(k).encode())
        return n

    def dead_lettered(self) -> int | None:
        return int(self.ch.queue_declare(queue=self.dead, passive=True).method.message_count)

    def close(self) -> None:
        for q in (self.queue, self.dead):
            self.ch.queue_delete(queue=q)
        self.conn.close()


@pytest.mark.rabbitmq
def test_replay_amqp(tmp_path: Path, amqp_url: str) -> None:
    feed = AmqpFeed(amqp_url, f"replay-{uuid.uuid4().hex[:8]}")
    try:
        report, url = replay(feed, tmp_path, "claims")
        with Store.open(url) as store:
            check(report, store, tmp_path, "claims", feed)
    finally:
        feed.close()


@pytest.mark.rabbitmq
def test_a_run_killed_right_after_acknowledging_loses_nothing(
    tmp_path: Path, amqp_url: str
) -> None:
    """The messages were acknowledged, the delivery not yet recorded: the next run keeps it."""
    feed = AmqpFeed(amqp_url, f"replay-ack-{uuid.uuid4().hex[:8]}")
    url = f"sqlite:///{tmp_path}/store.db"
    with Store.open(url):
        pass
    try:
        feed.publish(list(range(1, 121)), 1)
        argv = [sys.executable, CHILD, url, str(tmp_path / "data"), "claims"]
        argv += [json.dumps(feed.options), "die-after-commit"]
        killed = subprocess.run(argv, env=_env(), capture_output=True, text=True, timeout=120)
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        feed.publish(list(range(121, 201)), 2)
        with contextlib.redirect_stdout(io.StringIO()):
            assert connect_once(url, str(tmp_path / "data"), "claims", feed.options) == 0
        with Store.open(url) as store:
            delivered = store.deliveries("claims")
        state = current_state(tmp_path / "data", "claims")
        assert state is not None
        ids = pq.read_table(state, columns=[ID]).column(ID).to_pylist()
        assert sorted(ids) == list(range(1, 201))
        assert [(d.status, d.landed, d.in_state) for d in delivered] == [
            ("ok", 120, True),
            ("ok", 80, True),
        ]
        assert "interrupted" in (delivered[0].message or "")
    finally:
        feed.close()


# -- NATS JetStream --------------------------------------------------------------------


class NatsFeed:
    def __init__(self, url: str, tag: str) -> None:
        self.url, self.stream, self.subject = url, f"REPLAY_{tag}", f"replay.{tag}"
        self.dead_stream, self.dead_subject = f"REPLAY_{tag}_DEAD", f"replay.{tag}.dead"
        self._js("add_stream", name=self.stream, subjects=[self.subject])
        self._js("add_stream", name=self.dead_stream, subjects=[self.dead_subject])
        self.options = {
            "kind": "nats",
            "url": url,
            "stream": self.stream,
            "subject": self.subject,
            "durable": f"replay_{tag}",
            "idle_timeout": 0.5,
            "dead_letter_subject": self.dead_subject,
        }

    def _js(self, what: str, *args: Any, **kwargs: Any) -> Any:
        import asyncio

        import nats

        async def go() -> Any:
            nc = await nats.connect(self.url)
            try:
                return await getattr(nc.jetstream(), what)(*args, **kwargs)
            finally:
                await nc.close()

        return asyncio.run(go())

    def _publish(self, payloads: list[bytes]) -> None:
        import asyncio

        import nats

        async def go() -> None:
            nc = await nats.connect(self.url)
            try:
                js = nc.jetstream()
                for p in payloads:
                    await js.publish(self.subject, p)
            finally:
                await nc.close()

        asyncio.run(go())

    def publish(self, ids: list[int], batch: int) -> None:
        self._publish([body(i) for i in ids])

    def poison(self, n: int, batch: int) -> int:
        self._publish([b"<not json/>"] * n)
        return n

    def dead_lettered(self) -> int | None:
        info = self._js("stream_info", self.dead_stream)
        return int(info.state.messages)

    def close(self) -> None:
        for s in (self.stream, self.dead_stream):
            self._js("delete_stream", s)


@pytest.mark.nats
def test_replay_nats(tmp_path: Path, nats_url: str) -> None:
    tag = f"replay_{uuid.uuid4().hex[:8]}"
    feed = NatsFeed(nats_url, tag)
    try:
        report, url = replay(feed, tmp_path, "payments")
        with Store.open(url) as store:
            check(report, store, tmp_path, "payments", feed)
    finally:
        feed.close()


# -- SQL (PostgreSQL, MariaDB) ---------------------------------------------------------


class SqlFeed:
    """A table read incrementally by ``changed_at``; the awkward batch sits on the edge."""

    def __init__(self, url: str, tag: str) -> None:
        import sqlalchemy as sa

        self.engine = sa.create_engine(url)
        self.table = sa.Table(
            f"replay_{tag}",
            sa.MetaData(),
            sa.Column(ID, sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("name", sa.String(40)),
            sa.Column("changed_at", sa.DateTime, nullable=True),
        )
        self.table.create(self.engine)
        self.options = {
            "kind": "sql",
            "url": url,
            "table": self.table.name,
            "watermark": "changed_at",
            "key": [ID],
        }
        self.last: Any = None
        self.pending_edge: list[int] = []

    def _insert(self, ids: list[int], when: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                self.table.insert(),
                [{ID: i, "name": f"Person {i}", "changed_at": when} for i in ids],
            )

    def publish(self, ids: list[int], batch: int) -> None:
        import datetime as dt

        self.last = dt.datetime(2026, 1, 1) + dt.timedelta(hours=batch)
        self._insert(ids, self.last)

    def poison(self, n: int, batch: int) -> int:
        # Not poison for a database (rows always decode): the edges instead. Rows with
        # the watermark of the batch just written, and rows without a watermark.
        ids = [900_000 + batch * 100 + k for k in range(n)]
        self._insert(ids[: n // 2], self.last)
        self._insert(ids[n // 2 :], None)
        self.extra = ids
        return 0

    def dead_lettered(self) -> int | None:
        return None

    def close(self) -> None:
        self.table.drop(self.engine)
        self.engine.dispose()


def _sql_replay(tmp_path: Path, url: str) -> None:
    feed = SqlFeed(url, uuid.uuid4().hex[:8])
    try:
        report, url = replay(feed, tmp_path, "taxpayers")
        report.published += getattr(feed, "extra", [])
        with Store.open(url) as store:
            check(report, store, tmp_path, "taxpayers", feed)
    finally:
        feed.close()


@pytest.mark.postgres
def test_replay_postgresql(tmp_path: Path, postgres_url: str) -> None:
    _sql_replay(tmp_path, postgres_url)


@pytest.mark.mariadb
def test_replay_mariadb(tmp_path: Path, mariadb_url: str) -> None:
    _sql_replay(tmp_path, mariadb_url)


# -- a folder of dropped files ---------------------------------------------------------


class FolderFeed:
    """CSV files dropped into a folder (written under a temporary name, then renamed)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True)
        self.options = {"kind": "folder", "path": "drops/*.csv", "format": "csv"}

    def _drop(self, name: str, text: str) -> None:
        partial = self.folder / (name + ".partial")
        partial.write_text(text)
        partial.rename(self.folder / name)

    def publish(self, ids: list[int], batch: int) -> None:
        lines = "".join(f"{i},Person {i}\n" for i in ids)
        self._drop(f"batch_{batch:03d}.csv", f"{ID},name\n{lines}")

    def poison(self, n: int, batch: int) -> int:
        lines = "".join(f"bad,row,{k},extra\n" for k in range(n))
        self._drop(f"poison_{batch:03d}.csv", f"{ID},name\n{lines}")
        return n

    def dead_lettered(self) -> int | None:
        return None


def test_replay_folder(tmp_path: Path) -> None:
    feed = FolderFeed(tmp_path / "drops")
    report, url = replay(feed, tmp_path, "drops")
    with Store.open(url) as store:
        check(report, store, tmp_path, "drops", feed)


def test_a_folder_run_killed_right_after_landing_loses_and_repeats_nothing(
    tmp_path: Path,
) -> None:
    """Killed before the run records the delivery and the files read: kept once, read again."""
    feed = FolderFeed(tmp_path / "drops")
    url = f"sqlite:///{tmp_path}/store.db"
    with Store.open(url):
        pass
    feed.publish(list(range(1, 61)), 1)
    argv = [sys.executable, CHILD, url, str(tmp_path / "data"), "drops"]
    argv += [json.dumps(feed.options), "die-after-commit"]
    killed = subprocess.run(argv, env=_env(), capture_output=True, text=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    feed.publish(list(range(61, 101)), 2)
    with contextlib.redirect_stdout(io.StringIO()):
        assert connect_once(url, str(tmp_path / "data"), "drops", feed.options) == 0
        assert connect_once(url, str(tmp_path / "data"), "drops", feed.options) == 0
    with Store.open(url) as store:
        delivered = store.deliveries("drops")
    state = current_state(tmp_path / "data", "drops")
    assert state is not None
    ids = [int(i) for i in pq.read_table(state, columns=[ID]).column(ID).to_pylist()]
    assert sorted(ids) == list(range(1, 101))
    # the killed run's delivery is kept; the next run read both files (the first again)
    assert [(d.status, d.landed) for d in delivered] == [("ok", 60), ("ok", 100), ("empty", 0)]
