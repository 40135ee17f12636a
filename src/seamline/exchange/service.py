"""The exchange's request pipeline: authenticate, authorize, audit, answer.

Every ``/v1`` request — served or refused — becomes one audit event before the answer
leaves; if the event cannot be committed the caller gets a 503 and no data.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from seamline.exchange.agreements import Grant, grant_for
from seamline.exchange.anchor import audit_anchor
from seamline.exchange.audit import AuditUnavailable, AuditWriter, Event
from seamline.exchange.clients import CertCache, ClientInfo, KeyCache
from seamline.exchange.data import LiveIndex, PersonIndex
from seamline.exchange.errors import ApiError, envelope
from seamline.exchange.guard import AttemptsRefused, Guard, LimitConfig, Limits
from seamline.exchange.keys import default_key_path, load_signing_key
from seamline.exchange.metrics import Metrics
from seamline.exchange.mtls import STATE_KEY
from seamline.exchange.provenance import load_secret
from seamline.exchange.tokens import OidcConfig, TokenValidator, looks_like_jwt
from seamline.seams.approval import ApprovalGate
from seamline.secrethash import SecretPool
from seamline.store import Store
from seamline.store.auditlog import has_events
from seamline.workspace.loader import Workspace

log = logging.getLogger("seamline.exchange")
HEADER_MAX = 200


@dataclass
class ExchangeConfig:
    audit: bool = True
    """Write the audit log (off only to measure its cost: requests are then unaudited)."""
    key_path: Path | None = None
    """Ed25519 key signing audit checkpoints; default ``<data_dir>/keys/audit-ed25519.pem``."""
    anchor_path: Path | None = None
    """The append-only file every checkpoint is also written to (meant for write-once
    storage); default ``$SEAMLINE_AUDIT_ANCHOR``, else ``<data_dir>/anchor/audit-anchor.jsonl``."""
    tsa_url: str | None = None
    """An RFC 3161 time-stamping authority stamping each anchored checkpoint; default
    ``$SEAMLINE_AUDIT_TSA_URL``, else none."""
    checkpoint_events: int = 1000
    """Sign the chain's head after this many new events..."""
    checkpoint_seconds: float = 5.0
    """...or after this many seconds with unsigned events."""
    tracker_systems: frozenset[str] | None = None
    """Client systems allowed to call the data tracker; None: the workspace's systems
    marked ``data_tracker: true`` (see :func:`tracker_systems`)."""
    auth_cache_seconds: float = 1.0
    """How long a verified key is trusted before its row is re-read (revocation delay)."""
    rate_limit: float = 0.0
    """Requests per second per client (token bucket); 0 turns limiting off."""
    rate_burst: int = 200
    max_request_bytes: int = 16 * 1024
    max_page_size: int = 100
    today: dt.date | None = None
    """The day agreements are judged on (tests pin it); default: today."""
    audit_timeout: float = 10.0
    oidc: OidcConfig | None = None
    """Accept OAuth2/OIDC JWT bearer tokens of this issuer besides API keys."""
    audit_inline: bool = False
    """Commit audit batches on the event loop, once per loop iteration (no thread
    hand-over; measured about even with the thread on this 2-core machine). Off (the
    default): the writer thread commits them, so a slow fsync or a locked store
    stalls only the requests being audited, not the whole loop."""
    open_docs: bool = False
    """Serve ``/openapi.json``, ``/docs`` and ``/redoc`` without a key (they name every
    agreement's purpose, legal basis and attributes; off by default)."""
    open_metrics: bool = False
    """Serve ``/metrics`` without a key (it names every client; off by default)."""
    mutual_tls: bool = False
    """Clients may present certificates (``serve --tls-client-ca``): the OpenAPI says so."""
    limits: LimitConfig = field(default_factory=LimitConfig)
    """Attempt limits on wrong API keys and UI passwords (see ``exchange/guard.py``)."""
    secret_workers: int = 1
    """Threads that check secrets with scrypt, off the event loop..."""
    secret_queue: int = 32
    """...and how many checks may wait for them before attempts get 429 at once."""


@dataclass
class Context:
    request_id: str
    action: str
    client: ClientInfo | None = None
    end_user: str | None = None
    purpose: str | None = None
    xroad: dict[str, str] = field(default_factory=dict)
    grant: Grant | None = None
    auth: str | None = None
    """How the caller proved who it is, when not by key or token (``tls-certificate``)."""

    @property
    def caller(self) -> ClientInfo:
        if self.client is None:  # begin() sets it or raises; this guards misuse
            raise ApiError(401, "missing_credentials", "the request is not authenticated")
        return self.client


class _Bucket:
    __slots__ = ("at", "tokens")

    def __init__(self, tokens: float) -> None:
        self.tokens, self.at = tokens, time.monotonic()


def _header(request: Request, name: str) -> str | None:
    value = request.headers.get(name)
    if value is None:
        return None
    value = value.strip()
    return value[:HEADER_MAX] if value else None


def _known_query(request: Request) -> None:
    """Refuse query parameters the endpoint does not declare (the OpenAPI admits none)."""
    dependant = getattr(request.scope.get("route"), "dependant", None)
    if dependant is None:
        return
    allowed = {p.alias for p in dependant.query_params}
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise ApiError(
            400,
            "unknown_parameter",
            f"unknown query parameter {unknown[0][:40]!r}; "
            f"this endpoint takes {', '.join(sorted(allowed)) or 'none'}",
        )


LEGACY_TRACKER_SYSTEM = "citizen-portal"


def tracker_systems(ws: Workspace, configured: frozenset[str] | None = None) -> frozenset[str]:
    """The systems whose clients may read the data tracker.

    Declared in the workspace: ``data_tracker: true`` in ``systems/<id>.yaml``. A
    workspace that declares none keeps the old behaviour, a system named
    ``citizen-portal``, with a deprecation warning; that fallback will go.
    """
    if configured is not None:
        return configured
    declared = frozenset(s.id for s in ws.systems.values() if s.data_tracker)
    if declared:
        return declared
    log.warning(
        json.dumps(
            {
                "event": "deprecated",
                "message": "no system is marked data_tracker: true; the data tracker falls "
                "back to a system named citizen-portal. Mark the citizens' portal's system "
                "in systems/<id>.yaml; the fallback will be removed.",
            }
        )
    )
    return frozenset({LEGACY_TRACKER_SYSTEM})


def request_id(request: Request) -> str:
    rid = getattr(request.state, "request_id", None)
    if not isinstance(rid, str):
        rid = os.urandom(16).hex()  # as unique as a uuid4, without building a UUID object
        request.state.request_id = rid
    return rid


class Exchange:
    """The app's state: workspace, store, data, keys, audit writer, metrics."""

    def __init__(self, ws: Workspace, store: Store, config: ExchangeConfig) -> None:
        self.ws, self.store, self.config = ws, store, config
        self.serves_persons = any(d.entity == "Person" for d in ws.datasets.values())
        """Whether the workspace has Person data (``/v1/persons``); without, the entity
        routes alone serve its golden records."""
        self._people = LiveIndex(ws, required=self.serves_persons)
        self._entities: dict[str, LiveIndex] = {}
        self.tracker_systems = tracker_systems(ws, config.tracker_systems)
        self.keys = KeyCache(store, ttl=config.auth_cache_seconds)
        self.guard = Guard(
            Limits(ws.data_dir, config.limits, on_lift=self._lifted),
            SecretPool(config.secret_workers, config.secret_queue),
        )
        self._tasks: set[asyncio.Task[None]] = set()
        self.certs = CertCache(store, ttl=config.auth_cache_seconds)
        self.tokens: TokenValidator | None = None
        if config.oidc is not None:
            self.tokens = TokenValidator(config.oidc, store, config.auth_cache_seconds)
        self.metrics = Metrics()
        key_path = config.key_path or default_key_path(ws.data_dir)
        self.provenance_secret = load_secret(key_path.parent)
        self.approvals = ApprovalGate(ws, store, config.auth_cache_seconds)
        self.writer: AuditWriter | None = None
        if config.audit:
            anchor = audit_anchor(ws.data_dir, config.anchor_path, config.tsa_url)
            fresh = not anchor.path.exists() and not has_events(store)
            key = load_signing_key(key_path, may_create=fresh)
            self.writer = AuditWriter(
                store,
                key,
                checkpoint_events=config.checkpoint_events,
                checkpoint_seconds=config.checkpoint_seconds,
                observe=self.metrics.observe_commit,
                inline=config.audit_inline,
                anchor=anchor,
                key_path=key_path,
            )
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def start(self) -> None:
        if self.writer is not None:
            self.writer.start()

    def stop(self) -> None:
        self.guard.pool.close()
        if self.writer is not None:
            self.writer.stop()

    def _lifted(self, subject: str, by: str) -> None:
        """Audit a lock-out an admin lifted (``seamline clients unlock``), once applied."""
        if self.writer is None:
            return
        event = Event(by, None, "security.unlock", subject, None, "ok", {"subject": subject})
        try:
            task = asyncio.get_running_loop().create_task(self._append(event))
        except RuntimeError:  # no loop: not serving
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _verify_key(self, address: str, key_id: str, secret: str, stored: str) -> bool:
        if not stored:  # no such key id: nothing to hash, so nothing to limit
            return False
        return await self.guard.verify([f"key:{key_id}", f"address:{address}"], secret, stored)

    @property
    def index(self) -> PersonIndex:
        """The golden Person records as the reference file holds them now."""
        return self._people.get()

    def entity_index(self, entity: str) -> PersonIndex:
        """The golden records of any entity (read when first asked for, then kept live);
        raises DataUnavailable when the entity has none yet."""
        if entity == self._people.entity:
            return self._people.get()
        with self._lock:
            live = self._entities.get(entity)
            if live is None:
                live = self._entities[entity] = LiveIndex(self.ws, entity=entity)
        return live.get()

    @property
    def today(self) -> dt.date:
        return self.config.today or dt.date.today()

    # --- the steps of a request ----------------------------------------------------------

    async def begin(self, request: Request, action: str, *, needs_purpose: bool = True) -> Context:
        """Authenticate the caller and read its headers; raise ApiError when refused."""
        ctx = Context(request_id(request), action)
        request.state.ctx = ctx
        # As claimed by the caller, never verified: recorded apart from the client that
        # authenticated. X-Road headers are evidence only; none of them names the actor.
        ctx.end_user = _header(request, "X-Seamline-User")
        ctx.purpose = _header(request, "X-Seamline-Purpose")
        for h in ("X-Road-Client", "X-Road-UserId", "X-Road-Issue", "X-Road-Id"):
            v = _header(request, h)
            if v is not None:
                ctx.xroad[h.removeprefix("X-Road-").lower()] = v
        size = request.headers.get("content-length")
        if size is not None and (not size.isdigit() or int(size) > self.config.max_request_bytes):
            raise ApiError(413, "request_too_large", "the request body is too large")
        if size is None and "transfer-encoding" in request.headers:
            # A chunked body names no length: count it as it arrives, to the same limit.
            received = 0
            async for chunk in request.stream():
                received += len(chunk)
                if received > self.config.max_request_bytes:
                    raise ApiError(413, "request_too_large", "the request body is too large")
        key = _header(request, "X-API-Key")
        auth = request.headers.get("authorization")
        if key is None and auth is not None:
            scheme, _, token = auth.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise ApiError(401, "bad_credentials", "use 'Authorization: Bearer <key>'")
            key = token.strip()
        client: ClientInfo | None
        if key is None:
            # Mutual TLS: the verified client certificate's fingerprint (see mtls.py).
            fingerprint = (request.scope.get("state") or {}).get(STATE_KEY)
            if not fingerprint:
                raise ApiError(
                    401,
                    "missing_credentials",
                    "send an API key (Authorization: Bearer or X-API-Key)",
                )
            client = self.certs.authenticate(str(fingerprint))
            if client is None:
                raise ApiError(
                    401, "unknown_certificate", "no active client has this TLS certificate"
                )
        elif self.tokens is not None and looks_like_jwt(key):
            client = self.tokens.authenticate(key)
        else:
            address = request.client.host if request.client is not None else "-"

            async def verify(key_id: str, secret: str, stored: str) -> bool:
                return await self._verify_key(address, key_id, secret, stored)

            try:
                client = await self.keys.authenticate(key, verify)
            except AttemptsRefused as exc:
                raise ApiError(
                    429,
                    "too_many_attempts",
                    f"too many wrong keys ({exc.reason}); try again in {exc.retry_after} s",
                    headers={"Retry-After": str(exc.retry_after)},
                ) from None
        if client is None:
            raise ApiError(401, "bad_credentials", "the API key is unknown, rotated or revoked")
        if key is None:
            ctx.auth = "tls-certificate"
        ctx.client = client
        request.state.client_name = client.name
        self._rate(client.name)
        _known_query(request)
        return ctx

    def authorize(self, ctx: Context, entity: str = "Person", derived: str | None = None) -> Grant:
        ctx.grant = grant_for(
            self.ws,
            ctx.caller.system,
            ctx.purpose,
            self.today,
            self.approvals.unapproved,
            entity,
            derived,
        )
        return ctx.grant

    def _rate(self, name: str) -> None:
        rate = self.config.rate_limit
        if rate <= 0:
            return
        with self._lock:
            b = self._buckets.get(name)
            if b is None:
                b = self._buckets[name] = _Bucket(float(self.config.rate_burst))
            now = time.monotonic()
            b.tokens = min(float(self.config.rate_burst), b.tokens + (now - b.at) * rate)
            b.at = now
            if b.tokens < 1.0:
                raise ApiError(429, "rate_limited", f"more than {rate:g} requests per second")
            b.tokens -= 1.0

    def _event(
        self, request: Request, ctx: Context | None, outcome: str, details: dict[str, Any]
    ) -> Event:
        route = request.scope.get("route")
        base: dict[str, Any] = {
            "request_id": request_id(request),
            "endpoint": getattr(route, "path", None) or "unmatched",
            "method": request.method,
        }
        if ctx is not None and ctx.client is not None:
            base["system"] = ctx.client.system
        if ctx is not None:
            if ctx.end_user:
                base["end_user_claimed"] = ctx.end_user
            if ctx.xroad:
                base["xroad_evidence"] = ctx.xroad
            if ctx.auth:
                base["auth"] = ctx.auth
            if ctx.grant is not None:
                base["seam"], base["agreement"] = ctx.grant.seam, ctx.grant.agreement
        base.update(details)
        client = ctx.client.name if ctx is not None and ctx.client is not None else None
        actor = client or "anonymous"  # who authenticated; the claimed end user is a detail
        return Event(
            actor=actor,
            client=client,
            action=ctx.action if ctx is not None else "request",
            resource=details.get("resource"),
            purpose=ctx.purpose if ctx is not None else None,
            outcome=outcome,
            details=base,
        )

    async def _append(self, event: Event) -> None:
        if self.writer is None:
            return
        try:
            await self.writer.append(event)
        except AuditUnavailable:
            raise ApiError(
                503,
                "audit_unavailable",
                "the request could not be audited; try again",
                audited=True,
            ) from None

    async def audited(self, request: Request, ctx: Context, details: dict[str, Any]) -> None:
        """Write the served event of a request answered by the caller (not JSON)."""
        await self._append(self._event(request, ctx, "ok", {"status": 200, **details}))

    async def answer(
        self, request: Request, ctx: Context, body: dict[str, Any], details: dict[str, Any]
    ) -> Response:
        await self._append(self._event(request, ctx, "ok", {"status": 200, **details}))
        return Response(
            json.dumps(body, ensure_ascii=False),
            media_type="application/json",
            headers={"X-Request-Id": ctx.request_id},
        )

    async def stream(
        self,
        request: Request,
        ctx: Context,
        chunks: Iterator[bytes],
        media_type: str,
        filename: str,
        details: dict[str, Any],
    ) -> StreamingResponse:
        """Audit, then stream ``chunks`` (made in a worker thread, one at a time)."""
        await self._append(self._event(request, ctx, "ok", {"status": 200, **details}))
        return StreamingResponse(
            chunks,
            media_type=media_type,
            headers={
                "X-Request-Id": ctx.request_id,
                "Content-Disposition": f'attachment; filename="{filename}"',
            },
        )

    async def refuse(self, request: Request, err: ApiError) -> Response:
        rid = request_id(request)
        extra = {k: v for k, v in err.extra.items() if k not in ("audited", "headers")}
        if request.url.path.startswith("/v1/") and not err.extra.get("audited"):
            ctx = getattr(request.state, "ctx", None)
            details = {"status": err.status, "code": err.code, "reason": err.message}
            details.update(getattr(request.state, "audit_details", {}))
            outcome = "error" if err.status >= 500 else "refused"
            try:
                await self._append(self._event(request, ctx, outcome, details))
            except ApiError as failed:
                return envelope(failed.status, failed.code, failed.message, rid)
        return envelope(err.status, err.code, err.message, rid, headers=err.headers, **extra)
