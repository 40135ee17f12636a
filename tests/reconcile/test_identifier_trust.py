"""Identifiers as evidence, with declared trust (``link:``, ``unique:`` of a scheme)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from linkage_kit import Dataset, seamline_run, write_workspace
from test_attribute_matrix import FIELDS, _registers

from seamline.reconcile.spec import ReconcileSpec
from seamline.reconcile.trust import Trust, identifier_trust
from seamline.workspace import load_workspace

SCHEME: dict[str, Any] = {
    "id": "register_no",
    "title": "Register number",
    "length": 9,
    "pattern": "[0-9]{9}",
    "check": "none",
}
NORMALIZE = {"number": [{"identifier": {"scheme": "register_no"}}]}


def _write(root: Path, a: list[dict[str, Any]], b: list[dict[str, Any]], **scheme: Any) -> Path:
    return write_workspace(
        root,
        [
            Dataset("register_a", a, dict(FIELDS), NORMALIZE),
            Dataset("register_b", b, dict(FIELDS), NORMALIZE),
        ],
        identifiers=[{**SCHEME, **scheme}],
    )


def test_trust_follows_the_declared_scheme(tmp_path: Path) -> None:
    a, b = _registers()
    cases: list[tuple[dict[str, Any], Trust]] = [
        ({}, Trust("evidence", False)),  # no check digit
        ({"check": "luhn"}, Trust("exact", False)),  # a check digit
        ({"link": "exact"}, Trust("exact", False)),
        ({"check": "luhn", "link": "evidence"}, Trust("evidence", False)),
        ({"link": "exact", "unique": True}, Trust("exact", True)),
    ]
    for i, (scheme, expected) in enumerate(cases):
        ws = load_workspace(_write(tmp_path / f"ws{i}", a[:3], b[:3], **scheme))
        trust = identifier_trust(ws, ReconcileSpec(), ["register_a", "register_b"], ["national_id"])
        assert trust == {"national_id": expected}, scheme
    # Without a scheme the number is evidence; a spec's deterministic list still decides.
    ws = load_workspace(write_workspace(tmp_path / "plain", [Dataset("register_a", a[:3], FIELDS)]))
    assert identifier_trust(ws, ReconcileSpec(), ["register_a"], ["national_id"]) == {
        "national_id": Trust("evidence", False)
    }
    spec = ReconcileSpec(deterministic=["national_id"])
    assert identifier_trust(ws, spec, ["register_a"], ["national_id"]) == {
        "national_id": Trust("exact", True)
    }


def _mistype(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def test_a_mistyped_valid_number_links_unless_the_scheme_is_unique(tmp_path: Path) -> None:
    a, b = _registers()
    # Every person of the second register carries a mistyped but still valid number.
    b = [{**r, "number": _mistype(a[int(r["rec_id"][1:])]["number"])} for r in b]
    wrong = {r["rec_id"][1:] for r in b}
    evidence = seamline_run(_write(tmp_path / "evidence", a, b))
    assert evidence.exit_code == 0, evidence.output
    linked = {
        p
        for p in wrong
        if evidence.entity_of[f"register_a:a{p}"] == evidence.entity_of[f"register_b:b{p}"]
    }
    assert len(linked) >= 0.9 * len(wrong)
    # Declared unique, a differing number is a veto: none of them links.
    unique = seamline_run(_write(tmp_path / "unique", a, b, link="exact", unique=True))
    assert unique.exit_code == 0, unique.output
    assert not any(
        unique.entity_of[f"register_a:a{p}"] == unique.entity_of[f"register_b:b{p}"] for p in wrong
    )


def test_a_flagged_number_never_links(tmp_path: Path) -> None:
    a, b = _registers()
    # Two strangers share a number the scheme rejects (too short): flagged, so absent.
    a[0]["number"] = b[-1]["number"] = "1234"
    out = seamline_run(_write(tmp_path / "ws", a, b, link="exact"))
    assert out.exit_code == 0, out.output
    stranger = b[-1]["rec_id"][1:]
    assert stranger != "0"
    assert out.entity_of["register_a:a0"] != out.entity_of[f"register_b:b{stranger}"]
