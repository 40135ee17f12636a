"""The amqp source against the real RabbitMQ broker."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pika
import pyarrow as pa
import pytest

from seamline.crypto.parquet import PLAIN
from seamline.errors import SourceError
from seamline.plugins import Registry
from seamline.sources.amqp import AmqpOptions, AmqpReader, register
from seamline.sources.base import Batch, ReadContext
from seamline.sources.landing import land

pytestmark = pytest.mark.rabbitmq

HERE = Path(__file__).parent


def citizen(i: int) -> dict[str, object]:
    names = ["Aigul Toktogulova", "Nurlan Abenov", "Светлана Иванова", "Бакыт Садыков"]
    return {
        "citizen_id": i,
        "name": names[i % len(names)],
        "address": {"city": "Bishkek" if i % 2 else "Osh", "zip": f"7200{i % 10}"},
        "benefit": round(i * 1.25, 2),
        "agency": "State Tax Service",
    }


class Broker:
    def __init__(self, url: str, queue: str) -> None:
        self.url = url
        self.queue = queue
        self.conn = pika.BlockingConnection(pika.URLParameters(url))
        self.ch = self.conn.channel()
        self.ch.queue_declare(queue=queue, durable=False, auto_delete=False)

        self.dead_letter = f"{queue}-dead"

    def publish(self, bodies: list[bytes], ids: list[str] | None = None) -> None:
        for i, body in enumerate(bodies):
            props = pika.BasicProperties(message_id=ids[i]) if ids is not None else None
            self.ch.basic_publish(exchange="", routing_key=self.queue, body=body, properties=props)

    def ready(self) -> int:
        return int(self.ch.queue_declare(queue=self.queue, passive=True).method.message_count)

    def dead(self) -> list[tuple[bytes, pika.BasicProperties]]:
        """Everything in the dead-letter queue (taken off it)."""
        out: list[tuple[bytes, pika.BasicProperties]] = []
        while True:
            method, props, body = self.ch.basic_get(queue=self.dead_letter, auto_ack=True)
            if method is None:
                return out
            out.append((bytes(body), props))

    def close(self) -> None:
        self.ch.queue_delete(queue=self.queue)
        self.ch.queue_delete(queue=self.dead_letter)
        self.conn.close()


@pytest.fixture
def broker(amqp_url: str) -> Iterator[Broker]:
    b = Broker(amqp_url, f"seamline-sources-{uuid.uuid4().hex[:10]}")
    try:
        yield b
    finally:
        b.close()


def reader(broker: Broker, batch_size: int = 20, **opts: object) -> AmqpReader:
    options = AmqpOptions.model_validate(
        {"kind": "amqp", "url": broker.url, "queue": broker.queue, "idle_timeout": 0.3, **opts}
    )
    return AmqpReader(
        options, ReadContext(base_dir=HERE, dataset="citizens", batch_size=batch_size)
    )


def bodies(n: int) -> list[bytes]:
    return [json.dumps(citizen(i), ensure_ascii=False).encode() for i in range(1, n + 1)]


def accepted(batches: list[Batch]) -> pa.Table:
    return pa.Table.from_batches([b.data for b in batches if b.data.num_rows])


def test_reads_json_quarantines_the_rest_and_acks_only_on_commit(broker: Broker) -> None:
    good = bodies(50)
    bad = [b"<Person>not json</Person>", b"[1, 2]", b"\xff\xfe broken"]
    broker.publish([*good[:10], bad[0], *good[10:30], bad[1], *good[30:], bad[2]])
    r = reader(broker)
    batches = list(r.batches())
    table = accepted(batches)

    assert table.num_rows == 50
    assert table.column("citizen_id").to_pylist() == list(range(1, 51))
    assert table.column("address_city").to_pylist()[:2] == ["Bishkek", "Osh"]
    assert table.schema.field("benefit").type == pa.float64()
    assert table.column("name").to_pylist()[1] == "Светлана Иванова"
    assert table.column("_source_pos").to_pylist()[10] == "message 12"
    quarantined = [q for b in batches for q in b.quarantined]
    assert [q.position for q in quarantined] == ["message 11", "message 32", "message 53"]
    assert [q.raw for q in quarantined] == bad
    assert "not JSON" in quarantined[0].reason
    assert "expected an object" in quarantined[1].reason
    assert "UTF-8" in quarantined[2].reason
    assert sum(b.read for b in batches) == 53

    assert broker.ready() == 0  # all delivered, none acknowledged yet
    r.commit()
    second = reader(broker)
    assert sum(b.read for b in second.batches()) == 0
    second.commit()
    assert broker.ready() == 0


def test_close_without_commit_puts_everything_back(broker: Broker) -> None:
    broker.publish(bodies(30))
    r = reader(broker, max_messages=12)
    assert sum(b.read for b in r.batches()) == 12
    r.close()
    assert broker.ready() == 30
    again = reader(broker, batch_size=100)
    table = accepted(list(again.batches()))
    again.commit()
    assert sorted(table.column("citizen_id").to_pylist()) == list(range(1, 31))
    assert broker.ready() == 0


@pytest.mark.parametrize("dead_letter", [False, True], ids=["quarantine", "dead-letter"])
def test_crash_before_commit_loses_and_duplicates_nothing(
    broker: Broker, dead_letter: bool
) -> None:
    """kill -9 after reading, before commit: the broker redelivers; every message once."""
    n = 120
    ids = [f"tax-{i:05d}" for i in range(1, n + 2)]
    broker.publish([*bodies(n), b"not json at all"], ids)
    argv = [broker.url, broker.queue, *([broker.dead_letter] if dead_letter else [])]
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "queue_crash_reader.py"), "amqp", *argv],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line == f"READ {n + 1}"
        assert broker.ready() == 0  # the crashing reader holds them all, unacknowledged
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL

    started = time.monotonic()
    r = reader(broker, batch_size=50, idle_timeout=1.0, dead_letter=broker.dead_letter)
    batches = list(r.batches())
    r.commit()
    table = accepted(batches)
    assert sorted(table.column("citizen_id").to_pylist()) == list(range(1, n + 1))  # once each
    assert sorted(table.column("_message_id").to_pylist()) == ids[:n]
    assert time.monotonic() - started < 5  # redelivered at once, no timeout to wait out
    # The poison message was moved by the crashed run already (dead-letter) or is
    # quarantined now; either way exactly once.
    assert sum(len(b.quarantined) for b in batches) == (0 if dead_letter else 1)
    dead = broker.dead()
    assert [(body, p.message_id) for body, p in dead] == [(b"not json at all", ids[n])]
    assert broker.ready() == 0


def test_dead_letter_takes_poison_out_at_once(broker: Broker) -> None:
    good = bodies(40)
    bad = [b"<Person>not json</Person>", b"[1, 2]", b'{"citizen_id": "text, not a number"}']
    ids = [f"m{i}" for i in range(43)]
    broker.publish([*good[:10], bad[0], *good[10:30], bad[1], *good[30:], bad[2]], ids)
    r = reader(broker, dead_letter=broker.dead_letter)
    batches = list(r.batches())
    quarantined = [q for b in batches for q in b.quarantined]
    assert [q.position for q in quarantined] == ["message 11", "message 32", "message 43"]
    assert r.dead_lettered == 3
    assert r.metadata() == {"dead_letter": broker.dead_letter, "dead_lettered": "3"}
    dead = broker.dead()
    assert [body for body, _ in dead] == bad
    headers = [p.headers for _, p in dead]
    assert [h["x-seamline-position"] for h in headers] == ["message 11", "message 32", "message 43"]
    assert "not JSON" in headers[0]["x-seamline-reason"]
    assert "expected an object" in headers[1]["x-seamline-reason"]
    assert "field citizen_id" in headers[2]["x-seamline-reason"]
    assert {h["x-seamline-queue"] for h in headers} == {broker.queue}
    assert [p.message_id for _, p in dead] == ["m10", "m31", "m42"]
    assert [p.delivery_mode for _, p in dead] == [2, 2, 2]

    r.close()  # no commit: the good messages go back, the poison ones do not
    assert broker.ready() == 40
    again = reader(broker, batch_size=100, dead_letter=broker.dead_letter)
    batches = list(again.batches())
    again.commit()
    assert accepted(batches).num_rows == 40
    assert not any(b.quarantined for b in batches)
    assert broker.ready() == 0


def test_a_bad_batch_fails_one_run_and_does_not_stall_the_queue(
    broker: Broker, tmp_path: Path
) -> None:
    """Above the quarantine share the run fails; the rerun lands the good rows."""
    broker.publish([*bodies(20), *[b"broken %d" % i for i in range(5)]])
    options = AmqpOptions.model_validate(
        {
            "url": broker.url,
            "queue": broker.queue,
            "idle_timeout": 0.3,
            "dead_letter": broker.dead_letter,
        }
    )
    ctx = ReadContext(base_dir=tmp_path, dataset="citizens", batch_size=10)
    first = land("citizens", options, tmp_path, ctx, max_quarantine_share=0.05, files=PLAIN)
    assert first.failed is not None and first.quarantined == 5 and first.landed == 20
    assert len(broker.dead()) == 5
    second = land("citizens", options, tmp_path, ctx, max_quarantine_share=0.05, files=PLAIN)
    assert second.ok and second.landed == 20 and second.quarantined == 0
    assert broker.ready() == 0


def test_a_dead_letter_queue_deleted_mid_read_fails_the_read(broker: Broker) -> None:
    broker.publish([b"broken 1", b"broken 2", *bodies(3)])
    r = reader(broker, batch_size=1, dead_letter=broker.dead_letter)
    batches = r.batches()
    assert len(next(batches).quarantined) == 1  # moved to the dead-letter queue
    broker.ch.queue_delete(queue=broker.dead_letter)
    with pytest.raises(SourceError, match="could not move 1 poison messages") as err:
        next(batches)
    assert "unroutable" in str(err.value)
    r.close()
    assert broker.ready() == 4  # the second poison message and the good ones are back


def test_dead_letter_must_be_another_queue() -> None:
    with pytest.raises(ValueError, match="another queue"):
        AmqpOptions(kind="amqp", queue="people", dead_letter="people")


def test_missing_queue_and_unreachable_broker(amqp_url: str) -> None:
    missing = AmqpOptions(kind="amqp", url=amqp_url, queue=f"no-such-{uuid.uuid4().hex[:8]}")
    with pytest.raises(SourceError, match="does not exist"):
        list(AmqpReader(missing, ReadContext(base_dir=HERE)).batches())
    down = AmqpOptions(kind="amqp", url="amqp://tax:S3cret-Q@127.0.0.1:1/%2F", queue="people")
    r = AmqpReader(down, ReadContext(base_dir=HERE))
    with pytest.raises(SourceError, match="cannot connect") as err:
        list(r.batches())
    assert "S3cret-Q" not in str(err.value)
    assert "S3cret-Q" not in r.describe()


def test_registers_connector() -> None:
    registry = Registry()
    register(registry)
    assert registry.connector("amqp") is AmqpReader
