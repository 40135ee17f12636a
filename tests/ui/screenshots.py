"""Regenerate docs/screenshots/*.png: every UI page at 1280x800 on the demo workspace.

Run with `make screenshots` (or `python tests/ui/screenshots.py OUT_DIR`). Needs
Debian's chromium and the playwright package, like the browser tests.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import httpx
import pyarrow.parquet as pq
from uibrowser import DESKTOP, chromium, missing_browser, serve, sign_in
from uidemo import PASSWORD, TODAY, unmap

from seamline.demo import generate_demo
from seamline.exchange import add_client
from seamline.harmonize.stage import HarmonizeStage
from seamline.inventory.stage import InventoryStage
from seamline.pipeline import ConnectStage, run_pipeline
from seamline.reconcile.stage import ReconcileStage
from seamline.reconcile.worklist import load_worklist
from seamline.seams.stage import CheckStage
from seamline.store import Store
from seamline.ui import add_user
from seamline.workspace import load_workspace


def main(out: Path) -> int:
    missing = missing_browser()
    if missing:
        print(f"cannot take screenshots: {', '.join(missing)} not installed", file=sys.stderr)
        return 3
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        generate_demo(root, people=300, seed=11)
        ws = load_workspace(root, env={})
        with Store.open(f"sqlite:///{tmp}/store.db") as store:
            stages = [ConnectStage(), InventoryStage(), HarmonizeStage(), CheckStage()]
            run_pipeline(ws, store, stages=[*stages, ReconcileStage()])
            run_pipeline(ws, store, stages=[CheckStage()])  # a second point of check history
            add_user(ws, "admin.root", PASSWORD, "admin")
            _, key = add_client(store, "tax", "tax-db")
            unmap(root)
            table = pq.read_table(ws.data_dir / "reference" / "person.parquet")
            people = [p for p in table.to_pylist() if p["national_id"]][:3]
            entity = next(r["entity_id"] for r in load_worklist(store) if r["kind"] == "conflict")
            with serve(ws, store, Path(tmp) / "audit.pem", TODAY) as url:
                api = {"Authorization": f"Bearer {key}", "X-Seamline-Purpose": "tax-registration"}
                for p in people:
                    httpx.get(f"{url}/v1/persons/kg_pin:{p['national_id']}", headers=api)
                take(url, out, entity, people[0]["national_id"])
    return 0


def take(url: str, out: Path, entity: str, pin: str) -> None:
    with chromium(DESKTOP) as page:
        page.goto(f"{url}/ui/login")
        page.screenshot(path=out / "login.png")
        sign_in(page, url, "admin.root", PASSWORD)
        for name, path in (
            ("overview", "/"),
            ("catalogue", "/catalogue"),
            ("matrix", "/catalogue#h-matrix"),
            ("dataset", "/datasets/civil_persons"),
            ("seams", "/seams"),
            ("seam", "/seams/civil-to-tax"),
            ("seam-history", "/seams/civil-to-tax#h-history"),
            ("codes", "/codes#cl-marital_status"),
            ("worklist", "/worklist"),
            ("entity", f"/entities/{entity}"),
        ):
            page.goto(f"{url}/ui{path}")
            page.screenshot(path=out / f"{name}.png")
            print(f"{name}.png")
        page.goto(f"{url}/ui/codes")
        page.click('form.accept[aria-labelledby$="MARITAL_CD-1"] button')
        page.wait_for_url("**/codes/preview")
        page.screenshot(path=out / "codes-diff.png")
        page.goto(f"{url}/ui/audit")
        page.fill("#ref", f"kg_pin:{pin}")
        page.get_by_role("button", name="Track", exact=True).click()
        page.wait_for_selector("#tracker-result")
        page.screenshot(path=out / "audit.png")
        print("codes-diff.png\naudit.png")


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")))
