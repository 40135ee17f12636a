"""Every error, whatever raised it, is the same JSON envelope with a request id."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

H = Callable[..., dict[str, str]]

# (method, url template, headers kind, status, code); {pin} is a real person's PIN.
CASES = [
    ("GET", "/v1/persons/kg_pin:{pin}", "none", 401, "missing_credentials"),
    ("GET", "/v1/persons/kg_pin:{pin}", "bad_key", 401, "bad_credentials"),
    ("GET", "/v1/persons/kg_pin:{pin}", "basic", 401, "bad_credentials"),
    ("GET", "/v1/persons/kg_pin:{pin}", "no_purpose", 400, "purpose_required"),
    ("GET", "/v1/persons/kg_pin:{pin}", "wrong_purpose", 403, "wrong_purpose"),
    ("GET", "/v1/persons/no-colon", "tax", 400, "malformed_identifier"),
    ("GET", "/v1/persons/Bad Scheme:1", "tax", 400, "malformed_identifier"),
    ("GET", "/v1/persons/kg_passport:123", "tax", 400, "unknown_scheme"),
    ("GET", "/v1/persons/kg_pin:3999", "tax", 400, "invalid_identifier"),
    ("GET", "/v1/persons/kg_pin:20101190000000", "tax", 404, "person_not_found"),
    ("GET", "/v1/persons", "tax", 400, "query_required"),
    ("GET", "/v1/persons?birth_date=1.2.1990", "tax", 400, "invalid_date"),
    ("GET", "/v1/persons?family_name=A&size=1000", "tax", 422, "invalid_request"),
    ("GET", "/v1/persons?family_name=A&page=x", "tax", 422, "invalid_request"),
    ("GET", "/v1/persons/kg_pin:{pin}/provenance/shoe_size", "tax", 404, "unknown_attribute"),
    ("GET", "/v1/persons/kg_pin:{pin}/provenance/sex", "tax", 403, "attribute_not_agreed"),
    ("GET", "/v1/tracker/kg_pin:{pin}", "tax", 403, "not_a_tracker_client"),
    ("GET", "/v1/nothing-here", "tax", 404, "not_found"),
    ("GET", "/nothing-here", "none", 404, "not_found"),
    ("POST", "/v1/persons/kg_pin:{pin}", "tax", 405, "method_not_allowed"),
    ("DELETE", "/healthz", "none", 405, "method_not_allowed"),
    ("GET", "/v1/persons/kg_pin:{pin}", "too_large", 413, "request_too_large"),
]


def _headers(kind: str, demo: Any, headers: H) -> dict[str, str]:
    tax = demo.keys["tax"]
    return {
        "none": {},
        "bad_key": headers("sl_0000_notakey"),
        "basic": {"Authorization": "Basic dGF4OnRheA==", "X-Seamline-Purpose": "tax-registration"},
        "no_purpose": headers(tax, None),
        "wrong_purpose": headers(tax, "marketing"),
        "tax": headers(tax),
        "too_large": headers(tax, **{"Content-Length": "999999"}),
    }[kind]


@pytest.mark.parametrize(("method", "url", "kind", "status", "code"), CASES)
def test_error_envelope(
    demo: Any, client: TestClient, headers: H,
    method: str, url: str, kind: str, status: int, code: str,
) -> None:  # fmt: skip
    r = client.request(method, url.format(pin=demo.people[0]["national_id"]),
                       headers=_headers(kind, demo, headers))  # fmt: skip
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"}
    err = body["error"]
    assert set(err) == {"code", "message", "request_id"}
    assert err["code"] == code
    assert isinstance(err["message"], str) and len(err["message"]) > 5
    assert err["request_id"] == r.headers["x-request-id"]
    assert demo.people[0]["family_name"] not in r.text


def test_crash_is_an_envelope_too(demo: Any, headers: H) -> None:
    with TestClient(demo.app(), raise_server_exceptions=False) as c:

        def boom(*_: Any) -> None:
            raise RuntimeError("secret detail")

        c.app.state.exchange.index.find = boom  # type: ignore[attr-defined]
        r = c.get(
            f"/v1/persons/kg_pin:{demo.people[0]['national_id']}", headers=headers(demo.keys["tax"])
        )
    assert r.status_code == 500
    assert r.json()["error"]["code"] == "internal_error"
    assert "secret detail" not in r.text
