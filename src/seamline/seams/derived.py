"""The check stage on derived datasets: their ``contract:`` and ``primary_key``.

A derived dataset's contract has the rules of a seam's contract and runs through the
same compiler (:func:`seamline.seams.contract.compile_rules`) on its output,
``derived/<id>.parquet``; the primary key is one more check, no null and no repeated
key. Results are ``CheckRow``s under the derived id, recorded and turned into findings
like a seam's, owned by the derived dataset's owner.
"""

from __future__ import annotations

import datetime as dt

from sqlglot import exp

from seamline.engine import Engine, EngineError
from seamline.seams.contract import DATA, check_query, compile_rules, rule_row
from seamline.seams.report import CheckReport, CheckRow, SeamInfo, owner_text
from seamline.seams.structure import parquet_columns, volume_rows
from seamline.store import Store
from seamline.store.history import latest_stage_runs
from seamline.workspace.derived import DerivedSpec, derived_path, reconcile_ids, resolve
from seamline.workspace.loader import Workspace

PRIMARY_KEY = "primary_key"


def check_derived(
    ws: Workspace,
    store: Store,
    names: list[str] | None,
    engine: Engine,
    now: dt.datetime,
    report: CheckReport,
) -> None:
    """Check the derived datasets ``names`` (all when None) into ``report``; those with
    neither a contract nor a primary key are left out."""
    first = len(report.rows)
    for did in sorted(ws.derived) if names is None else names:
        spec = ws.derived[did]
        if not spec.contract.rules and not spec.primary_key and spec.contract.volume is None:
            continue
        path = derived_path(ws.data_dir, did)
        derive = latest_stage_runs(store, did).get("derive")
        if not ws.parquet.exists(path) and (derive is None or derive.status != "failed"):
            report.skipped[did] = (
                "The derived dataset has not been computed yet. Run `seamline run`."
            )
            continue
        report.seams.append(SeamInfo(did, spec.title, did, "", owner_text(spec), _email(spec)))
        stale = None
        if derive is not None and derive.status == "failed":
            stale = (
                f"Computing {did} failed at {derive.at:%Y-%m-%d %H:%M} UTC: "
                f"{(derive.message or 'no reason recorded').rstrip('.')}."
            )
        if not ws.parquet.exists(path):
            report.rows.append(_error(spec, "data", f"{stale} There is no output to check."))
            continue
        if stale is not None:
            report.rows.append(
                _error(spec, "data", f"{stale} The rules below ran on its previous output.")
            )
        report.rows.extend(_rows(ws, spec, engine, now))
    for row in report.rows[first:]:
        row.details["derived"] = True  # findings then speak of a derived dataset, not a seam


def _email(spec: DerivedSpec) -> str | None:
    if isinstance(spec.owner, str):
        return None
    contact = spec.owner.contact or ""
    return spec.owner.email or (contact if "@" in contact else None)


def _error(spec: DerivedSpec, rule: str, message: str) -> CheckRow:
    return CheckRow(spec.id, owner_text(spec), rule, None, "derived data", "error", message=message)


def _rows(ws: Workspace, spec: DerivedSpec, engine: Engine, now: dt.datetime) -> list[CheckRow]:
    path = derived_path(ws.data_dir, spec.id)
    columns = parquet_columns(ws.parquet, path)
    reconciled = reconcile_ids(ws.root)
    sources = {}
    for r in spec.contract.rules:
        if r.check == "referential" and r.reference:
            found = resolve(ws, r.reference.split(".", 1)[0], reconciled)
            if found is not None:
                sources[found.table] = found.path
    references = {t: set(parquet_columns(ws.parquet, p)) for t, p in sources.items()}
    compiled = compile_rules(spec, columns, today=now.date(), references=references)
    ws.parquet.view(engine, DATA, path)
    for c in compiled:
        if c.runnable and c.reference:
            ws.parquet.view(engine, f"ref_{c.index}", sources[c.reference])
    rows: list[CheckRow] = []
    try:
        values = engine.arrow(check_query(compiled)).to_pylist()[0]
    except EngineError as exc:
        return [
            rule_row(spec, c, None, None, error=f"the check query failed: {exc}") for c in compiled
        ]
    for c in compiled:
        if not c.runnable:
            rows.append(rule_row(spec, c, None, None, error=c.error))
            continue
        fail, n = int(values[f"r{c.index}_fail"] or 0), int(values[f"r{c.index}_n"] or 0)
        rows.append(rule_row(spec, c, fail, n))
    if spec.primary_key:
        rows.append(_primary_key(spec, columns, engine))
    rows.extend(volume_rows(spec, int(values["rows"]), []))
    return rows


def _primary_key(spec: DerivedSpec, columns: dict[str, str], engine: Engine) -> CheckRow:
    """No key column null, no key twice: one scan grouping by the key."""
    owner, key = owner_text(spec), spec.primary_key
    expected = f"({', '.join(key)}) unique and not null"
    missing = [k for k in key if k not in columns]
    if missing:
        return CheckRow(
            spec.id, owner, PRIMARY_KEY, None, expected, "error",
            message=f"the output has no column {', '.join(map(repr, missing))}",
        )  # fmt: skip
    cols = [exp.column(k, quoted=True) for k in key]
    null_key = exp.or_(*(exp.Is(this=c.copy(), expression=exp.Null()) for c in cols))
    one = exp.Literal.number(1)
    groups = (
        exp.select(
            exp.alias_(exp.Count(this=exp.Star()), "c"),
            exp.alias_(
                exp.Max(this=exp.If(this=null_key, true=one, false=exp.Literal.number(0))), "z"
            ),
        )
        .from_(exp.to_table(DATA, quoted=True))
        .group_by(*cols)
    )
    c, z = exp.column("c"), exp.column("z")
    query = exp.select(
        exp.alias_(exp.Sum(this=c), "n"),
        # repeats among rows whose key has no null (those are counted as nulls)
        exp.alias_(
            exp.Sum(
                this=exp.Mul(
                    this=exp.Paren(this=exp.Sub(this=c.copy(), expression=one.copy())),
                    expression=exp.Paren(this=exp.Sub(this=one.copy(), expression=z.copy())),
                )
            ),
            "dup",
        ),
        exp.alias_(exp.Sum(this=exp.Mul(this=c.copy(), expression=z)), "nulls"),
    ).from_(groups.subquery("g"))
    n, dup, nulls = (int(v or 0) for v in engine.rows(query)[0])
    failing = dup + nulls
    share = failing / n if n else 0.0
    problems = [
        *([f"{dup:,} rows repeat a key"] if dup else []),
        *([f"{nulls:,} rows have a null key column"] if nulls else []),
    ]
    return CheckRow(
        spec.id,
        owner,
        PRIMARY_KEY,
        share,
        expected,
        "fail" if failing else "pass",
        attribute=", ".join(key),
        message="; ".join(problems),
        details={"check": PRIMARY_KEY, "failing": failing, "considered": n, "unit": "share"},
    )
