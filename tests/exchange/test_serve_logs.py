"""What ``seamline serve`` prints on start: the server's own lines, not the store's migrations."""

from __future__ import annotations

from pathlib import Path

from liveserver import start_server

from seamline.pipeline import run_pipeline
from seamline.store import Store
from seamline.workspace import load_workspace
from seamline.workspace.template import write_example


def test_a_new_store_is_migrated_without_alembic_chatter(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write_example(root)
    ws = load_workspace(root, env={})
    with Store.open(ws.store_url(env={})) as store:
        run_pipeline(ws, store)
    # A store the server has to create: every migration runs at its start.
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    log = tmp_path / "server.log"
    server = start_server(root, fresh, log, "--log-level", "info")
    server.stop()
    text = log.read_text(encoding="utf-8")
    assert "Application startup complete" in text  # the server logs at INFO ...
    assert "Context impl" not in text  # ... but Alembic's INFO lines stay out
    assert "Running upgrade" not in text
    with Store.open(fresh) as store:  # and the migrations did run
        assert store.deliveries("persons") == []
