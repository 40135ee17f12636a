"""OIDC/JWT bearer tokens: signed with a test RSA key published in a JWKS file."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey
from sqlalchemy import select

from seamline.exchange import add_client, revoke_client
from seamline.exchange.tokens import OidcConfig, TokenConfigError
from seamline.store.models import AuditEvent

ISSUER = "https://idp.example.kg/realms/exchange"
AUDIENCE = "seamline-exchange"


@pytest.fixture(scope="module")
def signer(tmp_path_factory: pytest.TempPathFactory) -> tuple[RSAKey, Path]:
    key = RSAKey.generate_key(2048, parameters={"kid": "idp-2026", "use": "sig"})
    path = tmp_path_factory.mktemp("jwks") / "jwks.json"
    path.write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
    return key, path


@pytest.fixture(scope="module")
def oidc_client(demo: Any, signer: tuple[RSAKey, Path]) -> Iterator[TestClient]:
    add_client(demo.store, "tax-batch-svc", "tax-db")
    add_client(demo.store, "retired-svc", "tax-db")
    revoke_client(demo.store, "retired-svc")
    cfg = OidcConfig(issuer=ISSUER, audience=AUDIENCE, jwks_path=signer[1])
    with TestClient(demo.app(oidc=cfg), raise_server_exceptions=False) as c:
        yield c


def token(key: Any, header: dict[str, Any] | None = None, **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 300, "azp": "tax-batch-svc"}
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(header or {"alg": "RS256", "kid": "idp-2026"}, body, key)


def get(c: TestClient, pin: str, tok: str) -> Any:
    headers = {"Authorization": f"Bearer {tok}", "X-Seamline-Purpose": "tax-registration"}
    return c.get(f"/v1/persons/kg_pin:{pin}", headers=headers)


def test_good_token_of_a_registered_client(demo: Any, oidc_client: TestClient, signer: Any) -> None:
    pin = demo.people[0]["national_id"]
    r = get(oidc_client, pin, token(signer[0]))
    assert r.status_code == 200, r.text
    assert set(r.json()["attributes"]) >= {"national_id"}
    with demo.store.session() as s:
        ev = s.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
        assert ev is not None and ev.client == "tax-batch-svc" and ev.outcome == "ok"
        assert ev.details["system"] == "tax-db"


def test_client_id_and_system_claims(demo: Any, oidc_client: TestClient, signer: Any) -> None:
    pin = demo.people[0]["national_id"]
    by_client_id = token(signer[0], azp=None, client_id="tax-batch-svc")
    assert get(oidc_client, pin, by_client_id).status_code == 200
    # Not registered, but the issuer asserts the system: served under that system's agreement.
    claimed = token(signer[0], azp="tax-cron-7", seamline_system="tax-db")
    assert get(oidc_client, pin, claimed).status_code == 200
    # ... and a system without an agreement for the purpose is refused (403, not 401).
    other = token(signer[0], azp="tax-cron-8", seamline_system="address-register")
    assert get(oidc_client, pin, other).status_code == 403
    unknown = token(signer[0], azp="who-knows")
    r = get(oidc_client, pin, unknown)
    assert r.status_code == 401 and "not registered" in r.json()["error"]["message"]
    revoked = token(signer[0], azp="retired-svc", seamline_system="tax-db")
    r = get(oidc_client, pin, revoked)
    assert r.status_code == 401 and "revoked" in r.json()["error"]["message"]


def _none_token() -> str:
    def b64(d: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")

    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "exp": now + 300, "azp": "tax-batch-svc"}
    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("expired", "expired"),
        ("wrong_audience", "aud"),
        ("wrong_issuer", "iss"),
        ("no_exp", "exp"),
        ("alg_none", "'none' is not accepted"),
        ("hs256", "'HS256' is not accepted"),
        ("unknown_kid", "key the issuer does not publish"),
        ("other_key_same_kid", "signature does not verify"),
        ("tampered", "signature does not verify"),
        ("es256_unpublished", "key the issuer does not publish"),
    ],
)
def test_bad_tokens_are_refused(
    demo: Any, oidc_client: TestClient, signer: Any, case: str, message: str
) -> None:
    key = signer[0]
    now = int(time.time())
    stranger = RSAKey.generate_key(2048, parameters={"kid": "idp-2026"})
    tokens = {
        "expired": lambda: token(key, iat=now - 4000, exp=now - 3600),
        "wrong_audience": lambda: token(key, aud="some-other-api"),
        "wrong_issuer": lambda: token(key, iss="https://evil.example/realms/x"),
        "no_exp": lambda: token(key, exp=None),
        "alg_none": _none_token,
        "hs256": lambda: token(OctKey.generate_key(256), {"alg": "HS256", "kid": "idp-2026"}),
        "unknown_kid": lambda: token(
            RSAKey.generate_key(2048), {"alg": "RS256", "kid": "rotated-away"}
        ),
        "other_key_same_kid": lambda: token(stranger),
        "tampered": lambda: token(key)[:-6] + "AAAAAA",
        "es256_unpublished": lambda: token(
            ECKey.generate_key("P-256"), {"alg": "ES256", "kid": "ec-1"}
        ),
    }
    r = get(oidc_client, demo.people[0]["national_id"], tokens[case]())
    assert r.status_code == 401, r.text
    err = r.json()["error"]
    assert err["code"] == "bad_token"
    assert message in err["message"]
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_api_keys_still_work_beside_tokens(
    demo: Any, oidc_client: TestClient, headers: Any
) -> None:
    pin = demo.people[0]["national_id"]
    r = oidc_client.get(f"/v1/persons/kg_pin:{pin}", headers=headers(demo.keys["tax"]))
    assert r.status_code == 200


def test_config_is_checked(tmp_path: Path) -> None:
    with pytest.raises(TokenConfigError):
        OidcConfig(issuer=ISSUER, audience=AUDIENCE).check()
    with pytest.raises(TokenConfigError):
        OidcConfig(ISSUER, AUDIENCE, jwks_path=tmp_path, algorithms=("RS256", "none")).check()
