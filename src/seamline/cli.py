"""The command line: a thin Typer shell over the library.

Every command calls a library function that tests call directly; this module only
parses arguments, prints, and maps errors to the defined exit codes
(0 ok, 1 checks failed, 2 usage or spec error, 3 runtime error).
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from seamline import __version__
from seamline.errors import ExitCode, SeamlineError, UsageError

app = typer.Typer(
    name="seamline",
    help=(
        "Own the seams between agency systems: connect every system as it is, inventory "
        "its data, harmonize, reconcile, check the contracts of each seam, and exchange "
        "the result through an audited API.\n\n"
        "Start with `seamline demo demo-workspace && seamline run demo-workspace`, or "
        "`seamline init my-program` for a small example to edit."
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

WorkspaceArg = Annotated[Path, typer.Argument(help="The workspace folder.", show_default=True)]
WorkspaceOpt = Annotated[Path, typer.Option("--workspace", "-w", help="The workspace folder.")]


def _version(value: bool) -> None:
    if value:
        out.print(f"seamline {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Own the seams between agency systems."""


class RichReporter:
    """Rich progress bars on stderr, one line per task."""

    def __init__(self, console: Console) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )

    def __enter__(self) -> RichReporter:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def task(self, description: str, total: int | None = None) -> Any:
        progress = self.progress
        task_id = progress.add_task(description, total=total)

        class _Task:
            def advance(self, amount: int) -> None:
                progress.advance(task_id, amount)

            def done(self) -> None:
                t = progress.tasks[task_id]
                progress.update(task_id, total=t.completed, completed=t.completed)

        return _Task()


def _reporter() -> RichReporter:
    return RichReporter(err)


# --- workspace -----------------------------------------------------------------------


@app.command()
def init(
    directory: WorkspaceArg = Path("."),
    force: Annotated[bool, typer.Option(help="Write into a folder that is not empty.")] = False,
) -> None:
    """Write a small, commented example workspace into DIRECTORY."""
    from seamline.workspace.template import write_example

    written = write_example(directory, force=force)
    out.print(f"Wrote {len(written)} files into {directory}.")
    out.print(f"Next: seamline validate {directory} && seamline run {directory}")


@app.command()
def validate(directory: WorkspaceArg = Path(".")) -> None:
    """Check every spec file of the workspace; report all errors with file:line:column.

    Also checks that each file a source names exists and that its copybooks parse.
    """
    from seamline.workspace import check_workspace
    from seamline.workspace.sourcefiles import source_file_issues

    ws, issues = check_workspace(directory)
    if ws is not None:
        issues = [*issues, *source_file_issues(ws)]
    if issues:
        for issue in sorted(issues):
            err.print(str(issue), markup=False)
        err.print(f"{len(issues)} error{'s' if len(issues) != 1 else ''} in {directory}.")
        raise typer.Exit(ExitCode.USAGE)
    assert ws is not None  # noqa: S101 - no issues means a workspace was built
    out.print(
        f"{directory}: valid. {len(ws.agencies)} agencies, {len(ws.systems)} systems, "
        f"{len(ws.datasets)} datasets, {len(ws.codelists)} code lists, {len(ws.seams)} seams."
    )


@app.command()
def demo(
    directory: WorkspaceArg = Path("demo-workspace"),
    people: Annotated[int, typer.Option(min=10, help="How many people the scenario has.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 7,
    force: Annotated[bool, typer.Option(help="Replace the folder's contents.")] = False,
    scenario: Annotated[
        str,
        typer.Option(
            help="civil: four registers of one country; us-ui: a US unemployment-insurance program."
        ),
    ] = "civil",
) -> None:
    """Write a demo scenario (data, spec and ground truth) into DIRECTORY."""
    from seamline.demo import generate_demo
    from seamline.demo.generate import SCENARIOS

    chosen = next((s for s in SCENARIOS if s == scenario), None)
    if chosen is None:
        raise UsageError(
            f"unknown demo scenario {scenario!r}",
            allowed=", ".join(SCENARIOS),
            hint="Pass --scenario civil or --scenario us-ui.",
        )
    summary = generate_demo(directory, people=people, seed=seed, force=force, scenario=chosen)
    out.print(f"Demo workspace for {summary.people:,} people (seed {summary.seed}) in {directory}:")
    for name, count in summary.records.items():
        out.print(f"  {name:<16} {count:>9,} records")
    out.print(f"Next: seamline run {directory}")


@app.command()
def upgrade(
    directory: WorkspaceArg = Path("."),
    store: Annotated[
        str | None, typer.Option(help="A store URL instead of the workspace's.")
    ] = None,
) -> None:
    """Apply the store's database migrations (SQLite or PostgreSQL)."""
    from seamline.store import safe_url, upgrade_store

    url = store or _load(directory).store_url()
    before, after = upgrade_store(url)
    if before == after:
        out.print(f"{safe_url(url)} is up to date (revision {after}).")
    else:
        out.print(f"Upgraded {safe_url(url)} from {before or 'an empty store'} to {after}.")


# --- running ------------------------------------------------------------------------


def _load(directory: Path) -> Any:
    from seamline.workspace import load_workspace

    return load_workspace(directory)


@app.command()
def inventory(
    directory: WorkspaceArg = Path("."),
    dataset: Annotated[
        list[str] | None, typer.Option("--dataset", "-d", help="Only this dataset (repeatable).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the inventory as JSON on stdout.")
    ] = False,
) -> None:
    """Profile and classify every dataset (connecting it first) and report governance gaps.

    Records per field: type, null share, distinct count, min/max, lengths, top values,
    value patterns, date formats, validated identifier schemes, phone numbers, ISO codes,
    code-list candidates and personal-data class with evidence. Writes
    reports/inventory.html and reports/inventory.json in the workspace's data folder.
    """
    from seamline.inventory.stage import InventoryStage
    from seamline.pipeline import ConnectStage, run_pipeline
    from seamline.store import Store

    ws = _load(directory)
    with Store.open(ws.store_url()) as store, _reporter() as reporter:
        summary = run_pipeline(
            ws,
            store,
            reporter=reporter,
            datasets=dataset,
            stages=[ConnectStage(), InventoryStage()],
        )
    if as_json:
        report = ws.data_dir / "reports" / "inventory.json"
        if report.is_file():
            sys.stdout.write(report.read_text(encoding="utf-8") + "\n")
        for stage in summary.stages:
            for message in stage.messages:
                err.print(f"{stage.stage}: {message}", markup=False)
    else:
        _print_summary(summary)
    raise typer.Exit(summary.exit_code)


@app.command()
def harmonize(
    directory: WorkspaceArg = Path("."),
    dataset: Annotated[
        list[str] | None, typer.Option("--dataset", "-d", help="Only this dataset (repeatable).")
    ] = None,
    explain: Annotated[
        str | None,
        typer.Option(help="Print the compiled SQL plan of this dataset and stop."),
    ] = None,
) -> None:
    """Make the datasets comparable: canonical attributes, code lists, normalizers.

    Compiles each dataset's mapping (fields -> attributes, crosswalks, normalize steps)
    into one SQL plan run on the engine over the landing zone, writing
    harmonized/<dataset>.parquet with, per attribute, the value, the original text and
    a flag (invalid_identifier, unparseable_date, unmapped_code, ...). Connects first.
    """
    from seamline.harmonize import explain as explain_plan
    from seamline.harmonize.stage import HarmonizeStage
    from seamline.pipeline import ConnectStage, run_pipeline
    from seamline.store import Store

    ws = _load(directory)
    if explain is not None:
        ws.dataset(explain)
        sys.stdout.write(explain_plan(ws, explain))
        return
    with Store.open(ws.store_url()) as store, _reporter() as reporter:
        summary = run_pipeline(
            ws,
            store,
            reporter=reporter,
            datasets=dataset,
            stages=[ConnectStage(), HarmonizeStage()],
        )
    _print_summary(summary)
    raise typer.Exit(summary.exit_code)


@app.command()
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

    ws = _load(directory)
    select_seams(ws, seams)  # an unknown seam is a usage error before anything runs
    # The console lines of new findings go to stderr with --json, so stdout stays JSON.
    notices = err if as_json else out
    stage = CheckStage(seams, console=lambda line: notices.print(line, markup=False))
    with Store.open(ws.store_url()) as store:
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
app.add_typer(seams_app, name="seams")


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

    ws = _load(directory)
    with Store.open(ws.store_url()) as store:
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

    ws = _load(directory)
    roles: dict[str, int] = {}
    for user in load_users(ws).values():
        role = str(user.get("role", "?"))
        roles[role] = roles.get(role, 0) + 1
    with Store.open(ws.store_url()) as store:
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

    ws = _load(directory)
    with Store.open(ws.store_url()) as store:
        info, state = approve(ws, store, seam, role=role, name=by, note=note, digest=digest)
    out.print(f"Recorded: {info.name} approved seam {seam} as {info.role} (digest {info.digest}).")
    out.print(f"Approval of {seam}: {state.text}")


contract_app = typer.Typer(
    help="Exchange seam contracts as Open Data Contract Standard (ODCS v3) documents.",
    no_args_is_help=True,
)
app.add_typer(contract_app, name="contract")


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

    text = export_odcs(_load(directory), seam)
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


reconcile_app = typer.Typer(
    help="Reconcile: link records across agencies, stewards' worklist and decisions.",
    no_args_is_help=True,
)
app.add_typer(reconcile_app, name="reconcile")


@reconcile_app.command("run")
def reconcile_run(
    directory: WorkspaceArg = Path("."),
    explain: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="Print the linkage model used: blocking rules with their pairs, trained weights.",
        ),
    ] = False,
) -> None:
    """Link, compare and publish golden records (connects and harmonizes first).

    Records sharing an identifier trusted for exact links are linked outright; the rest
    are scored by Splink with a model built from the attributes the data holds. Writes
    reference/<entity>.parquet and stores the discrepancies and review links.
    """
    from seamline.harmonize.stage import HarmonizeStage
    from seamline.pipeline import ConnectStage, run_pipeline
    from seamline.reconcile.stage import ReconcileStage
    from seamline.store import Store

    ws = _load(directory)
    with Store.open(ws.store_url()) as store, _reporter() as reporter:
        summary = run_pipeline(
            ws,
            store,
            reporter=reporter,
            stages=[ConnectStage(), HarmonizeStage(), ReconcileStage()],
        )
    _print_summary(summary)
    if explain:
        from seamline.reconcile.explain import explain_workspace

        for line in explain_workspace(ws):
            out.print(line, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(summary.exit_code)


@reconcile_app.command("worklist")
def reconcile_worklist(
    directory: WorkspaceArg = Path("."),
    attribute: Annotated[str | None, typer.Option(help="Only this attribute.")] = None,
    dataset: Annotated[str | None, typer.Option(help="Only items involving this dataset.")] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to a .csv, .json or .html file."),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(min=1, help="At most this many items (default: 50 on screen, all in a file)."),
    ] = None,
) -> None:
    """Conflicts, doubtful values and review-band links for stewards, most impactful first."""
    from seamline.reconcile.worklist import load_worklist, write_worklist
    from seamline.store import Store

    ws = _load(directory)
    with Store.open(ws.store_url()) as store:
        rows = load_worklist(
            store,
            attribute=attribute,
            dataset=dataset,
            limit=limit if limit is not None or output else 50,
        )
        total = (
            len(rows) if output else len(load_worklist(store, attribute=attribute, dataset=dataset))
        )
    if output is not None:
        fmt = output.suffix.lstrip(".").lower()
        if fmt not in ("csv", "json", "html"):
            raise UsageError(
                f"cannot write a worklist as {output.suffix!r}", allowed=".csv, .json, .html"
            )
        write_worklist(rows, output, fmt)  # type: ignore[arg-type]
        out.print(f"Wrote {len(rows):,} worklist items to {output}.")
        return
    if not rows:
        out.print(
            "Nothing to review. Run `seamline run` (or `seamline reconcile run`) first if you expected items."
        )
        return
    shown = (
        f"Worklist: {total:,} items"
        if total == len(rows)
        else f"Worklist: {len(rows):,} of {total:,} items, the most impactful first"
    )
    table = Table(title=shown, title_justify="left")
    for col in (
        "kind",
        "entity_id",
        "attribute",
        "values",
        "chosen",
        "left",
        "right",
        "probability",
    ):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            *[
                "" if r.get(c) is None else str(r.get(c))
                for c in (
                    "kind",
                    "entity_id",
                    "attribute",
                    "values",
                    "chosen",
                    "left",
                    "right",
                    "probability",
                )
            ]
        )
    out.print(table)
    if total > len(rows):
        out.print(
            f"{total - len(rows):,} more not shown. See them all with --limit {total} or "
            "-o worklist.html.",
            markup=False,
        )


@reconcile_app.command("decide")
def reconcile_decide(
    kind: Annotated[str, typer.Argument(help="accept_value, reject_link or force_link.")],
    subject: Annotated[
        str,
        typer.Argument(help="An entity id (accept_value) or two record keys LEFT|RIGHT (links)."),
    ],
    actor: Annotated[str, typer.Option("--by", help="Who decides (recorded).")],
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded).")],
    directory: WorkspaceOpt = Path("."),
    attribute: Annotated[str | None, typer.Option(help="For accept_value: the attribute.")] = None,
    value: Annotated[str | None, typer.Option(help="For accept_value: the accepted value.")] = None,
) -> None:
    """Record a steward's decision; it is re-applied on every later run."""
    from seamline.reconcile.decisions import record_decision
    from seamline.store import Store

    ws = _load(directory)
    with Store.open(ws.store_url()) as store:
        decision = record_decision(
            store, kind, subject, actor=actor, reason=reason, attribute=attribute, value=value
        )
    out.print(f"Recorded decision {decision} ({kind} {subject}); the next run applies it.")


@app.command()
def serve(
    directory: WorkspaceArg = Path("."),
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
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

    from seamline.exchange.serve import serve as run_server
    from seamline.exchange.service import ExchangeConfig

    # The store's migrations log their engine ("Context impl SQLiteImpl") at INFO, which
    # the server's log level shows; an operator needs only their warnings.
    logging.getLogger("alembic").setLevel(logging.WARNING)
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
    run_server(directory, host=host, port=port, config=config, tls=tls, ui_oidc=ui_oidc)


clients_app = typer.Typer(
    help="Consumer systems allowed to call the API: keys shown once, only hashes kept.",
    no_args_is_help=True,
)
app.add_typer(clients_app, name="clients")


def _client_store(directory: Path) -> Any:
    from seamline.store import Store

    return Store.open(_load(directory).store_url())


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

    ws = _load(directory)
    if system not in ws.systems:
        from seamline.plugins import did_you_mean

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
    with _client_store(directory) as store:
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

    with _client_store(directory) as store:
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

    with _client_store(directory) as store:
        info = revoke_client(store, name)
    out.print(f"Revoked {info.name}.")


@clients_app.command("list")
def clients_list(
    directory: WorkspaceOpt = Path("."),
) -> None:
    """The clients, their systems and whether they are active (never their keys)."""
    from seamline.exchange.clients import list_clients

    with _client_store(directory) as store:
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


def _unlock(directory: Path, subjects: list[str]) -> None:
    import getpass

    from seamline.exchange.guard import lift_lockout

    ws = _load(directory)
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
        with _client_store(directory) as store:
            info = client_by_name(store, name)
        if info is None:
            raise UsageError(f"there is no client named {name!r}")
        subjects.append(f"key:{info.key_id}")
    if address is not None:
        subjects.append(f"address:{address}")
    if not subjects:
        raise UsageError("name a client or give --key-id or --address")
    _unlock(directory, subjects)


@clients_app.command("lockouts")
def clients_lockouts(directory: WorkspaceOpt = Path(".")) -> None:
    """The key ids, UI accounts and addresses locked out after too many wrong secrets."""
    from datetime import UTC, datetime

    from seamline.exchange.guard import list_lockouts

    table = Table()
    for col in ("subject", "since", "until", "failures"):
        table.add_column(col)
    for subject, info in sorted(list_lockouts(_load(directory).data_dir).items()):
        until = info.get("until")
        end = (
            "lifted by an admin"
            if until is None
            else f"{datetime.fromtimestamp(until, UTC):%Y-%m-%d %H:%M:%S}"
        )
        table.add_row(subject, str(info.get("since", ""))[:19], end, str(info.get("failures", "")))
    out.print(table)


ui_app = typer.Typer(
    help="Accounts of the web UI (served by `seamline serve` at /ui/).", no_args_is_help=True
)
app.add_typer(ui_app, name="ui")


@ui_app.command("add-user")
def ui_add_user(
    name: Annotated[str, typer.Argument(help="The person's user name.")],
    role: Annotated[str, typer.Option(help="viewer, steward, owner, auditor or admin.")],
    directory: WorkspaceOpt = Path("."),
) -> None:
    """Create or update a UI account; the password is asked for and stored hashed.

    A new password or role for an existing account ends its sessions at once.
    """
    from seamline.ui import add_user

    password = typer.prompt(
        "Password (10 characters or more)", hide_input=True, confirmation_prompt=True
    )
    add_user(_load(directory), name, password, role)
    out.print(f"User {name} ({role}) can now sign in at /ui/login.")


@ui_app.command("remove-user")
def ui_remove_user(
    name: Annotated[str, typer.Argument(help="The user name.")],
    directory: WorkspaceOpt = Path("."),
) -> None:
    """Remove a UI account; its sessions end at once."""
    from seamline.ui import remove_user

    if not remove_user(_load(directory), name):
        raise UsageError(f"there is no UI user {name!r}")
    out.print(f"Removed {name}.")


@ui_app.command("unlock")
def ui_unlock(
    name: Annotated[str | None, typer.Argument(help="The user name locked out.")] = None,
    address: Annotated[
        str | None, typer.Option(help="A client address locked out after many wrong passwords.")
    ] = None,
    directory: WorkspaceOpt = Path("."),
) -> None:
    """Lift the lock-out of a UI account (or of an address) after too many wrong passwords."""
    subjects = [f"account:{name}"] if name is not None else []
    if address is not None:
        subjects.append(f"address:{address}")
    if not subjects:
        raise UsageError("name a user or give --address")
    _unlock(directory, subjects)


audit_app = typer.Typer(help="The tamper-evident access log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


def _public_keys(ws: Any, given: list[Path] | None) -> list[str]:
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
    from seamline.exchange.anchor import default_anchor_path, has_events
    from seamline.exchange.tsa import load_roots
    from seamline.exchange.verify import Window, verify_audit

    ws = _load(directory)
    anchor_path = anchor or default_anchor_path(ws.data_dir)
    with _client_store(directory) as store:
        if public_key is None and not has_events(store) and not anchor_path.exists():
            out.print("The audit log is empty: no request has been served yet, nothing to verify.")
            raise typer.Exit(ExitCode.OK)
    keys = _public_keys(ws, public_key)
    roots = load_roots(list(tsa_cert or []))
    with _client_store(directory) as store:
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

    ws = _load(directory)
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

    ws = _load(directory)
    key = load_signing_key(default_key_path(ws.data_dir), may_create=False)
    with _client_store(directory) as store:
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


codes_app = typer.Typer(
    help="Code lists: crosswalk suggestions, SKOS export and import.", no_args_is_help=True
)
app.add_typer(codes_app, name="codes")


@codes_app.command("suggest")
def codes_suggest(
    codelist: Annotated[str, typer.Argument(help="The canonical code list id.")],
    target: Annotated[str, typer.Argument(help="DATASET.FIELD whose local codes to map.")],
    directory: WorkspaceOpt = Path("."),
    accept: Annotated[
        bool,
        typer.Option(help="Write each value's best candidate into the code list's YAML file."),
    ] = False,
    min_score: Annotated[
        float, typer.Option(help="With --accept, only candidates at least this good.")
    ] = 0.6,
) -> None:
    """Local values with no crosswalk entry, each with ranked canonical candidates.

    Candidates come from label similarity across languages and scripts, abbreviations,
    numeric position, other datasets' mappings and copybook 88-level names. With
    --accept the chosen entries are written into codelists/<id>.yaml (comments kept) so
    the change can be reviewed in git.
    """
    from seamline.codes import accept as accept_mapping
    from seamline.codes import suggest
    from seamline.codes.seen import copybook_labels, split_target, values_seen

    ws = _load(directory)
    dataset_id, column = split_target(target)
    seen = values_seen(ws, dataset_id, column)
    found = suggest(
        ws, codelist, dataset_id, column, seen, labels=copybook_labels(ws, dataset_id, column)
    )
    if not found:
        out.print(f"Every value of {target} is mapped in {codelist}.")
        return
    table = Table(
        title=f"{target} -> {codelist}: {len(found)} unmapped values", title_justify="left"
    )
    for col in ("local value", "rows", "candidates (score: reasons)"):
        table.add_column(col, overflow="fold")
    for sug in found:
        table.add_row(
            sug.local,
            f"{sug.count:,}",
            "\n".join(f"{c.code} {c.score:.2f}: {'; '.join(c.reasons)}" for c in sug.candidates[:3])
            or "(no candidate)",
        )
    out.print(table)
    if accept:
        chosen = {
            s.local: s.best.code for s in found if s.best is not None and s.best.score >= min_score
        }
        if not chosen:
            out.print(f"No candidate scored {min_score} or more; nothing written.")
            return
        path = accept_mapping(ws.root, codelist, dataset_id, column, chosen)
        out.print(f"Wrote {len(chosen)} entries into {path}; review with `git diff`.")


@codes_app.command("export")
def codes_export(
    codelist: Annotated[str, typer.Argument(help="The code list id (or iso3166_1, iso3166_2).")],
    directory: WorkspaceOpt = Path("."),
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout.")
    ] = None,
) -> None:
    """Write a code list and its crosswalks as SKOS (Turtle)."""
    from seamline.codes import resolve_codelist, to_turtle

    text = to_turtle(resolve_codelist(_load(directory), codelist))
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {codelist} to {output}")


@codes_app.command("import")
def codes_import(
    path: Annotated[Path, typer.Argument(help="A SKOS file (Turtle, RDF/XML, JSON-LD).")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the YAML to FILE.")
    ] = None,
    scheme: Annotated[
        str | None, typer.Option(help="The concept scheme to import when the file has several.")
    ] = None,
) -> None:
    """Turn a SKOS concept scheme into a codelists/*.yaml file."""
    import io

    from ruamel.yaml import YAML

    from seamline.codes import import_skos

    spec = import_skos(path, scheme=scheme)
    yaml = YAML()
    yaml.default_flow_style = None
    buffer = io.StringIO()
    yaml.dump(spec.model_dump(mode="json", exclude_defaults=True), buffer)
    if output is None:
        sys.stdout.write(buffer.getvalue())
    else:
        output.write_text(buffer.getvalue(), encoding="utf-8")
        err.print(f"wrote code list {spec.id} ({len(spec.codes)} codes) to {output}")


catalog_app = typer.Typer(
    help="The catalogue: export it as DCAT-AP 3.0.1 or search it.", no_args_is_help=True
)
app.add_typer(catalog_app, name="catalog")


@catalog_app.command("export")
def catalog_export(
    directory: WorkspaceArg = Path("."),
    fmt: Annotated[
        str, typer.Option("--format", help="turtle or json-ld.", show_default=True)
    ] = "turtle",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout.")
    ] = None,
    base_uri: Annotated[
        str | None, typer.Option(help="Publish the IRIs under this address.")
    ] = None,
) -> None:
    """Write the catalogue as DCAT-AP 3.0.1 (datasets, distributions, data services).

    Row counts and dates come from the store where data has landed; source options
    other than the connector kind and a relative path are never exported.
    """
    from seamline.catalog import export_catalog
    from seamline.store import Store

    ws = _load(directory)
    if output is not None:
        _writable(output)
    with Store.open(ws.store_url()) as store:
        stats = store.landing_stats()
    text = export_catalog(ws, fmt=fmt, stats=stats, base_uri=base_uri)  # type: ignore[arg-type]
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote the catalogue of {len(ws.datasets)} datasets to {output}")


@catalog_app.command("search")
def catalog_search(
    text: Annotated[str, typer.Argument(help="Words to find; all must match.")],
    directory: WorkspaceOpt = Path("."),
    limit: Annotated[int, typer.Option(help="At most this many datasets.")] = 20,
) -> None:
    """Search dataset titles, descriptions, fields, owners, stewards and systems."""
    from seamline.catalog import search_catalog

    hits = search_catalog(_load(directory), text, limit=limit)
    if not hits:
        out.print(f"No dataset matches {text!r}.")
        return
    table = Table()
    for col in ("dataset", "title", "score", "matched in"):
        table.add_column(col, overflow="fold")
    for h in hits:
        table.add_row(h.dataset, h.title, f"{h.score:g}", "\n".join(h.matched))
    out.print(table)


@app.command()
def run(
    directory: WorkspaceArg = Path("."),
    dataset: Annotated[
        list[str] | None, typer.Option("--dataset", "-d", help="Only this dataset (repeatable).")
    ] = None,
) -> None:
    """Run the pipeline: connect, then every later stage, recording each run in the store."""
    from seamline.pipeline import run_pipeline
    from seamline.store import Store

    ws = _load(directory)
    with Store.open(ws.store_url()) as store, _reporter() as reporter:
        summary = run_pipeline(ws, store, reporter=reporter, datasets=dataset)
    _print_summary(summary)
    raise typer.Exit(summary.exit_code)


_LONG_COLUMNS = {"landing", "quarantine"}  # paths: printed once below the table


def _print_summary(summary: Any) -> None:
    for stage in summary.stages:
        title = f"{stage.stage} ({stage.seconds:.1f} s)"
        if stage.details:
            keys = [
                k
                for k in stage.details[0]
                if not isinstance(stage.details[0][k], dict | list)
                and k not in _LONG_COLUMNS
                and any(row.get(k) is not None for row in stage.details)
            ]
            rows = [{k: _cell(row.get(k)) for k in keys} for row in stage.details]
            _print_rows(rows, title=title, by_first=True)
        else:
            out.print(title, markup=False)
        colour = "red" if stage.status in ("failed", "partial") else "yellow"
        for message in stage.messages:
            err.print(f"[{colour}]{stage.stage}:[/{colour}] {escape(message)}")
        for kind, path in stage.reports.items():
            out.print(f"  {kind}: {path}")
    status = {0: "[green]ok[/green]", 1: "[yellow]checks failed[/yellow]", 3: "[red]failed[/red]"}
    out.print(
        f"Run {summary.run_id}: {status.get(int(summary.exit_code), str(summary.exit_code))} "
        f"in {summary.seconds:.1f} s. Report: {summary.report}"
    )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@app.command()
def read(
    target: Annotated[str, typer.Argument(help="A dataset id, or with --copybook a data file.")],
    workspace: WorkspaceOpt = Path("."),
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to .parquet, .jsonl or .csv.")
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Stop after N records.")] = None,
    record: Annotated[
        list[int] | None,
        typer.Option(
            min=1,
            help="Show the landed record with this number (_record_no; repeatable), as the "
            "reconcile report names records (tax_payers #134).",
        ),
    ] = None,
    copybook: Annotated[
        Path | None,
        typer.Option(help="Read TARGET as a mainframe file described by this copybook."),
    ] = None,
    encoding: Annotated[str, typer.Option(help="Code page of a mainframe file.")] = "cp037",
    record_format: Annotated[
        str, typer.Option(help="F, FB, V, VB (with block descriptors), VBS or D (text lines).")
    ] = "F",
    rdw_little_endian: Annotated[bool, typer.Option(help="RDW headers are little-endian.")] = False,
    rdw_includes_header: Annotated[
        bool,
        typer.Option(
            help="RDW and BDW lengths count their own 4 bytes, as z/OS writes them; "
            "--no-rdw-includes-header for files whose lengths count only the data."
        ),
    ] = True,
    landed: Annotated[
        bool,
        typer.Option("--landed", help="Read the dataset's current landed state, not its source."),
    ] = False,
) -> None:
    """Read one dataset (or a mainframe file ad hoc) and show or write its records."""
    from seamline.plugins import default_registry
    from seamline.sources.base import ReadContext
    from seamline.sources.export import export

    if copybook is not None:
        options_model = default_registry().connector("copybook").options_model
        options = _validated(
            options_model,
            kind="copybook",
            path=str(Path(target).resolve()),
            copybook=str(copybook.resolve()),
            encoding=encoding,
            record_format=record_format,
            rdw_big_endian=not rdw_little_endian,
            rdw_includes_header=rdw_includes_header,
        )
        context = ReadContext(base_dir=Path.cwd(), limit=limit)
        reader_cls = default_registry().connector("copybook")
    elif landed:
        from seamline.sources.base import SourceOptions
        from seamline.sources.deliveries import StateReader

        ws = _load(workspace)
        spec = ws.dataset(target)
        options = SourceOptions(kind="landed")
        context = ReadContext(base_dir=ws.data_dir, dataset=spec.id, limit=limit)
        reader_cls = StateReader
    else:
        ws = _load(workspace)
        spec = ws.dataset(target)
        if record:
            _print_preview(_landed_records(ws, spec.id, record))
            return
        options = ws.sources[spec.id]
        context = ReadContext(base_dir=ws.root, dataset=spec.id, limit=limit)
        reader_cls = default_registry().connector(options.kind)
    result = export(reader_cls(options, context), output, limit=limit)
    if output is None:
        _print_preview(result.preview)
    err.print(
        f"read {result.read:,} records: {result.written:,} accepted, {result.quarantined:,} quarantined"
        + (f"; wrote {output}" if output else "")
        + (f"; quarantine in {result.quarantine}" if result.quarantine else "")
    )


def _landed_records(ws: Any, dataset: str, numbers: list[int]) -> list[dict[str, Any]]:
    """The records of the current landing of ``dataset`` with these ``_record_no``."""
    import pyarrow.parquet as pq

    from seamline.sources.deliveries import current_state

    path = current_state(ws.data_dir, dataset)
    if path is None:
        raise UsageError(
            f"{dataset} has not landed yet, so it has no record numbers",
            hint=f"Run `seamline run {ws.root}` first.",
        )
    rows: list[dict[str, Any]] = pq.read_table(
        path, filters=[("_record_no", "in", list(numbers))]
    ).to_pylist()
    missing = sorted(set(numbers) - {int(r["_record_no"]) for r in rows})
    if missing:
        err.print(
            f"No record {', '.join(f'#{n}' for n in missing)} in the current landing of "
            f"{dataset}, which holds {pq.ParquetFile(path).metadata.num_rows:,} records.",
            markup=False,
        )
    return rows


def _validated(model: Any, **values: Any) -> Any:
    from pydantic import ValidationError

    try:
        return model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise UsageError(
            f"bad option {'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
        ) from None


def _print_preview(rows: list[dict[str, Any]]) -> None:
    """Records as a table when every value fits whole, else one block per record."""
    if not rows:
        out.print("(no records)")
        return
    _print_rows([{k: "" if v is None else str(v) for k, v in row.items()} for row in rows])


def _print_rows(
    rows: list[dict[str, str]], title: str | None = None, by_first: bool = False
) -> None:
    """A table when every value fits whole, else one block per row.

    A value is never cut or folded mid-value: an identifier broken over two lines reads
    as two values. When the columns do not fit the terminal, each row is printed as
    ``field: value`` lines instead (as ``psql``'s expanded display does), headed by its
    number or, with ``by_first``, by its first value.
    """
    keys = list(rows[0])
    texts = [[row.get(k, "") for k in keys] for row in rows]
    widths = [max(len(k), *(len(t[i]) for t in texts)) for i, k in enumerate(keys)]
    if sum(widths) + 3 * len(keys) + 1 <= out.width:
        table = Table(title=title, title_justify="left", show_lines=False)
        for key in keys:
            table.add_column(key, no_wrap=True)
        for t in texts:
            table.add_row(*t)
        out.print(table)
        return
    if title:
        out.print(title, markup=False)
    shown = keys[1:] if by_first else keys
    label = max(len(k) for k in shown)
    for n, t in enumerate(texts, start=1):
        head = f"-- {keys[0]} {t[0]} " if by_first else f"-- record {n} "
        out.print(head + "-" * max(0, min(out.width, 60) - len(head)), markup=False)
        for key, text in zip(keys, t, strict=True):
            if key in shown and (text or not by_first):
                out.print(f"{key:<{label}} : {text}", markup=False, overflow="ignore", crop=False)


@app.command(name="copybook")
def copybook_layout(
    path: Annotated[Path, typer.Argument(help="A COBOL copybook (.cpy, .cob).")],
) -> None:
    """Print a copybook's decoded layout: field, level, offset, length and type."""
    from seamline.sources.copybook import layout_table, load_copybook

    layout = load_copybook(path)
    rows = layout_table(layout)
    table = Table(title=str(path), title_justify="left")
    for key in ("field", "level", "start", "end", "length", "type"):
        table.add_column(
            key, justify="right" if key in {"level", "start", "end", "length"} else "left"
        )
    for row in rows:
        table.add_row(
            *[str(row.get(k, "")) for k in ("field", "level", "start", "end", "length", "type")]
        )
    out.print(table)


findings_app = typer.Typer(
    help="Findings: problems a person should look at (failed contracts, drift, gaps).",
    no_args_is_help=True,
)
app.add_typer(findings_app, name="findings")

FINDING_STATUSES = ("open", "resolved", "closed", "all")


@findings_app.command("list")
def findings_list(
    directory: WorkspaceArg = Path("."),
    status: Annotated[
        str,
        typer.Option(
            help="open, resolved (a later run no longer saw it), closed (by a person) or all."
        ),
    ] = "open",
    kind: Annotated[str | None, typer.Option(help="Only this kind, e.g. contract.failed.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the findings as a JSON list, evidence included.")
    ] = False,
) -> None:
    """List findings with their id, kind, subject, owner and how often they were seen."""
    if status not in FINDING_STATUSES:
        raise UsageError(
            f"--status {status!r} is not one of {', '.join(FINDING_STATUSES)}.",
            allowed=", ".join(FINDING_STATUSES),
        )
    with _client_store(directory) as store:
        found = store.findings(kind=kind, status=status)
    if as_json:
        import dataclasses
        import json

        rows = [dataclasses.asdict(f) for f in found]
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False, default=str) + "\n")
        return
    table = Table()
    for col in ("id", "status", "severity", "kind", "subject", "owner", "seen", "message"):
        table.add_column(col)
    for f in found:
        table.add_row(
            str(f.id),
            f.status,
            f.severity,
            f.kind,
            f.subject,
            f.owner or "",
            str(f.times_seen),
            f.message,
        )
    out.print(table)
    out.print(f"{len(found):,} finding(s).")


@findings_app.command("close")
def findings_close(
    finding: Annotated[int, typer.Argument(help="The finding's id (see `findings list`).")],
    reason: Annotated[str, typer.Option(help="Why it is closed; kept with the finding.")],
    directory: WorkspaceOpt = Path("."),
    by: Annotated[str | None, typer.Option(help="Who closes it (default: the login name).")] = None,
) -> None:
    """Close a finding by hand. It opens again if a later run sees the same problem."""
    import getpass

    with _client_store(directory) as store:
        info = store.close_finding(finding, by=by or getpass.getuser(), reason=reason)
    out.print(f"Closed finding {info.id} ({info.kind} on {info.subject}).")


@app.command()
def deliveries(
    dataset: Annotated[str, typer.Argument(help="The dataset id.")],
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """List a dataset's deliveries, newest first, and which of them make its current state."""
    from seamline.sources.deliveries import current_state, delivery_rows
    from seamline.store import Store

    ws = _load(workspace)
    spec = ws.dataset(dataset)
    with Store.open(ws.store_url()) as store:
        rows = delivery_rows(store, spec.id)
    if not rows:
        out.print(f"No deliveries of {spec.id} yet; `seamline run {ws.root}` lands one.")
        return
    table = Table()
    for col in rows[0]:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*[_cell(v) for v in row.values()])
    out.print(table)
    state = current_state(ws.data_dir, spec.id)
    out.print(f"  current state: {state if state else 'nothing landed yet'}")


@app.command()
def runs(
    directory: WorkspaceArg = Path("."),
    limit: Annotated[int, typer.Option(min=1, help="How many runs to list.")] = 20,
) -> None:
    """List the most recent runs recorded in the store."""
    from seamline.store import Store

    ws = _load(directory)
    with Store.open(ws.store_url()) as store:
        found = store.list_runs(limit=limit)
    table = Table()
    table.add_column("id", justify="right", no_wrap=True)
    table.add_column("stage", no_wrap=True)
    table.add_column("dataset", overflow="fold")
    table.add_column("status", no_wrap=True)
    table.add_column("started")
    table.add_column("s", justify="right", no_wrap=True)
    table.add_column("counts", overflow="fold")
    failed = []
    for r in found:
        table.add_row(
            str(r.id),
            r.stage,
            r.dataset or "",
            r.status,
            r.started_at.strftime("%m-%d\n%H:%M") if r.started_at else "",
            f"{(r.duration_ms or 0) / 1000:.1f}",
            _run_counts(r.stage, r.counts or {}),
        )
        if r.status == "failed" and r.message:
            failed.append((r.id, r.message))
    out.print(table)
    for run_id, message in failed:
        out.print(f"Run {run_id} failed: {message}", markup=False)


_LANDING = ("read", "landed", "quarantined")


def _run_counts(stage: str, counts: dict[str, Any]) -> str:
    """A run's counts for the console; a landing as ``read = landed + quarantined``.

    Other zero counts are left out so that the figures that matter fit 80 columns.

    The pipeline's own row repeats every stage's counts: it shows the landing only (the
    stage rows below it show the rest).
    """
    prefix = "connect." if stage == "run" else ""
    if all(f"{prefix}{k}" in counts for k in _LANDING):
        r, la, q = (counts[f"{prefix}{k}"] for k in _LANDING)
        landing = f"read {r:,} = landed {la:,} + quarantined {q:,}"
        rest = {k: v for k, v in counts.items() if k not in {f"{prefix}{x}" for x in _LANDING}}
        if stage == "run":
            return landing
        return ", ".join([landing, *(f"{k}={_cell(v)}" for k, v in rest.items() if v)])
    if stage == "run":
        return ""
    return ", ".join(f"{k}={_cell(v)}" for k, v in counts.items() if v)


def _writable(output: Path) -> None:
    """A usage error, before any work, when ``-o FILE`` cannot be written where it points."""
    folder = output.parent if str(output.parent) else Path(".")
    if output.is_dir():
        raise UsageError(
            f"{output} is a folder", hint=f"Give a file name for -o, e.g. {output}/out.ttl."
        )
    if not folder.is_dir():
        raise UsageError(
            f"cannot write {output}: the folder {folder} does not exist",
            hint=f"Create it first (mkdir -p {folder}) or write somewhere else.",
        )


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app and map every error to its exit code."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        app(args=args, prog_name="seamline")  # standalone: usage errors exit 2 by themselves
    except SeamlineError as exc:
        if debug:
            traceback.print_exc()
        err.print(f"Error: {exc}", markup=False)
        sys.exit(int(exc.exit_code))
    except OSError as exc:
        # A file or folder the command was given cannot be read or written.
        if debug:
            traceback.print_exc()
        place = f" {exc.filename}" if exc.filename else ""
        err.print(
            f"Error: cannot use{place}: {exc.strerror or exc}. Check that the path exists "
            "and that you may read or write it, then run the command again.",
            markup=False,
        )
        sys.exit(ExitCode.RUNTIME)
    except Exception as exc:
        if debug:
            traceback.print_exc()
        err.print(
            f"Unexpected error: {type(exc).__name__}: {exc}. Run again with --debug for the "
            "traceback, and report it.",
            markup=False,
        )
        sys.exit(ExitCode.RUNTIME)


if __name__ == "__main__":
    main()
