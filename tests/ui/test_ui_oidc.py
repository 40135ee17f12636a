"""OIDC sign-in (authorization code with PKCE) against a real, small provider over HTTP."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from joserfc.jwk import ECKey
from oidcfake import FakeProvider, fake_provider
from uidemo import TODAY

from seamline.ui import create_ui_app
from seamline.ui.oidc import OidcError, UiOidcConfig, challenge

CLIENT = "seamline-ui"


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    with fake_provider(CLIENT, None) as p:
        yield p


def ui(demo: Any, config: UiOidcConfig) -> TestClient:
    return TestClient(create_ui_app(demo.ws, demo.store, today=TODAY, oidc=config))


def sso(client: TestClient, provider: FakeProvider, next_: str = "/worklist") -> httpx.Response:
    """What a browser does: start, follow to the provider, come back with the code."""
    start = client.get("/login/oidc", params={"next": next_}, follow_redirects=False)
    assert start.status_code == 303
    assert start.headers["location"].startswith(f"{provider.issuer}/authorize?")
    at_provider = httpx.get(start.headers["location"], follow_redirects=False)
    assert at_provider.status_code == 302
    return client.get(at_provider.headers["location"], follow_redirects=False)


def last_login(demo: Any) -> dict[str, Any]:
    path = demo.ws.data_dir / "ui" / "audit.jsonl"
    events = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return dict(next(e for e in reversed(events) if e["action"] == "ui.login"))


def test_a_steward_signs_in_through_the_provider(ui_demo: Any, provider: FakeProvider) -> None:
    with ui(ui_demo, UiOidcConfig(provider.issuer, CLIENT, label="State Staff ID")) as client:
        login = client.get("/login").text
        assert 'href="/login/oidc">Sign in with State Staff ID</a>' in login
        back = sso(client, provider)
        assert back.status_code == 303 and back.headers["location"] == "/worklist"
        page = client.get("/worklist")
        assert page.status_code == 200 and "aigul.toktogulova" in page.text
    sent = provider.seen[-1]
    assert sent["response_type"] == "code" and sent["scope"] == "openid profile"
    assert sent["code_challenge_method"] == "S256" and len(sent["code_challenge"]) == 43
    assert sent["nonce"] and sent["state"] and sent["nonce"] != sent["state"]
    assert sent["redirect_uri"] == "http://testserver/login/oidc/callback"
    assert provider.token_errors == []  # the verifier matched the challenge
    event = last_login(ui_demo)
    assert (event["actor"], event["action"], event["outcome"]) == (
        "aigul.toktogulova",
        "ui.login",
        "ok",
    )
    assert event["details"] == {"role": "steward", "method": "oidc"}


def test_a_confidential_client_authenticates_at_the_token_endpoint(ui_demo: Any) -> None:
    with fake_provider(CLIENT, "s3cret-from-the-environment") as provider:
        good = UiOidcConfig(provider.issuer, CLIENT, client_secret="s3cret-from-the-environment")
        with ui(ui_demo, good) as client:
            assert sso(client, provider).status_code == 303
        wrong = UiOidcConfig(provider.issuer, CLIENT, client_secret="not-the-secret")
        with ui(ui_demo, wrong) as client:
            refused = sso(client, provider)
            assert refused.status_code == 403
            assert "refused the code (invalid_client)" in refused.text
        assert provider.token_errors == ["invalid_client"]


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        ({"nonce": "replayed-nonce"}, "nonce is missing or not accepted"),
        ({"aud": "another-app"}, "aud is missing or not accepted"),
        ({"iss": "https://idp.example"}, "iss is missing or not accepted"),
        ({"exp": int(time.time()) - 600}, "the ID token has expired"),
    ],
)
def test_id_tokens_with_wrong_claims_are_refused(
    ui_demo: Any, provider: FakeProvider, tamper: dict[str, Any], message: str
) -> None:
    provider.tamper = tamper
    with ui(ui_demo, UiOidcConfig(provider.issuer, CLIENT)) as client:
        refused = sso(client, provider)
        assert refused.status_code == 403 and message in refused.text
        assert client.get("/", follow_redirects=False).status_code == 303  # not signed in
    assert last_login(ui_demo)["outcome"] == "refused"


def test_an_id_token_signed_with_another_key_is_refused(
    ui_demo: Any, provider: FakeProvider
) -> None:
    provider.sign_with = ECKey.generate_key("P-256", parameters={"kid": provider.key.kid})
    with ui(ui_demo, UiOidcConfig(provider.issuer, CLIENT)) as client:
        refused = sso(client, provider)
    assert refused.status_code == 403 and "signature does not verify" in refused.text


def test_state_must_match_and_a_callback_works_once(ui_demo: Any, provider: FakeProvider) -> None:
    with ui(ui_demo, UiOidcConfig(provider.issuer, CLIENT)) as client:
        start = client.get("/login/oidc", follow_redirects=False)
        back = httpx.get(start.headers["location"], follow_redirects=False).headers["location"]
        forged = back.replace("state=", "state=x")
        assert client.get(forged, follow_redirects=False).status_code == 403
        assert client.get(back, follow_redirects=False).status_code == 303
        # used: the cookie holding state, nonce and verifier is gone
        again = client.get(back, follow_redirects=False)
        assert again.status_code == 403 and "start again" in again.text
    with ui(ui_demo, UiOidcConfig(provider.issuer, CLIENT)) as other:  # another browser
        start = other.get("/login/oidc", follow_redirects=False)
        back = httpx.get(start.headers["location"], follow_redirects=False).headers["location"]
    with ui(ui_demo, UiOidcConfig(provider.issuer, CLIENT)) as client:
        assert client.get(back, follow_redirects=False).status_code == 403


def test_a_person_without_a_ui_account_is_refused(ui_demo: Any, provider: FakeProvider) -> None:
    provider.user = "somebody.else"
    with ui(ui_demo, UiOidcConfig(provider.issuer, CLIENT)) as client:
        refused = sso(client, provider)
    assert refused.status_code == 403 and "somebody.else has no account" in refused.text
    event = last_login(ui_demo)
    assert (event["actor"], event["outcome"]) == ("somebody.else", "refused")


def test_after_sign_in_only_a_path_on_this_site_is_followed(
    ui_demo: Any, provider: FakeProvider
) -> None:
    with ui(ui_demo, UiOidcConfig(provider.issuer, CLIENT)) as client:
        back = sso(client, provider, next_="//evil.example/")
    assert back.headers["location"] == "/"


def test_settings_and_discovery_are_checked(ui_demo: Any, provider: FakeProvider) -> None:
    with pytest.raises(OidcError, match="asymmetric"):
        UiOidcConfig(provider.issuer, CLIENT, algorithms=("HS256",)).check()
    with pytest.raises(OidcError, match="asymmetric"):
        UiOidcConfig(provider.issuer, CLIENT, algorithms=("none",)).check()
    assert challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == (
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636, appendix B
    )
    with ui(ui_demo, UiOidcConfig(provider.issuer + "/", CLIENT)) as client:
        wrong = client.get("/login/oidc", follow_redirects=False)
    assert wrong.status_code == 502 and "names a different issuer" in wrong.text
    with ui(ui_demo, UiOidcConfig("http://127.0.0.1:9", CLIENT)) as client:
        down = client.get("/login/oidc", follow_redirects=False)
    assert down.status_code == 502 and "cannot read the provider" in down.text
    with TestClient(create_ui_app(ui_demo.ws, ui_demo.store, today=TODAY)) as plain:
        assert "Sign in with" not in plain.get("/login").text
        assert plain.get("/login/oidc", follow_redirects=False).status_code == 404
