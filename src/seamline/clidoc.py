"""Generate docs/cli.md from the CLI itself, so the reference never drifts from --help.

Run ``python -m seamline.clidoc > docs/cli.md``; a test fails when the file is stale.
"""

from __future__ import annotations

import typer

from seamline.cli import app

WIDTH = 100


def render() -> str:
    """The CLI reference as Markdown: the --help text of every command."""
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
        "",
        "## seamline",
        "",
        "```text",
        command.get_help(ctx).rstrip(),
        "```",
    ]
    group = getattr(command, "commands", {})
    for name in sorted(group):
        sub = group[name]
        sub_ctx = sub.make_context(name, ["--help"], parent=ctx, resilient_parsing=True)
        parts += ["", f"## seamline {name}", "", "```text", sub.get_help(sub_ctx).rstrip(), "```"]
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    print(render(), end="")
