"""Drift between a seam's latest delivery and its history, each drift a finding.

Schema drift compares the observed schemas of the last two landings (columns added,
removed, renamed — a removed and an added column with a similar name and profile —
or retyped). Format drift compares the last two inventory profiles (a dominant date
format or value pattern losing its share). New code values are the provider's values
harmonize could not map, reported once per value. Null rates and volume are compared
with the seam's own history by median and MAD, and only once there is a minimum of
history, so a young seam does not raise noise.

Only new codes read the data: one query per provider over its harmonized data, run on
the workspace's engine (Spark on ``engine: spark``); the other drifts compare what the
store keeps of earlier deliveries (schemas, profiles, row counts), in this process.

Comparing the latest delivery with the one before means a change is seen once, when
it arrives; the store's fingerprint keeps the same problem one finding if it is seen
again (e.g. ``check`` run twice on one delivery).
"""

from __future__ import annotations

import difflib
import json
import statistics
from collections.abc import Container, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlglot import exp

from seamline.engine import Engine
from seamline.seams.check import select_seams
from seamline.seams.report import owner_text
from seamline.seams.structure import parquet_columns, required_attributes
from seamline.store import Store
from seamline.store.history import deliveries, profiles, reported_keys, schemas
from seamline.workspace.loader import Workspace
from seamline.workspace.models import FieldSpec, SeamSpec

MIN_HISTORY = 5
"""Deliveries of history needed before null-rate and volume anomalies are raised."""
MAD_SCALE = 1.4826  # MAD * this estimates the standard deviation of normal data
THRESHOLD = 4.0
NULL_FLOOR = 0.02
"""Smallest spread assumed for a null rate: a steady 0 % never alerts on 1 %."""
VOLUME_FLOOR = 0.05
"""Smallest spread assumed for volume, as a share of the median row count."""
SHIFT = 0.25
"""A dominant format (share >= 0.5 before) losing this much share has shifted."""
RENAME_SIMILARITY = 0.6


@dataclass
class Drift:
    seam: str
    owner: str
    what: str
    key: str
    message: str
    suggested_action: str
    severity: str = "warning"
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return f"drift.{self.what}"


@dataclass
class DriftReport:
    run_id: int
    drifts: list[Drift] = field(default_factory=list)

    def to_json(self) -> str:
        body = {
            "run_id": self.run_id,
            "drifts": [asdict(d) | {"kind": d.kind} for d in self.drifts],
        }
        return json.dumps(body, indent=2, ensure_ascii=False, default=str)


@dataclass
class _Change:
    """A drift of the provider dataset, before it is attributed to each seam."""

    what: str
    key: str
    message: str
    action: str
    severity: str = "warning"
    evidence: dict[str, Any] = field(default_factory=dict)


def robust_anomaly(
    value: float, history: Sequence[float], floor: float
) -> tuple[bool, float, float]:
    """(is it an outlier, median, robust z) of ``value`` against ``history``."""
    med = statistics.median(history)
    mad = statistics.median(abs(h - med) for h in history)
    scale = max(MAD_SCALE * mad, floor)
    z = (value - med) / scale
    return abs(z) > THRESHOLD, med, z


def detect_drift(
    ws: Workspace,
    store: Store,
    run_id: int,
    *,
    seams: Sequence[str] | None = None,
    min_history: int = MIN_HISTORY,
) -> DriftReport:
    """Find drift in the latest delivery of every selected seam; record each as a finding."""
    report = DriftReport(run_id)
    chosen = select_seams(ws, seams)
    columns = {
        p: parquet_columns(ws.parquet, harmonized_path(ws, p)) for p in {s.provider for s in chosen}
    }
    coded = {seam.id: coded_fields(ws, seam, columns[seam.provider]) for seam in chosen}
    attributes: dict[str, list[str]] = {}
    for seam in chosen:
        names = attributes.setdefault(seam.provider, [])
        names += [f.attribute for f in coded[seam.id] if f.attribute and f.attribute not in names]
    unmapped: dict[str, dict[str, list[tuple[str | None, int]]]] = {}
    if any(attributes.values()):
        # On the workspace's engine, one query per provider whatever its seams and coded
        # attributes (on Spark the view is read once, then cached).
        with ws.engine() as engine:
            for dataset, names in sorted(attributes.items()):
                if names:
                    unmapped[dataset] = unmapped_codes(ws, engine, dataset, names)
    per_dataset: dict[str, list[_Change]] = {}
    for seam in chosen:
        if seam.provider not in per_dataset:
            per_dataset[seam.provider] = dataset_changes(ws, store, seam.provider, min_history)
        found = unmapped.get(seam.provider, {})
        changes = per_dataset[seam.provider] + new_codes(ws, store, seam, coded[seam.id], found)
        for c in changes:
            report.drifts.append(
                Drift(
                    seam.id,
                    owner_text(seam),
                    c.what,
                    c.key,
                    f"seam {seam.id}: {c.message}",
                    c.action,
                    c.severity,
                    {**c.evidence, "dataset": seam.provider},
                )
            )
    for d in report.drifts:
        store.upsert_finding(
            kind=d.kind,
            subject=d.seam,
            message=d.message,
            severity=d.severity,
            evidence={**d.evidence, "key": d.key, "suggested_action": d.suggested_action},
            owner=d.owner,
            run_id=run_id,
            key=d.key,
        )
    return report


def dataset_changes(ws: Workspace, store: Store, dataset: str, min_history: int) -> list[_Change]:
    spec = ws.datasets[dataset]
    provider = ws.systems[spec.system].agency if spec.system in ws.systems else spec.owner
    hist = profiles(store, dataset, min_history + 1)
    latest_profile = hist[-1][1] if hist else {}
    previous_profile = hist[-2][1] if len(hist) > 1 else {}
    out: list[_Change] = []
    origin = ws.origin("dataset", dataset)
    spec_file = f"datasets/{dataset}.yaml"
    if origin is not None:
        spec_file = origin.path + (f" (instance {origin.instance})" if origin.instance else "")
    out += _schema_changes(store, dataset, provider, previous_profile, latest_profile, spec_file)
    if previous_profile:
        out += _format_changes(dataset, previous_profile, latest_profile, spec_file)
    out += _null_changes(dataset, hist, min_history)
    out += _volume_changes(store, dataset, provider, min_history)
    return out


def _top(pairs: Any) -> tuple[str, float] | None:
    items = [(str(p[0]), float(p[1])) for p in pairs or [] if len(p) == 2]
    return max(items, key=lambda p: p[1]) if items else None


def _similar(old: dict[str, Any] | None, new: dict[str, Any] | None) -> bool:
    if not old or not new:
        return True  # no profile to contradict the name
    same_type = old.get("logical_type") == new.get("logical_type")
    a, b = _top(old.get("patterns")), _top(new.get("patterns"))
    return same_type and (a is None or b is None or a[0] == b[0])


def _schema_changes(
    store: Store,
    dataset: str,
    provider: str,
    prev_prof: dict[str, Any],
    cur_prof: dict[str, Any],
    spec_file: str,
) -> list[_Change]:
    """Columns renamed, removed, added or retyped; ``spec_file`` is where the dataset's
    mapping is written (a template names its instance)."""
    seen = schemas(store, dataset, 2)
    if len(seen) < 2:
        return []
    (prev_run, prev_cols), (cur_run, cur_cols) = seen
    prev = {n: t for n, t in prev_cols if not n.startswith("_")}
    cur = {n: t for n, t in cur_cols if not n.startswith("_")}
    added = [n for n in cur if n not in prev]
    removed = [n for n in prev if n not in cur]
    ev = {"previous_delivery": prev_run, "delivery": cur_run}
    out: list[_Change] = []
    for old in list(removed):
        candidates = [
            (difflib.SequenceMatcher(None, old.lower(), new.lower()).ratio(), new)
            for new in added
            if cur[new] == prev[old] and _similar(prev_prof.get(old), cur_prof.get(new))
        ]
        best = max(candidates, default=None)
        if best and best[0] >= RENAME_SIMILARITY:
            new = best[1]
            removed.remove(old)
            added.remove(new)
            out.append(
                _Change(
                    "column_renamed", f"{old}->{new}",
                    f"{dataset}: column {old} seems renamed to {new} (similar name and profile)",
                    f"update {spec_file}: column {old} -> {new}, after confirming with {provider}",
                    "error", {**ev, "old": old, "new": new, "similarity": round(best[0], 3)},
                )
            )  # fmt: skip
    for name in removed:
        out.append(
            _Change(
                "column_removed", name,
                f"{dataset}: column {name} is missing from the latest delivery",
                f"ask {provider} whether {name} was dropped on purpose; "
                f"then update {spec_file} or the agreement",
                "error", {**ev, "column": name, "type": prev[name]},
            )
        )  # fmt: skip
    for name in added:
        out.append(
            _Change(
                "column_added", name,
                f"{dataset}: new column {name} ({cur[name]}) in the latest delivery",
                f"describe or map {name} in {spec_file}, or ask {provider} why it appeared",
                "warning", {**ev, "column": name, "type": cur[name]},
            )
        )  # fmt: skip
    for name in cur:
        if name in prev and prev[name] != cur[name]:
            out.append(
                _Change(
                    "column_retyped", f"{name}:{prev[name]}->{cur[name]}",
                    f"{dataset}: column {name} changed type from {prev[name]} to {cur[name]}",
                    f"check the normalizers of {name} in {spec_file} and ask {provider}",
                    "error", {**ev, "column": name, "before": prev[name], "after": cur[name]},
                )
            )  # fmt: skip
    return out


def _format_changes(
    dataset: str, prev: dict[str, Any], cur: dict[str, Any], spec_file: str
) -> list[_Change]:
    out: list[_Change] = []
    for name, now in cur.items():
        before = prev.get(name)
        if not before:
            continue
        for key, label in (("date_formats", "date format"), ("patterns", "value pattern")):
            old = _top(before.get(key))
            if old is None or old[1] < 0.5:
                continue
            share_now = dict((str(p[0]), float(p[1])) for p in now.get(key) or [] if len(p) == 2)
            kept = share_now.get(old[0], 0.0)
            if old[1] - kept < SHIFT:
                continue
            new = _top(now.get(key))
            shown = f"{new[0]} ({new[1]:.0%})" if new else "none"
            out.append(
                _Change(
                    "format_shift", f"{name}:{key}:{old[0]}->{new[0] if new else ''}",
                    f"{dataset}.{name}: dominant {label} {old[0]} fell from {old[1]:.0%} to "
                    f"{kept:.0%}; now {shown}",
                    f"add the new format to the normalizers of {name} in {spec_file}, "
                    "or ask the provider to restore the agreed format",
                    "warning", {"column": name, "what": key, "before": before.get(key), "after": now.get(key)},
                )
            )  # fmt: skip
            break  # a date format shift is also a pattern shift: report it once
    return out


def _null_share(p: dict[str, Any]) -> float:
    return float(p.get("null_share") or 0.0) + float(p.get("empty_share") or 0.0)


def _null_changes(
    dataset: str, hist: list[tuple[int, dict[str, Any]]], min_history: int
) -> list[_Change]:
    if len(hist) < min_history + 1:
        return []
    *past, (_, cur) = hist
    out: list[_Change] = []
    for name, prof in cur.items():
        series = [_null_share(p[name]) for _, p in past if name in p]
        if len(series) < min_history:
            continue
        value = _null_share(prof)
        odd, med, z = robust_anomaly(value, series, NULL_FLOOR)
        if odd:
            way = "up" if value > med else "down"
            out.append(
                _Change(
                    "null_rate", f"{name}:{way}",
                    f"{dataset}.{name}: empty values {value:.1%}, usually {med:.1%} ({len(series)} deliveries)",
                    f"ask the provider why {name} is {'empty more' if way == 'up' else 'filled more'} often than usual",
                    "warning", {"column": name, "value": value, "median": med, "z": round(z, 2), "history": series},
                )
            )  # fmt: skip
    return out


def _volume_changes(store: Store, dataset: str, provider: str, min_history: int) -> list[_Change]:
    hist = deliveries(store, dataset)
    if len(hist) < min_history + 1:
        return []
    *past, cur = hist[-(4 * min_history + 1) :]
    series = [float(d.rows) for d in past]
    med = statistics.median(series)
    odd, med, z = robust_anomaly(float(cur.rows), series, max(VOLUME_FLOOR * med, 1.0))
    if not odd:
        return []
    way = "collapse" if cur.rows < med else "spike"
    return [
        _Change(
            "volume", way,
            f"{dataset}: volume {way}: {cur.rows:,} rows, usually {med:,.0f} ({len(series)} deliveries)",
            f"ask {provider} whether delivery {cur.run_id} is complete",
            "error" if way == "collapse" else "warning",
            {"rows": cur.rows, "median": med, "z": round(z, 2), "delivery": cur.run_id, "history": series},
        )
    ]  # fmt: skip


def coded_fields(ws: Workspace, seam: SeamSpec, columns: Container[str]) -> list[FieldSpec]:
    """The provider's fields the seam delivers that a code list maps and harmonize flagged
    (``<attribute>__flag`` among the harmonized ``columns``)."""
    spec = ws.datasets[seam.provider]
    wanted = set(required_attributes(seam))
    return [
        f for f in spec.mappings()
        if f.codelist and f.attribute in wanted and f"{f.attribute}__flag" in columns
    ]  # fmt: skip


def unmapped_query(view: str, attributes: Sequence[str]) -> exp.Query:
    """Per attribute, each local code harmonize could not map, with its rows: one query for
    all of a dataset's coded attributes (each query costs Spark a job or more)."""
    parts: list[exp.Query] = []
    for attribute in attributes:
        orig = exp.Trim(this=exp.cast(exp.column(f"{attribute}__orig", quoted=True), "VARCHAR"))
        flag = exp.column(f"{attribute}__flag", quoted=True)
        parts.append(
            exp.select(
                exp.alias_(exp.Literal.string(attribute), "a"),
                exp.alias_(orig, "v"),
                exp.alias_(exp.Count(this=exp.Star()), "n"),
            )
            .from_(exp.to_table(view, quoted=True))
            .where(exp.EQ(this=flag, expression=exp.Literal.string("unmapped_code")))
            .group_by(exp.Literal.number(1), exp.Literal.number(2))
        )
    query = parts[0]
    for part in parts[1:]:
        query = exp.union(query, part, distinct=False)
    return query


def unmapped_codes(
    ws: Workspace, engine: Engine, dataset: str, attributes: Sequence[str]
) -> dict[str, list[tuple[str | None, int]]]:
    """Attribute -> (local code, rows) of the codes harmonize could not map in the
    dataset's harmonized data, by code."""
    view = "seam_codes"
    ws.parquet.view(engine, view, harmonized_path(ws, dataset))
    out: dict[str, list[tuple[str | None, int]]] = {a: [] for a in attributes}
    for attribute, value, n in engine.rows(unmapped_query(view, attributes)):
        out[str(attribute)].append((None if value is None else str(value), int(n)))
    for found in out.values():
        found.sort(key=lambda p: (p[0] is None, p[0] or ""))
    return out


def harmonized_path(ws: Workspace, dataset: str) -> Path:
    return ws.data_dir / "harmonized" / f"{dataset}.parquet"


def new_codes(
    ws: Workspace,
    store: Store,
    seam: SeamSpec,
    fields: Sequence[FieldSpec],
    unmapped: dict[str, list[tuple[str | None, int]]],
) -> list[_Change]:
    """Local codes of the seam's coded ``fields`` that harmonize could not map (``unmapped``,
    from :func:`unmapped_codes`), each reported once."""
    spec = ws.datasets[seam.provider]
    known = reported_keys(store, "drift.new_code", seam.id)
    out: list[_Change] = []
    for f in fields:
        for value, n in unmapped.get(f.attribute or "", []):
            key = f"{f.column}={value}"
            if key in known:
                continue
            out.append(
                _Change(
                    "new_code", key,
                    f"{spec.id}.{f.column}: new code {value!r} in {n:,} rows, not in code list {f.codelist}",
                    f"seamline codes suggest {f.codelist} {spec.id}.{f.column}",
                    "warning", {"column": f.column, "attribute": f.attribute, "value": value, "rows": int(n), "codelist": f.codelist},
                )
            )  # fmt: skip
    return out
