"""`seamline audit`: verify, export and re-key the tamper-evident access log."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from seamline.cli.common import WorkspaceArg, WorkspaceOpt, load, open_store, out
from seamline.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from seamline.workspace import Workspace

audit_app = typer.Typer(help="The tamper-evident access log.", no_args_is_help=True)


def _public_keys(ws: Workspace, given: list[Path] | None) -> list[str]:
    from seamline.exchange.keys import default_key_path, public_path, read_public

    paths = given or [public_path(default_key_path(ws.data_dir))]
    return [read_public(p) for p in paths]


PublicKeyOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--public-key",
        help="A trusted public key (audit-ed25519.pub, or PEM); repeat for several. "
        "Default: <data_dir>/keys/audit-ed25519.pub.",
    ),
]
TsaCertOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--tsa-cert",
        help="The time-stamping authority's root certificate (PEM): check each anchored "
        "checkpoint's RFC 3161 time-stamp against it.",
    ),
]
AnchorOpt = Annotated[
    Path | None,
    typer.Option(
        help="The anchor file the server appends checkpoints to. Default: "
        "$SEAMLINE_AUDIT_ANCHOR, else <data_dir>/anchor/audit-anchor.jsonl."
    ),
]


@audit_app.command("verify")
def audit_verify(
    directory: WorkspaceArg = Path("."),
    public_key: PublicKeyOpt = None,
    anchor: AnchorOpt = None,
    window_events: Annotated[
        int, typer.Option(help="Refuse more unanchored events after the last anchored checkpoint.")
    ] = 2000,
    window_seconds: Annotated[
        float, typer.Option(help="Refuse an unanchored event older than this.")
    ] = 60.0,
    tsa_cert: TsaCertOpt = None,
) -> None:
    """Check the audit log against the anchor with public keys only; name the first break.

    Checks the hash chain, the stored checkpoints and those in the anchor (kept outside
    the store), and reports the unsigned tail: events after the last anchored checkpoint.
    """
    from seamline.exchange.anchor import default_anchor_path
    from seamline.exchange.tsa import load_roots
    from seamline.exchange.verify import Window, verify_audit
    from seamline.store.auditlog import has_events

    ws = load(directory)
    anchor_path = anchor or default_anchor_path(ws.data_dir)
    with open_store(directory) as store:
        if public_key is None and not has_events(store) and not anchor_path.exists():
            out.print("The audit log is empty: no request has been served yet, nothing to verify.")
            raise typer.Exit(ExitCode.OK)
    keys = _public_keys(ws, public_key)
    roots = load_roots(list(tsa_cert or []))
    with open_store(directory) as store:
        result = verify_audit(
            store,
            public_keys=keys,
            anchor=anchor_path,
            window=Window(window_events, window_seconds),
            tsa_roots=roots,
        )
    out.print(str(result), markup=False, highlight=False)
    raise typer.Exit(ExitCode.OK if result.ok else ExitCode.CHECKS_FAILED)


@audit_app.command("rotate-key")
def audit_rotate_key(directory: WorkspaceArg = Path("."), anchor: AnchorOpt = None) -> None:
    """Replace the audit signing key; the anchor records the change, signed by both keys.

    A running server signs with the new key from its next checkpoint. Keep the old
    public key (kept as audit-ed25519.<id>.pub): either key then verifies the whole log.
    """
    from seamline.exchange.anchor import Anchor, default_anchor_path, rotate_key
    from seamline.exchange.keys import default_key_path

    ws = load(directory)
    old, new = rotate_key(
        default_key_path(ws.data_dir), Anchor(anchor or default_anchor_path(ws.data_dir))
    )
    out.print(f"Rotated the audit signing key: {old} -> {new}.")


@audit_app.command("export")
def audit_export(
    output: Annotated[Path, typer.Argument(help="The bundle file to write.")],
    directory: WorkspaceOpt = Path("."),
    start: Annotated[
        str | None, typer.Option("--from", help="ISO date or time, inclusive.")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="ISO date or time, exclusive.")] = None,
    anchor: AnchorOpt = None,
) -> None:
    """Write the events in a period, with the anchor's lines, to a signed bundle."""
    from datetime import UTC, datetime

    from seamline.exchange.anchor import default_anchor_path
    from seamline.exchange.keys import default_key_path, load_signing_key
    from seamline.exchange.verify import export_audit

    def when(text: str | None) -> datetime | None:
        if text is None:
            return None
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise UsageError(
                f"{text!r} is not an ISO date or time", hint="e.g. 2026-11-01"
            ) from None
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    ws = load(directory)
    key = load_signing_key(default_key_path(ws.data_dir), may_create=False)
    with open_store(directory) as store:
        count = export_audit(
            store, when(start), when(end), output, key,
            anchor=anchor or default_anchor_path(ws.data_dir),
        )  # fmt: skip
    out.print(f"Wrote {count:,} signed audit events to {output}.")


@audit_app.command("verify-bundle")
def audit_verify_bundle(
    bundle: Annotated[Path, typer.Argument(help="A bundle written by `seamline audit export`.")],
    public_key: Annotated[
        list[Path],
        typer.Option("--public-key", help="A trusted public key; repeat for several."),
    ],
    tsa_cert: TsaCertOpt = None,
) -> None:
    """Check an exported bundle offline: its signature, chain, checkpoints and anchor lines."""
    from seamline.exchange.keys import read_public
    from seamline.exchange.tsa import load_roots
    from seamline.exchange.verify import verify_bundle

    result = verify_bundle(
        bundle,
        public_keys=[read_public(p) for p in public_key],
        tsa_roots=load_roots(list(tsa_cert or [])),
    )
    out.print(str(result), markup=False, highlight=False)
    raise typer.Exit(ExitCode.OK if result.ok else ExitCode.CHECKS_FAILED)
