"""The store's tables, as SQLAlchemy 2 typed models.

The schema itself is owned by the Alembic migrations in ``migrations/versions``;
these models must match the head revision (a test compares them).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from seamline.store.sealed import SealedJSON, SealedText


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Run(Base):
    """One run of one stage (or of the whole pipeline, stage ``run``)."""

    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), index=True)
    stage: Mapped[str] = mapped_column(String(40))
    workspace: Mapped[str] = mapped_column(String(200))
    dataset: Mapped[str | None] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    duration_ms: Mapped[int | None] = mapped_column(BigInteger)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message: Mapped[str | None] = mapped_column(Text)
    pid: Mapped[int | None] = mapped_column(Integer)
    """The process that runs it, so a later run can tell a killed run from a live one."""
    host: Mapped[str | None] = mapped_column(String(255))
    process_started: Mapped[float | None] = mapped_column(Float)
    """When that process started (seconds since the epoch), against a reused pid."""


class Dataset(Base):
    """A dataset as last seen by a run: who owns it and where it lives."""

    __tablename__ = "datasets"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    title: Mapped[str | None] = mapped_column(String(500))
    system: Mapped[str | None] = mapped_column(String(200))
    owner: Mapped[str | None] = mapped_column(String(200))
    steward: Mapped[str | None] = mapped_column(String(200))
    entity: Mapped[str | None] = mapped_column(String(200))
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Landing(Base):
    """What one connect run read, landed and quarantined. The counts always add up."""

    __tablename__ = "landings"
    __table_args__ = (
        CheckConstraint("read_count = landed_count + quarantined_count", name="ck_landing_adds_up"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    dataset: Mapped[str] = mapped_column(String(200), index=True)
    read_count: Mapped[int] = mapped_column(BigInteger)
    landed_count: Mapped[int] = mapped_column(BigInteger)
    quarantined_count: Mapped[int] = mapped_column(BigInteger)
    path: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Delivery(Base):
    """One run's landing of one dataset, kept under its id; the counts always add up.

    ``mode`` is how the dataset's current state is made (``snapshot``: the latest good
    delivery; ``append``: every delivery, de-duplicated by key). ``status`` is
    ``running``, ``ok``, ``empty``, ``failed`` or ``aborted``; ``in_state`` says whether
    its rows are part of the current state; ``kept`` whether its file is still on disk.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        CheckConstraint(
            "read_count = landed_count + quarantined_count", name="ck_delivery_adds_up"
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset: Mapped[str] = mapped_column(String(200), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), index=True)
    mode: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    read_count: Mapped[int] = mapped_column(BigInteger)
    landed_count: Mapped[int] = mapped_column(BigInteger)
    quarantined_count: Mapped[int] = mapped_column(BigInteger)
    first_record_no: Mapped[int] = mapped_column(BigInteger)
    """The ``_record_no`` of its first record: ids stay unique across an append source's deliveries."""
    in_state: Mapped[bool] = mapped_column(default=False)
    kept: Mapped[bool] = mapped_column(default=True)
    path: Mapped[str | None] = mapped_column(Text)
    quarantine_path: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    message: Mapped[str | None] = mapped_column(Text)
    source_metadata: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """What the reader chose or did beyond the rows (``Reader.metadata()``): the encoding
    it read and why, messages moved to a dead-letter destination."""


class ObservedField(Base):
    """A column as observed in a landing: name, physical type, inferred logical type."""

    __tablename__ = "observed_fields"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    dataset: Mapped[str] = mapped_column(String(200), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300))
    physical_type: Mapped[str] = mapped_column(String(200))
    logical_type: Mapped[str | None] = mapped_column(String(100))


class Profile(Base):
    """The profile of one field in one run (statistics as JSON)."""

    __tablename__ = "profiles"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    dataset: Mapped[str] = mapped_column(String(200), index=True)
    field: Mapped[str] = mapped_column(String(300))
    stats: Mapped[dict[str, Any]] = mapped_column(SealedJSON("profiles.stats"), default=dict)
    """Top values, smallest and largest of the field: sealed with ``encryption:``."""


class ConnectorState(Base):
    """A connector's state between runs (watermark, stream sequence)."""

    __tablename__ = "connector_state"
    dataset: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CheckResult(Base):
    """One contract rule evaluated on one delivery of a seam."""

    __tablename__ = "check_results"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    seam: Mapped[str] = mapped_column(String(200), index=True)
    rule: Mapped[str] = mapped_column(String(300))
    attribute: Mapped[str | None] = mapped_column(String(200))
    observed: Mapped[float | None] = mapped_column(Float)
    expected: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Finding(Base):
    """Something a person should look at: drift, a governance gap, a failed rule."""

    __tablename__ = "findings"
    __table_args__ = (UniqueConstraint("fingerprint", name="uq_finding_fingerprint"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(60), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    severity: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="open")
    message: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    owner: Mapped[str | None] = mapped_column(String(200))
    first_run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    times_seen: Mapped[int] = mapped_column(Integer, default=1)


class Discrepancy(Base):
    """A field-level difference between linked records of one entity."""

    __tablename__ = "discrepancies"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    entity_type: Mapped[str] = mapped_column(String(100))
    entity_id: Mapped[str] = mapped_column(String(100), index=True)
    attribute: Mapped[str] = mapped_column(String(200))
    classification: Mapped[str] = mapped_column(String(20))
    observed: Mapped[dict[str, Any]] = mapped_column(
        SealedJSON("discrepancies.observed"), default=dict
    )
    chosen: Mapped[str | None] = mapped_column(SealedText("discrepancies.chosen"))
    reason: Mapped[str | None] = mapped_column(SealedText("discrepancies.reason"))


class Decision(Base):
    """A steward's decision, re-applied on every later run while active."""

    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(SealedText("decisions.subject"), index=True)
    """Two record keys (a link decision) or an entity id: sealed, so never filtered in SQL."""
    attribute: Mapped[str | None] = mapped_column(String(200))
    value: Mapped[str | None] = mapped_column(SealedText("decisions.value"))
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(SealedText("decisions.reason"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(default=True)


class AuditEvent(Base):
    """An append-only, hash-chained record of who did or read what, and why."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    client: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    resource: Mapped[str | None] = mapped_column(SealedText("audit_events.resource"))
    purpose: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(20))
    details: Mapped[dict[str, Any]] = mapped_column(
        SealedJSON("audit_events.details"), default=dict
    )
    """Sealed with ``encryption:``; the chain's hashes cover the values in clear."""
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class ApiClient(Base):
    """A consumer system allowed to call the exchange API; only the key's hash is kept."""

    __tablename__ = "api_clients"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    system: Mapped[str] = mapped_column(String(200))
    key_id: Mapped[str] = mapped_column(String(32), unique=True)
    """Public prefix of the key, used to find the client without scanning hashes."""
    key_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cert_fingerprint: Mapped[str | None] = mapped_column(String(64), unique=True)
    """SHA-256 of the client's TLS certificate (DER, hex), when it may call with mutual TLS."""


class AuditSignature(Base):
    """A signed checkpoint of the audit chain: the hash of the last event it covers."""

    __tablename__ = "audit_signatures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    last_event_id: Mapped[int] = mapped_column(Integer)
    chain_hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(Text)
    public_key: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Approval(Base):
    """A person's approval of a seam's review packet in one role, bound to its digest."""

    __tablename__ = "approvals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    seam: Mapped[str] = mapped_column(String(200), index=True)
    role: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    digest: Mapped[str] = mapped_column(String(64))
    """SHA-256 (hex) of the review packet's approved content."""
    approved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StoreKey(Base):
    """Which data key seals the store's sealed columns; no row: they are in clear."""

    __tablename__ = "store_key"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(64))
    """The key's public id (``seamline.crypto.values.key_id``), never the key."""
    sealed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
