"""The audit log's formats: canonical event JSON, chain hashes, checkpoint messages, rows.

:func:`canonical` is the reference definition the verifier uses; the writer builds the
same text from :func:`canonical_halves` (a test holds them equal) so that the costly
serialisation happens before the id is known.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Table, insert
from sqlalchemy.engine import Dialect

from seamline.exchange.keys import public_text, sign
from seamline.store import Store
from seamline.store.auditlog import event_dict
from seamline.store.models import AuditEvent, AuditSignature, utcnow
from seamline.store.sealed import cipher_of

COLUMNS = (
    "id", "at", "actor", "client", "action", "resource", "purpose", "outcome", "details",
    "prev_hash", "hash",
)  # fmt: skip


@dataclass
class Event:
    """An event before it is written (the writer gives it an id and its hashes)."""

    actor: str
    client: str | None
    action: str
    resource: str | None
    purpose: str | None
    outcome: str
    details: dict[str, Any] = field(default_factory=dict)
    at: datetime = field(default_factory=utcnow)


class AuditUnavailable(Exception):
    """The event could not be written durably; the request must not be answered."""


def _utc(at: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    if at.tzinfo is UTC:
        return at
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def canonical(event: dict[str, Any]) -> str:
    """The canonical JSON of an event's content (everything except its hashes)."""
    body = {
        "id": event["id"],
        "at": _utc(event["at"]).isoformat(timespec="microseconds"),
        "actor": event["actor"],
        "client": event["client"],
        "action": event["action"],
        "resource": event["resource"],
        "purpose": event["purpose"],
        "outcome": event["outcome"],
        "details": event["details"],
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def canonical_parts(event: dict[str, Any]) -> tuple[str, str, str]:
    """:func:`canonical` without the id, and the details' JSON on its own.

    ``head + str(id) + tail == canonical(event)``: the top-level keys sort as action,
    actor, at, client, details, id, outcome, purpose, resource, so the id sits between
    two independently serialised halves, and the details end the first.
    """
    details = _dumps(event["details"])
    before = {
        "action": event["action"],
        "actor": event["actor"],
        "at": _utc(event["at"]).isoformat(timespec="microseconds"),
        "client": event["client"],
    }
    after = {
        "outcome": event["outcome"],
        "purpose": event["purpose"],
        "resource": event["resource"],
    }
    head = f'{_dumps(before)[:-1]},"details":{details},"id":'
    return head, "," + _dumps(after)[1:], details


def canonical_halves(event: dict[str, Any]) -> tuple[str, str]:
    head, tail, _ = canonical_parts(event)
    return head, tail


def chain_hash(prev_hash: str | None, event: dict[str, Any]) -> str:
    return hashlib.sha256(((prev_hash or "") + canonical(event)).encode("utf-8")).hexdigest()


def checkpoint_message(last_event_id: int, chain: str) -> bytes:
    return f"seamline-audit:{last_event_id}:{chain}".encode("ascii")


row_dict = event_dict
"""An audit row as the chain hashes it (the store's reading of the row)."""


class RowFormat:
    """The INSERT of audit rows in the store's own SQL dialect and parameter style.

    With a positional parameter style the whole batch goes into one multi-row
    ``INSERT ... VALUES (...), (...)``: the sqlite3 driver releases and re-takes the
    GIL around every row of an ``executemany``, and each re-take can wait a whole
    switch interval (5 ms) while the event loop thread is busy, which made a batch of
    30 events cost 10+ ms. One statement is a handful of handovers per batch.
    """

    CHUNK = 500
    """Rows per statement (11 parameters a row, well under SQLite's 32,766 limit)."""

    def __init__(self, dialect: Dialect) -> None:
        table = cast(Table, AuditEvent.__table__)
        compiled = insert(table).compile(dialect=dialect, column_keys=list(COLUMNS))
        self.sql = str(compiled)
        self.positional = bool(compiled.positional)
        self.order: tuple[str, ...] = tuple(compiled.positiontup or COLUMNS)
        self.process: dict[str, Callable[[Any], Any]] = {}
        for name in COLUMNS:
            proc = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
            if proc is not None:
                self.process[name] = proc
        # Sealed details (encryption:) go through their bind processor, which encrypts.
        self.json_is_text = dialect.name == "sqlite" and cipher_of(dialect) is None
        self.multi = self.positional and dialect.paramstyle in ("qmark", "format")
        self._prefix, _, self._group = self.sql.partition(" VALUES ")
        self._multi_sql: dict[int, str] = {}

    def statements(self, rows: list[Any]) -> list[tuple[str, list[Any], bool]]:
        """(SQL, parameters, executemany?) to run for ``rows``: multi-row statements."""
        if not self.multi or not self._group:
            return [(self.sql, rows, True)]
        out: list[tuple[str, list[Any], bool]] = []
        for start in range(0, len(rows), self.CHUNK):
            chunk = rows[start : start + self.CHUNK]
            sql = self._multi_sql.get(len(chunk))
            if sql is None:
                sql = f"{self._prefix} VALUES {', '.join([self._group] * len(chunk))}"
                if len(self._multi_sql) < 64:
                    self._multi_sql[len(chunk)] = sql
            out.append((sql, [v for row in chunk for v in row], False))
        return out

    def values(self, content: dict[str, Any], details_json: str | None = None) -> dict[str, Any]:
        """The database values of an event's content (all but id and hashes).

        On SQLite a JSON column is plain text, so the details' canonical JSON, already
        made for the hash, is stored as it is instead of being serialised again.
        """
        out = dict(content)
        for name, proc in self.process.items():
            if name in out:
                if name == "details" and details_json is not None and self.json_is_text:
                    out[name] = details_json
                else:
                    out[name] = proc(out[name])
        return out

    def row(self, values: dict[str, Any]) -> Sequence[Any] | dict[str, Any]:
        for name in ("id", "prev_hash", "hash"):
            proc = self.process.get(name)
            if proc is not None:
                values[name] = proc(values[name])
        return tuple(values[n] for n in self.order) if self.positional else values


def write_checkpoint(store: Store, key: Ed25519PrivateKey, last_id: int, chain: str) -> None:
    with store.session() as s:
        s.add(
            AuditSignature(
                last_event_id=last_id,
                chain_hash=chain,
                signature=sign(key, checkpoint_message(last_id, chain)),
                public_key=public_text(key),
                created_at=utcnow(),
            )
        )
