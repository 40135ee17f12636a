"""OAuth2 client-credentials / OIDC JWT bearer tokens, checked against the issuer's JWKS.

A token is accepted only when its signature verifies with a key of the configured
issuer's JWKS (looked up by ``kid``), with an algorithm of the allow-list (``none``
never; HMAC only when listed explicitly), and its ``iss``, ``aud`` and ``exp`` (plus
``nbf``/``iat`` when present) hold.

Which consumer system the token speaks for: its client id is ``azp``, else
``client_id``, else ``sub``. An API client registered under that name
(``seamline clients add <client id> <system>``) gives the system, and revoking that
client refuses its tokens too. Without such a row, the claim named by
``OidcConfig.system_claim`` (default ``seamline_system``) gives it, when the issuer
is trusted to assert systems; set ``system_claim=None`` to require a registered client.

JOSE work is done by joserfc, the successor Authlib itself now depends on
(``authlib.jose`` is deprecated and warns on import).
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, InvalidClaimError, JoseError, MissingClaimError
from joserfc.jwk import KeySet

from seamline.errors import SeamlineError
from seamline.exchange.clients import ClientInfo, client_by_name
from seamline.exchange.errors import ApiError
from seamline.store import Store

log = logging.getLogger("seamline.exchange.tokens")
ASYMMETRIC = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA")


def claims_problem(
    registry: jwt.JWTClaimsRegistry, claims: dict[str, Any], what: str
) -> str | None:
    """Why ``claims`` fail ``registry``, in words about ``what`` ("the token"), or None."""
    try:
        registry.validate(claims)
    except ExpiredTokenError:
        return f"{what} has expired"
    except (MissingClaimError, InvalidClaimError) as exc:
        claim = getattr(exc, "claim", "") or "a claim"
        return f"{what}'s {claim} is missing or not accepted here"
    except JoseError:
        return f"{what}'s claims are not valid"
    return None


class TokenConfigError(SeamlineError):
    """The OIDC settings or the JWKS cannot be used."""


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    """The ``iss`` every token must carry, e.g. ``https://id.example.kg/realms/exchange``."""
    audience: str
    """The ``aud`` every token must name (this API), e.g. ``seamline-exchange``."""
    jwks_url: str | None = None
    """Where the issuer publishes its keys (fetched, then cached)."""
    jwks_path: Path | None = None
    """A local JWKS file instead of a URL (air-gapped installations, tests)."""
    algorithms: tuple[str, ...] = ("RS256", "ES256", "EdDSA")
    """Accepted signature algorithms; ``none`` is refused, HS* only if listed here."""
    leeway_seconds: int = 30
    """Clock skew tolerated on ``exp``, ``nbf`` and ``iat``."""
    jwks_cache_seconds: float = 300.0
    """How long fetched keys are trusted before the URL is read again."""
    system_claim: str | None = "seamline_system"
    """Claim naming the caller's system when no API client has the token's client id."""

    def check(self) -> None:
        if (self.jwks_url is None) == (self.jwks_path is None):
            raise TokenConfigError("give exactly one of jwks_url and jwks_path")
        if not self.algorithms or any(a.lower() == "none" for a in self.algorithms):
            raise TokenConfigError("the algorithm allow-list must not be empty or hold 'none'")


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2 and token.startswith("ey")


def _header(token: str) -> dict[str, Any]:
    try:
        raw = token.split(".", 1)[0]
        value = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (ValueError, UnicodeDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


def _refuse(message: str) -> ApiError:
    return ApiError(401, "bad_token", message)


class TokenValidator:
    """Validates bearer JWTs and maps them to a consumer system."""

    def __init__(self, config: OidcConfig, store: Store, cache_seconds: float = 1.0) -> None:
        config.check()
        self.config = config
        self.store = store
        self.cache_seconds = cache_seconds
        self._keys: KeySet | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()
        self._clients: dict[str, tuple[ClientInfo | None, float]] = {}

    # --- keys ------------------------------------------------------------------------

    def _read_jwks(self) -> dict[str, Any]:
        cfg = self.config
        try:
            if cfg.jwks_path is not None:
                data = json.loads(cfg.jwks_path.read_text(encoding="utf-8"))
            else:
                resp = httpx.get(str(cfg.jwks_url), timeout=5.0, follow_redirects=False)
                resp.raise_for_status()
                data = resp.json()
        except (OSError, ValueError, httpx.HTTPError) as exc:
            raise TokenConfigError(
                f"cannot read the issuer's JWKS: {type(exc).__name__}",
                where=str(cfg.jwks_path or cfg.jwks_url),
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
            raise TokenConfigError("the JWKS has no 'keys' list")
        return data

    def keys(self, *, refresh: bool = False) -> KeySet:
        """The issuer's keys, re-read when stale (or on ``refresh``, at most every 10 s)."""
        with self._lock:
            age = time.monotonic() - self._loaded_at
            stale = self._keys is None or age > self.config.jwks_cache_seconds
            if stale or (refresh and age > 10.0):
                try:
                    # Keys of other uses (encryption) or unknown types are left out.
                    usable = [k for k in self._read_jwks()["keys"] if k.get("use", "sig") == "sig"]
                    self._keys = KeySet.import_key_set({"keys": usable})
                    self._loaded_at = time.monotonic()
                except (TokenConfigError, JoseError, ValueError) as exc:
                    if self._keys is None:
                        raise TokenConfigError(f"unusable JWKS: {exc}") from None
                    log.error("JWKS refresh failed; keeping the cached keys")
            if self._keys is None:  # pragma: no cover - set above or raised
                raise TokenConfigError("the issuer's keys are not loaded")
            return self._keys

    # --- tokens ----------------------------------------------------------------------

    def claims(self, token: str) -> dict[str, Any]:
        """The verified claims of ``token``; raise ApiError(401) naming what is wrong."""
        cfg = self.config
        alg = _header(token).get("alg")
        if not isinstance(alg, str) or alg not in cfg.algorithms:
            raise _refuse(f"token algorithm {str(alg)[:20]!r} is not accepted")
        try:
            keys = self.keys()
        except TokenConfigError:
            raise ApiError(
                503, "issuer_keys_unavailable", "the issuer's keys cannot be read"
            ) from None
        try:
            decoded = jwt.decode(token, keys, algorithms=list(cfg.algorithms))
        except JoseError as exc:
            if getattr(exc, "error", "") != "invalid_key_id":
                raise _refuse("the token's signature does not verify") from None
            try:  # the issuer may have rotated its keys since they were cached
                decoded = jwt.decode(
                    token, self.keys(refresh=True), algorithms=list(cfg.algorithms)
                )
            except JoseError:
                raise _refuse("the token is signed by a key the issuer does not publish") from None
        except ValueError:
            raise _refuse("the token cannot be decoded") from None
        registry = jwt.JWTClaimsRegistry(
            leeway=cfg.leeway_seconds,
            iss={"essential": True, "value": cfg.issuer},
            aud={"essential": True, "value": cfg.audience},
            exp={"essential": True},
        )
        problem = claims_problem(registry, decoded.claims, "the token")
        if problem is not None:
            raise _refuse(problem)
        return dict(decoded.claims)

    def authenticate(self, token: str) -> ClientInfo:
        claims = self.claims(token)
        client_id = next(
            (claims[c] for c in ("azp", "client_id", "sub") if isinstance(claims.get(c), str)),
            None,
        )
        if not client_id:
            raise _refuse("the token names no client (azp, client_id or sub)")
        client_id = client_id[:200]
        row = self._registered(client_id)
        if row is not None:
            if not row.active:
                raise _refuse("the token's client is revoked")
            return row
        system = claims.get(self.config.system_claim) if self.config.system_claim else None
        if not isinstance(system, str) or not system.strip():
            raise _refuse("the token's client is not registered with this exchange")
        iat = claims.get("iat")
        at = datetime.fromtimestamp(iat, UTC) if isinstance(iat, int) else datetime.now(UTC)
        return ClientInfo(client_id, system.strip()[:200], "oidc", at, None, None)

    def _registered(self, name: str) -> ClientInfo | None:
        now = time.monotonic()
        hit = self._clients.get(name)
        if hit is not None and now - hit[1] < self.cache_seconds:
            return hit[0]
        row = client_by_name(self.store, name)
        if len(self._clients) > 10_000:  # token client ids come from outside: bound them
            self._clients.clear()
        self._clients[name] = (row, now)
        return row
