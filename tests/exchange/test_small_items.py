"""The smaller hardening items of issue #18: Allow on 405, chunked bodies, the tracker's
systems declared in the workspace, a revoked client's certificate registered again."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from seamline.exchange import add_client, revoke_client
from seamline.exchange.clients import ClientError, client_by_name
from seamline.exchange.service import tracker_systems
from seamline.workspace import load_workspace


def test_405_names_the_allowed_methods(client: TestClient, demo: Any) -> None:
    r = client.post("/v1/persons/kg_pin:1", headers={"X-API-Key": demo.keys["tax"]})
    assert r.status_code == 405
    assert r.headers["Allow"] == "GET"
    assert r.json()["error"]["code"] == "method_not_allowed"


def _chunks(size: int) -> Iterator[bytes]:
    for _ in range(size // 1024):
        yield b"x" * 1024


def test_a_chunked_body_is_limited_like_any_other(client: TestClient, demo: Any) -> None:
    pin = demo.people[0]["national_id"]
    h = {"X-API-Key": demo.keys["tax"], "X-Seamline-Purpose": "tax-registration"}
    big = client.request("GET", f"/v1/persons/kg_pin:{pin}", headers=h, content=_chunks(64 * 1024))
    assert big.status_code == 413
    assert big.json()["error"]["code"] == "request_too_large"
    small = client.request("GET", f"/v1/persons/kg_pin:{pin}", headers=h, content=_chunks(2048))
    assert small.status_code == 200


@pytest.fixture
def portal_system(demo: Any) -> Iterator[Any]:
    path = demo.root / "systems" / "family-portal.yaml"
    path.write_text(
        "id: family-portal\nname: Family services portal\nagency: social-fund\n"
        "interface: api\ndata_tracker: true\n",
        encoding="utf-8",
    )
    try:
        yield load_workspace(demo.root)
    finally:
        path.unlink()


def test_the_tracker_systems_are_declared_in_the_workspace(
    demo: Any, portal_system: Any, caplog: pytest.LogCaptureFixture
) -> None:
    assert tracker_systems(portal_system) == frozenset({"family-portal"})
    _, key = add_client(demo.store, "family-portal-web", "family-portal")
    pin = demo.people[0]["national_id"]
    from seamline.exchange.app import create_app
    from seamline.exchange.service import ExchangeConfig

    config = ExchangeConfig(key_path=demo.key_path, today=demo.app().state.exchange.today)
    with TestClient(create_app(portal_system, demo.store, config)) as c:
        ok = c.get(f"/v1/tracker/kg_pin:{pin}", headers={"X-API-Key": key})
        assert ok.status_code == 200, ok.text
        # The old hard-wired name no longer counts once the workspace declares its portal.
        old = c.get(f"/v1/tracker/kg_pin:{pin}", headers={"X-API-Key": demo.keys["portal"]})
        assert old.status_code == 403
    with caplog.at_level(logging.WARNING, "seamline.exchange"):
        assert tracker_systems(demo.ws) == frozenset({"citizen-portal"})
    assert "data_tracker: true" in caplog.text  # the fallback says what to declare


def test_a_revoked_clients_certificate_can_be_registered_again(demo: Any) -> None:
    fingerprint = "ab" * 32
    add_client(demo.store, "gateway-2025", "tax-db", cert_fingerprint=fingerprint)
    with pytest.raises(ClientError, match="already has this certificate"):
        add_client(demo.store, "gateway-2026", "tax-db", cert_fingerprint=fingerprint)
    revoke_client(demo.store, "gateway-2025")
    info, _ = add_client(demo.store, "gateway-2026", "tax-db", cert_fingerprint=fingerprint)
    assert info.cert_fingerprint == fingerprint
    old = client_by_name(demo.store, "gateway-2025")
    assert old is not None and not old.active and old.cert_fingerprint is None
