"""Seams: `seamline check`, the `seams` table with review and approval, and `contract` (ODCS)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from typer.core import TyperGroup

from seamline.cli.common import WorkspaceOpt, err, load, out
from seamline.errors import ExitCode, UsageError


def check(
    seams: Annotated[list[str] | None, typer.Argument(help="Only these seams.")] = None,
    directory: WorkspaceOpt = Path("."),
    junit: Annotated[
        Path | None, typer.Option(help="Also write the results as JUnit XML to FILE.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Run each seam's contract on the current data; exit 1 when one fails.

    Checks the schema, every rule (with its tolerated share), volume and freshness on
    the provider's harmonized data, then compares the delivery with the seam's history
    (drift) and its agreement (expiry, attributes). Results and findings go to the
    store, each finding with the seam's owner. Run `seamline run` first.
    """
    from seamline.pipeline import run_pipeline
    from seamline.seams import write_junit
    from seamline.seams.check import select_seams
    from seamline.seams.stage import CheckStage
    from seamline.store import Store

    ws = load(directory)
    select_seams(ws, seams)  # an unknown seam is a usage error before anything runs
    # The console lines of new findings go to stderr with --json, so stdout stays JSON.
    notices = err if as_json else out
    stage = CheckStage(seams, console=lambda line: notices.print(line, markup=False))
    with Store.open(ws.store_url(), key=ws.data_key) as store:
        summary = run_pipeline(ws, store, stages=[stage])
    report = stage.report
    if report is None:
        err.print(f"{directory} has no seams to check. Add a file under seams/.")
        raise typer.Exit(ExitCode.USAGE)
    if report.skipped and not report.rows:
        for seam_id, why in report.skipped.items():
            err.print(f"{seam_id}: not checked. {why}", markup=False)
        if as_json:
            sys.stdout.write(report.to_json() + "\n")
        raise typer.Exit(ExitCode.USAGE)
    if junit is not None:
        write_junit(report, junit)
    if as_json:
        sys.stdout.write(report.to_json() + "\n")
    else:
        rows = report.table()
        table = Table(title="Seam contracts", title_justify="left")
        for key in rows[0] if rows else ("seam",):
            table.add_column(key, overflow="fold")
        for row in rows:
            status = row.get("status", "")
            color = {"pass": "green", "fail": "red", "error": "yellow"}.get(status)
            table.add_row(
                *[
                    f"[{color}]{v}[/{color}]" if k == "status" and color else v
                    for k, v in row.items()
                ]
            )
        out.print(table)
        for d in stage.drift.drifts if stage.drift else []:
            out.print(
                f"Drift on {d.seam} ({d.owner}): {d.message.rstrip('.')}. "
                f"Next: {d.suggested_action}",
                markup=False,
            )
        for seam_id, why in report.skipped.items():
            out.print(f"{seam_id}: not checked. {why}", markup=False)
        if junit is not None:
            out.print(f"JUnit XML: {junit}")
    raise typer.Exit(summary.exit_code)


class _SeamsGroup(TyperGroup):
    """``seamline seams [DIR]`` keeps working beside ``seamline seams review|approve``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["--workspace", args[0], *args[1:]]
        return list(super().parse_args(ctx, args))


seams_app = typer.Typer(
    cls=_SeamsGroup, invoke_without_command=True, subcommand_metavar="[DIR] | COMMAND [ARGS]..."
)


@seams_app.callback()
def seams_health(ctx: typer.Context, directory: WorkspaceOpt = Path(".")) -> None:
    """Every seam: owner, last delivery, last check, open findings, agreement, approval.

    `seamline seams DIR` prints the table; `seamline seams review SEAM` writes a seam's
    review packet and `seamline seams approve SEAM` records an approval of it.
    """
    if ctx.invoked_subcommand is not None:
        return
    from seamline.seams import seam_health
    from seamline.store import Store

    ws = load(directory)
    with Store.open(ws.store_url(), key=ws.data_key) as store:
        rows = seam_health(ws, store)
    table = Table(title="Seam health", title_justify="left")
    for col in (
        "seam",
        "owner",
        "provider -> consumer",
        "last delivery",
        "last check",
        "open findings",
        "agreement",
        "approval",
    ):
        table.add_column(col, overflow="fold")
    for h in rows:
        delivery = (
            f"{h.last_delivery:%Y-%m-%d %H:%M} ({h.last_delivery_rows or 0:,} rows)"
            if h.last_delivery
            else "never"
        )
        check_text = h.last_check or "never checked"
        if h.failed_rules:
            check_text += ": " + ", ".join(h.failed_rules[:3])
        expires = f", expires {h.agreement_expires}" if h.agreement_expires else ""
        table.add_row(
            h.seam,
            h.owner,
            f"{h.provider} -> {h.consumer}",
            delivery,
            check_text,
            str(h.open_findings),
            f"{h.agreement} ({h.agreement_status}{expires})",
            h.approval,
        )
    out.print(table)


@seams_app.command("review")
def seams_review(
    seam: Annotated[str, typer.Argument(help="The seam id.")],
    directory: WorkspaceOpt = Path("."),
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Write the packet to FILE (.html).")
    ] = Path("packet.html"),
) -> None:
    """Write a seam's review packet for the approving agency and the security reviewer."""
    from seamline.seams.review import write_packet
    from seamline.store import Store
    from seamline.ui.accounts import load_users

    ws = load(directory)
    roles: dict[str, int] = {}
    for user in load_users(ws).values():
        role = str(user.get("role", "?"))
        roles[role] = roles.get(role, 0) + 1
    with Store.open(ws.store_url(), key=ws.data_key) as store:
        packet = write_packet(ws, store, seam, output, ui_roles=roles)
    out.print(f"Wrote the review packet of {seam} to {output}.")
    out.print(f"Digest: {packet['digest']}")
    out.print(f"Approval: {packet['approvals']['status']}")


@seams_app.command("approve")
def seams_approve(
    seam: Annotated[str, typer.Argument(help="The seam id.")],
    role: Annotated[str, typer.Option("--as", help="The role you approve in (e.g. owner).")],
    by: Annotated[str, typer.Option("--by", help="Your name, as it should be recorded.")],
    note: Annotated[str, typer.Option("--note", help="What you checked or require.")] = "",
    digest: Annotated[
        str | None,
        typer.Option("--digest", help="The digest printed in the packet you read."),
    ] = None,
    directory: WorkspaceOpt = Path("."),
) -> None:
    """Record an approval of a seam's current review packet, bound to its digest."""
    from seamline.seams.approval import approve
    from seamline.store import Store

    ws = load(directory)
    with Store.open(ws.store_url(), key=ws.data_key) as store:
        info, state = approve(ws, store, seam, role=role, name=by, note=note, digest=digest)
    out.print(f"Recorded: {info.name} approved seam {seam} as {info.role} (digest {info.digest}).")
    out.print(f"Approval of {seam}: {state.text}")


contract_app = typer.Typer(
    help="Exchange seam contracts as Open Data Contract Standard (ODCS v3) documents.",
    no_args_is_help=True,
)


@contract_app.command("export")
def contract_export(
    seam: Annotated[str, typer.Argument(help="The seam id.")],
    directory: WorkspaceOpt = Path("."),
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout.")
    ] = None,
) -> None:
    """Write a seam's contract, owner, SLA and agreement as an ODCS document (YAML)."""
    from seamline.seams.odcs import export_odcs

    text = export_odcs(load(directory), seam)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote the contract of {seam} to {output}")


@contract_app.command("import")
def contract_import(
    path: Annotated[Path, typer.Argument(help="An ODCS v3 document (YAML).")],
    directory: WorkspaceOpt = Path("."),
    write: Annotated[
        bool, typer.Option(help="Write seams/<id>.yaml into the workspace (never overwrites).")
    ] = False,
) -> None:
    """Read an ODCS contract into a seam spec; print it, or write it with --write."""
    import io

    from ruamel.yaml import YAML

    from seamline.seams.odcs import import_odcs

    if not path.is_file():
        raise UsageError(f"no file at {path}")
    got = import_odcs(path.read_text(encoding="utf-8"))
    spec = got.seam()
    yaml = YAML()
    yaml.default_flow_style = None
    buffer = io.StringIO()
    yaml.dump(spec.model_dump(mode="json", exclude_defaults=True), buffer)
    for item in got.skipped:
        err.print(f"not checkable here, left out: {item}", markup=False)
    if not write:
        sys.stdout.write(buffer.getvalue())
        return
    target = directory / "seams" / f"{spec.id}.yaml"
    if target.exists():
        raise UsageError(
            f"{target} exists; not overwritten", hint="remove it or import without --write"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(buffer.getvalue(), encoding="utf-8")
    out.print(f"Wrote {target}; check it with `seamline validate {directory}`.")
