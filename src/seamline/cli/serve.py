"""`seamline serve`: the exchange API and the web UI."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from seamline.cli.common import WorkspaceArg
from seamline.errors import UsageError

LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


def serve(
    directory: WorkspaceArg = Path("."),
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    store: Annotated[
        str | None, typer.Option(help="A store URL instead of the workspace's.")
    ] = None,
    log_level: Annotated[
        str, typer.Option(help="critical, error, warning, info or debug.")
    ] = "info",
    rate_limit: Annotated[
        float, typer.Option(help="Requests per second per client (0: no limit).")
    ] = 0.0,
    oidc_issuer: Annotated[
        str | None, typer.Option(help="Also accept JWT bearer tokens from this issuer (iss).")
    ] = None,
    oidc_audience: Annotated[
        str | None, typer.Option(help="The audience (aud) tokens must name.")
    ] = None,
    oidc_jwks: Annotated[
        str | None, typer.Option(help="The issuer's JWKS: a URL, or a local file.")
    ] = None,
    tls_cert: Annotated[
        Path | None, typer.Option(help="Serve HTTPS with this certificate chain (PEM).")
    ] = None,
    tls_key: Annotated[Path | None, typer.Option(help="The server's private key (PEM).")] = None,
    tls_client_ca: Annotated[
        Path | None,
        typer.Option(help="Accept client certificates signed by these CAs (PEM): mutual TLS."),
    ] = None,
    tls_client_cert: Annotated[
        str,
        typer.Option(
            help="With --tls-client-ca: 'required' (no certificate, no connection) or "
            "'optional' (API keys and tokens still work)."
        ),
    ] = "optional",
    ui_oidc_issuer: Annotated[
        str | None,
        typer.Option(
            help="Let web UI users sign in through this OpenID Connect provider (issuer URL). "
            "The client secret, if any, is read from SEAMLINE_UI_OIDC_SECRET."
        ),
    ] = None,
    ui_oidc_client_id: Annotated[
        str | None, typer.Option(help="The web UI's client id at that provider.")
    ] = None,
    ui_oidc_label: Annotated[
        str, typer.Option(help='Shown on the sign-in page: "Sign in with LABEL".')
    ] = "single sign-on",
    open_docs: Annotated[
        bool,
        typer.Option(
            help="Serve /openapi.json, /docs and /redoc without a key (they name every "
            "agreement's purpose, legal basis and attributes)."
        ),
    ] = False,
    open_metrics: Annotated[
        bool, typer.Option(help="Serve /metrics without a key (it names every client).")
    ] = False,
) -> None:
    """Serve the golden records to consumer systems: authenticated, by agreement, audited.

    Every request needs an API key (`seamline clients add`) and a purpose
    (X-Seamline-Purpose); it is answered only under an active agreement of a seam to the
    caller's system, with only the agreement's attributes, after its audit event is
    durably written to the hash-chained log. Run `seamline run` first.
    """
    import logging

    from seamline.exchange.service import ExchangeConfig
    from seamline.ui.serve import serve as run_server

    # The store's migrations log their engine ("Context impl SQLiteImpl") at INFO, which
    # the server's log level shows; an operator needs only their warnings.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if log_level not in LOG_LEVELS:
        raise UsageError(f"unknown --log-level {log_level!r}", allowed=", ".join(LOG_LEVELS))
    config = ExchangeConfig(rate_limit=rate_limit, open_docs=open_docs, open_metrics=open_metrics)
    if oidc_issuer or oidc_audience or oidc_jwks:
        from seamline.exchange.tokens import OidcConfig

        if not (oidc_issuer and oidc_audience and oidc_jwks):
            raise UsageError(
                "bearer tokens need --oidc-issuer, --oidc-audience and --oidc-jwks together"
            )
        is_url = oidc_jwks.startswith(("https://", "http://"))
        config.oidc = OidcConfig(
            issuer=oidc_issuer,
            audience=oidc_audience,
            jwks_url=oidc_jwks if is_url else None,
            jwks_path=None if is_url else Path(oidc_jwks),
        )
    tls = None
    if tls_cert or tls_key or tls_client_ca:
        from seamline.exchange.mtls import TlsConfig

        if not (tls_cert and tls_key):
            raise UsageError("HTTPS needs --tls-cert and --tls-key together")
        if tls_client_cert not in ("required", "optional"):
            raise UsageError(
                f"unknown --tls-client-cert {tls_client_cert!r}", allowed="required, optional"
            )
        tls = TlsConfig(
            tls_cert,
            tls_key,
            tls_client_ca,
            "required" if tls_client_cert == "required" else "optional",
        )
    ui_oidc = None
    if ui_oidc_issuer or ui_oidc_client_id:
        import os

        from seamline.ui.oidc import UiOidcConfig

        if not (ui_oidc_issuer and ui_oidc_client_id):
            raise UsageError("UI sign-in needs --ui-oidc-issuer and --ui-oidc-client-id together")
        ui_oidc = UiOidcConfig(
            issuer=ui_oidc_issuer,
            client_id=ui_oidc_client_id,
            client_secret=os.environ.get("SEAMLINE_UI_OIDC_SECRET") or None,
            label=ui_oidc_label,
        )
        ui_oidc.check()
    run_server(
        directory,
        host=host,
        port=port,
        config=config,
        store_url=store,
        log_level=log_level,
        tls=tls,
        ui_oidc=ui_oidc,
    )
