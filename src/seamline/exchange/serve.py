"""Running the API with uvicorn: ``serve(...)`` for the CLI, ``main`` for subprocesses."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from seamline.exchange.mtls import TlsConfig
from seamline.exchange.service import ExchangeConfig
from seamline.store import Store
from seamline.ui.oidc import UiOidcConfig
from seamline.workspace import load_workspace


def serve(
    workspace: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    config: ExchangeConfig | None = None,
    store_url: str | None = None,
    log_level: str = "info",
    tls: TlsConfig | None = None,
    ui_oidc: UiOidcConfig | None = None,
) -> None:
    """Serve the exchange API until interrupted (one worker: one audit chain head).

    ``ui_oidc`` lets the web UI's users sign in through an OpenID Connect provider.

    With ``tls`` it serves HTTPS; with a client CA as well, clients may (or must) present
    a certificate that CA signed, and a registered certificate identifies its client.
    """
    import uvicorn

    from seamline.exchange.app import create_app

    ws = load_workspace(workspace)
    logging.basicConfig(level=log_level.upper(), format="%(message)s")
    # Opening the store runs its migrations, and Alembic logs its engine ("Context impl
    # SQLiteImpl") and each step at INFO: an operator needs only its warnings, unless
    # the server itself is asked for debug output.
    if log_level.lower() != "debug":
        logging.getLogger("alembic").setLevel(logging.WARNING)
    config = config or ExchangeConfig()
    if tls is not None and tls.client_ca is not None:
        config.mutual_tls = True
    with Store.open(store_url or ws.store_url()) as store:
        app = create_app(ws, store, config)
        from seamline.ui import mount_ui

        mount_ui(app, ws, store, oidc=ui_oidc)  # the web UI at /ui/
        # uvicorn's access log prints the path, which holds the identifier asked for:
        # it stays off; the app logs the route template instead.
        options = tls.uvicorn_options() if tls is not None else {}
        uvicorn.run(app, host=host, port=port, access_log=False, log_level=log_level, **options)


def _config(args: argparse.Namespace) -> ExchangeConfig:
    config = ExchangeConfig(
        audit=not args.no_audit, open_docs=args.open_docs, open_metrics=args.open_metrics
    )
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
    p.add_argument("--open-docs", action="store_true", help="/openapi.json, /docs without a key")
    p.add_argument("--open-metrics", action="store_true", help="/metrics without a key")
    p.add_argument("--store", default=None, help="store URL (default: the workspace's)")
    p.add_argument("--tls-cert", type=Path, default=None)
    p.add_argument("--tls-key", type=Path, default=None)
    p.add_argument("--tls-client-ca", type=Path, default=None)
    p.add_argument("--tls-client-cert", choices=["required", "optional"], default="optional")
    args = p.parse_args(argv)
    tls = None
    if args.tls_cert is not None or args.tls_key is not None:
        if args.tls_cert is None or args.tls_key is None:
            p.error("--tls-cert and --tls-key go together")
        tls = TlsConfig(args.tls_cert, args.tls_key, args.tls_client_ca, args.tls_client_cert)
    serve(
        args.workspace,
        host=args.host,
        port=args.port,
        config=_config(args),
        store_url=args.store,
        log_level=args.log_level,
        tls=tls,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
