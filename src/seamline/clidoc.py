"""Generate docs/cli.md from the CLI itself, so the reference never drifts from --help.

Every command is listed with its options, the subcommands of each group too
(``seamline catalog export``, ``seamline findings list``...). Run
``python -m seamline.clidoc > docs/cli.md``; a test fails when the file is stale.
"""

from __future__ import annotations

from typing import Any

import typer

from seamline.cli import app

WIDTH = 100


def _walk(command: Any, ctx: Any, path: str) -> list[str]:
    """The help of ``command`` and, for a group, of every subcommand below it, in order."""
    parts = ["", f"## {path}", "", "```text", command.get_help(ctx).rstrip(), "```"]
    group: dict[str, Any] = getattr(command, "commands", {})
    for name in sorted(group):
        sub = group[name]
        if getattr(sub, "hidden", False):
            continue
        sub_ctx = sub.make_context(name, ["--help"], parent=ctx, resilient_parsing=True)
        parts += _walk(sub, sub_ctx, f"{path} {name}")
    return parts


def render() -> str:
    """The CLI reference as Markdown: the --help text of every command and subcommand."""
    command = typer.main.get_command(app)
    ctx = command.make_context(
        "seamline",
        ["--help"],
        resilient_parsing=True,
        terminal_width=WIDTH,
        max_content_width=WIDTH,
    )
    parts = [
        "# seamline command reference",
        "",
        "Generated from the CLI by `python -m seamline.clidoc > docs/cli.md`; do not edit by hand.",
        "Every command and subcommand with all its options.",
        *_walk(command, ctx, "seamline"),
    ]
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    print(render(), end="")
