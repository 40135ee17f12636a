"""The amqp source against the real RabbitMQ broker."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pika
import pyarrow as pa
import pytest

from seamline.errors import SourceError
from seamline.plugins import Registry
from seamline.sources.amqp import AmqpOptions, AmqpReader, register
from seamline.sources.base import Batch, ReadContext

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

    def publish(self, bodies: list[bytes]) -> None:
        for body in bodies:
            self.ch.basic_publish(exchange="", routing_key=self.queue, body=body)

    def ready(self) -> int:
        return int(self.ch.queue_declare(queue=self.queue, passive=True).method.message_count)

    def close(self) -> None:
        self.ch.queue_delete(queue=self.queue)
        self.conn.close()


@pytest.fixture
def broker(amqp_url: str) -> Iterator[Broker]:
    b = Broker(amqp_url, f"seamline-test-{uuid.uuid4().hex[:10]}")
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


def test_crash_before_commit_loses_and_duplicates_nothing(broker: Broker) -> None:
    n = 120
    broker.publish([*bodies(n), b"not json at all"])
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "queue_crash_reader.py"), "amqp", broker.url, broker.queue],
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

    r = reader(broker, batch_size=50, idle_timeout=1.0)
    batches = list(r.batches())
    r.commit()
    ids = accepted(batches).column("citizen_id").to_pylist()
    assert sorted(ids) == list(range(1, n + 1))  # every message, exactly once
    assert sum(len(b.quarantined) for b in batches) == 1
    assert broker.ready() == 0


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
