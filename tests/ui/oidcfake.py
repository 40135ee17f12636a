"""A small OpenID Connect provider for the UI's sign-in tests: a real HTTP server on a free
port (discovery, authorization, token and JWKS endpoints), not a mock of seamline's code.

The authorization endpoint signs in ``user`` at once (no login form) and redirects back
with a code. The token endpoint checks the code, the redirect URI, the client (secret
when one is set) and the PKCE S256 verifier, as a provider must, and answers with an ID
token signed by its EC key. ``tamper`` changes claims of the next ID tokens and
``sign_with`` signs them with another key, so the tests can see the UI refuse them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import ECKey


@dataclass
class FakeProvider:
    issuer: str
    client_id: str
    client_secret: str | None
    user: str = "aigul.toktogulova"
    key: ECKey = field(
        default_factory=lambda: ECKey.generate_key("P-256", parameters={"kid": "fake-1"})
    )
    tamper: dict[str, Any] = field(default_factory=dict)
    sign_with: ECKey | None = None
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    seen: list[dict[str, str]] = field(default_factory=list)
    """Every authorization request's query, for the tests to inspect."""
    token_errors: list[str] = field(default_factory=list)

    def id_token(self, grant: dict[str, Any]) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": self.client_id, "sub": f"sub-{self.user}",
                  "preferred_username": self.user, "iat": now, "exp": now + 300,
                  "nonce": grant["nonce"], **self.tamper}  # fmt: skip
        key = self.sign_with or self.key
        return jwt.encode({"alg": "ES256", "kid": key.kid}, claims, key)


def _handler(p: FakeProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _json(self, status: int, body: dict[str, Any]) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path == "/.well-known/openid-configuration":
                self._json(200, {
                    "issuer": p.issuer,
                    "authorization_endpoint": f"{p.issuer}/authorize",
                    "token_endpoint": f"{p.issuer}/token",
                    "jwks_uri": f"{p.issuer}/jwks",
                    "response_types_supported": ["code"],
                    "code_challenge_methods_supported": ["S256"],
                    "id_token_signing_alg_values_supported": ["ES256"],
                })  # fmt: skip
            elif url.path == "/jwks":
                self._json(200, {"keys": [p.key.as_dict(private=False, use="sig")]})
            elif url.path == "/authorize":
                q = {k: v[0] for k, v in parse_qs(url.query).items()}
                p.seen.append(q)
                if q.get("client_id") != p.client_id or q.get("code_challenge_method") != "S256":
                    self._json(400, {"error": "invalid_request"})
                    return
                code = secrets.token_urlsafe(16)
                p.codes[code] = q
                back = {"code": code, "state": q.get("state", "")}
                self.send_response(302)
                self.send_header("Location", f"{q['redirect_uri']}?{urlencode(back)}")
                self.end_headers()
            else:
                self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            grant = p.codes.pop(form.get("code", ""), None)  # a code is used once
            error = None
            if (
                grant is None
                or form.get("grant_type") != "authorization_code"
                or form.get("redirect_uri") != grant["redirect_uri"]
            ):
                error = "invalid_grant"
            elif p.client_secret is not None and self.headers.get("Authorization") != "Basic " + (
                base64.b64encode(f"{p.client_id}:{p.client_secret}".encode()).decode()
            ):
                error = "invalid_client"
            else:
                verifier = form.get("code_verifier", "")
                digest = hashlib.sha256(verifier.encode()).digest()
                expect = base64.urlsafe_b64encode(digest).decode().rstrip("=")
                if expect != grant["code_challenge"]:
                    error = "invalid_grant"
            if error is not None:
                p.token_errors.append(error)
                self._json(400, {"error": error})
                return
            self._json(200, {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                             "id_token": p.id_token(grant)})  # fmt: skip

    return Handler


@contextmanager
def fake_provider(client_id: str, client_secret: str | None) -> Iterator[FakeProvider]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    issuer = f"http://127.0.0.1:{server.server_address[1]}"
    provider = FakeProvider(issuer, client_id, client_secret)
    server.RequestHandlerClass = _handler(provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
