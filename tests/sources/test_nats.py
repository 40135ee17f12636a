"""The nats source against the real NATS JetStream server."""

from __future__ import annotations

import asyncio
import datetime as dt
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

from seamline.crypto.parquet import PLAIN
from seamline.errors import SourceError
from seamline.plugins import Registry
from seamline.sources.base import Batch, ReadContext
from seamline.sources.landing import land
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
    dead_stream: str
    dead_subject: str

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

    def dead(self) -> list[tuple[bytes, dict[str, str]]]:
        """The messages of the dead-letter stream, in order, with their headers."""

        async def go() -> list[tuple[bytes, dict[str, str]]]:
            nc = await nats.connect(self.url)
            try:
                js = nc.jetstream()
                info = await js.stream_info(self.dead_stream)
                out = []
                for seq in range(1, info.state.last_seq + 1):
                    msg = await js.get_msg(self.dead_stream, seq)
                    out.append((bytes(msg.data or b""), dict(msg.headers or {})))
                return out
            finally:
                await nc.close()

        return asyncio.run(go())

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
    s = Stream(
        nats_url,
        f"SEAMLINE_SOURCES_{tag}",
        f"seamline.sources.{tag}.payments",
        f"landing_{tag}",
        f"SEAMLINE_SOURCES_DEAD_{tag}",
        f"seamline.sources.{tag}.dead",
    )
    s._call("add_stream", name=s.name, subjects=[s.subject])
    s._call("add_stream", name=s.dead_stream, subjects=[s.dead_subject])
    try:
        yield s
    finally:
        s._call("delete_stream", s.name)
        s._call("delete_stream", s.dead_stream)


def accepted(batches: list[Batch]) -> pa.Table:
    return pa.Table.from_batches([b.data for b in batches if b.data.num_rows])


def test_a_delivery_is_as_fresh_as_the_newest_message_the_stream_stored(stream: Stream) -> None:
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    stream.publish([payment(1), payment(2)])
    after = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    idle = stream.reader()
    assert idle.source_time() is None  # nothing read yet: nothing tells
    r = stream.reader()
    list(r.batches())
    r.commit()
    when = r.source_time()
    assert when is not None
    assert when.basis == "message time"
    assert before <= when.at <= after
    assert when.at.tzinfo is not None


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


@pytest.mark.parametrize("dead_letter", [False, True], ids=["quarantine", "dead-letter"])
def test_crash_before_commit_rerun_at_once_takes_everything_back(
    stream: Stream, dead_letter: bool
) -> None:
    """kill -9 after reading, before commit; an immediate rerun lands every message once.

    The consumer is the reader's own (ack_wait 300 s): the rerun must not wait for it.
    """
    n = 150
    stream.publish([payment(i) for i in range(1, n + 1)] + [b"not json"])
    argv = [stream.url, stream.name, stream.subject, stream.durable]
    if dead_letter:
        argv.append(stream.dead_subject)
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "queue_crash_reader.py"), "nats", *argv],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == f"READ {n + 1}"
        info = stream.consumer()
        assert info.config.ack_wait == 300
        assert info.num_ack_pending == (n if dead_letter else n + 1)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL

    started = time.monotonic()
    r = stream.reader(batch_size=64, idle_timeout=1.0, dead_letter_subject=stream.dead_subject)
    batches = list(r.batches())
    r.commit()
    seconds = time.monotonic() - started
    table = accepted(batches)
    ids = table.column("payment_id").to_pylist()
    assert sorted(ids) == list(range(1, n + 1))  # every message, exactly once
    assert table.column("_message_id").to_pylist() == [str(i) for i in ids]  # stream sequence
    assert r.reclaimed == (n if dead_letter else n + 1)
    assert r.metadata()["reclaimed"] == str(r.reclaimed)
    assert seconds < 5  # not the 300 s of ack_wait
    assert sum(len(b.quarantined) for b in batches) == (0 if dead_letter else 1)
    assert [body for body, _ in stream.dead()] == [b"not json"]
    info = stream.consumer()
    assert info.num_ack_pending == 0
    assert info.num_pending == 0
    assert info.config.ack_wait == 300  # set back after the reclaim


def test_a_run_that_died_while_reclaiming_is_repaired(stream: Stream) -> None:
    config = api.ConsumerConfig(
        durable_name=stream.durable, ack_wait=0.5, max_ack_pending=-1, filter_subject=stream.subject
    )
    stream._call("add_consumer", stream.name, config)
    stream.publish([payment(i) for i in range(1, 11)])
    held = stream.reader(max_messages=4)
    assert sum(b.read for b in held.batches()) == 4
    held.close()  # never acknowledged
    r = stream.reader(batch_size=50)
    table = accepted(list(r.batches()))
    r.commit()
    assert sorted(table.column("payment_id").to_pylist()) == list(range(1, 11))
    assert stream.consumer().config.ack_wait == 300


def test_dead_letter_takes_poison_out_at_once(stream: Stream) -> None:
    good = [payment(i) for i in range(1, 41)]
    bad = [b"PAYMENT;6;broken", b'"just a string"', b'{"payment_id": "not a number"}']
    stream.publish([*good[:5], bad[0], *good[5:], bad[1], bad[2]])
    r = stream.reader(dead_letter_subject=stream.dead_subject)
    batches = list(r.batches())
    assert [q.position for b in batches for q in b.quarantined] == [
        "message 6",
        "message 42",
        "message 43",
    ]
    assert r.dead_lettered == 3
    dead = stream.dead()
    assert [body for body, _ in dead] == bad
    headers = [h for _, h in dead]
    assert [h["Seamline-Sequence"] for h in headers] == ["6", "42", "43"]
    assert "not JSON" in headers[0]["Seamline-Reason"]
    assert "expected an object" in headers[1]["Seamline-Reason"]
    assert "field payment_id" in headers[2]["Seamline-Reason"]
    assert headers[0]["Seamline-Stream"] == stream.name
    assert stream.consumer().num_ack_pending == 40  # only the good ones wait for commit

    r.close()  # no commit: the good ones come back, the poison ones do not
    again = stream.reader(batch_size=100)
    batches = list(again.batches())
    again.commit()
    assert accepted(batches).num_rows == 40
    assert not any(b.quarantined for b in batches)
    assert stream.consumer().num_ack_pending == 0


def test_a_bad_batch_fails_one_run_and_does_not_stall(stream: Stream, tmp_path: Path) -> None:
    stream.publish([*[payment(i) for i in range(1, 21)], *[b"broken %d" % i for i in range(5)]])
    options = NatsOptions.model_validate(
        {
            "url": stream.url,
            "stream": stream.name,
            "subject": stream.subject,
            "durable": stream.durable,
            "idle_timeout": 0.5,
            "dead_letter_subject": stream.dead_subject,
        }
    )
    ctx = ReadContext(base_dir=tmp_path, dataset="payments", batch_size=10)
    first = land("payments", options, tmp_path, ctx, max_quarantine_share=0.05, files=PLAIN)
    assert first.failed is not None and first.quarantined == 5 and first.landed == 20
    assert len(stream.dead()) == 5
    second = land("payments", options, tmp_path, ctx, max_quarantine_share=0.05, files=PLAIN)
    assert second.ok and second.landed == 20 and second.quarantined == 0
    info = stream.consumer()
    assert info.num_ack_pending == 0 and info.num_pending == 0


def test_dead_letter_subject_must_differ() -> None:
    with pytest.raises(ValueError, match="must differ"):
        NatsOptions(kind="nats", stream="S", subject="a.b", durable="d", dead_letter_subject="a.b")


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
