"""An independent scorer for the us-ui scenario: the pipeline's output against ``_truth/``.

Reads only files (the entity map, the golden records, the harmonized datasets) and the
truth, so it holds the pipeline to the scenario whatever the pipeline reports itself.
"""

from __future__ import annotations

import csv
import unicodedata
from collections import Counter, defaultdict
from math import comb
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

NAMES = ("family_name", "given_name", "middle_name", "name_suffix")


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def canon(attribute: str, value: Any) -> str:
    """The form in which a value is compared with the truth (names: letters only, folded)."""
    if value is None:
        return ""
    text = str(value).strip()
    if attribute in NAMES:
        decomposed = unicodedata.normalize("NFKD", text)
        return "".join(c for c in decomposed if c.isalnum()).upper()
    return text


def _pairs(labels: list[Any]) -> int:
    return sum(comb(n, 2) for n in Counter(labels).values())


def links(root: Path, spec: str = "person") -> dict[str, float]:
    """Pairwise precision, recall, F1 of the entity map against the truth."""
    data = root / ".seamline" / "data" / "reference"
    mapping = pq.read_table(data / "entity_ids.parquet").to_pylist()
    entity = {r["uid"]: r["entity_id"] for r in mapping if r["spec"] == spec}
    truth = read_csv(root / "_truth" / "records.csv")
    scored = [
        (entity[uid], r["entity_id"])
        for r in truth
        if (uid := f"{r['dataset']}:{r['record_key']}") in entity
    ]
    predicted = _pairs([e for e, _ in scored])
    true = _pairs([p for _, p in scored])
    both = _pairs(scored)
    precision = both / predicted if predicted else 1.0
    recall = both / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"records": len(scored), "precision": precision, "recall": recall, "f1": f1}


def golden(root: Path, spec: str = "person") -> dict[str, dict[str, int]]:
    """Per attribute: golden values right, missing (none chosen) and wrong (silently)."""
    data = root / ".seamline" / "data" / "reference"
    mapping = pq.read_table(data / "entity_ids.parquet").to_pylist()
    truth_of = {
        f"{r['dataset']}:{r['record_key']}": r["entity_id"]
        for r in read_csv(root / "_truth" / "records.csv")
    }
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for r in mapping:
        if r["spec"] == spec and r["uid"] in truth_of:
            votes[r["entity_id"]][truth_of[r["uid"]]] += 1
    person = {e: c.most_common(1)[0][0] for e, c in votes.items()}
    entities = {e["entity_id"]: e for e in read_csv(root / "_truth" / "entities.csv")}
    rows = pq.read_table(data / f"{spec}.parquet").to_pylist()
    out: dict[str, dict[str, int]] = {}
    for attribute in next(iter(entities.values())):
        if attribute == "entity_id" or not rows or attribute not in rows[0]:
            continue
        counts = Counter[str]()
        for row in rows:
            pid = person.get(row["entity_id"])
            if pid is None:
                continue
            got, want = canon(attribute, row[attribute]), canon(attribute, entities[pid][attribute])
            counts["right" if got == want else "missing" if not got else "wrong"] += 1
        out[attribute] = dict(counts)
    return out


def harmonized(root: Path) -> dict[str, dict[str, int]]:
    """Per dataset.attribute: record values right, flagged, wrong with a deliberate defect
    of the record (a typo, a duplicate), and wrong silently."""
    folder = root / ".seamline" / "data" / "harmonized"
    entities = {e["entity_id"]: e for e in read_csv(root / "_truth" / "entities.csv")}
    truth = read_csv(root / "_truth" / "records.csv")
    defects: dict[tuple[str, str], set[str]] = defaultdict(set)
    for d in read_csv(root / "_truth" / "defects.csv"):
        defects[(d["dataset"], d["record_key"])].add(d["defect"])
    by_dataset: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in truth:
        by_dataset[r["dataset"]].append(r)
    out: dict[str, dict[str, int]] = {}
    for dataset, records in by_dataset.items():
        path = folder / f"{dataset}.parquet"
        if not path.exists():
            continue
        table = pq.read_table(path)
        attrs = [a for a in next(iter(entities.values())) if a in table.column_names]
        for row in table.to_pylist():
            rec = records[row["_record_no"] - 1]
            want_row = entities[rec["entity_id"]]
            found = defects[(dataset, rec["record_key"])]
            for a in attrs:
                orig = row.get(f"{a}__orig")
                if orig is None or str(orig).strip() == "":
                    continue
                got, want = canon(a, row[a]), canon(a, want_row[a])
                if a == "unit" and got.startswith("# ") and want.endswith(" " + got[2:]):
                    got = want  # "#" is USPS's sign for a designator the writer did not give
                if row.get(f"{a}__flag"):
                    kind = "flagged"
                elif got == want:
                    kind = "right"
                elif found:
                    kind = "defect"
                else:
                    kind = "wrong"
                out.setdefault(f"{dataset}.{a}", Counter())[kind] += 1
    return {k: dict(v) for k, v in out.items()}
