"""Write a workspace the way a user would (CSV sources, fields mapped to attributes) and
run it through ``seamline run``; score the links against known true pairs."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from math import comb
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import yaml
from typer.testing import CliRunner

from seamline.cli import app


@dataclass
class Dataset:
    id: str
    rows: list[dict[str, Any]]
    fields: dict[str, str | None]
    """Column -> attribute (None: unmapped)."""
    normalize: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def write_workspace(
    root: Path,
    datasets: Sequence[Dataset],
    identifiers: Sequence[dict[str, Any]] = (),
    reconcile: dict[str, Any] | None = None,
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "seamline.yaml").write_text(yaml.safe_dump({"name": "linkage-test"}))
    agencies = {"agencies": [{"id": "registry", "name": "Invented Registry"}]}
    (root / "agencies.yaml").write_text(yaml.safe_dump(agencies))
    (root / "systems").mkdir(exist_ok=True)
    system = {"id": "files", "name": "Exports", "agency": "registry", "interface": "batch-file"}
    (root / "systems" / "files.yaml").write_text(yaml.safe_dump(system))
    (root / "datasets").mkdir(exist_ok=True)
    (root / "data").mkdir(exist_ok=True)
    for ds in datasets:
        path = root / "data" / f"{ds.id}.csv"
        columns = list(ds.fields)
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(ds.rows)
        fields: list[dict[str, Any]] = []
        for col, attr in ds.fields.items():
            f: dict[str, Any] = {"column": col}
            if attr:
                f["attribute"] = attr
            if col in ds.normalize:
                f["normalize"] = ds.normalize[col]
            fields.append(f)
        spec = {
            "id": ds.id,
            "title": ds.id,
            "system": "files",
            "owner": "registry",
            "entity": "Person",
            "sensitivity": "personal",
            "source": {"kind": "csv", "path": f"data/{ds.id}.csv"},
            "fields": fields,
        }
        (root / "datasets" / f"{ds.id}.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    if identifiers:
        (root / "identifiers").mkdir(exist_ok=True)
        for scheme in identifiers:
            (root / "identifiers" / f"{scheme['id']}.yaml").write_text(yaml.safe_dump(scheme))
    if reconcile:
        (root / "reconcile").mkdir(exist_ok=True)
        (root / "reconcile" / "person.yaml").write_text(yaml.safe_dump(reconcile))
    return root


@dataclass
class Outcome:
    exit_code: int
    output: str
    entity_of: dict[str, str]
    """uid (dataset:key) -> entity id, from reference/entity_ids.parquet."""


def seamline_run(root: Path) -> Outcome:
    result = CliRunner().invoke(app, ["run", str(root)], catch_exceptions=False)
    mapping = root / ".seamline" / "data" / "reference" / "entity_ids.parquet"
    entity_of: dict[str, str] = {}
    if mapping.exists():
        t = pq.read_table(mapping)
        entity_of = dict(
            zip(t.column("uid").to_pylist(), t.column("entity_id").to_pylist(), strict=True)
        )
    return Outcome(result.exit_code, result.output, entity_of)


def _pairs(labels: Sequence[Any]) -> int:
    return sum(comb(n, 2) for n in Counter(labels).values())


def f1(entity_of: dict[str, str], person_of: Callable[[str], str]) -> dict[str, float]:
    """Pairwise precision, recall and F1 of the linked records against the true people."""
    uids = sorted(entity_of)
    entity = [entity_of[u] for u in uids]
    person = [person_of(u) for u in uids]
    predicted, true = _pairs(entity), _pairs(person)
    both = _pairs(list(zip(entity, person, strict=True)))
    precision = both / predicted if predicted else 1.0
    recall = both / true if true else 1.0
    score = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": score}
