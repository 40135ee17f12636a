"""The code-list, entity and audit pages, the charts and the attribute matrix."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from uidemo import PASSWORD, TODAY, unmap

from seamline.exchange import ExchangeConfig
from seamline.exchange.app import create_app
from seamline.reconcile.worklist import load_worklist
from seamline.store.models import AuditEvent, Decision
from seamline.ui import mount_ui
from seamline.ui.charts import hbars, stacked

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')


def sign_in(client: TestClient, name: str, prefix: str = "") -> str:
    page = client.get(f"{prefix}/login")
    token = CSRF.search(page.text)
    assert token
    resp = client.post(
        f"{prefix}/login",
        data={"csrf": token.group(1), "username": name, "password": PASSWORD},
        follow_redirects=False,
    )
    assert resp.status_code == 303, resp.text
    home = client.get(f"{prefix}/")
    found = CSRF.search(home.text)
    assert found
    return found.group(1)


def audit_lines(demo: Any) -> list[dict[str, Any]]:
    path = demo.ws.data_dir / "ui" / "audit.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def a_conflict_entity(demo: Any) -> dict[str, Any]:
    rows = [r for r in load_worklist(demo.store) if r["kind"] == "conflict"]
    assert rows
    return rows[0]


# --- code lists -------------------------------------------------------------------


W_FORM = {
    "codelist": "marital_status",
    "dataset": "civil_persons",
    "column": "MARITAL_CD",
    "local": "W",
    "code": "widowed",
}


def test_code_list_page_shows_codes_crosswalks_and_unmapped_values(
    client: TestClient, ui_demo: Any
) -> None:
    unmap(ui_demo.root)
    sign_in(client, "nurlan.viewer")
    page = client.get("/codes")
    assert page.status_code == 200
    text = page.text
    assert "Marital status" in text and "Холост / не замужем" in text  # codes with labels
    assert "civil_persons.MARITAL_CD" in text and "social_cases.marital" in text
    unmapped = text.split("<h3>civil_persons.MARITAL_CD</h3>", 1)[1].split("<h3>", 1)[0]
    assert (
        "Unmapped values" in unmapped
        and "<code>W</code>" in unmapped
        and "<strong>widowed</strong>" in unmapped
    )
    assert "first letter" in unmapped  # the suggestion's reason is shown
    assert 'action="/codes/preview"' not in text  # viewers do not accept


def test_accepting_a_suggestion_shows_the_diff_then_writes_on_confirm(
    client: TestClient, ui_demo: Any
) -> None:
    path = unmap(ui_demo.root)
    before = path.read_text(encoding="utf-8")
    csrf = sign_in(client, "aigul.toktogulova")
    assert 'action="/codes/preview"' in client.get("/codes").text
    preview = client.post("/codes/preview", data={"csrf": csrf, **W_FORM})
    assert preview.status_code == 200
    assert "<ins>+      - {local: &#34;W&#34;, code: widowed}</ins>" in preview.text
    assert "a/codelists/marital_status.yaml" in preview.text
    assert path.read_text(encoding="utf-8") == before  # nothing written yet
    confirm = dict(HIDDEN.findall(preview.text.split('action="/codes/accept"', 1)[1]))
    assert set(confirm) == {"csrf", *W_FORM, "before", "after"}
    done = client.post("/codes/accept", data=confirm, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/codes?done=")
    after = path.read_text(encoding="utf-8")
    assert after != before and '- {local: "W", code: widowed}' in after
    assert "# letters on the mainframe" in after  # comments survive
    shown = client.get(done.headers["location"])
    assert "Crosswalk entry written: civil_persons.MARITAL_CD: W → widowed." in shown.text
    section = shown.text.split("<h3>civil_persons.MARITAL_CD</h3>", 1)[1].split("<h3>", 1)[0]
    assert "<code>W</code>" in section and "Every value seen is mapped." in section
    event = audit_lines(ui_demo)[-2]
    assert (event["actor"], event["action"], event["outcome"]) == (
        "aigul.toktogulova",
        "ui.codes.accept",
        "ok",
    )
    assert event["details"]["local"] == "W"


def test_a_stale_diff_is_not_written(client: TestClient, ui_demo: Any) -> None:
    path = unmap(ui_demo.root)
    csrf = sign_in(client, "aigul.toktogulova")
    preview = client.post("/codes/preview", data={"csrf": csrf, **W_FORM})
    confirm = dict(HIDDEN.findall(preview.text.split('action="/codes/accept"', 1)[1]))
    path.write_text(path.read_text(encoding="utf-8") + "# edited meanwhile\n", encoding="utf-8")
    changed = path.read_text(encoding="utf-8")
    resp = client.post("/codes/accept", data=confirm)
    assert resp.status_code == 409 and "changed since the diff was shown" in resp.text
    assert path.read_text(encoding="utf-8") == changed
    assert audit_lines(ui_demo)[-1]["outcome"] == "refused"


def test_only_stewards_accept_and_only_with_the_csrf_token(
    client: TestClient, ui_demo: Any
) -> None:
    path = unmap(ui_demo.root)
    before = path.read_text(encoding="utf-8")
    csrf = sign_in(client, "bakyt.sadykov")  # an owner
    assert client.post("/codes/preview", data={"csrf": csrf, **W_FORM}).status_code == 403
    client.cookies.clear()
    csrf = sign_in(client, "aigul.toktogulova")
    assert client.post("/codes/preview", data=W_FORM).status_code == 403
    assert client.post("/codes/accept", data={**W_FORM, "csrf": "forged"}).status_code == 403
    bad = client.post("/codes/preview", data={"csrf": csrf, **W_FORM, "code": "married-ish"})
    assert bad.status_code == 400 and "has no code" in bad.text
    assert path.read_text(encoding="utf-8") == before


# --- entity page -------------------------------------------------------------------


def test_entity_page_shows_records_side_by_side_with_provenance(
    client: TestClient, ui_demo: Any
) -> None:
    row = a_conflict_entity(ui_demo)
    sign_in(client, "bakyt.sadykov")
    page = client.get(f"/entities/{row['entity_id']}")
    assert page.status_code == 200
    text = page.text
    assert f"<h1>Person {row['entity_id']}</h1>" in text  # the entity's name
    assert text.count('<th scope="col">') >= 4  # attribute, golden, and 2+ records
    conflict = text.split(f'id="a-{row["attribute"]}"', 1)[1].split("</tr>", 1)[0]
    assert '<mark class="differs">' in conflict  # a value that is not the golden one
    assert "★" in conflict  # the record the golden value came from
    assert re.search(r"from \w+ \(\w+:[^)]+\)", conflict)  # provenance: dataset and record
    assert 'action="/worklist/decide"' not in text  # owners read, they do not decide
    assert client.get("/entities/person-000000000000").status_code == 404


def test_viewer_may_not_open_an_entity(client: TestClient, ui_demo: Any) -> None:
    row = a_conflict_entity(ui_demo)
    sign_in(client, "nurlan.viewer")
    assert client.get(f"/entities/{row['entity_id']}").status_code == 403


def test_a_decision_on_the_entity_page_is_recorded_and_shown_there(
    client: TestClient, ui_demo: Any
) -> None:
    row = a_conflict_entity(ui_demo)
    csrf = sign_in(client, "aigul.toktogulova")
    page = client.get(f"/entities/{row['entity_id']}")
    form = page.text.split(f'id="a-{row["attribute"]}"', 1)[1].split("</form>", 1)[0]
    values = re.findall(r'name="value" value="([^"]*)"', form)
    assert len(values) >= 2
    resp = client.post(
        "/worklist/decide",
        data={
            "csrf": csrf,
            "kind": "accept_value",
            "return": "entity",
            "entity_id": row["entity_id"],
            "attribute": row["attribute"],
            "value": values[0],
            "reason": "seen the birth certificate",
        },
        follow_redirects=False,
    )
    assert resp.status_code == 303
    with ui_demo.store.session() as s:
        last = s.scalars(select(Decision).order_by(Decision.id.desc()).limit(1)).one()
    assert (last.actor, last.subject, last.value, last.reason) == (
        "aigul.toktogulova",
        row["entity_id"],
        values[0],
        "seen the birth certificate",
    )
    assert resp.headers["location"] == f"/entities/{row['entity_id']}?done={last.id}"
    shown = client.get(resp.headers["location"]).text
    assert f"Decision #{last.id} recorded" in shown and "seen the birth certificate" in shown


# --- audit page --------------------------------------------------------------------


@pytest.fixture
def exchange(ui_demo: Any, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(
        ui_demo.ws, ui_demo.store, ExchangeConfig(key_path=ui_demo.key_path, today=TODAY)
    )
    mount_ui(app, ui_demo.ws, ui_demo.store)
    with TestClient(app) as c:
        yield c


def a_person(ui_demo: Any) -> dict[str, Any]:
    import pyarrow.parquet as pq

    table = pq.read_table(ui_demo.ws.data_dir / "reference" / "person.parquet")
    return next(p for p in table.to_pylist() if p["national_id"] and p["family_name"])


def test_audit_page_filters_verifies_and_tracks_a_person(
    exchange: TestClient, ui_demo: Any
) -> None:
    person = a_person(ui_demo)
    api = {"Authorization": f"Bearer {ui_demo.api_key}", "X-Seamline-Purpose": "tax-registration"}
    assert (
        exchange.get(f"/v1/persons/kg_pin:{person['national_id']}", headers=api).status_code == 200
    )
    refused = exchange.get("/v1/persons/kg_pin:1", headers={"Authorization": "Bearer nope"})
    assert refused.status_code == 401
    csrf = sign_in(exchange, "gulnara.auditor", "/ui")
    page = exchange.get("/ui/audit")
    assert page.status_code == 200
    assert "The audit chain is intact" in page.text
    assert "person.lookup" in page.text and "tax-registration" in page.text
    only_refused = exchange.get("/ui/audit", params={"outcome": "refused"}).text
    log = only_refused.split('id="log"', 1)[1]
    assert "refused" in log and ">ok</span>" not in log
    tax = exchange.get("/ui/audit", params={"client": "tax", "purpose": "tax-registration"}).text
    assert "person.lookup" in tax.split('id="log"', 1)[1]
    future = exchange.get("/ui/audit", params={"since": "2999-01-01"}).text
    assert "0 events match" in future
    tracked = exchange.post(
        "/ui/audit/tracker", data={"csrf": csrf, "ref": f"kg_pin:{person['national_id']}"}
    )
    assert tracked.status_code == 200
    table = tracked.text.split('id="tracker"', 1)[1].split("</table>", 1)[0]
    assert "tax" in table and "tax-registration" in table and "person.lookup" in table
    assert f"Person {person['entity_id']}" in tracked.text
    bad = exchange.post("/ui/audit/tracker", data={"csrf": csrf, "ref": "no colon"})
    assert "scheme:id" in bad.text
    with ui_demo.store.session() as s:
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "ui.tracker")))
    assert events and events[-2].resource == f"entity:{person['entity_id']}"
    assert all(person["national_id"] not in json.dumps(e.details) for e in events)


def test_only_auditors_and_admins_read_the_audit_page(client: TestClient) -> None:
    sign_in(client, "aigul.toktogulova")
    assert client.get("/audit").status_code == 403
    client.cookies.clear()
    sign_in(client, "admin.root")
    assert client.get("/audit").status_code == 200


# --- charts and the matrix ------------------------------------------------------------


def test_bar_geometry_is_proportional() -> None:
    chart = hbars([("999", 0.5), ("AA99", 0.25)], scale=1.0, width=260, label_width=110)
    room = 260 - 110 - 44
    assert [b.width for b in chart.bars] == [room * 0.5, room * 0.25]
    assert [b.text for b in chart.bars] == ["50 %", "25 %"]
    assert chart.bars[1].y == chart.bars[0].y + 18
    cols = stacked([{"label": "a", "pass": 3, "fail": 1}, {"label": "b", "pass": 2}])
    first = cols.columns[0]
    assert [s.status for s in first.segments] == ["pass", "fail"]
    assert first.segments[0].height == pytest.approx(cols.plot_height * 3 / 4, abs=0.1)
    assert first.segments[1].y + first.segments[1].height == pytest.approx(
        first.segments[0].y, abs=0.1
    )
    assert cols.columns[1].segments[0].height == pytest.approx(cols.plot_height / 2, abs=0.1)
    step = cols.columns[1].x - cols.columns[0].x
    assert step * cols.label_every >= 76 > step * (cols.label_every - 1)  # labels never overlap


def test_dataset_and_seam_pages_draw_their_charts(client: TestClient) -> None:
    sign_in(client, "nurlan.viewer")
    ds = client.get("/datasets/civil_persons").text
    assert ds.count('<svg class="chart hbars" role="img"') >= 3
    assert re.search(r"<title id=\"fmt-\d+\">Formats of \w+: ", ds)
    seam = client.get("/seams/civil-to-tax").text
    assert '<svg class="chart stacked" role="img"' in seam
    assert re.search(r"<title>\d\d-\d\d \d\d:\d\d: \d+ pass", seam)
    assert 'id="history"' in seam


def test_catalogue_shows_the_attribute_by_dataset_matrix(client: TestClient) -> None:
    sign_in(client, "nurlan.viewer")
    text = client.get("/catalogue").text
    matrix = text.split('id="matrix"', 1)[1].split("</table>", 1)[0]
    heads = re.findall(r'<th scope="col"><a href="/datasets/(\w+)">', matrix)
    assert set(heads) == {"addresses", "civil_persons", "social_cases", "tax_payers"}
    national = matrix.split('<th scope="row">national_id</th>', 1)[1].split("</tr>", 1)[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", national)
    by_ds = dict(zip(heads, cells, strict=True))
    assert "★" in by_ds["civil_persons"] and "<code>" in by_ds["tax_payers"]
    assert "★" not in by_ds["tax_payers"] and "not held" in by_ds["addresses"]


def test_worklist_offers_each_value_once(client: TestClient, ui_demo: Any) -> None:
    sign_in(client, "aigul.toktogulova")
    page = client.get("/worklist").text
    forms = re.findall(r'<form method="post" action="/worklist/decide".*?</form>', page, re.S)
    assert forms
    for form in forms:
        values = re.findall(r'name="value" value="([^"]*)"', form)
        assert len(values) == len(set(values)), values
