"""The root group turns every error of a command into a message and its exit code."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from seamline.cli import app
from seamline.cli.common import RootGroup
from seamline.errors import UsageError


def _app(error: BaseException) -> typer.Typer:
    """A root group like seamline's, with one command that raises ``error``."""
    root = typer.Typer(cls=RootGroup, pretty_exceptions_enable=False)

    @root.callback()
    def _root(debug: bool = typer.Option(False, "--debug")) -> None:
        pass

    @root.command()
    def fail() -> None:
        raise error

    return root


@pytest.mark.parametrize(
    ("error", "code", "message"),
    [
        (
            UsageError("bad --limit 0", allowed="1 or more"),
            2,
            "Error: bad --limit 0. Allowed: 1 or more.",
        ),
        (
            FileNotFoundError(errno.ENOENT, "No such file or directory", "/nodir/x.csv"),
            3,
            "Error: cannot use /nodir/x.csv: No such file or directory.",
        ),
        (ValueError("odd"), 3, "Unexpected error: ValueError: odd. Run again with --debug"),
    ],
)
def test_each_error_has_its_exit_code_and_message(
    error: Exception, code: int, message: str
) -> None:
    result = CliRunner().invoke(_app(error), ["fail"])
    assert result.exit_code == code, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    with_debug = CliRunner().invoke(_app(error), ["--debug", "fail"])
    assert with_debug.exit_code == code
    assert "Traceback (most recent call last)" in with_debug.output
    assert message in with_debug.output


def test_exits_and_usage_errors_pass_through() -> None:
    assert CliRunner().invoke(_app(typer.Exit(1)), ["fail"]).exit_code == 1
    unknown = CliRunner().invoke(_app(ValueError()), ["fail", "--nope"])
    assert unknown.exit_code == 2 and "No such option: --nope" in unknown.output


def test_debug_is_an_option_of_the_root_command_only(tmp_path: Path) -> None:
    nowhere = str(tmp_path / "nowhere")
    plain = CliRunner().invoke(app, ["run", nowhere])
    assert plain.exit_code == 2 and "no workspace folder at" in plain.output
    assert "Traceback" not in plain.output
    debug = CliRunner().invoke(app, ["--debug", "run", nowhere])
    assert debug.exit_code == 2 and "Traceback" in debug.output
    misplaced = CliRunner().invoke(app, ["run", nowhere, "--debug"])
    assert misplaced.exit_code == 2 and "No such option: --debug" in misplaced.output
