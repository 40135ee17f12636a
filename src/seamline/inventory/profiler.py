"""Profile one landed dataset: statistics on the engine, detectors on a sample."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlglot import exp

from seamline.connector import BOOKKEEPING_COLUMNS
from seamline.crypto.parquet import ParquetFiles
from seamline.engine import Engine
from seamline.inventory import profile_sql as q
from seamline.inventory.detectors import Detection, detect

EXACT_DISTINCT_BOUND = 100_000
"""Distinct counts are exact up to this many values, HyperLogLog estimates above."""
TOP_VALUES = 10
TOP_PATTERNS = 8
SAMPLE_VALUES = 1_000
SAMPLE_SEED = 20_261_127
SAMPLE_ROWS = 50_000
"""Rows sampled for patterns, formats and top values of fields above the distinct bound."""
CODE_MAX_DISTINCT = 50


@dataclass
class FieldProfile:
    name: str
    physical_type: str
    rows: int
    nulls: int
    empty: int
    distinct: int
    distinct_exact: bool
    min: str | None
    max: str | None
    min_length: int | None
    max_length: int | None
    top_values: list[tuple[str, int]] = field(default_factory=list)
    patterns: list[tuple[str, float]] = field(default_factory=list)
    date_formats: list[tuple[str, float]] = field(default_factory=list)
    email_share: float = 0.0
    detections: list[Detection] = field(default_factory=list)
    logical_type: str = "text"
    code_candidate: bool = False
    sampled_rows: int | None = None
    """Patterns, formats and top values come from a sample of this many rows (else all)."""

    @property
    def null_share(self) -> float:
        return self.nulls / self.rows if self.rows else 0.0

    @property
    def empty_share(self) -> float:
        return self.empty / self.rows if self.rows else 0.0

    def dominant_format(self) -> str | None:
        """The format most values have: a date format if one dominates, else the top pattern."""
        if self.date_formats and self.date_formats[0][1] >= 0.5:
            return self.date_formats[0][0]
        return self.patterns[0][0] if self.patterns else None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["null_share"] = round(self.null_share, 6)
        data["empty_share"] = round(self.empty_share, 6)
        data["detections"] = [asdict(d) for d in self.detections]
        return data


@dataclass
class DatasetProfile:
    dataset: str
    rows: int
    fields: list[FieldProfile]

    def field(self, name: str) -> FieldProfile | None:
        return next((f for f in self.fields if f.name == name), None)


def _is_text(t: pa.DataType) -> bool:
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t))


def profile_parquet(
    path: Path,
    dataset: str,
    *,
    files: ParquetFiles,
    country: str | None = None,
    engine: Engine | None = None,
) -> DatasetProfile:
    """Profile every non-bookkeeping column of a landing Parquet file."""
    schema = files.read_schema(path)
    refs = [
        q.FieldRef(f.name, i, _is_text(f.type), pa.types.is_integer(f.type))
        for i, f in enumerate(schema)
        if f.name not in BOOKKEEPING_COLUMNS
    ]
    own = engine is None
    eng = engine or files.engine()
    try:
        files.view(eng, "landing", path)
        return _profile(eng, dataset, schema, refs, country)
    finally:
        if own:
            eng.close()


def _profile(
    eng: Engine, dataset: str, schema: pa.Schema, refs: list[q.FieldRef], country: str | None
) -> DatasetProfile:
    if not refs:
        return DatasetProfile(dataset, int(eng.rows("SELECT count(*) FROM landing")[0][0]), [])
    first = eng.arrow(q.pass1("landing", refs)).to_pylist()[0]
    rows = int(first["rows"] or 0)
    sampled = {
        r.index
        for r in refs
        if int(first[q.alias(r, "approx_distinct")] or 0) > EXACT_DISTINCT_BOUND
    }
    grouped = q.grouped_values("landing", refs, sampled, SAMPLE_ROWS, SAMPLE_SEED)
    eng.execute(
        exp.Create(
            this=exp.to_table(q.VALUES_TABLE),
            kind="TABLE",
            replace=True,
            properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
            expression=grouped,
        )
    )
    # Top values, top patterns and the text fields' samples of values in one query (each
    # query costs a job on Spark).
    ranked: dict[str, dict[int, list[tuple[str, int]]]] = {"value": {}, "pattern": {}, "sample": {}}
    texts = [r.index for r in refs if r.is_text]
    query = q.ranked_values(TOP_VALUES, TOP_PATTERNS, texts, SAMPLE_VALUES, SAMPLE_SEED)
    for kind, col, value, n, _ in sorted(eng.rows(query), key=lambda r: (r[0], r[1], r[4])):
        ranked[str(kind)].setdefault(int(col), []).append((str(value), int(n)))
    tops, patterns, samples = ranked["value"], ranked["pattern"], ranked["sample"]
    dates = {
        r.index: q.date_candidates([p for p, _ in patterns.get(r.index, [])])
        for r in refs
        if r.is_text or r.is_integer
    }
    emails = [i for i, ps in patterns.items() if any("@" in p for p, _ in ps)]
    stats = {int(row["col"]): row for row in eng.arrow(q.value_stats(dates, emails)).to_pylist()}
    fields = []
    for ref in refs:

        def get(what: str, r: q.FieldRef = ref) -> Any:
            return first.get(q.alias(r, what))

        non_null = int(get("non_null") or 0)
        st = stats.get(ref.index, {})
        grouped_rows = int(st.get("rows") or 0)
        is_exact = ref.index not in sampled
        distinct = (
            int(st.get("distinct_values") or 0) if is_exact else int(get("approx_distinct") or 0)
        )
        fp = FieldProfile(
            name=ref.name,
            physical_type=str(schema.field(ref.name).type),
            rows=rows,
            nulls=rows - non_null,
            empty=int(get("empty") or 0),
            distinct=distinct,
            distinct_exact=is_exact,
            min=get("min"),
            max=get("max"),
            min_length=get("min_len"),
            max_length=get("max_len"),
            sampled_rows=None if is_exact else grouped_rows,
        )
        if grouped_rows:
            fp.top_values = tops.get(ref.index, [])
            fp.patterns = [(p, n / grouped_rows) for p, n in patterns.get(ref.index, [])]
            fp.email_share = int(st.get("email") or 0) / grouped_rows
            shares = [
                (label, int(st.get(f"date{i}") or 0) / grouped_rows)
                for i, label in enumerate(q.DATE_FORMATS)
            ]
            fp.date_formats = sorted(((lbl, v) for lbl, v in shares if v > 0), key=lambda x: -x[1])
            if ref.is_text:
                fp.detections = detect(samples.get(ref.index, []), country=country)
        fp.logical_type = logical_type(fp, schema.field(ref.name).type)
        fp.code_candidate = is_code_like(fp)
        fields.append(fp)
    eng.execute(exp.Drop(tables=[exp.to_table(q.VALUES_TABLE)], kind="TABLE", exists=True))
    return DatasetProfile(dataset, rows, fields)


def is_code_like(fp: FieldProfile) -> bool:
    """Few distinct short values repeated many times: a candidate for a code list."""
    filled = fp.rows - fp.nulls - fp.empty
    return (
        filled >= 20
        and 1 < fp.distinct <= CODE_MAX_DISTINCT
        and fp.distinct * 5 <= filled
        and (fp.max_length or 0) <= 30
        and fp.logical_type not in ("date", "datetime")
    )


def logical_type(fp: FieldProfile, physical: pa.DataType) -> str:
    """The field's meaning as far as the values show it."""
    if pa.types.is_timestamp(physical):
        return "datetime"
    if pa.types.is_date(physical):
        return "date"
    if pa.types.is_boolean(physical):
        return "boolean"
    if pa.types.is_integer(physical):
        return "date" if fp.date_formats and fp.date_formats[0][1] >= 0.9 else "integer"
    if pa.types.is_decimal(physical) or pa.types.is_floating(physical):
        return "decimal"
    if not (pa.types.is_string(physical) or pa.types.is_large_string(physical)):
        return str(physical)
    if fp.date_formats and sum(s for _, s in fp.date_formats) >= 0.9:
        return "date"
    for d in fp.detections:
        if d.share >= 0.9:
            if d.detector.startswith("stdnum:"):
                return f"identifier:{d.detector.removeprefix('stdnum:')}"
            if d.detector == "phonenumbers":
                return "phone"
            if d.detector.startswith("pycountry:"):
                return "country_code" if "alpha" in d.detector else "subdivision_code"
    if fp.email_share >= 0.9:
        return "email"
    if fp.patterns and all(set(p) <= set("9") for p, _ in fp.patterns):
        return "digits"
    return "text"
