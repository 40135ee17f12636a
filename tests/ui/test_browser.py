"""A real browser (Debian's chromium, headless, driven by Playwright) against the
served UI: sign in, walk every page, accept a crosswalk suggestion, record a decision,
track a person, the layout at tablet size, and sign-in and navigation by keyboard only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from uibrowser import DESKTOP, TABLET, chromium, missing_browser, require_services, serve, sign_in
from uidemo import TODAY, unmap

from seamline.reconcile.worklist import load_worklist
from seamline.store.models import Decision


def need_browser() -> None:
    """Skip (or, with SEAMLINE_REQUIRE_SERVICES=1, fail) without chromium and playwright."""
    missing = missing_browser()
    if not missing:
        return
    reason = (
        f"{', '.join(missing)} not installed (apt-get install chromium; pip install playwright)"
    )
    if require_services():
        pytest.fail(f"{reason}, and SEAMLINE_REQUIRE_SERVICES=1 requires it")
    pytest.skip(reason)


def heading(page: Any, text: str) -> None:
    """Wait (up to 10 s) for the page whose h1 is ``text``: a click that submits a form
    or follows a link returns before the next page has replaced the old one."""
    from playwright.sync_api import expect

    expect(page.locator("h1")).to_have_text(text, timeout=10_000)


@pytest.fixture(scope="module")
def server(ui_demo: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    need_browser()
    with serve(ui_demo.ws, ui_demo.store, ui_demo.key_path, TODAY) as url:
        yield url


@pytest.fixture
def desktop() -> Iterator[Any]:
    need_browser()
    with chromium(DESKTOP) as page:
        yield page


def test_a_steward_walks_the_pages_accepts_a_crosswalk_and_decides(
    ui_demo: Any, server: str, desktop: Any
) -> None:
    page = desktop
    path = unmap(ui_demo.root)
    page.goto(f"{server}/ui/worklist")
    assert "/ui/login" in page.url  # signed out: sent to sign in first
    sign_in(page, server, "aigul.toktogulova", ui_demo.password, "/worklist")
    heading(page, "Reconciliation worklist")

    # Walk the main pages through the navigation, as a person would.
    for link, title in (("Overview", "Overview"), ("Catalogue", "Catalogue"),
                        ("Seams", "Seams"), ("Code lists", "Code lists")):  # fmt: skip
        page.get_by_role("link", name=link, exact=True).click()
        heading(page, title)
    page.get_by_role("link", name="Catalogue", exact=True).click()
    heading(page, "Catalogue")
    assert page.locator("#matrix tbody tr").count() > 0
    page.click('#matrix a[href$="/datasets/civil_persons"]')
    heading(page, "Civil registry: persons extract")
    assert page.locator("svg.chart.hbars").count() > 0
    page.get_by_role("link", name="Seams", exact=True).click()
    heading(page, "Seams")
    page.get_by_role("link", name="civil-to-tax", exact=True).click()
    assert page.locator("svg.chart.stacked rect").first.is_visible()

    # Accept the suggestion for the unmapped "W": a diff first, written on confirm.
    before = path.read_text(encoding="utf-8")
    page.get_by_role("link", name="Code lists", exact=True).click()
    heading(page, "Code lists")
    form = page.locator('form.accept[aria-labelledby$="MARITAL_CD-1"]')
    assert form.locator("select").input_value() == "widowed"  # best first
    form.locator('button[type="submit"]').click()
    page.wait_for_url("**/codes/preview")
    added = page.locator("pre.diff ins").inner_text()
    assert added == '+      - {local: "W", code: widowed}'
    assert path.read_text(encoding="utf-8") == before  # shown, not written
    page.get_by_role("button", name="Write this change", exact=True).click()
    assert "W → widowed" in page.locator("#done").inner_text()
    after = path.read_text(encoding="utf-8")
    assert after != before and '- {local: "W", code: widowed}' in after

    # Open a conflict's entity page from the worklist and decide there.
    row = next(r for r in load_worklist(ui_demo.store) if r["kind"] == "conflict")
    page.get_by_role("link", name="Worklist", exact=True).click()
    heading(page, "Reconciliation worklist")
    page.get_by_role("link", name=row["entity_id"], exact=True).first.click()
    heading(page, f"Person {row['entity_id']}")
    assert page.locator("mark.differs").count() > 0
    form = page.locator(f'form.decide[aria-labelledby="a-{row["attribute"]}"]')
    pick = form.locator('input[name="value"]:not(:checked)').first
    value = pick.get_attribute("value")
    pick.check()
    form.locator('input[name="reason"]').fill("Бакыт Садыков confirmed it by phone")
    form.locator('button[type="submit"]').click()
    done = page.locator("#done").inner_text()
    with ui_demo.store.session() as s:
        last = s.scalars(select(Decision).order_by(Decision.id.desc()).limit(1)).one()
    assert (last.actor, last.subject, last.attribute, last.value, last.reason) == (
        "aigul.toktogulova",
        row["entity_id"],
        row["attribute"],
        value,
        "Бакыт Садыков confirmed it by phone",
    )
    assert done.startswith(f"Decision #{last.id} recorded")
    assert "Бакыт Садыков confirmed it by phone" in page.locator("#decisions").inner_text()


def test_an_auditor_filters_the_log_and_tracks_a_person(
    ui_demo: Any, server: str, desktop: Any
) -> None:
    import httpx
    import pyarrow.parquet as pq

    table = pq.read_table(ui_demo.ws.data_dir / "reference" / "person.parquet")
    person = next(p for p in table.to_pylist() if p["national_id"] and p["family_name"])
    api = {"Authorization": f"Bearer {ui_demo.api_key}", "X-Seamline-Purpose": "tax-registration"}
    resp = httpx.get(f"{server}/v1/persons/kg_pin:{person['national_id']}", headers=api)
    assert resp.status_code == 200
    page = desktop
    sign_in(page, server, "gulnara.auditor", ui_demo.password, "/audit")
    heading(page, "Audit")
    assert "audit chain is intact" in page.locator("#chain").inner_text()
    page.select_option("#f-purpose", label="tax-registration")
    page.get_by_role("button", name="Filter", exact=True).click()
    page.wait_for_url("**purpose=tax-registration**")
    log = page.locator("#log").inner_text()
    assert "person.lookup" in log and "ui.view" not in log
    page.fill("#ref", f"kg_pin:{person['national_id']}")
    page.get_by_role("button", name="Track", exact=True).click()
    assert person["entity_id"] in page.locator("#tracker-result").inner_text()
    tracked = page.locator("#tracker").inner_text()
    assert "tax-registration" in tracked and "person.lookup" in tracked
    assert person["national_id"] not in page.url  # sent by POST, not in the URL


def test_every_page_fits_a_tablet(ui_demo: Any, server: str) -> None:
    """At 768x1024 no page scrolls sideways (wide tables scroll inside their region)
    and the navigation stays on screen."""
    need_browser()
    entity = next(r["entity_id"] for r in load_worklist(ui_demo.store) if r["kind"] == "conflict")
    paths = ["/", "/catalogue", "/datasets/civil_persons", "/seams", "/seams/civil-to-tax",
             "/codes", "/worklist", f"/entities/{entity}", "/audit"]  # fmt: skip
    with chromium(TABLET) as page:
        sign_in(page, server, "admin.root", ui_demo.password)
        wide = {}
        for p in paths:
            page.goto(f"{server}/ui{p}")
            width = page.evaluate("document.documentElement.scrollWidth")
            inner = page.evaluate("window.innerWidth")
            assert inner == TABLET[0]
            if width > inner:
                wide[p] = width
            nav = page.locator("header nav")
            box = nav.bounding_box()
            assert nav.is_visible() and box is not None and box["x"] + box["width"] <= inner
        assert wide == {}


def focused(page: Any) -> dict[str, Any]:
    """The focused element: its id, tag, text and its outline (the focus ring)."""
    return dict(
        page.evaluate(
            """() => { const e = document.activeElement, s = getComputedStyle(e);
                       return {id: e.id, tag: e.tagName.toLowerCase(),
                               text: (e.innerText || '').trim(),
                               outline: `${s.outlineWidth} ${s.outlineStyle} ${s.outlineColor}`}; }"""
        )
    )


FOCUS_RING = "3px solid rgb(255, 191, 71)"  # ui.css: 3px in --focus, not the browser's default


def tab_to(page: Any, want: Any, limit: int = 15) -> dict[str, Any]:
    """Press Tab until ``want(focused)`` holds; fail after ``limit`` presses."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if want(now):
            return now
        seen.append(now["id"] or now["text"] or now["tag"])
    raise AssertionError(f"Tab never reached the element; focus went through {seen}")


def test_sign_in_and_navigate_by_keyboard_only(ui_demo: Any, server: str, desktop: Any) -> None:
    """No mouse: the sign-in form, the skip link and the navigation work with Tab and
    Enter, and every element that takes focus shows it."""
    page = desktop
    page.goto(f"{server}/ui/login")
    start = focused(page)
    assert start["id"] == "username"  # the form's first field has the focus on arrival
    page.keyboard.type("bakyt.sadykov")
    assert tab_to(page, lambda f: f["id"] == "password", limit=1)["outline"] == FOCUS_RING
    page.keyboard.type(ui_demo.password)
    button = tab_to(page, lambda f: f["tag"] == "button", limit=1)
    assert button["text"] == "Sign in" and button["outline"] == FOCUS_RING
    page.keyboard.press("Enter")
    heading(page, "Overview")
    assert page.locator("form.who").inner_text().startswith("bakyt.sadykov")

    # The first Tab reaches the skip link, which moves the focus to the content.
    skip = tab_to(page, lambda f: f["tag"] == "a", limit=1)
    assert skip["text"] == "Skip to content" and skip["outline"] == FOCUS_RING
    assert page.get_by_role("link", name="Skip to content").is_visible()  # shown on focus
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"

    # From the top, Tab through the navigation to the worklist and open it with Enter.
    page.goto(f"{server}/ui/")
    link = tab_to(page, lambda f: f["text"] == "Worklist")
    assert link["outline"] == FOCUS_RING
    page.keyboard.press("Enter")
    heading(page, "Reconciliation worklist")
    # and on to a conflict's entity page, still without a mouse
    row = next(r for r in load_worklist(ui_demo.store) if r["kind"] == "conflict")
    tab_to(page, lambda f: f["text"] == row["entity_id"], limit=200)
    page.keyboard.press("Enter")
    heading(page, f"Person {row['entity_id']}")
