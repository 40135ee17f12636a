"""`seamline clients`: consumer systems of the API, their keys and lock-outs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from seamline.cli.common import WorkspaceOpt, load, open_store, out
from seamline.errors import SeamlineError, UsageError

clients_app = typer.Typer(
    help="Consumer systems allowed to call the API: keys shown once, only hashes kept.",
    no_args_is_help=True,
)


@clients_app.command("add")
def clients_add(
    name: Annotated[str, typer.Argument(help="A name for the client, e.g. tax-service-portal.")],
    system: Annotated[str, typer.Option(help="The consumer system it speaks for (systems/).")],
    directory: WorkspaceOpt = Path("."),
    cert_fingerprint: Annotated[
        str | None,
        typer.Option(help="SHA-256 fingerprint of its TLS client certificate (mutual TLS)."),
    ] = None,
    cert: Annotated[
        Path | None,
        typer.Option(help="Its TLS client certificate (PEM), instead of the fingerprint."),
    ] = None,
) -> None:
    """Create a client and print its API key once (only its hash is stored).

    With --cert or --cert-fingerprint it may instead call `seamline serve --tls-client-ca`
    with that client certificate.
    """
    from seamline.exchange.clients import add_client
    from seamline.exchange.clients import cert_fingerprint as parse_fingerprint

    ws = load(directory)
    if system not in ws.systems:
        from seamline.errors import did_you_mean

        guess = did_you_mean(system, list(ws.systems))
        raise UsageError(
            f"unknown system {system!r}" + (f" (did you mean {guess!r}?)" if guess else ""),
            allowed=", ".join(sorted(ws.systems)),
        )
    if cert is not None and cert_fingerprint is not None:
        raise UsageError("give --cert or --cert-fingerprint, not both")
    fingerprint = None
    if cert is not None:
        from seamline.exchange.mtls import pem_fingerprint

        try:
            fingerprint = pem_fingerprint(cert)
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot read the certificate {cert}: {exc}") from None
    elif cert_fingerprint is not None:
        try:
            fingerprint = parse_fingerprint(cert_fingerprint)
        except SeamlineError as exc:
            raise UsageError(exc.message, allowed="64 hex digits, with or without colons") from None
    with open_store(directory) as store:
        info, key = add_client(store, name, system, cert_fingerprint=fingerprint)
    if fingerprint is not None:
        out.print(f"Its TLS client certificate: SHA-256 {fingerprint}.")
    out.print(f"Client {info.name} for system {info.system}. Its API key, shown this once:")
    out.print(key, markup=False)


@clients_app.command("rotate")
def clients_rotate(
    name: Annotated[str, typer.Argument(help="The client.")],
    directory: WorkspaceOpt = Path("."),
) -> None:
    """Give a client a new key (printed once); the old key stops working."""
    from seamline.exchange.clients import rotate_client

    with open_store(directory) as store:
        info, key = rotate_client(store, name)
    out.print(f"New API key for {info.name}, shown this once:")
    out.print(key, markup=False)


@clients_app.command("revoke")
def clients_revoke(
    name: Annotated[str, typer.Argument(help="The client.")],
    directory: WorkspaceOpt = Path("."),
) -> None:
    """Revoke a client's key at once."""
    from seamline.exchange.clients import revoke_client

    with open_store(directory) as store:
        info = revoke_client(store, name)
    out.print(f"Revoked {info.name}.")


@clients_app.command("list")
def clients_list(
    directory: WorkspaceOpt = Path("."),
) -> None:
    """The clients, their systems and whether they are active (never their keys)."""
    from seamline.exchange.clients import list_clients

    with open_store(directory) as store:
        rows = list_clients(store)
    table = Table()
    for col in ("name", "system", "key id", "created", "status"):
        table.add_column(col)
    for c in rows:
        table.add_row(
            c.name,
            c.system,
            c.key_id,
            f"{c.created_at:%Y-%m-%d}",
            "active" if c.active else "revoked",
        )
    out.print(table)


def lift_lockouts(directory: Path, subjects: list[str]) -> None:
    """Lift the lock-outs of ``subjects`` (``key:ID``, ``account:NAME``, ``address:IP``)."""
    import getpass

    from seamline.exchange.guard import lift_lockout

    ws = load(directory)
    lifted = [s for s in subjects if lift_lockout(ws.data_dir, s, getpass.getuser())]
    if not lifted:
        raise UsageError(
            f"{' or '.join(subjects)} is not locked out",
            hint="list the lock-outs with `seamline clients lockouts`",
        )
    for s in lifted:
        out.print(f"Lifted the lock-out of {s}; a running server records it in its audit log.")


@clients_app.command("unlock")
def clients_unlock(
    name: Annotated[
        str | None, typer.Argument(help="The client whose key is locked out (name).")
    ] = None,
    key_id: Annotated[
        str | None, typer.Option(help="A key id locked out (see `seamline clients lockouts`).")
    ] = None,
    address: Annotated[
        str | None, typer.Option(help="A client address locked out after many wrong secrets.")
    ] = None,
    directory: WorkspaceOpt = Path("."),
) -> None:
    """Lift the lock-out of a client's key (or of an address) after too many wrong keys."""
    from seamline.exchange.clients import client_by_name

    subjects = [f"key:{key_id}"] if key_id is not None else []
    if name is not None:
        with open_store(directory) as store:
            info = client_by_name(store, name)
        if info is None:
            raise UsageError(f"there is no client named {name!r}")
        subjects.append(f"key:{info.key_id}")
    if address is not None:
        subjects.append(f"address:{address}")
    if not subjects:
        raise UsageError("name a client or give --key-id or --address")
    lift_lockouts(directory, subjects)


@clients_app.command("lockouts")
def clients_lockouts(directory: WorkspaceOpt = Path(".")) -> None:
    """The key ids, UI accounts and addresses locked out after too many wrong secrets."""
    from datetime import UTC, datetime

    from seamline.exchange.guard import list_lockouts

    table = Table()
    for col in ("subject", "since", "until", "failures"):
        table.add_column(col)
    for subject, info in sorted(list_lockouts(load(directory).data_dir).items()):
        until = info.get("until")
        end = (
            "lifted by an admin"
            if until is None
            else f"{datetime.fromtimestamp(until, UTC):%Y-%m-%d %H:%M:%S}"
        )
        table.add_row(subject, str(info.get("since", ""))[:19], end, str(info.get("failures", "")))
    out.print(table)
