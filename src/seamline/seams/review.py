"""A seam's review packet: what the owning agency and the security reviewer approve.

``seamline seams review SEAM -o packet.html`` writes it. The packet gathers what a
reviewer would otherwise piece together from YAML, reports and logs: what flows (with
sensitivity and PII evidence), purpose and legal basis, retention, where the data lives,
who can access it, the contract and its latest results, drift history, open findings
and a summary of the access log. It holds counts, attribute names, PII classes and
evidence only, never a person's value.

Its **digest** (SHA-256) covers the declared part a reviewer approves: the seam (owner,
agreement, contract), the provider dataset's declaration of the shared attributes, the
consumer system and where seamline keeps the data (engine, data folder). Observations (results, findings, the
access log) are shown but not digested, so a nightly run does not void an approval while
a changed agreement or contract does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from seamline.errors import UsageError
from seamline.seams.agreements import agreement_status
from seamline.seams.report import owner_text
from seamline.seams.review_access import (
    access_summary,
    consumer_clients,
    latest_results,
    seam_findings,
)
from seamline.store import Store, backend_name, safe_url
from seamline.store.history import deliveries
from seamline.workspace.loader import Workspace
from seamline.workspace.models import SeamSpec

SECTIONS = (
    ("seam", "The seam"),
    ("flows", "What flows"),
    ("purpose", "Purpose and legal basis"),
    ("retention", "Retention"),
    ("storage", "Where the data lives"),
    ("access", "Who can access it"),
    ("contract", "Contract and latest results"),
    ("drift", "Drift history"),
    ("findings", "Open findings"),
    ("access-log", "Access log"),
    ("approvals", "Approvals"),
)
"""Every packet has these sections, in this order (ids are the HTML anchors)."""

ENCRYPTION = (
    "not encrypted: seamline writes deliveries (Parquet) and the store without encryption "
    "at rest; any disk or database encryption is outside what seamline knows"
)
ENCRYPTED = (
    "encrypted: the data folder's Parquet files (Parquet modular encryption, AES-GCM) and the "
    "store's columns that hold a person's values (AES-256-GCM), under the key of "
    "`encryption:` in seamline.yaml; DuckDB's spill files are not (docs/security.md)"
)
RETENTION_ENFORCED = (
    "not enforced: seamline keeps every delivery it landed until someone deletes it"
)


def packet_subject(ws: Workspace, seam: SeamSpec) -> dict[str, Any]:
    """The declared content a reviewer approves; :func:`packet_digest` hashes it."""
    ds = ws.datasets.get(seam.provider)
    agreed = set(seam.agreement.attributes)
    system = ws.systems.get(seam.consumer)
    provider: dict[str, Any] | None = None
    if ds is not None:
        provider = {
            "id": ds.id,
            "system": ds.system,
            "owner": ds.owner,
            "steward": ds.steward,
            "entity": ds.entity,
            "sensitivity": ds.sensitivity,
            "fields": [
                {"column": f.column, "attribute": f.attribute, "sensitivity": f.sensitivity}
                for f in ds.fields
                if f.attribute in agreed
            ],
        }
    return {
        # Defaults left out, so a key added with a default in a later version of seamline
        # does not change the digest and void every approval.
        "seam": seam.model_dump(mode="json", exclude={"approvals"}, exclude_defaults=True),
        "provider": provider,
        "consumer": (
            system.model_dump(mode="json", exclude={"contact"}, exclude_defaults=True)
            if system
            else None
        ),
        # Not the store URL: SEAMLINE_STORE may differ between the approver's shell and
        # the server, and the digest must not depend on the environment.
        "storage": {
            "engine": ws.project.engine,
            "data_dir": ws.project.data_dir,
            "encrypted": ws.project.encryption is not None,
        },
    }


def packet_digest(ws: Workspace, seam: SeamSpec) -> str:
    """SHA-256 (hex) of the canonical JSON of :func:`packet_subject`."""
    text = json.dumps(packet_subject(ws, seam), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _flows(ws: Workspace, store: Store, seam: SeamSpec) -> dict[str, Any]:
    ds = ws.datasets.get(seam.provider)
    if ds is None:
        return {"dataset": None, "attributes": [], "inventoried": False}
    profiles = store.latest_profiles(ds.id)
    by_attr = {f.attribute: f for f in ds.fields if f.attribute}
    rows = []
    for name in seam.agreement.attributes:
        f = by_attr.get(name)
        stats = profiles.get(f.column, {}) if f is not None else {}
        rows.append(
            {
                "attribute": name,
                "column": f.column if f is not None else None,
                "sensitivity": (f.sensitivity if f is not None else None) or ds.sensitivity,
                "pii": stats.get("pii"),
                "evidence": [str(e) for e in stats.get("pii_evidence") or []],
                "mapped": f is not None,
            }
        )
    history = deliveries(store, ds.id)
    return {
        "dataset": {
            "id": ds.id,
            "title": ds.title,
            "owner": ds.owner,
            "steward": ds.steward,
            "system": ds.system,
            "entity": ds.entity,
            "sensitivity": ds.sensitivity,
        },
        "attributes": rows,
        "not_shared": sum(1 for a in by_attr if a not in set(seam.agreement.attributes)),
        "inventoried": bool(profiles),
        "pii_classes": dict(Counter(r["pii"] for r in rows if r["pii"])),
        "deliveries": len(history),
        "last_rows": history[-1].rows if history else None,
    }


def build_packet(
    ws: Workspace,
    store: Store,
    seam_id: str,
    *,
    ui_roles: dict[str, int] | None = None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """Everything the packet shows, as plain data (the HTML renders this)."""
    from seamline.seams.approval import approval_state

    today = today or dt.date.today()
    state = approval_state(ws, store, seam_id)
    seam = ws.seams[seam_id]
    a = seam.agreement
    system = ws.systems.get(seam.consumer)
    history = deliveries(store, seam.provider)
    run_id, results = latest_results(store, seam.id)
    findings = seam_findings(store, seam.id, seam.provider)
    drift = [f for f in findings if f.kind.startswith("drift.")]
    peers = [s for s in ws.seams.values() if s.consumer == seam.consumer]
    return {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "digest": state.digest,
        "sections": SECTIONS,
        "seam": {
            "id": seam.id,
            "title": seam.title,
            "description": seam.description,
            "owner": owner_text(seam),
            "provider": seam.provider,
            "consumer": seam.consumer,
            "consumer_name": system.name if system else None,
            "consumer_agency": system.agency if system else None,
        },
        "flows": _flows(ws, store, seam),
        "agreement": {
            "reference": a.reference,
            "purpose": a.purpose,
            "legal_basis": a.legal_basis,
            "starts": a.starts.isoformat(),
            "expires": a.expires.isoformat() if a.expires else None,
            "status": agreement_status(seam, today),
        },
        "retention": {
            "declared": a.retention,
            "enforced": RETENTION_ENFORCED,
            "deliveries": len(history),
            "oldest": history[0].at.date().isoformat() if history else None,
        },
        "storage": {
            "engine": ws.project.engine,
            "data_dir": ws.project.data_dir,
            "store": safe_url(ws.store_url()),
            "store_kind": backend_name(ws.store_url()),
            "encryption": ENCRYPTED if ws.project.encryption else ENCRYPTION,
        },
        "access": {
            "agreements": [
                {
                    "seam": s.id,
                    "reference": s.agreement.reference,
                    "purpose": s.agreement.purpose,
                    "attributes": len(s.agreement.attributes),
                    "status": agreement_status(s, today),
                }
                for s in sorted(peers, key=lambda s: s.id)
            ],
            "clients": consumer_clients(store, seam.consumer),
            "ui_roles": dict(sorted((ui_roles or {}).items())),
        },
        "contract": {
            "rules": [
                r.model_dump(mode="json", exclude_defaults=True) for r in seam.contract.rules
            ],
            "volume": seam.contract.volume.model_dump(mode="json")
            if seam.contract.volume
            else None,
            "freshness": (
                seam.contract.freshness.model_dump(mode="json") if seam.contract.freshness else None
            ),
            "run_id": run_id,
            "results": results,
            "passed": sum(1 for r in results if r["status"] == "pass"),
        },
        "drift": [_finding(f) for f in drift],
        "findings": [_finding(f) for f in findings if f.status == "open"],
        "access_log": asdict(access_summary(store, seam.id, seam.consumer)),
        "approvals": {
            "required": state.required,
            "enforce": state.enforce,
            "status": state.text,
            "roles": [asdict(r) for r in state.roles],
            "history": [asdict(h) for h in state.history],
        },
    }


def _finding(f: Any) -> dict[str, Any]:
    return {
        "kind": f.kind,
        "subject": f.subject,
        "severity": f.severity,
        "status": f.status,
        "message": f.message,
        "times_seen": f.times_seen,
    }


def render_packet(packet: dict[str, Any]) -> str:
    env = Environment(
        loader=PackageLoader("seamline.seams", "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("review.html.j2").render(p=packet)


def write_packet(
    ws: Workspace,
    store: Store,
    seam_id: str,
    output: Path,
    *,
    ui_roles: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Write the packet of ``seam_id`` as HTML to ``output``; return the packet data."""
    from seamline.seams.approval import approval_state

    approval_state(ws, store, seam_id)  # an unknown seam is a UsageError naming the seams
    if output.suffix.lower() not in (".html", ".htm"):
        # PDF would need WeasyPrint, whose Pango and HarfBuzz libraries are system
        # packages outside what seamline installs; browsers print the HTML to PDF.
        raise UsageError(
            f"cannot write a packet as {output.suffix or 'a file without a suffix'}",
            allowed=".html",
            hint="Write packet.html and print it to PDF from a browser if a PDF is needed.",
        )
    packet = build_packet(ws, store, seam_id, ui_roles=ui_roles)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render_packet(packet), encoding="utf-8")
    return packet
