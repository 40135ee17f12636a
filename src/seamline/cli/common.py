"""What every command module of the CLI shares: consoles, arguments, loading, printing.

Also the root command's error handling: every error a command raises becomes a message
on stderr and a defined exit code (0 ok, 1 checks failed, 2 usage or spec error,
3 runtime error); the root option ``--debug`` adds the traceback.
"""

from __future__ import annotations

import errno
import traceback
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from seamline.errors import ExitCode, SeamlineError, UsageError

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from seamline.pipeline import RunSummary
    from seamline.progress import Task
    from seamline.store import Store
    from seamline.workspace import Workspace

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

WorkspaceArg = Annotated[Path, typer.Argument(help="The workspace folder.", show_default=True)]
WorkspaceOpt = Annotated[Path, typer.Option("--workspace", "-w", help="The workspace folder.")]


class RootGroup(TyperGroup):
    """The ``seamline`` group: maps every error of a command to its exit code.

    Errors a user can cause (:class:`SeamlineError`) print their message; a file that
    cannot be read or written names it; anything else is an unexpected error. With the
    root option ``--debug`` each also prints its traceback.
    """

    def invoke(self, ctx: Any) -> Any:
        debug = bool(ctx.params.get("debug"))
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.exceptions.TyperException, EOFError):
            raise  # usage errors, --help, Ctrl-C: the command-line library reports them
        except SeamlineError as exc:
            _fail(debug, f"Error: {exc}", exc.exit_code)
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise  # the reader of stdout went away: exit quietly, as every command does
            # A file or folder the command was given cannot be read or written.
            place = f" {exc.filename}" if exc.filename else ""
            _fail(
                debug,
                f"Error: cannot use{place}: {exc.strerror or exc}. Check that the path exists "
                "and that you may read or write it, then run the command again.",
                ExitCode.RUNTIME,
            )
        except Exception as exc:
            _fail(
                debug,
                f"Unexpected error: {type(exc).__name__}: {exc}. Run again with --debug for "
                "the traceback, and report it.",
                ExitCode.RUNTIME,
            )


def _fail(debug: bool, message: str, code: ExitCode) -> NoReturn:
    """Print the error being handled (its traceback first with ``--debug``) and exit."""
    if debug:
        traceback.print_exc()
    err.print(message, markup=False)
    raise typer.Exit(int(code))


def load(directory: Path) -> Workspace:
    """The workspace at ``directory``; every spec error is raised together."""
    from seamline.workspace import load_workspace

    return load_workspace(directory)


def open_store(directory: Path) -> AbstractContextManager[Store]:
    """The store of the workspace at ``directory``, opened (and upgraded) for a ``with``."""
    from seamline.store import Store

    ws = load(directory)
    return Store.open(ws.store_url(), key=ws.data_key)


class _ProgressTask:
    def __init__(self, progress: Progress, task_id: TaskID) -> None:
        self.progress = progress
        self.task_id = task_id

    def advance(self, amount: int) -> None:
        self.progress.advance(self.task_id, amount)

    def done(self) -> None:
        t = self.progress.tasks[self.task_id]
        self.progress.update(self.task_id, total=t.completed, completed=t.completed)


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

    def task(self, description: str, total: int | None = None) -> Task:
        return _ProgressTask(self.progress, self.progress.add_task(description, total=total))


def progress_bars() -> RichReporter:
    """Progress bars for a pipeline run, on stderr so stdout stays the command's output."""
    return RichReporter(err)


_LONG_COLUMNS = {"landing", "quarantine"}  # paths: printed once below the table


def print_summary(summary: RunSummary) -> None:
    """A pipeline run: one table per stage, its messages, its reports and the outcome."""
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
            rows = [{k: cell(row.get(k)) for k in keys} for row in stage.details]
            print_rows(rows, title=title, by_first=True)
        else:
            out.print(title, markup=False)
        if stage.where:
            out.print(f"  where: {stage.where}", markup=False)
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


def cell(value: Any) -> str:
    """A value for a table cell: empty for None, thousands separated for an integer."""
    if value is None:
        return ""
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def print_rows(
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


def writable(output: Path) -> None:
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
