"""How far each identifier is trusted for linking, from its declared scheme.

Per identifier attribute, from the schemes its fields are normalized with:

- ``exact`` (default where the scheme has a check digit, and for python-stdnum schemes,
  which nearly all check one): equal validated values link records outright;
- ``evidence`` (default without a check digit, and for values with no scheme at all): a
  comparison of the linkage model (exact, one edit, different), never a veto;
- ``unique: true`` in the scheme adds the veto: records whose validated values differ
  are never linked, and their pairs are not scored.

When the datasets map one attribute with different schemes the weakest trust wins
(``evidence`` over ``exact``; unique only when every scheme says so). A reconcile spec's
``deterministic`` list, where given, names the exact identifiers itself (each unique).
Values harmonize flagged (invalid, a placeholder) never link: the features keep only
unflagged values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seamline.reconcile.spec import ReconcileSpec
from seamline.workspace.loader import Workspace


@dataclass(frozen=True)
class Trust:
    link: str
    """``exact`` or ``evidence``."""
    unique: bool


def _schemes(step: dict[str, Any]) -> list[str]:
    opts = step.get("identifier")
    if isinstance(opts, dict) and isinstance(opts.get("scheme"), str):
        return [opts["scheme"]]
    return []


def identifier_trust(
    ws: Workspace, spec: ReconcileSpec, datasets: list[str], identifiers: list[str]
) -> dict[str, Trust]:
    """The trust of every identifier attribute the linked datasets map."""
    if spec.deterministic is not None:
        exact = set(spec.deterministic)
        return {a: Trust("exact" if a in exact else "evidence", a in exact) for a in identifiers}
    out: dict[str, Trust] = {}
    for attr in identifiers:
        links: list[str] = []
        uniques: list[bool] = []
        for d in datasets:
            for f in ws.datasets[d].fields:
                if f.attribute != attr:
                    continue
                schemes = [s for step in f.normalize for s in _schemes(step)]
                if not schemes:
                    links.append("evidence")
                    uniques.append(False)
                for name in schemes:
                    declared = ws.identifiers.get(name)
                    links.append(declared.link_mode() if declared else "exact")
                    uniques.append(bool(declared and declared.unique))
        if links:
            link = "evidence" if "evidence" in links else "exact"
            out[attr] = Trust(link, link == "exact" and all(uniques))
    return out
