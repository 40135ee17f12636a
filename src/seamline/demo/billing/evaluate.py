"""Score a run of the billing scenario against its ground truth in ``_truth/``.

* **Lines accounted**: every generated billing line either landed (its sheet row is a
  harmonized record) or was quarantined with a reason; none lost, no totals row or
  month title landed as a line.
* **Categories**: a landed line's canonical category is the true one, or flagged (an
  unmapped code); a quarantined line is held with its reason. Wrong and unflagged is
  the failure.
* **Invoices** (from the derived dataset ``invoices``): totals equal to the cent.
* **Payment links** (from the derived dataset ``payment_links``): precision, recall and
  F1 of the (bank reference, invoice) pairs.

Derived outputs are read from ``<data_dir>/derived/<id>.parquet``; when one is absent
its scores are ``None`` ("not computed").
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from seamline.workspace import Workspace


@dataclass
class BillingScores:
    lines: int = 0
    landed: int = 0
    quarantined: int = 0
    missing: int = 0
    extra_landed: int = 0
    """Records landed that are no generated line (a totals row read as data)."""
    category: dict[str, int] = field(default_factory=dict)
    """right / flagged / held (quarantined) / wrong."""
    invoices: dict[str, int] | None = None
    """equal / different / missing / extra; None: the derived dataset is not computed."""
    links: dict[str, float] | None = None
    """precision / recall / f1 / predicted / true; None: not computed."""

    @property
    def accounted_share(self) -> float:
        return (self.landed + self.quarantined) / self.lines if self.lines else 1.0

    @property
    def category_share(self) -> float:
        """Right or flagged (held lines count as flagged)."""
        total = sum(self.category.values())
        return (total - self.category.get("wrong", 0)) / total if total else 1.0

    def summary(self) -> str:
        inv = "not computed" if self.invoices is None else _counts(self.invoices)
        links = (
            "not computed"
            if self.links is None
            else ", ".join(f"{k} {v:.4f}" for k, v in self.links.items())
        )
        return (
            f"billing lines: {self.lines} generated, {self.landed} landed, {self.quarantined} "
            f"quarantined, {self.missing} missing ({self.accounted_share:.2%} accounted), "
            f"{self.extra_landed} extra\n"
            f"categories: {_counts(self.category)} ({self.category_share:.2%} right or flagged)\n"
            f"invoices: {inv}\npayment links: {links}"
        )


def _counts(d: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(d.items()))


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _table(ws: Workspace, path: Path, columns: list[str]) -> list[dict[str, Any]] | None:
    if not ws.parquet.exists(path):
        return None
    rows: list[dict[str, Any]] = ws.parquet.read_table(path, columns=columns).to_pylist()
    return rows


def _latest_quarantine(ws: Workspace, dataset: str) -> dict[str, str]:
    folder = ws.data_dir / "quarantine" / dataset
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    if not files:
        return {}
    rows = ws.parquet.read_table(files[-1], columns=["_source_pos", "reason"]).to_pylist()
    return {str(r["_source_pos"]): str(r["reason"]) for r in rows}


def evaluate(ws: Workspace, truth: Path | None = None) -> BillingScores:
    """Score the data folder of ``ws`` against the truth folder (default ``_truth/``)."""
    folder = truth or Path(ws.root) / "_truth"
    lines = _csv(folder / "lines.csv")
    scores = BillingScores(
        lines=len(lines), category={"right": 0, "flagged": 0, "held": 0, "wrong": 0}
    )
    by_dataset: dict[str, list[dict[str, str]]] = {}
    for line in lines:
        by_dataset.setdefault(line["dataset"], []).append(line)
    for dataset, own in sorted(by_dataset.items()):
        landed_rows = _landed(ws, dataset)
        held = _latest_quarantine(ws, dataset)
        wanted = {x["position"] for x in own}
        scores.extra_landed += sum(1 for pos in landed_rows if pos not in wanted)
        for x in own:
            got = landed_rows.get(x["position"])
            if got is not None:
                scores.landed += 1
                if got.get("category__flag"):
                    scores.category["flagged"] += 1
                elif got.get("category") == x["category"]:
                    scores.category["right"] += 1
                else:
                    scores.category["wrong"] += 1
            elif x["position"] in held:
                scores.quarantined += 1
                scores.category["held"] += 1
            else:
                scores.missing += 1
    scores.invoices = _invoices(ws, _csv(folder / "invoices.csv"))
    scores.links = _links(ws, _csv(folder / "payment_links.csv"))
    return scores


def _landed(ws: Workspace, dataset: str) -> dict[str, dict[str, Any]]:
    path = ws.data_dir / "harmonized" / f"{dataset}.parquet"
    rows = _table(ws, path, ["_source_pos", "category", "category__flag"]) or []
    return {str(r["_source_pos"]): r for r in rows}


def _invoices(ws: Workspace, truth: list[dict[str, str]]) -> dict[str, int] | None:
    rows = _table(ws, ws.data_dir / "derived" / "invoices.parquet", ["invoice_id", "total"])
    if rows is None:
        return None
    got = {str(r["invoice_id"]): Decimal(str(r["total"] or 0)) for r in rows}
    out = {"equal": 0, "different": 0, "missing": 0, "extra": 0}
    for t in truth:
        total = got.pop(t["invoice_id"], None)
        if total is None:
            out["missing"] += 1
        elif total * 100 == Decimal(t["total_cents"]):
            out["equal"] += 1
        else:
            out["different"] += 1
    out["extra"] = len(got)
    return out


def _links(ws: Workspace, truth: list[dict[str, str]]) -> dict[str, float] | None:
    rows = _table(ws, ws.data_dir / "derived" / "payment_links.parquet", ["bank_ref", "invoice_id"])
    if rows is None:
        return None
    predicted = {(str(r["bank_ref"]), str(r["invoice_id"])) for r in rows}
    true = {(t["bank_ref"], t["invoice_id"]) for t in truth if t["invoice_id"]}
    hit = len(predicted & true)
    precision = hit / len(predicted) if predicted else 1.0
    recall = hit / len(true) if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "predicted": float(len(predicted)),
        "true": float(len(true)),
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m seamline.demo.billing.evaluate WORKSPACE``: print the scores of its last run."""
    import sys

    from seamline.workspace import load_workspace

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m seamline.demo.billing.evaluate WORKSPACE", file=sys.stderr)
        return 2
    print(evaluate(load_workspace(Path(args[0]))).summary())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
