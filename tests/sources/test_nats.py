"""The nats source against the real NATS JetStream server."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nats
import pyarrow as pa
import pytest
from nats.js import api

from seamline.errors import SourceError
from seamline.plugins import Registry
from seamline.sources.base import Batch, ReadContext
from seamline.sources.nats import NatsOptions, NatsReader, register

pytestmark = pytest.mark.nats

HERE = Path(__file__).parent


def payment(i: int) -> bytes:
    names = ["Aigul Toktogulova", "Nurlan Abenov", "Светлана Иванова", "Dana Omarov"]
    body = {"payment_id": i, "payer": names[i % 4], "amount": i * 10, "agency": {"code": "STS"}}
    return json.dumps(body, ensure_ascii=False).encode()


@dataclass
class Stream:
    url: str
    name: str
    subject: str
    durable: str

    def _call(self, what: str, *args: object, **kwargs: object) -> object:
        async def go() -> object:
            nc = await nats.connect(self.url)
            try:
                return await getattr(nc.jetstream(), what)(*args, **kwargs)
            finally:
                await nc.close()

        return asyncio.run(go())

    def publish(self, bodies: list[bytes]) -> None:
        async def go() -> None:
            nc = await nats.connect(self.url)
            try:
                js = nc.jetstream()
                for body in bodies:
                    await js.publish(self.subject, body)
            finally:
                await nc.close()

        asyncio.run(go())

    def consumer(self) -> api.ConsumerInfo:
        info = self._call("consumer_info", self.name, self.durable)
        assert isinstance(info, api.ConsumerInfo)
        return info

    def reader(self, batch_size: int = 20, **opts: object) -> NatsReader:
        options = NatsOptions.model_validate(
            {
                "kind": "nats",
                "url": self.url,
                "stream": self.name,
                "subject": self.subject,
                "durable": self.durable,
                "idle_timeout": 0.5,
                **opts,
            }
        )
        return NatsReader(
            options, ReadContext(base_dir=HERE, dataset="payments", batch_size=batch_size)
        )


@pytest.fixture
def stream(nats_url: str) -> Iterator[Stream]:
    tag = uuid.uuid4().hex[:10]
    s = Stream(nats_url, f"SEAMLINE_T_{tag}", f"seamline.test.{tag}.payments", f"landing_{tag}")
    s._call("add_stream", name=s.name, subjects=[s.subject])
    try:
        yield s
    finally:
        s._call("delete_stream", s.name)


def accepted(batches: list[Batch]) -> pa.Table:
    return pa.Table.from_batches([b.data for b in batches if b.data.num_rows])


def test_reads_json_quarantines_the_rest_and_acks_only_on_commit(stream: Stream) -> None:
    good = [payment(i) for i in range(1, 61)]
    stream.publish([*good[:5], b"PAYMENT;6;broken", *good[5:], b'"just a string"'])
    r = stream.reader()
    batches = list(r.batches())
    table = accepted(batches)
    assert table.column("payment_id").to_pylist() == list(range(1, 61))
    assert table.column("agency_code").to_pylist()[0] == "STS"
    assert table.column("payer").to_pylist()[1] == "Светлана Иванова"
    assert table.schema.field("amount").type == pa.int64()
    assert table.column("_source_pos").to_pylist()[5] == "message 7"
    quarantined = [q for b in batches for q in b.quarantined]
    assert [(q.position, q.raw) for q in quarantined] == [
        ("message 6", b"PAYMENT;6;broken"),
        ("message 62", b'"just a string"'),
    ]
    assert sum(b.read for b in batches) == 62

    info = stream.consumer()
    assert info.num_ack_pending == 62
    assert info.num_pending == 0
    r.commit()
    info = stream.consumer()
    assert info.num_ack_pending == 0
    assert info.num_pending == 0

    stream.publish([payment(100)])
    later = stream.reader(max_messages=5)
    assert accepted(list(later.batches())).column("payment_id").to_pylist() == [100]
    later.commit()


def test_max_messages_and_close_without_commit(stream: Stream) -> None:
    stream.publish([payment(i) for i in range(1, 31)])
    r = stream.reader(batch_size=8, max_messages=20)
    batches = list(r.batches())
    assert [b.read for b in batches] == [8, 8, 4]
    r.close()
    assert stream.consumer().num_ack_pending == 20  # held until ack_wait, never acked


def test_crash_before_commit_loses_and_duplicates_nothing(stream: Stream) -> None:
    # The operator's consumer: short ack_wait so the server redelivers quickly.
    config = api.ConsumerConfig(
        durable_name=stream.durable, ack_wait=1.0, max_ack_pending=-1, filter_subject=stream.subject
    )
    stream._call("add_consumer", stream.name, config)
    n = 150
    stream.publish([payment(i) for i in range(1, n + 1)] + [b"not json"])
    argv = [stream.url, stream.name, stream.subject, stream.durable]
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "queue_crash_reader.py"), "nats", *argv],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == f"READ {n + 1}"
        assert stream.consumer().num_ack_pending == n + 1
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL

    time.sleep(1.2)  # past ack_wait: everything is due for redelivery
    r = stream.reader(batch_size=64, idle_timeout=1.5)
    batches = list(r.batches())
    r.commit()
    ids = accepted(batches).column("payment_id").to_pylist()
    assert sorted(ids) == list(range(1, n + 1))  # every message, exactly once
    assert sum(len(b.quarantined) for b in batches) == 1
    info = stream.consumer()
    assert info.num_ack_pending == 0
    assert info.num_pending == 0


def test_missing_stream_and_unreachable_server(nats_url: str) -> None:
    opts = NatsOptions(
        kind="nats", url=nats_url, stream="NO_SUCH_STREAM_X", subject="x.y", durable="d"
    )
    with pytest.raises(SourceError, match="does not exist"):
        list(NatsReader(opts, ReadContext(base_dir=HERE)).batches())
    down = NatsOptions(
        kind="nats", url="nats://tax:S3cret-N@127.0.0.1:1", stream="S", subject="s", durable="d"
    )
    r = NatsReader(down, ReadContext(base_dir=HERE))
    with pytest.raises(SourceError, match="cannot connect") as err:
        list(r.batches())
    assert "S3cret-N" not in str(err.value)
    assert "S3cret-N" not in r.describe()


def test_registers_connector() -> None:
    registry = Registry()
    register(registry)
    assert registry.connector("nats") is NatsReader
