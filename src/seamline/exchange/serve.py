"""Running the API with uvicorn: ``serve(...)`` for the CLI, ``main`` for subprocesses."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from seamline.exchange.service import ExchangeConfig
from seamline.store import Store
from seamline.workspace import load_workspace


def serve(
    workspace: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    config: ExchangeConfig | None = None,
    store_url: str | None = None,
    log_level: str = "info",
) -> None:
    """Serve the exchange API until interrupted (one worker: one audit chain head)."""
    import uvicorn

    from seamline.exchange.app import create_app

    ws = load_workspace(workspace)
    logging.basicConfig(level=log_level.upper(), format="%(message)s")
    with Store.open(store_url or ws.store_url()) as store:
        app = create_app(ws, store, config)
        from seamline.ui import mount_ui

        mount_ui(app, ws, store)  # the web UI at /ui/
        # uvicorn's access log prints the path, which holds the identifier asked for:
        # it stays off; the app logs the route template instead.
        uvicorn.run(app, host=host, port=port, access_log=False, log_level=log_level)


def _config(args: argparse.Namespace) -> ExchangeConfig:
    config = ExchangeConfig(audit=not args.no_audit)
    if args.audit_commit is not None:
        config.audit_inline = args.audit_commit == "inline"
    return config


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m seamline.exchange.serve")
    p.add_argument("workspace", type=Path)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--no-audit", action="store_true")
    p.add_argument(
        "--audit-commit",
        choices=["inline", "thread"],
        default=None,
        help="commit audit batches on the event loop or in the writer thread",
    )
    p.add_argument("--log-level", default="warning")
    args = p.parse_args(argv)
    serve(
        args.workspace,
        host=args.host,
        port=args.port,
        config=_config(args),
        log_level=args.log_level,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
