"""``seamline keys``: the data key of a workspace (encryption at rest).

Imports of pyarrow and the engine wait inside the commands, so that ``seamline --help``
stays quick.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from seamline.errors import ExitCode, SeamlineError, UsageError

if TYPE_CHECKING:
    from seamline.crypto.parquet import ParquetFiles

keys_app = typer.Typer(
    help="The key the data folder's Parquet files and the store's personal columns are "
    "encrypted with (docs/security.md).",
    no_args_is_help=True,
)
_err = Console(stderr=True, highlight=False)


def old_files(old_key_env: str | None, old_key_file: Path | None, from_plain: bool) -> ParquetFiles:
    """The files as they are now: under the old key, or in clear."""
    from seamline.crypto.parquet import ParquetFiles

    return ParquetFiles(old_key(old_key_env, old_key_file, from_plain))


def old_key(old_key_env: str | None, old_key_file: Path | None, from_plain: bool) -> bytes | None:
    """The key the data is under now; None when it is in clear."""
    from seamline.crypto.keys import parse_key

    given = [n for n, v in (("--old-key-env", old_key_env), ("--old-key-file", old_key_file)) if v]
    if from_plain:
        given.append("--from-plain")
    if len(given) != 1:
        raise UsageError(
            "say where the files' current key is: give exactly one of --old-key-env, "
            f"--old-key-file, --from-plain (got {', '.join(given) or 'none'})",
            hint="E.g. `seamline keys rotate --old-key-env SEAMLINE_OLD_DATA_KEY`.",
        )
    if from_plain:
        return None
    if old_key_env is not None:
        value = os.environ.get(old_key_env)
        if value is None:
            raise UsageError(
                f"the environment variable {old_key_env} is not set",
                hint=f"Export the old key as {old_key_env} before running the command.",
            )
        return parse_key(value, f"--old-key-env {old_key_env}")
    path = Path(str(old_key_file))
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the old key file {path}: {type(exc).__name__}") from None
    return parse_key(text, f"--old-key-file {path}")


@keys_app.command("rotate")
def rotate_command(
    directory: Annotated[Path, typer.Argument(help="The workspace folder.")] = Path("."),
    old_key_env: Annotated[
        str | None,
        typer.Option(help="The environment variable that holds the key the files have now."),
    ] = None,
    old_key_file: Annotated[
        Path | None, typer.Option(help="A file that holds the key the files have now.")
    ] = None,
    from_plain: Annotated[
        bool, typer.Option("--from-plain", help="The files are in clear now (encrypt them).")
    ] = False,
) -> None:
    """Re-encrypt the data folder's Parquet files and the store's personal columns under
    the workspace's current key.

    Point seamline.yaml's `encryption:` at the new key first; give the old one with
    --old-key-env or --old-key-file (or --from-plain for data written before
    encryption was on). Each file is replaced atomically, and each store table is
    re-encrypted in one transaction; files and values the new key opens already are left
    alone, so an interrupted rotation is finished by running it again.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from seamline.crypto.parquet import ParquetFiles
    from seamline.crypto.rotate import rotate
    from seamline.store.migrate import create_store_engine, safe_url, upgrade_engine
    from seamline.store.sealing import reseal
    from seamline.workspace import load_workspace

    old = old_key(old_key_env, old_key_file, from_plain)
    ws = load_workspace(directory)
    new = ws.parquet
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=_err) as bar:
        result = rotate(ws.data_dir, ParquetFiles(old), new, _Reporter(bar))
    target = "the new key" if new.encrypted else "clear text (no encryption: in seamline.yaml)"
    _err.print(
        f"{result.total:,} Parquet files in {ws.data_dir}: {result.rotated:,} re-encrypted to "
        f"{target}, {result.current:,} already on it, {len(result.failed):,} failed.",
        markup=False,
        soft_wrap=True,
    )
    for path, why in result.failed:
        _err.print(f"  {path}: {why}", markup=False, soft_wrap=True)
    engine = create_store_engine(ws.store_url())
    try:
        upgrade_engine(engine)
        store = reseal(engine, old, new.key)
    finally:
        engine.dispose()
    _err.print(
        f"Store {safe_url(ws.store_url())}: {store.rows:,} rows re-encrypted to {target} "
        f"({', '.join(f'{t} {n:,}' for t, n in store.rewritten.items() if n) or 'none'}), "
        f"{store.current:,} values already on it, {len(store.failed):,} tables failed.",
        markup=False,
        soft_wrap=True,
    )
    for table, why in store.failed:
        _err.print(f"  table {table}: {why}; left as it was", markup=False, soft_wrap=True)
    if result.failed or store.failed:
        raise SeamlineError(
            f"{len(result.failed):,} files and {len(store.failed):,} store tables could not "
            "be re-encrypted (listed above)",
            hint="Give the key they were written with, then run the command again.",
            exit_code=ExitCode.RUNTIME,
        )


class _Reporter:
    def __init__(self, bar: Any) -> None:
        self.bar = bar

    def task(self, description: str, total: int | None = None) -> Any:
        bar, task_id = self.bar, self.bar.add_task(description, total=total)

        class _Task:
            def advance(self, amount: int) -> None:
                bar.advance(task_id, amount)

            def done(self) -> None:
                return None

        return _Task()
