"""docs/architecture.md and CONTRIBUTING.md name only files, modules and targets that exist."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "seamline"
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
CONTRIBUTING = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")


def test_architecture_places_every_package_in_a_layer() -> None:
    packages = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and any(p.glob("*.py")))
    assert len(packages) > 10
    missing = [p for p in packages if f"`{p}/`" not in ARCHITECTURE]
    assert not missing, f"docs/architecture.md does not place these packages: {missing}"


def test_python_files_named_in_the_docs_exist() -> None:
    named = set(re.findall(r"`([\w./]+/[\w.]+\.py)`", ARCHITECTURE + CONTRIBUTING))
    assert len(named) > 20
    bases = (ROOT, PACKAGE, PACKAGE / "store" / "migrations")
    missing = sorted(n for n in named if not any((b / n).is_file() for b in bases))
    assert not missing, f"the docs name files that do not exist: {missing}"


def test_commands_in_contributing_exist() -> None:
    modules = re.findall(r"python -m (seamline[\w.]*)", CONTRIBUTING)
    assert len(modules) >= 4
    for module in modules:
        assert importlib.util.find_spec(module) is not None, f"no module {module}"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z-]+):", makefile, flags=re.MULTILINE))
    used = set(
        re.findall(r"(?:^|`)make ([a-z-]+)", CONTRIBUTING + ARCHITECTURE, flags=re.MULTILINE)
    )
    assert used and used <= targets, f"no such make target: {sorted(used - targets)}"
