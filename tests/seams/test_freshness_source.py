"""Freshness is measured from the delivery itself, not from when seamline read it.

A provider that stops updating its file must go stale even though every nightly run
reads the file again; a queue's delivery is as fresh as its newest message.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pika
import pytest

from seamline.pipeline import run_pipeline
from seamline.seams import run_checks
from seamline.seams.report import CheckRow
from seamline.sources.deliveries import delivery_rows
from seamline.store import Store
from seamline.workspace import load_workspace

SEAM = """\
id: tax-to-social
provider: taxpayers
consumer: social-db
owner: {name: "Dana Ellsworth", agency: revenue}
agreement:
  reference: "DSA-7"
  purpose: benefit-check
  legal_basis: "State code (invented)"
  attributes: [family_name]
  starts: 2026-01-01
contract:
  freshness: {max_age: P1D}
"""

FILES = {
    "seamline.yaml": "name: freshness-test\ncountry: US\n",
    "agencies.yaml": (
        "agencies:\n"
        "  - {id: revenue, name: 'Department of Revenue (invented)'}\n"
        "  - {id: social, name: 'Social Services (invented)'}\n"
    ),
    "systems/rev.yaml": "id: rev-db\nname: Revenue\nagency: revenue\ninterface: batch-file\n",
    "systems/social.yaml": "id: social-db\nname: Social\nagency: social\ninterface: database\n",
    "seams/tax-to-social.yaml": SEAM,
}

CSV_DATASET = """\
id: taxpayers
title: Taxpayers
system: rev-db
owner: revenue
entity: Person
source: {kind: csv, path: data/taxpayers.csv}
fields:
  - {column: TIN}
  - {column: NAME, attribute: family_name}
"""

AMQP_DATASET = """\
id: taxpayers
title: Taxpayers
system: rev-db
owner: revenue
entity: Person
source: {kind: amqp, url: "${TAX_QUEUE_URL}", queue: "${TAX_QUEUE}", idle_timeout: 0.5}
fields:
  - {column: tin}
  - {column: name, attribute: family_name}
"""


def workspace(tmp_path: Path, dataset: str) -> Path:
    root = tmp_path / "ws"
    for name, text in {**FILES, "datasets/taxpayers.yaml": dataset}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def freshness(root: Path, store: Store, env: dict[str, str] | None = None) -> CheckRow:
    """Run the pipeline once (one delivery), then check the seam now; its freshness row."""
    ws = load_workspace(root, env=env or {})
    run_pipeline(ws, store, datasets=["taxpayers"])
    run_id = store.start_run("check", workspace=ws.name)
    report = run_checks(ws, store, ["tax-to-social"], run_id, now=dt.datetime.now(dt.UTC))
    store.finish_run(run_id, "ok")
    (row,) = [r for r in report.rows if r.rule == "freshness"]
    return row


def test_a_file_not_changed_for_three_days_goes_stale_though_read_again(tmp_path: Path) -> None:
    root = workspace(tmp_path, CSV_DATASET)
    data = root / "data" / "taxpayers.csv"
    data.parent.mkdir(parents=True)
    data.write_text("TIN,NAME\n100200300,Ellsworth\n100200301,Okafor\n", encoding="utf-8")
    with Store.open(f"sqlite:///{tmp_path / 'store.db'}") as store:
        first = freshness(root, store)
        assert first.status == "pass", first.message
        assert first.details["basis"] == "file modified"
        assert "modification time" in first.message
        assert first.observed is not None and first.observed < 0.5

        # The provider stops: the file is three days old, and tonight's run reads it again.
        three_days = (dt.datetime.now(dt.UTC) - dt.timedelta(days=3)).timestamp()
        os.utime(data, (three_days, three_days))
        stale = freshness(root, store)
        assert stale.status == "fail"
        assert stale.details["basis"] == "file modified"
        assert stale.observed is not None and 71.9 < stale.observed < 72.5
        assert "72.0 h old" in stale.message
        assert "the file's modification time" in stale.message
        # The read itself was just now: measured from it, the seam would have passed.
        history = store.deliveries("taxpayers")
        assert len(history) == 2
        assert (dt.datetime.now(dt.UTC) - aware(history[-1].started_at)).total_seconds() < 600
        # `seamline deliveries` shows when the file was last modified.
        shown = str(delivery_rows(store, "taxpayers")[0]["source"])
        modified = dt.datetime.fromtimestamp(three_days, dt.UTC)
        assert f"file modified {modified:%Y-%m-%d %H:%M} UTC" in shown


def aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


@pytest.fixture
def queue(amqp_url: str) -> Iterator[tuple[str, str]]:
    name = f"seamline-freshness-{uuid.uuid4().hex[:10]}"
    conn = pika.BlockingConnection(pika.URLParameters(amqp_url))
    ch = conn.channel()
    ch.queue_declare(queue=name, durable=False, auto_delete=False)
    try:
        yield amqp_url, name
    finally:
        ch.queue_delete(queue=name)
        conn.close()


def publish(url: str, queue: str, bodies: list[dict[str, str]], at: dt.datetime) -> None:
    conn = pika.BlockingConnection(pika.URLParameters(url))
    try:
        ch = conn.channel()
        for body in bodies:
            props = pika.BasicProperties(timestamp=int(at.timestamp()))
            ch.basic_publish("", queue, json.dumps(body).encode(), properties=props)
    finally:
        conn.close()


@pytest.mark.rabbitmq
def test_a_message_source_is_as_fresh_as_its_newest_message(
    tmp_path: Path, queue: tuple[str, str]
) -> None:
    url, name = queue
    env = {"TAX_QUEUE_URL": url, "TAX_QUEUE": name}
    root = workspace(tmp_path, AMQP_DATASET)
    # Messages the provider published two days ago, delivered only now.
    old = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=2)
    publish(url, name, [{"tin": "100200300", "name": "Ellsworth"}], old)
    with Store.open(f"sqlite:///{tmp_path / 'store.db'}") as store:
        row = freshness(root, store, env)
        assert row.status == "fail"
        assert row.details["basis"] == "message time"
        assert row.details["newest"] == old.isoformat()
        assert "the newest message's time" in row.message
        (info,) = store.deliveries("taxpayers")
        assert info.source_time == (old, "message time")

        # A new message published now makes the seam fresh again.
        publish(url, name, [{"tin": "100200301", "name": "Okafor"}], dt.datetime.now(dt.UTC))
        row = freshness(root, store, env)
        assert row.status == "pass", row.message
        assert row.details["basis"] == "message time"
