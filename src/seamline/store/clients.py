"""The consumer systems registered with the API (``ApiClient`` rows): added, re-keyed,
revoked, found by name, key id or certificate. Keys are made and hashed by
``seamline.exchange.clients``; only the hash reaches the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from seamline.errors import SeamlineError
from seamline.store.models import ApiClient, utcnow
from seamline.store.store import Store


class ClientError(SeamlineError):
    """A client cannot be added, rotated or revoked (unknown name, duplicate)."""


@dataclass(frozen=True)
class ClientInfo:
    name: str
    system: str
    key_id: str
    created_at: datetime
    rotated_at: datetime | None
    revoked_at: datetime | None
    cert_fingerprint: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def _info(row: ApiClient) -> ClientInfo:
    return ClientInfo(
        row.name,
        row.system,
        row.key_id,
        row.created_at,
        row.rotated_at,
        row.revoked_at,
        row.cert_fingerprint,
    )


def insert_client(
    store: Store,
    name: str,
    system: str,
    key_id: str,
    key_hash: str,
    *,
    cert_fingerprint: str | None = None,
) -> ClientInfo:
    """Add a client; a duplicate name, or a certificate an active client holds, is an error."""
    with store.session() as s:
        if s.scalar(select(ApiClient).where(ApiClient.name == name)) is not None:
            raise ClientError(
                f"there is already a client named {name!r}",
                hint=f"rotate its key with `seamline clients rotate {name}`",
            )
        if cert_fingerprint is not None:
            holder = s.scalar(
                select(ApiClient).where(ApiClient.cert_fingerprint == cert_fingerprint)
            )
            if holder is not None and holder.revoked_at is None:
                raise ClientError(
                    f"client {holder.name!r} already has this certificate",
                    hint=f"revoke it first with `seamline clients revoke {holder.name}`",
                )
            if holder is not None:
                # A revoked client gives its certificate up (the column is unique); its row,
                # name and revocation stay for the audit trail.
                holder.cert_fingerprint = None
                s.flush()
        row = ApiClient(
            name=name,
            system=system,
            key_id=key_id,
            key_hash=key_hash,
            created_at=utcnow(),
            cert_fingerprint=cert_fingerprint,
        )
        s.add(row)
        s.flush()
        return _info(row)


def _get(s: Session, name: str) -> ApiClient:
    row = s.scalar(select(ApiClient).where(ApiClient.name == name))
    if row is None:
        raise ClientError(
            f"there is no client named {name!r}", hint="list them with `seamline clients list`"
        )
    return row


def set_client_key(store: Store, name: str, key_id: str, key_hash: str) -> ClientInfo:
    """Replace an active client's key (a revoked client is an error)."""
    with store.session() as s:
        row = _get(s, name)
        if row.revoked_at is not None:
            raise ClientError(f"client {name!r} is revoked; add a new client instead")
        row.key_id, row.key_hash, row.rotated_at = key_id, key_hash, utcnow()
        s.flush()
        return _info(row)


def revoke_client(store: Store, name: str) -> ClientInfo:
    """Revoke a client's key for good (the row stays, for the audit trail)."""
    with store.session() as s:
        row = _get(s, name)
        if row.revoked_at is None:
            row.revoked_at = utcnow()
        s.flush()
        return _info(row)


def client_by_name(store: Store, name: str) -> ClientInfo | None:
    """The client registered as ``name`` (revoked ones too), else None."""
    with store.session() as s:
        row = s.scalar(select(ApiClient).where(ApiClient.name == name))
        return _info(row) if row is not None else None


def list_clients(store: Store) -> list[ClientInfo]:
    with store.session() as s:
        return [_info(r) for r in s.scalars(select(ApiClient).order_by(ApiClient.name))]


def client_key(store: Store, key_id: str) -> tuple[ClientInfo, str] | None:
    """The client whose key has this id (revoked ones too) and its key's hash, else None."""
    with store.session() as s:
        row = s.scalar(select(ApiClient).where(ApiClient.key_id == key_id))
        return (_info(row), row.key_hash) if row is not None else None


def client_by_certificate(store: Store, fingerprint: str) -> ClientInfo | None:
    """The client registered with this certificate (revoked ones too), else None."""
    with store.session() as s:
        row = s.scalar(select(ApiClient).where(ApiClient.cert_fingerprint == fingerprint))
        return _info(row) if row is not None else None


def clients_of_system(store: Store, system: str) -> list[ClientInfo]:
    """The clients (revoked ones too) registered for a consumer system, by name."""
    query = select(ApiClient).where(ApiClient.system == system).order_by(ApiClient.name)
    with store.session() as s:
        return [_info(c) for c in s.scalars(query)]
