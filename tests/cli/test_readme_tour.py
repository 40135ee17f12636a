"""The README's tour, run as written on `seamline init` output: every step the docs
promise to succeed exits 0.

The commands are parsed from README.md's `sh` blocks, so a tour that changes is tested as
it reads. Only what cannot run in a test is replaced, and said so here: `serve` runs until
stopped (its lookup is tested with the exchange's test client below, as docs/exchange.md
shows it), `make` is the developer's entry, and the demos are made smaller (--people 200).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from test_cli import seamline

ROOT = Path(__file__).resolve().parents[2]


def tour_commands() -> list[list[str]]:
    """Every `seamline ...` command of the README's tour block, in order."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## A tour of the command line", 1)[1]
    block = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)[0]
    block = block.replace("\\\n", " ")
    commands = []
    for line in block.splitlines():
        words = shlex.split(line, comments=True)
        if words and words[0] == "seamline":
            commands.append(words[1:])
    return commands


def test_the_tour_parses() -> None:
    commands = tour_commands()
    assert [c[0] for c in commands[:3]] == ["init", "validate", "run"]
    assert len(commands) >= 15


def test_the_readme_tour_exits_as_promised(tmp_path: Path) -> None:
    failures = []
    for args in tour_commands():
        if args[0] == "serve":
            continue  # runs until stopped; see test_the_exchange_doc_lookup_works_on_init
        if args[0] == "demo":  # smaller, for the test's time
            if "--people" in args:
                at = args.index("--people")
                args = [*args[:at], *args[at + 2 :]]
            args = [*args, "--people", "200"]
        got = seamline(*args, cwd=tmp_path)
        if got.returncode != 0:
            failures.append(f"seamline {shlex.join(args)} -> {got.returncode}: {got.stderr[-600:]}")
    assert failures == [], "\n".join(failures)
    assert (tmp_path / "catalog.ttl").is_file()
    assert (tmp_path / "seams.xml").is_file()
    assert (tmp_path / "persons.parquet").is_file()


def test_the_tour_has_something_to_show_on_init(tmp_path: Path) -> None:
    """`init` ships one unmapped code to suggest, and no governance gap to start with."""
    assert seamline("init", "my-program", cwd=tmp_path).returncode == 0
    assert seamline("run", "my-program", cwd=tmp_path).returncode == 0
    suggest = seamline(
        "codes", "suggest", "marital_status", "civil_persons.marital", "-w", "my-program",
        cwd=tmp_path,
    )  # fmt: skip
    assert suggest.returncode == 0, suggest.stderr
    assert "divorced" in suggest.stdout
    found = seamline("findings", "list", "my-program", "--json", cwd=tmp_path)
    assert "governance." not in found.stdout


def test_the_exchange_doc_lookup_works_on_init(tmp_path: Path) -> None:
    """docs/exchange.md's first example, against the `init` workspace."""
    from fastapi.testclient import TestClient

    from seamline.exchange.app import create_app
    from seamline.store import Store
    from seamline.workspace import load_workspace

    doc = (ROOT / "docs" / "exchange.md").read_text(encoding="utf-8")
    example = re.findall(r"http://127\.0\.0\.1:8000(/v1/persons/\S+)", doc)[0]
    purpose = re.findall(r'X-Seamline-Purpose: ([\w-]+)"', doc)[0]
    ws = tmp_path / "my-program"
    assert seamline("init", str(ws)).returncode == 0
    assert seamline("run", str(ws)).returncode == 0
    added = seamline("clients", "add", "tax-portal", "--system", "tax-db", "-w", str(ws))
    assert added.returncode == 0, added.stderr
    key = re.findall(r"sl_\S+", added.stdout + added.stderr)[0]
    workspace = load_workspace(ws)
    with Store.open(workspace.store_url()) as store, TestClient(create_app(workspace, store)) as c:
        got = c.get(example, headers={"X-API-Key": key, "X-Seamline-Purpose": purpose})
    assert got.status_code == 200, got.text
    assert got.json()["attributes"]["family_name"], got.json()
