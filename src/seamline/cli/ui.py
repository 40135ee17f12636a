"""`seamline ui`: accounts of the web UI."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from seamline.cli.clients import lift_lockouts
from seamline.cli.common import WorkspaceOpt, load, out
from seamline.errors import UsageError

ui_app = typer.Typer(
    help="Accounts of the web UI (served by `seamline serve` at /ui/).", no_args_is_help=True
)


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
    add_user(load(directory), name, password, role)
    out.print(f"User {name} ({role}) can now sign in at /ui/login.")


@ui_app.command("remove-user")
def ui_remove_user(
    name: Annotated[str, typer.Argument(help="The user name.")],
    directory: WorkspaceOpt = Path("."),
) -> None:
    """Remove a UI account; its sessions end at once."""
    from seamline.ui import remove_user

    if not remove_user(load(directory), name):
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
    lift_lockouts(directory, subjects)
