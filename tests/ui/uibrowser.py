"""A served UI and a headless chromium for the browser tests and `make screenshots`.

The UI runs mounted in the exchange app (as ``seamline serve`` runs it) under uvicorn
in a thread; chromium is Debian's (``/usr/bin/chromium``), driven by Playwright's sync
API. Playwright's own browser download (``playwright install``) is never used.
"""

from __future__ import annotations

import datetime as dt
import os
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
DESKTOP = (1280, 800)
TABLET = (768, 1024)


def missing_browser() -> list[str]:
    missing = [] if os.access(CHROMIUM, os.X_OK) else [CHROMIUM]
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package")
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
    """A page in a headless chromium whose viewport is ``size`` (CSS pixels)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--disable-dev-shm-usage", "--disable-gpu", "--hide-scrollbars"],
        )
        try:
            context = browser.new_context(
                viewport={"width": size[0], "height": size[1]}, device_scale_factor=1
            )
            context.set_default_timeout(10_000)
            yield context.new_page()
        finally:
            browser.close()


def sign_in(page: Any, base: str, name: str, password: str, path: str = "/") -> None:
    page.goto(f"{base}/ui{path}")
    page.fill("#username", name)
    page.fill("#password", password)
    page.press("#password", "Enter")
    page.wait_for_selector("form.who")  # signed in: the header shows the user


def require_services() -> bool:
    return os.environ.get("SEAMLINE_REQUIRE_SERVICES") == "1"
