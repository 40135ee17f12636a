"""Helpers of the encryption-at-rest tests: a demo run, its truth values, a byte scan."""

from __future__ import annotations

import base64
import csv
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from seamline.demo import generate_demo
from seamline.pipeline import run_pipeline
from seamline.store import Store
from seamline.workspace import Workspace, load_workspace

PEOPLE = 300
ENV = "SEAMLINE_DATA_KEY"
BLOCK = f'encryption:\n  key: "${{{ENV}}}"\n'


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@dataclass
class DemoRun:
    root: Path
    key: str | None

    def env(self, key: str | None = None) -> dict[str, str]:
        key = key or self.key
        return {ENV: key} if key else {}

    def load(self, key: str | None = None) -> Workspace:
        return load_workspace(self.root, env=self.env(key))

    @property
    def data_dir(self) -> Path:
        return self.load().data_dir

    def copy(self, dest: Path) -> DemoRun:
        shutil.copytree(self.root, dest, symlinks=True)
        return DemoRun(dest, self.key)


def needles(root: Path) -> dict[str, set[bytes]]:
    """The demo's national identifiers and family names from its ground truth."""
    with (root / "_truth" / "people.csv").open(encoding="utf-8", newline="") as fh:
        people = list(csv.DictReader(fh))
    return {
        "national identifiers": {p["pin"].encode() for p in people if p["pin"]},
        # Five letters and more: shorter strings could turn up in any binary by chance.
        "family names": {
            name.encode()
            for p in people
            for name in (p["family_name"], p["family_name_latin"])
            if len(name) >= 5
        },
    }


def found_in_clear(folder: Path, wanted: dict[str, set[bytes]]) -> dict[str, dict[str, int]]:
    """Per file under ``folder``: how many of each kind of value it holds in clear."""
    hits: dict[str, dict[str, int]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        counts = {kind: sum(1 for v in values if v in data) for kind, values in wanted.items()}
        if any(counts.values()):
            hits[str(path.relative_to(folder))] = counts
    return hits


def run_demo(root: Path, key: str | None) -> DemoRun:
    generate_demo(root, people=PEOPLE, seed=11)
    if key:
        with (root / "seamline.yaml").open("a", encoding="utf-8") as fh:
            fh.write(BLOCK)
    demo = DemoRun(root, key)
    ws = demo.load()
    with Store.open(ws.store_url(env={}), key=ws.data_key) as store:
        summary = run_pipeline(ws, store)
    stages = [(s.stage, s.status) for s in summary.stages]
    assert stages == [
        (name, "ok")
        for name in (
            "connect",
            "retention",
            "inventory",
            "harmonize",
            "reconcile",
            "derive",
            "check",
        )
    ], [s.messages for s in summary.stages]
    return demo
