"""Automated accessibility checks on every page: lang, one h1, labelled controls,
alt text, SVG titles, table headers, unique ids."""

from __future__ import annotations

import re
from typing import Any

import lxml.html
import pytest
from fastapi.testclient import TestClient
from uidemo import PASSWORD, unmap

from seamline.reconcile.worklist import load_worklist

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
UNLABELLED_TYPES = {"hidden", "submit", "button", "reset"}


def problems(html: str) -> list[str]:
    """What keeps a page from the checks above, one line each (empty when it passes)."""
    doc = lxml.html.document_fromstring(html)
    out: list[str] = []
    if not (doc.get("lang") or "").strip():
        out.append("<html> has no lang attribute")
    h1 = doc.xpath("//h1")
    if len(h1) != 1:
        out.append(f"{len(h1)} h1 elements, want exactly one")
    ids = [e.get("id") for e in doc.xpath("//*[@id]")]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        out.append(f"duplicate ids: {dupes[:5]}")
    labelled_for = {lab.get("for") for lab in doc.xpath("//label[@for]")}
    for el in doc.xpath("//input | //select | //textarea"):
        if el.tag == "input" and (el.get("type") or "text") in UNLABELLED_TYPES:
            continue
        ok = (
            (el.get("id") and el.get("id") in labelled_for)
            or el.xpath("ancestor::label")
            or el.get("aria-label")
            or el.get("aria-labelledby")
        )
        if not ok:
            out.append(f"unlabelled <{el.tag} name={el.get('name')!r}>")
    for ref in doc.xpath("//*[@aria-labelledby]"):
        for target in ref.get("aria-labelledby").split():
            if not doc.xpath(f'//*[@id="{target}"]'):
                out.append(f"aria-labelledby points at a missing id {target!r}")
    for img in doc.xpath("//img"):
        if img.get("alt") is None:
            out.append(f"<img src={img.get('src')!r}> has no alt text")
    for svg in doc.xpath("//svg"):
        if svg.get("role") != "img" or not svg.xpath("./title[normalize-space()]"):
            out.append("an <svg> is not role=img with a title")
    for table in doc.xpath("//table"):
        if not table.xpath(".//th"):
            out.append(f"a table (id={table.get('id')!r}) has no header cells")
        elif table.xpath("./thead") and not table.xpath("./thead//th[@scope='col']"):
            out.append(f"a table's head (id={table.get('id')!r}) has no th scope=col")
    for button in doc.xpath("//button"):
        if not button.text_content().strip() and not button.get("aria-label"):
            out.append("a button has no text")
    return out


def test_the_checker_finds_what_it_looks_for() -> None:
    bad = (
        "<html><body><h1>a</h1><h1>b</h1><input name='q'><img src='x.png'>"
        "<svg></svg><table><tr><td>1</td></tr></table><button></button>"
        "<p id='d'></p><p id='d'></p></body></html>"
    )
    found = problems(bad)
    assert len(found) == 8, found
    good = (
        "<html lang='en'><body><h1>a</h1><label for='q'>Q</label><input id='q' name='q'>"
        "<label><input type='radio' name='r'> one</label><img src='x.png' alt=''>"
        "<svg role='img'><title>t</title></svg>"
        "<table><thead><tr><th scope='col'>h</th></tr></thead></table><button>Go</button>"
        "</body></html>"
    )
    assert problems(good) == []


def sign_in(client: TestClient, name: str) -> str:
    page = client.get("/login")
    assert problems(page.text) == []
    token = CSRF.search(page.text)
    assert token
    client.post(
        "/login",
        data={"csrf": token.group(1), "username": name, "password": PASSWORD},
        follow_redirects=False,
    )
    home = client.get("/")
    found = CSRF.search(home.text)
    assert found
    return found.group(1)


def pages(demo: Any) -> list[str]:
    entity = next(r["entity_id"] for r in load_worklist(demo.store) if r["kind"] == "conflict")
    return [
        "/",
        "/catalogue",
        "/catalogue?q=address",
        *[f"/datasets/{d}" for d in sorted(demo.ws.datasets)],
        "/seams",
        *[f"/seams/{s}" for s in sorted(demo.ws.seams)],
        "/codes",
        "/worklist",
        f"/entities/{entity}",
        "/audit",
        "/no-such-page",
    ]


@pytest.mark.parametrize("role_user", ["admin.root", "aigul.toktogulova"])
def test_every_page_passes_the_checks(client: TestClient, ui_demo: Any, role_user: str) -> None:
    unmap(ui_demo.root)  # so the code-list page has its accept forms
    csrf = sign_in(client, role_user)
    failures = {}
    for path in pages(ui_demo):
        resp = client.get(path)
        assert resp.status_code in (200, 403, 404), path
        found = problems(resp.text)
        if found:
            failures[path] = found
    preview = client.post(
        "/codes/preview",
        data={
            "csrf": csrf,
            "codelist": "marital_status",
            "dataset": "civil_persons",
            "column": "MARITAL_CD",
            "local": "W",
            "code": "widowed",
        },
    )
    assert preview.status_code == 200
    if problems(preview.text):
        failures["/codes/preview"] = problems(preview.text)
    assert failures == {}
