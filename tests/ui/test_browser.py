"""One real browser (Debian's chromium, headless, via selenium): sign in, decide, see it."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from seamline.store.models import Decision
from seamline.ui import create_ui_app

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
REQUIRE = os.environ.get("SEAMLINE_REQUIRE_SERVICES") == "1"


def need_browser() -> None:
    """Skip (or, with SEAMLINE_REQUIRE_SERVICES=1, fail) without chromium and selenium."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not shutil.which(p)]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package")
    if not missing:
        return
    reason = f"{', '.join(missing)} not installed (apt-get install chromium chromium-driver)"
    if REQUIRE:
        pytest.fail(f"{reason}, and SEAMLINE_REQUIRE_SERVICES=1 requires it")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(ui_demo: Any) -> Iterator[str]:
    import uvicorn

    port = free_port()
    app = create_ui_app(ui_demo.ws, ui_demo.store)
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)


@pytest.fixture
def browser() -> Iterator[Any]:
    need_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--window-size=1280,800", "--disable-gpu"):  # fmt: skip
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.implicitly_wait(5)
    try:
        yield driver
    finally:
        driver.quit()


def test_a_steward_decides_a_conflict_in_the_browser(
    ui_demo: Any, server: str, browser: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(f"{server}/worklist")
    assert "/login" in browser.current_url  # signed out: sent to sign in first
    browser.find_element(By.ID, "username").send_keys("aigul.toktogulova")
    password = browser.find_element(By.ID, "password")
    password.send_keys(ui_demo.password)
    password.send_keys(Keys.ENTER)  # keyboard only
    heading = browser.find_element(By.TAG_NAME, "h1")
    assert heading.text == "Reconciliation worklist"  # back where she was going

    form = browser.find_element(By.CSS_SELECTOR, "form.decide")
    radios = form.find_elements(By.CSS_SELECTOR, 'input[name="value"]')
    assert len(radios) >= 2
    pick = next(r for r in radios if not r.is_selected())
    value = pick.get_attribute("value")
    pick.click()
    form.find_element(By.CSS_SELECTOR, 'input[name="reason"]').send_keys(
        "Бакыт Садыков confirmed it by phone"
    )
    form.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()

    done = browser.find_element(By.ID, "done")
    assert done.text.startswith("Decision #") and done.text.endswith("recorded.")
    table = browser.find_element(By.ID, "decisions").text
    assert "aigul.toktogulova" in table and "Бакыт Садыков confirmed it by phone" in table
    with ui_demo.store.session() as s:
        last = s.scalars(select(Decision).order_by(Decision.id.desc()).limit(1)).one()
        assert (last.actor, last.value, last.reason) == (
            "aigul.toktogulova",
            value,
            "Бакыт Садыков confirmed it by phone",
        )
    assert done.text == f"Decision #{last.id} recorded."
