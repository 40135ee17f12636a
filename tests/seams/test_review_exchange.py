"""The exchange refuses a seam the workspace requires approved until it is approved."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from seamline.demo import generate_demo
from seamline.exchange import ExchangeConfig, add_client
from seamline.exchange.app import create_app
from seamline.harmonize.stage import HarmonizeStage
from seamline.pipeline import ConnectStage, run_pipeline
from seamline.reconcile.stage import ReconcileStage
from seamline.seams import seam_health
from seamline.seams.approval import approval_state, approve
from seamline.seams.review import build_packet, packet_digest, render_packet
from seamline.store import Store
from seamline.ui import add_user, create_ui_app
from seamline.workspace import Workspace, load_workspace

TODAY = dt.date(2026, 6, 1)
REQUIRED = "approvals: {required: [owner, security]}\n"


@dataclass
class Demo:
    root: Path
    store: Store
    keys: dict[str, str]
    people: list[dict[str, Any]]

    def ws(self) -> Workspace:
        return load_workspace(self.root, env={})

    def client(self, ws: Workspace | None = None) -> TestClient:
        cfg = ExchangeConfig(
            key_path=self.root.parent / "keys" / "audit.pem", today=TODAY, auth_cache_seconds=0.0
        )
        return TestClient(create_app(ws or self.ws(), self.store, cfg))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    root = tmp_path_factory.mktemp("review-exchange") / "ws"
    generate_demo(root, people=300, seed=11)
    project = root / "seamline.yaml"
    project.write_text(project.read_text(encoding="utf-8") + REQUIRED, encoding="utf-8")
    ws = load_workspace(root, env={})
    with Store.open(f"sqlite:///{root.parent}/store.db") as store:
        summary = run_pipeline(
            ws, store, stages=[ConnectStage(), HarmonizeStage(), ReconcileStage()]
        )
        assert [s.status for s in summary.stages] == ["ok", "ok", "ok"]
        keys = {
            name: add_client(store, name, system)[1]
            for name, system in [("tax", "tax-db"), ("social", "social-case-system")]
        }
        table = pq.read_table(ws.data_dir / "reference" / "person.parquet")
        people = [p for p in table.to_pylist() if p["national_id"] and p["family_name"]]
        yield Demo(root, store, keys, people)


def get(c: TestClient, demo: Demo, who: str, purpose: str, n: int = 0) -> Any:
    person = demo.people[n]
    return c.get(
        f"/v1/persons/kg_pin:{person['national_id']}",
        headers={
            "Authorization": f"Bearer {demo.keys[who]}",
            "X-Seamline-Purpose": purpose,
            "X-Seamline-User": f"{person['given_name']} {person['family_name']}",
        },
    )


def test_refused_until_every_required_role_approved_the_current_packet(demo: Demo) -> None:
    ws = demo.ws()
    with demo.client(ws) as c:
        r = get(c, demo, "tax", "tax-registration")
        assert r.status_code == 403, r.text
        error = r.json()["error"]
        assert error["code"] == "agreement_not_approved"
        assert "owner missing" in error["message"] and "security missing" in error["message"]
        assert demo.people[0]["national_id"] not in r.text

        approve(ws, demo.store, "civil-to-tax", role="owner", name="Bakyt Sadykov")
        r = get(c, demo, "tax", "tax-registration")
        assert r.status_code == 403 and "security missing" in r.json()["error"]["message"]
        assert "owner" not in r.json()["error"]["message"].split("approval ")[1]

        approve(ws, demo.store, "civil-to-tax", role="security", name="Dana Security")
        r = get(c, demo, "tax", "tax-registration", 1)
        assert r.status_code == 200, r.text
        assert r.json()["attributes"]["national_id"] == demo.people[1]["national_id"]
        # the social fund's seam is still not approved
        r = get(c, demo, "social", "benefit-eligibility")
        assert r.status_code == 403 and r.json()["error"]["code"] == "agreement_not_approved"


def test_a_changed_contract_makes_the_approval_stale(demo: Demo) -> None:
    seam_file = demo.root / "seams" / "civil-to-tax.yaml"
    original = seam_file.read_text(encoding="utf-8")
    before = packet_digest(demo.ws(), demo.ws().seams["civil-to-tax"])
    try:
        seam_file.write_text(original.replace("max_change: 0.2", "max_change: 0.3"), "utf-8")
        ws = demo.ws()
        assert packet_digest(ws, ws.seams["civil-to-tax"]) != before
        state = approval_state(ws, demo.store, "civil-to-tax")
        assert [r.status for r in state.roles] == ["stale", "stale"] and state.blocked
        with demo.client(ws) as c:
            r = get(c, demo, "tax", "tax-registration")
            assert r.status_code == 403 and "owner stale" in r.json()["error"]["message"]
    finally:
        seam_file.write_text(original, encoding="utf-8")
    with demo.client() as c:
        assert get(c, demo, "tax", "tax-registration").status_code == 200


def test_a_workspace_may_flag_without_refusing(demo: Demo) -> None:
    seam_file = demo.root / "seams" / "civil-to-social.yaml"
    original = seam_file.read_text(encoding="utf-8")
    try:
        seam_file.write_text(
            original + "approvals: {required: [owner], enforce: false}\n", encoding="utf-8"
        )
        ws = demo.ws()
        with demo.client(ws) as c:
            assert get(c, demo, "social", "benefit-eligibility").status_code == 200
        health = {h.seam: h for h in seam_health(ws, demo.store)}
        assert health["civil-to-social"].needs_approval
        assert health["civil-to-social"].approval == "NEEDS APPROVAL: owner missing"
        assert health["addresses-to-social"].approval.startswith("NEEDS APPROVAL")
    finally:
        seam_file.write_text(original, encoding="utf-8")


def test_packet_summarizes_the_access_log_without_personal_values(demo: Demo) -> None:
    ws = demo.ws()
    with demo.client(ws) as c:
        for n in range(3):
            get(c, demo, "tax", "tax-registration", n)
    packet = build_packet(ws, demo.store, "civil-to-tax")
    log = packet["access_log"]
    assert log["served"] >= 3 and log["by_client"].get("tax", 0) >= 3
    assert log["by_purpose"].get("tax-registration", 0) >= 3
    assert log["end_users"] >= 3 and log["refused_without_grant"] >= 1
    assert packet["access"]["clients"][0]["name"] == "tax"
    assert [r["status"] for r in packet["approvals"]["roles"]] == ["approved", "approved"]
    html = render_packet(packet)
    words = set(re.findall(r"\w+", html))
    for person in demo.people[:50]:
        for key in ("national_id", "family_name", "given_name", "tax_number"):
            value = person.get(key)
            assert not value or str(value) not in words, f"{key} of a person in the packet"


def test_the_board_flags_seams_needing_approval(demo: Demo) -> None:
    ws = demo.ws()
    add_user(ws, "aigul.viewer", "correct horse battery", "viewer")
    with TestClient(create_ui_app(ws, demo.store, today=TODAY)) as c:
        page = c.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert token
        c.post(
            "/login",
            data={"csrf": token.group(1), "username": "aigul.viewer",
                  "password": "correct horse battery"},
            follow_redirects=False,
        )  # fmt: skip
        board = c.get("/seams").text
    rows = {
        seam: board.split(f">{seam}</a>")[1].split("</tr>")[0]
        for seam in ("civil-to-tax", "civil-to-social", "addresses-to-social")
    }
    assert "needs approval" not in rows["civil-to-tax"]
    for seam in ("civil-to-social", "addresses-to-social"):
        assert '<span class="badge error">needs approval</span>' in rows[seam]
        assert "owner missing, security missing" in rows[seam]
