"""A real browser (Debian's chromium, headless, via selenium) against the served UI:
sign in, walk every page, accept a crosswalk suggestion, record a decision, track a
person, and the layout at tablet size."""

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
    """Skip (or, with SEAMLINE_REQUIRE_SERVICES=1, fail) without chromium and selenium."""
    missing = missing_browser()
    if not missing:
        return
    reason = f"{', '.join(missing)} not installed (apt-get install chromium chromium-driver)"
    if require_services():
        pytest.fail(f"{reason}, and SEAMLINE_REQUIRE_SERVICES=1 requires it")
    pytest.skip(reason)


def wait_until(browser: Any, check: Any, what: str) -> None:
    """Wait (up to 10 s) for ``check(browser)``: a click that submits a form or follows a
    link returns before the next page has replaced the old one."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 10).until(check, message=what)


def heading_is(text: str) -> Any:
    from selenium.webdriver.common.by import By

    return lambda b: b.find_element(By.TAG_NAME, "h1").text == text


@pytest.fixture(scope="module")
def server(ui_demo: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    need_browser()
    key = tmp_path_factory.mktemp("browser") / "audit.pem"
    with serve(ui_demo.ws, ui_demo.store, key, TODAY) as url:
        yield url


@pytest.fixture
def desktop() -> Iterator[Any]:
    need_browser()
    with chromium(DESKTOP) as driver:
        yield driver


def test_a_steward_walks_the_pages_accepts_a_crosswalk_and_decides(
    ui_demo: Any, server: str, desktop: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser = desktop
    path = unmap(ui_demo.root)
    browser.get(f"{server}/ui/worklist")
    assert "/ui/login" in browser.current_url  # signed out: sent to sign in first
    sign_in(browser, server, "aigul.toktogulova", ui_demo.password, "/worklist")
    wait_until(browser, heading_is("Reconciliation worklist"), "back at the worklist")

    # Walk the main pages through the navigation, as a person would.
    for link, heading in (("Overview", "Overview"), ("Catalogue", "Catalogue"),
                          ("Seams", "Seams"), ("Code lists", "Code lists")):  # fmt: skip
        browser.find_element(By.LINK_TEXT, link).click()
        wait_until(browser, heading_is(heading), f"the {heading} page")
    browser.find_element(By.LINK_TEXT, "Catalogue").click()
    wait_until(browser, heading_is("Catalogue"), "the catalogue")
    assert browser.find_elements(By.CSS_SELECTOR, "#matrix tbody tr")
    browser.find_element(By.CSS_SELECTOR, '#matrix a[href$="/datasets/civil_persons"]').click()
    wait_until(browser, heading_is("Civil registry: persons extract"), "the dataset page")
    assert browser.find_elements(By.CSS_SELECTOR, "svg.chart.hbars")
    browser.find_element(By.LINK_TEXT, "Seams").click()
    wait_until(browser, heading_is("Seams"), "the seams board")
    browser.find_element(By.LINK_TEXT, "civil-to-tax").click()
    assert browser.find_element(By.CSS_SELECTOR, "svg.chart.stacked rect").is_displayed()

    # Accept the suggestion for the unmapped "W": a diff first, written on confirm.
    before = path.read_text(encoding="utf-8")
    browser.find_element(By.LINK_TEXT, "Code lists").click()
    wait_until(browser, heading_is("Code lists"), "the code lists")
    form = browser.find_element(By.CSS_SELECTOR, 'form.accept[aria-labelledby$="MARITAL_CD-1"]')
    choice = Select(form.find_element(By.TAG_NAME, "select"))
    assert choice.first_selected_option.get_attribute("value") == "widowed"  # best first
    form.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()
    wait_until(browser, lambda b: "/codes/preview" in b.current_url, "the diff")
    added = browser.find_element(By.CSS_SELECTOR, "pre.diff ins").text
    assert added == '+      - {local: "W", code: widowed}'
    assert path.read_text(encoding="utf-8") == before  # shown, not written
    browser.find_element(By.XPATH, '//button[text()="Write this change"]').click()
    assert "W → widowed" in browser.find_element(By.ID, "done").text
    after = path.read_text(encoding="utf-8")
    assert after != before and '- {local: "W", code: widowed}' in after

    # Open a conflict's entity page from the worklist and decide there.
    row = next(r for r in load_worklist(ui_demo.store) if r["kind"] == "conflict")
    browser.find_element(By.LINK_TEXT, "Worklist").click()
    wait_until(browser, heading_is("Reconciliation worklist"), "the worklist")
    browser.find_element(By.LINK_TEXT, row["entity_id"]).click()
    wait_until(browser, heading_is(f"Entity {row['entity_id']}"), "the entity page")
    assert browser.find_elements(By.CSS_SELECTOR, "mark.differs")
    form = browser.find_element(
        By.CSS_SELECTOR, f'form.decide[aria-labelledby="a-{row["attribute"]}"]'
    )
    pick = next(
        r for r in form.find_elements(By.CSS_SELECTOR, 'input[name="value"]') if not r.is_selected()
    )
    value = pick.get_attribute("value")
    pick.click()
    form.find_element(By.CSS_SELECTOR, 'input[name="reason"]').send_keys(
        "Бакыт Садыков confirmed it by phone"
    )
    form.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()
    done = browser.find_element(By.ID, "done")
    with ui_demo.store.session() as s:
        last = s.scalars(select(Decision).order_by(Decision.id.desc()).limit(1)).one()
    assert (last.actor, last.subject, last.attribute, last.value, last.reason) == (
        "aigul.toktogulova",
        row["entity_id"],
        row["attribute"],
        value,
        "Бакыт Садыков confirmed it by phone",
    )
    assert done.text.startswith(f"Decision #{last.id} recorded")
    assert "Бакыт Садыков confirmed it by phone" in browser.find_element(By.ID, "decisions").text


def test_an_auditor_filters_the_log_and_tracks_a_person(
    ui_demo: Any, server: str, desktop: Any
) -> None:
    import httpx
    import pyarrow.parquet as pq
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    table = pq.read_table(ui_demo.ws.data_dir / "reference" / "person.parquet")
    person = next(p for p in table.to_pylist() if p["national_id"] and p["family_name"])
    api = {"Authorization": f"Bearer {ui_demo.api_key}", "X-Seamline-Purpose": "tax-registration"}
    resp = httpx.get(f"{server}/v1/persons/kg_pin:{person['national_id']}", headers=api)
    assert resp.status_code == 200
    browser = desktop
    sign_in(browser, server, "gulnara.auditor", ui_demo.password, "/audit")
    wait_until(browser, heading_is("Audit"), "the audit page")
    assert "audit chain is intact" in browser.find_element(By.ID, "chain").text
    Select(browser.find_element(By.ID, "f-purpose")).select_by_visible_text("tax-registration")
    browser.find_element(By.XPATH, '//button[text()="Filter"]').click()
    wait_until(browser, lambda b: "purpose=tax-registration" in b.current_url, "the filtered log")
    log = browser.find_element(By.ID, "log").text
    assert "person.lookup" in log and "ui.view" not in log
    field = browser.find_element(By.ID, "ref")
    field.send_keys(f"kg_pin:{person['national_id']}")
    browser.find_element(By.XPATH, '//button[text()="Track"]').click()
    assert person["entity_id"] in browser.find_element(By.ID, "tracker-result").text
    tracked = browser.find_element(By.ID, "tracker").text
    assert "tax-registration" in tracked and "person.lookup" in tracked
    assert person["national_id"] not in browser.current_url  # sent by POST, not in the URL


def test_every_page_fits_a_tablet(ui_demo: Any, server: str) -> None:
    """At 768x1024 no page scrolls sideways (wide tables scroll inside their region)
    and the navigation stays on screen."""
    from selenium.webdriver.common.by import By

    need_browser()
    entity = next(r["entity_id"] for r in load_worklist(ui_demo.store) if r["kind"] == "conflict")
    paths = ["/", "/catalogue", "/datasets/civil_persons", "/seams", "/seams/civil-to-tax",
             "/codes", "/worklist", f"/entities/{entity}", "/audit"]  # fmt: skip
    with chromium(TABLET) as browser:
        sign_in(browser, server, "admin.root", ui_demo.password)
        wide = {}
        for p in paths:
            browser.get(f"{server}/ui{p}")
            width = browser.execute_script("return document.documentElement.scrollWidth")
            inner = browser.execute_script("return window.innerWidth")
            assert inner == TABLET[0]
            if width > inner:
                wide[p] = width
            nav = browser.find_element(By.CSS_SELECTOR, "header nav")
            assert nav.is_displayed() and nav.rect["x"] + nav.rect["width"] <= inner
        assert wide == {}
