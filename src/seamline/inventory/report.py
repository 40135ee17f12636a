"""The inventory report: one JSON document for machines, one self-contained HTML page."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from seamline.inventory.classify import Classification
from seamline.inventory.governance import Governance
from seamline.inventory.profiler import DatasetProfile
from seamline.workspace.loader import Workspace


def build(
    ws: Workspace,
    profiles: dict[str, DatasetProfile],
    classes: dict[str, dict[str, Classification]],
    gov: Governance,
    failures: dict[str, str],
) -> dict[str, Any]:
    datasets = []
    for did, spec in sorted(ws.datasets.items()):
        profile = profiles.get(did)
        system = ws.systems.get(spec.system)
        owner = ws.agencies.get(spec.owner)
        entry: dict[str, Any] = {
            "id": did,
            "title": spec.title,
            "description": spec.description,
            "system": spec.system,
            "system_name": system.name if system else None,
            "owner": spec.owner,
            "owner_name": owner.name if owner else None,
            "steward": spec.steward,
            "entity": spec.entity,
            "sensitivity": spec.sensitivity,
            "authoritative_for": spec.authoritative_for,
            "source_kind": ws.sources[did].kind if did in ws.sources else None,
            "error": failures.get(did),
            "rows": profile.rows if profile else None,
            "fields": [],
        }
        if profile is not None:
            for fp in profile.fields:
                c = classes[did][fp.name]
                field = spec.field_by_column(fp.name)
                mapped = field.expand() if field else []
                attributes = [m.attribute for m in mapped if m.attribute]
                codelists = [m.codelist for m in mapped if m.codelist]
                entry["fields"].append(
                    {
                        **fp.to_json(),
                        # a split column feeds several attributes: "a, b, c"
                        "attribute": ", ".join(attributes) or None,
                        "codelist": ", ".join(codelists) or None,
                        "pii": c.pii,
                        "pii_evidence": c.evidence,
                        "declared": c.declared,
                        "declared_public_but_pii": c.conflicts_with_declaration,
                    }
                )
        datasets.append(entry)
    return {
        "workspace": ws.name,
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "datasets": datasets,
        "governance": {
            "datasets_without_steward": gov.without_steward,
            "attributes_without_source_of_truth": gov.no_truth,
            "attributes_with_several_authorities": gov.contested,
        },
        "matrix": {k: [asdict(h) for h in v] for k, v in gov.matrix.items()},
        "format_pairs": [
            {"attribute": p.attribute, "a": asdict(p.a), "b": asdict(p.b), "agree": p.agree}
            for p in gov.pairs
        ],
    }


def write(report: dict[str, Any], reports_dir: Path) -> tuple[Path, Path]:
    reports_dir.mkdir(parents=True, exist_ok=True)
    json_path = reports_dir / "inventory.json"
    json_path.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str), "utf-8")
    html_path = reports_dir / "inventory.html"
    html_path.write_text(render_html(report), "utf-8")
    return json_path, html_path


def render_html(report: dict[str, Any]) -> str:
    env = Environment(
        loader=PackageLoader("seamline.inventory", "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    names = sorted({h["dataset"] for holdings in report["matrix"].values() for h in holdings})
    return env.get_template("inventory.html.j2").render(r=report, matrix_datasets=names)
