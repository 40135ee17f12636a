"""The contract checks that are not per-row rules: schema, volume and freshness."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlglot import exp

from seamline.crypto.parquet import ParquetFiles
from seamline.engine import Engine
from seamline.errors import SpecError
from seamline.seams.report import CheckRow, owner_text, parse_duration
from seamline.store.history import Delivery
from seamline.workspace.derived import DerivedSpec
from seamline.workspace.loader import Workspace
from seamline.workspace.models import SeamSpec

# Entity attribute type -> the Arrow type names a harmonized column of it may have.
TYPE_FAMILIES: dict[str, tuple[str, ...]] = {
    "date": ("date", "timestamp"),
    "integer": ("int",),
    "decimal": ("int", "float", "double", "decimal"),
    "boolean": ("bool",),
    "string": ("string",),
    "code": ("string",),
    "identifier": ("string",),
}


def required_attributes(seam: SeamSpec) -> list[str]:
    """What the seam delivers: the agreement's attributes, then any a rule reads."""
    from seamline.seams.expr import columns_of, parse_condition

    seen: dict[str, None] = dict.fromkeys(seam.agreement.attributes)
    for rule in seam.contract.rules:
        seen.setdefault(rule.attribute, None)
        if rule.check == "cross_field" and rule.expression:
            try:
                for name in columns_of(parse_condition(rule.expression)):
                    seen.setdefault(name, None)
            except SpecError:  # reported by the rule itself
                pass
    return list(seen)


def schema_rows(
    ws: Workspace,
    seam: SeamSpec,
    harmonized: dict[str, str],
    landing: dict[str, str],
) -> list[CheckRow]:
    """Required attributes present with their types; new landing columns if not allowed."""
    spec = ws.datasets[seam.provider]
    entity = ws.entities.get(spec.entity)
    types = {a.name: a.type for a in entity.attributes} if entity else {}
    problems: list[str] = []
    required = required_attributes(seam)
    for attr in required:
        fields = [f for f in spec.mappings() if f.attribute == attr]
        if not fields:
            problems.append(f"{attr}: not mapped by dataset {spec.id}")
            continue
        gone = [f.column for f in fields if landing and f.column not in landing]
        if gone:
            problems.append(f"{attr}: source column {', '.join(gone)} missing from the delivery")
            continue
        if attr not in harmonized:
            problems.append(f"{attr}: missing from the harmonized data")
            continue
        want = types.get(attr)
        families = TYPE_FAMILIES.get(want or "", ())
        if families and not any(f in harmonized[attr].lower() for f in families):
            problems.append(f"{attr}: type {harmonized[attr]}, expected {want}")
    rows = [
        CheckRow(
            seam.id,
            owner_text(seam),
            "schema",
            float(len(problems)),
            f"{len(required)} attributes present with their types",
            "fail" if problems else "pass",
            message="; ".join(problems),
            details={"problems": problems, "required": required, "unit": "count"},
        )
    ]
    if not seam.contract.allow_new_columns:
        declared = {f.column for f in spec.fields}
        new = [c for c in landing if not c.startswith("_") and c not in declared]
        rows.append(
            CheckRow(
                seam.id,
                owner_text(seam),
                "schema:new_columns",
                float(len(new)),
                "no columns beyond the dataset's fields",
                "fail" if new else "pass",
                message=("undeclared columns: " + ", ".join(new)) if new else "",
                details={"new_columns": new, "unit": "count"},
            )
        )
    return rows


def volume_rows(seam: SeamSpec | DerivedSpec, rows: int, history: list[Delivery]) -> list[CheckRow]:
    volume = seam.contract.volume
    if volume is None:
        return []
    out: list[CheckRow] = []
    owner = owner_text(seam)
    if volume.min_rows is not None or volume.max_rows is not None:
        low = volume.min_rows if volume.min_rows is not None else 0
        high = f"{volume.max_rows:,}" if volume.max_rows is not None else "any"
        ok = rows >= low and (volume.max_rows is None or rows <= volume.max_rows)
        out.append(
            CheckRow(
                seam.id,
                owner,
                "volume:rows",
                float(rows),
                f"between {low:,} and {high} rows",
                "pass" if ok else "fail",
                message="" if ok else f"{rows:,} rows delivered",
                details={"unit": "count"},
            )
        )
    if volume.max_change is not None:
        expected = f"change vs previous delivery <= {volume.max_change:.0%}"
        if len(history) < 2 or history[-2].rows == 0:
            out.append(
                CheckRow(
                    seam.id,
                    owner,
                    "volume:change",
                    None,
                    expected,
                    "pass",
                    message="no previous delivery to compare with",
                    details={"unit": "share"},
                )
            )
        else:
            prev, cur = history[-2].rows, history[-1].rows
            change = abs(cur - prev) / prev
            ok = change <= volume.max_change
            out.append(
                CheckRow(
                    seam.id,
                    owner,
                    "volume:change",
                    change,
                    expected,
                    "pass" if ok else "fail",
                    message="" if ok else f"{prev:,} -> {cur:,} rows",
                    details={"previous": prev, "current": cur, "unit": "share"},
                )
            )
    return out


def _newest(
    engine: Engine, files: ParquetFiles, path: Path, column: str, arrow_type: str
) -> dt.datetime | None:
    """The newest value of ``column`` as a UTC timestamp (dates, YYYYMMDD numbers, text)."""
    col = exp.column(column, quoted=True)
    t = arrow_type.lower()
    if "date" in t or "timestamp" in t:
        value: exp.Expr = exp.cast(col, "TIMESTAMP")
    elif "int" in t:
        value = exp.Anonymous(
            this="try_strptime",
            expressions=[exp.cast(col, "VARCHAR"), exp.Literal.string("%Y%m%d")],
        )
    else:
        text = exp.Trim(this=exp.cast(col, "VARCHAR"))
        value = exp.Coalesce(
            this=exp.TryCast(this=text, to=exp.DataType.build("TIMESTAMP")),
            expressions=[
                exp.Anonymous(this="try_strptime", expressions=[text, exp.Literal.string(f)])
                for f in ("%d.%m.%Y", "%Y%m%d", "%d/%m/%Y")
            ],
        )
    files.view(engine, "seam_fresh", path)
    got = engine.rows(
        exp.select(exp.Max(this=value)).from_(exp.to_table("seam_fresh", quoted=True))
    )
    newest = got[0][0] if got else None
    if isinstance(newest, dt.datetime):
        return newest if newest.tzinfo else newest.replace(tzinfo=dt.UTC)
    if isinstance(newest, dt.date):
        return dt.datetime.combine(newest, dt.time(), tzinfo=dt.UTC)
    return None


def freshness_row(
    engine: Engine,
    files: ParquetFiles,
    seam: SeamSpec,
    history: list[Delivery],
    paths: dict[str, Path],
    columns: dict[str, dict[str, str]],
    now: dt.datetime,
) -> CheckRow | None:
    fresh = seam.contract.freshness
    if fresh is None:
        return None
    limit = parse_duration(fresh.max_age)
    expected = f"age <= {fresh.max_age} ({limit.total_seconds() / 3600:g} h)"
    owner = owner_text(seam)
    newest: dt.datetime | None = None
    what, basis = "latest delivery", "read time"
    if fresh.column:
        what = basis = f"newest {fresh.column}"
        where = next((k for k in ("harmonized", "landing") if fresh.column in columns[k]), None)
        if where is None:
            return CheckRow(
                seam.id, owner, "freshness", None, expected, "error",
                attribute=fresh.column,
                message=f"the delivery has no column or attribute {fresh.column!r}",
            )  # fmt: skip
        newest = _newest(engine, files, paths[where], fresh.column, columns[where][fresh.column])
    elif history:
        newest, basis = history[-1].source or (history[-1].at, "read time")
    if newest is None:
        return CheckRow(
            seam.id, owner, "freshness", None, expected, "fail",
            attribute=fresh.column, message=f"no {what} to measure",
        )  # fmt: skip
    age = (now - newest).total_seconds() / 3600
    ok = age <= limit.total_seconds() / 3600
    measured = f"measured from {_BASIS.get(basis, f'the {basis}')}"
    return CheckRow(
        seam.id,
        owner,
        "freshness",
        round(age, 3),
        expected,
        "pass" if ok else "fail",
        attribute=fresh.column,
        message=measured if ok else f"{age:.1f} h old ({newest.isoformat()}), {measured}",
        details={"newest": newest.isoformat(), "unit": "hours", "basis": basis},
    )


_BASIS = {
    "file modified": "the file's modification time",
    "message time": "the newest message's time",
    "watermark": "the newest watermark value",
    "read time": "the time the source was read (it gives no time of its own)",
}
"""How each basis of the age reads in a check's message."""


def parquet_columns(files: ParquetFiles, path: Path) -> dict[str, str]:
    """Column name -> Arrow type name of a Parquet file, or of a folder of part files
    (empty when it is missing)."""
    if not files.exists(path):
        return {}
    schema = files.read_schema(path)
    return {f.name: str(f.type) for f in schema}
