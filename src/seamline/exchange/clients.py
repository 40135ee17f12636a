"""Consumer systems' API keys: created, rotated and revoked; only a salted hash is kept.

A key reads ``sl_<key_id>_<secret>``. ``key_id`` is public and indexes the client row, so
authentication hashes one candidate instead of scanning every hash. The secret is
hashed with scrypt (memory-hard, in the standard library); since that costs tens of
milliseconds by design, :class:`KeyCache` remembers a verified key for a short time and
re-reads only the row (not the hash) to notice rotation and revocation.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any

from seamline.secrethash import hash_secret
from seamline.store import Store
from seamline.store.clients import (
    ClientError,
    ClientInfo,
    client_by_certificate,
    client_by_name,
    client_key,
    insert_client,
    list_clients,
    revoke_client,
    set_client_key,
)

__all__ = [
    "KEY_PREFIX",
    "CertCache",
    "ClientError",
    "ClientInfo",
    "KeyCache",
    "add_client",
    "cert_fingerprint",
    "client_by_name",
    "list_clients",
    "revoke_client",
    "rotate_client",
    "split_key",
]

KEY_PREFIX = "sl"


def split_key(key: str) -> tuple[str, str] | None:
    """(key_id, secret) of a well-formed key, else None."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    if len(parts[1]) > 32 or not parts[1].isalnum():
        return None
    return parts[1], parts[2]


def _new_key() -> tuple[str, str, str]:
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return key_id, secret, f"{KEY_PREFIX}_{key_id}_{secret}"


def cert_fingerprint(text: str) -> str:
    """A SHA-256 certificate fingerprint as 64 lower-case hex digits.

    Accepts ``AB:CD:...`` (``openssl x509 -fingerprint -sha256``) and plain hex.
    """
    value = text.strip().lower().removeprefix("sha256:").removeprefix("sha256 fingerprint=")
    value = value.replace(":", "")
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise ClientError(
            "a certificate fingerprint is the SHA-256 of the certificate: 64 hex digits",
            hint="print it with `openssl x509 -in client.pem -noout -fingerprint -sha256`",
        )
    return value


def add_client(
    store: Store, name: str, system: str, *, cert_fingerprint: str | None = None
) -> tuple[ClientInfo, str]:
    """Register a consumer system; return it and its API key (shown this once only).

    With ``cert_fingerprint`` (see :func:`cert_fingerprint`) the client may also call
    with that TLS client certificate instead of the key (``seamline serve --tls-*``).
    """
    key_id, secret, key = _new_key()
    info = insert_client(
        store, name, system, key_id, hash_secret(secret), cert_fingerprint=cert_fingerprint
    )
    return info, key


def rotate_client(store: Store, name: str) -> tuple[ClientInfo, str]:
    """Give a client a new key; the old one stops working. Returns the new key once."""
    key_id, secret, key = _new_key()
    return set_client_key(store, name, key_id, hash_secret(secret)), key


class KeyCache:
    """Authenticate keys against the store; verified keys are remembered, scrypt is not redone.

    The cache is keyed by the SHA-256 of the whole presented key, never the key itself,
    and holds the stored hash it was verified against: after ``ttl`` seconds the row is
    re-read (a cheap indexed read), and a revoked or rotated client drops out at once.
    A verified key is re-checked with scrypt after ``verified_seconds``. Secrets that
    need scrypt go through ``verify`` (the server's :class:`~seamline.exchange.guard.Guard`:
    attempt limits, then a worker thread), so the event loop never hashes.
    """

    def __init__(self, store: Store, ttl: float = 1.0, verified_seconds: float = 3600.0) -> None:
        self.store = store
        self.ttl = ttl
        self.verified_seconds = verified_seconds
        self._lock = threading.Lock()
        # sha256 of the key -> (key id, stored hash, client, row read at, verified at)
        self._seen: dict[bytes, tuple[str, str, ClientInfo, float, float]] = {}
        # Checks under way, so that many requests with one new key wait for one check.
        self._inflight: dict[bytes, asyncio.Future[bool]] = {}

    def forget(self, key_id: str) -> None:
        """Drop every cached key of this key id (revocation in this process)."""
        with self._lock:
            for digest in [d for d, v in self._seen.items() if v[0] == key_id]:
                del self._seen[digest]

    async def authenticate(
        self, key: str, verify: Callable[[str, str, str], Coroutine[Any, Any, bool]]
    ) -> ClientInfo | None:
        """The active client of ``key``, else None (malformed, unknown, revoked, wrong).

        ``verify(key_id, secret, stored_hash)`` checks a secret not seen before; it may
        raise to refuse the attempt without checking.
        """
        parts = split_key(key)
        if parts is None:
            return None
        key_id, secret = parts
        digest = hashlib.sha256(key.encode("utf-8")).digest()
        now = time.monotonic()
        with self._lock:
            hit = self._seen.get(digest)
        if hit is not None and now - hit[3] < self.ttl:
            return hit[2]
        found = client_key(self.store, key_id)
        if found is None or found[0].revoked_at is not None:
            self.forget(key_id)
            if found is None:
                await verify(key_id, "", "")  # counted as a failure, never hashed
            return None
        client, stored = found
        fresh = hit is not None and hit[1] == stored and now - hit[4] < self.verified_seconds
        if not fresh and not await self._once(digest, verify(key_id, secret, stored)):
            return None
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen.clear()
            verified = hit[4] if fresh and hit is not None else now
            self._seen[digest] = (key_id, stored, client, now, verified)
        return client

    async def _once(self, digest: bytes, check: Coroutine[Any, Any, bool]) -> bool:
        """Run ``check`` unless one for the same key is under way; then share its outcome."""
        running = self._inflight.get(digest)
        if running is not None:
            check.close()
            return await asyncio.shield(running)
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._inflight[digest] = future
        try:
            ok = await check
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning without waiters
            raise
        finally:
            self._inflight.pop(digest, None)
        future.set_result(ok)
        return ok


class CertCache:
    """Clients by TLS certificate fingerprint, re-read after ``ttl`` seconds (revocation)."""

    def __init__(self, store: Store, ttl: float = 1.0) -> None:
        self.store = store
        self.ttl = ttl
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[ClientInfo | None, float]] = {}

    def authenticate(self, fingerprint: str) -> ClientInfo | None:
        """The active client registered with this certificate, else None."""
        now = time.monotonic()
        with self._lock:
            hit = self._seen.get(fingerprint)
        if hit is not None and now - hit[1] < self.ttl:
            return hit[0]
        found = client_by_certificate(self.store, fingerprint)
        client = found if found is not None and found.revoked_at is None else None
        with self._lock:
            if len(self._seen) > 10_000:  # unknown certificates must not grow it for ever
                self._seen.clear()
            self._seen[fingerprint] = (client, now)
        return client
