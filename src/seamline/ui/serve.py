"""Running the API and the web UI with uvicorn: ``serve(...)``, behind `seamline serve`.

It lives in ``ui`` because the UI sits above the exchange and mounts itself on the API's
app; the exchange knows nothing of the UI.
"""

from __future__ import annotations

import logging
from pathlib import Path

from seamline.exchange.mtls import TlsConfig
from seamline.exchange.service import ExchangeConfig
from seamline.store import Store
from seamline.ui import mount_ui
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
    with Store.open(store_url or ws.store_url(), key=ws.data_key) as store:
        app = create_app(ws, store, config)
        mount_ui(app, ws, store, oidc=ui_oidc)  # the web UI at /ui/
        # uvicorn's access log prints the path, which holds the identifier asked for:
        # it stays off; the app logs the route template instead.
        options = tls.uvicorn_options() if tls is not None else {}
        uvicorn.run(app, host=host, port=port, access_log=False, log_level=log_level, **options)
