"""Sign-in to the UI through an OpenID Connect provider: authorization code with PKCE.

The UI sends the browser to the provider's authorization endpoint with a random
``state``, a ``nonce`` and the S256 challenge of a random code verifier; the three are
kept in a short-lived signed cookie, not on the server. On the way back the UI checks
``state``, trades the code (with the verifier, and the client secret when one is
configured) at the token endpoint, and accepts the ID token only when its signature
verifies with a key of the provider's JWKS (by ``kid``, algorithms from an allow-list,
``none`` never) and its ``iss``, ``aud`` (this client), ``exp``, ``iat`` and ``nonce`` hold.
JOSE work is done by joserfc, as in ``seamline.exchange.tokens``.

The claim ``username_claim`` (default ``preferred_username``) names a local UI account
(``seamline ui add-user``), which gives the role: the provider says who someone is, the
workspace says what they may do, and removing the account signs them out at once.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from seamline.errors import SeamlineError
from seamline.exchange.tokens import claims_problem


class OidcError(SeamlineError):
    """The provider cannot be used, or it sent something this UI does not accept."""


@dataclass(frozen=True)
class UiOidcConfig:
    issuer: str
    """The provider's issuer URL; its discovery document is read from
    ``<issuer>/.well-known/openid-configuration`` and must name the same issuer."""
    client_id: str
    """This UI's client id at the provider (the ID token's ``aud``)."""
    client_secret: str | None = None
    """For a confidential client (sent as client_secret_basic); a public client relies on
    PKCE alone. Read it from the environment, never from a spec file."""
    label: str = "single sign-on"
    """Shown on the sign-in page: "Sign in with <label>"."""
    username_claim: str = "preferred_username"
    scopes: tuple[str, ...] = ("openid", "profile")
    algorithms: tuple[str, ...] = ("RS256", "ES256", "EdDSA")
    leeway_seconds: int = 30
    cache_seconds: float = 300.0
    """How long the discovery document and the keys are kept before being read again."""

    def check(self) -> None:
        if not self.issuer.startswith(("https://", "http://")):
            raise OidcError(f"the OIDC issuer must be a URL, not {self.issuer!r}")
        if "openid" not in self.scopes:
            raise OidcError("the OIDC scopes must include 'openid'")
        if not self.algorithms or any(a.lower() == "none" or a.startswith("HS")
                                      for a in self.algorithms):  # fmt: skip
            raise OidcError("the ID token algorithms must be asymmetric ones (no 'none', no HS*)")


@dataclass(frozen=True)
class Pending:
    """What the sign-in started with, kept (signed) in a cookie until the provider returns."""

    state: str
    nonce: str
    verifier: str
    next: str

    def to_dict(self) -> dict[str, str]:
        return {"s": self.state, "n": self.nonce, "v": self.verifier, "x": self.next}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Pending | None:
        parts = [data.get(k) for k in ("s", "n", "v", "x")]
        if not all(isinstance(p, str) for p in parts):
            return None
        return cls(*(str(p) for p in parts))


def challenge(verifier: str) -> str:
    """The PKCE S256 code challenge of ``verifier`` (RFC 7636)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


class OidcClient:
    """Talks to one provider: discovery, the authorization URL, the code exchange."""

    def __init__(self, config: UiOidcConfig, http: httpx.Client | None = None) -> None:
        config.check()
        self.config = config
        self.http = http or httpx.Client(timeout=10.0, follow_redirects=False)
        self._lock = threading.Lock()
        self._meta: tuple[float, dict[str, Any]] | None = None
        self._keys: tuple[float, KeySet] | None = None

    def _get_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            resp = self.http.get(url)
            resp.raise_for_status()
            data = resp.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OidcError(f"cannot read the provider's {what}: {type(exc).__name__}") from None
        if not isinstance(data, dict):
            raise OidcError(f"the provider's {what} is not a JSON object")
        return data

    def metadata(self) -> dict[str, Any]:
        with self._lock:
            if self._meta and time.monotonic() - self._meta[0] < self.config.cache_seconds:
                return self._meta[1]
        url = self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
        meta = self._get_json(url, "discovery document")
        if meta.get("issuer") != self.config.issuer:
            raise OidcError("the discovery document names a different issuer")
        for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(meta.get(field), str):
                raise OidcError(f"the discovery document has no {field}")
        with self._lock:
            self._meta = (time.monotonic(), meta)
        return meta

    def keys(self, *, refresh: bool = False) -> KeySet:
        with self._lock:
            hit = self._keys
        if hit and not refresh and time.monotonic() - hit[0] < self.config.cache_seconds:
            return hit[1]
        data = self._get_json(str(self.metadata()["jwks_uri"]), "keys")
        try:
            usable = [k for k in data.get("keys", []) if k.get("use", "sig") == "sig"]
            keys = KeySet.import_key_set({"keys": usable})
        except (JoseError, ValueError, TypeError, AttributeError):
            raise OidcError("the provider's JWKS cannot be used") from None
        with self._lock:
            self._keys = (time.monotonic(), keys)
        return keys

    def start(self, redirect_uri: str, next_path: str) -> tuple[str, Pending]:
        """The authorization URL to send the browser to, and what to keep until it returns."""
        pending = Pending(
            secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48),
            next_path,
        )  # fmt: skip
        query = {
            "response_type": "code",
            "client_id": self.config.client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(self.config.scopes),
            "state": pending.state,
            "nonce": pending.nonce,
            "code_challenge": challenge(pending.verifier),
            "code_challenge_method": "S256",
        }
        endpoint = str(self.metadata()["authorization_endpoint"])
        sep = "&" if "?" in endpoint else "?"
        return f"{endpoint}{sep}{urlencode(query)}", pending

    def finish(self, code: str, pending: Pending, redirect_uri: str) -> dict[str, Any]:
        """Trade ``code`` for tokens and return the verified ID token's claims."""
        cfg = self.config
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": pending.verifier,
            "client_id": cfg.client_id,
        }
        auth: dict[str, Any] = {}
        if cfg.client_secret:  # client_secret_basic
            auth["auth"] = httpx.BasicAuth(cfg.client_id, cfg.client_secret)
        try:
            resp = self.http.post(str(self.metadata()["token_endpoint"]), data=form, **auth)
            body = resp.json() if resp.content else {}
        except (httpx.HTTPError, ValueError) as exc:
            raise OidcError(f"the token request failed: {type(exc).__name__}") from None
        if resp.status_code != 200 or not isinstance(body, dict):
            error = body.get("error") if isinstance(body, dict) else None
            raise OidcError(
                f"the provider refused the code ({str(error or resp.status_code)[:60]})"
            )
        token = body.get("id_token")
        if not isinstance(token, str):
            raise OidcError("the provider's answer has no ID token")
        return self.verify_id_token(token, pending.nonce)

    def verify_id_token(self, token: str, nonce: str) -> dict[str, Any]:
        cfg = self.config
        algorithms = list(cfg.algorithms)
        try:
            try:
                decoded = jwt.decode(token, self.keys(), algorithms=algorithms)
            except JoseError as exc:
                if getattr(exc, "error", "") != "invalid_key_id":
                    raise
                # the provider may have rotated its keys since they were read
                decoded = jwt.decode(token, self.keys(refresh=True), algorithms=algorithms)
        except (JoseError, ValueError):
            raise OidcError("the ID token's signature does not verify") from None
        registry = jwt.JWTClaimsRegistry(
            leeway=cfg.leeway_seconds,
            iss={"essential": True, "value": cfg.issuer},
            aud={"essential": True, "value": cfg.client_id},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        claims = dict(decoded.claims)
        problem = claims_problem(registry, claims, "the ID token")
        if problem is not None:
            raise OidcError(problem)
        aud = claims.get("aud")
        if isinstance(aud, list) and len(aud) > 1 and claims.get("azp") != cfg.client_id:
            raise OidcError("the ID token is meant for several clients but not issued to this one")
        return claims
