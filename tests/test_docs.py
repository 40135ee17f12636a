"""Docs that drift fail the build."""

from __future__ import annotations

import re
from pathlib import Path

from seamline.clidoc import render
from seamline.workspace.entities import BUILTIN_ENTITIES

ROOT = Path(__file__).resolve().parents[1]


def test_cli_reference_is_generated_from_the_cli() -> None:
    committed = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert committed == render(), (
        "docs/cli.md is stale: run `python -m seamline.clidoc > docs/cli.md`"
    )


def test_connector_reference_is_generated_from_the_option_models() -> None:
    from seamline.sourcedoc import render as render_sources

    committed = (ROOT / "docs" / "connectors.md").read_text(encoding="utf-8")
    assert committed == render_sources(), (
        "docs/connectors.md is stale: run `python -m seamline.sourcedoc > docs/connectors.md`"
    )


def test_readme_gives_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
    blocks = "\n".join(re.findall(r"```sh\n(.*?)```", readme, flags=re.DOTALL))
    commands = re.findall(r"^seamline ([a-z]+)", blocks, flags=re.MULTILINE)
    assert len(commands) >= 5
    for command in commands:
        assert f"## seamline {command}" in render(), f"README mentions unknown command {command}"


def test_workspace_doc_lists_every_builtin_attribute() -> None:
    doc = (ROOT / "docs" / "workspace.md").read_text(encoding="utf-8")
    for entity in BUILTIN_ENTITIES.values():
        for name in entity.attribute_names():
            assert name in doc, f"docs/workspace.md does not mention {entity.id}.{name}"


def test_ci_runs_make_test_with_services_required() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "SEAMLINE_REQUIRE_SERVICES=1" in ci and "make test" in ci
