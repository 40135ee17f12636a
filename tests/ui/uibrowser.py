"""A served UI and a headless chromium for the browser tests and `make screenshots`.

The UI runs mounted in the exchange app (as ``seamline serve`` runs it) under uvicorn
in a thread; chromium is Debian's, driven by selenium through Debian's chromedriver.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from seamline.exchange import ExchangeConfig
from seamline.exchange.app import create_app
from seamline.store import Store
from seamline.ui import mount_ui
from seamline.workspace import Workspace

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
DESKTOP = (1280, 800)
TABLET = (768, 1024)


def missing_browser() -> list[str]:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not shutil.which(p)]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package")
    return missing


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(ws: Workspace, store: Store, key_path: Path, today: dt.date) -> Iterator[str]:
    """The exchange app with the UI at /ui on a free port; yields the base URL."""
    import uvicorn

    app = create_app(ws, store, ExchangeConfig(key_path=key_path, today=today))
    mount_ui(app, ws, store)
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)


@contextmanager
def chromium(size: tuple[int, int] = DESKTOP) -> Iterator[Any]:
    """A headless chromium whose viewport is ``size`` (CSS pixels)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--hide-scrollbars", "--force-device-scale-factor=1"):  # fmt: skip
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        # The window size includes no browser chrome in headless mode; set the viewport
        # exactly so screenshots and layout checks see 1280x800 or 768x1024.
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": False},
        )
        driver.implicitly_wait(5)
        yield driver
    finally:
        driver.quit()


def sign_in(driver: Any, base: str, name: str, password: str, path: str = "/") -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver.get(f"{base}/ui{path}")
    driver.find_element(By.ID, "username").send_keys(name)
    field = driver.find_element(By.ID, "password")
    field.send_keys(password)
    field.send_keys(Keys.ENTER)
    driver.find_element(By.CSS_SELECTOR, "form.who")  # signed in: the header shows the user


def require_services() -> bool:
    return os.environ.get("SEAMLINE_REQUIRE_SERVICES") == "1"
