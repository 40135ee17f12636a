"""Compile a dataset's mapping into one SQL plan over its landing zone.

The plan is a chain of projections, one per normalizer step, each holding for every
mapped field a struct ``{value, flag}``. A step the engine can do in SQL is written as
SQL (sqlglot trees). Steps that are not SQL run in Arrow *before* the plan: a field's
leading steps up to its last non-SQL step form an :class:`ArrowChain`, which the run
computes over large record batches streamed from the landing zone (once per distinct
value) and hands to the plan as one struct column ``_arrow_<n>``; the steps after it
are SQL again. Code lists are left joins against code tables built from the
crosswalks. The final projection keeps the source row id and position, and for every
field the harmonized value, the original text and the first flag raised. Nothing is
filtered or reordered: the plan has the landing zone's rows, in its order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa
from sqlglot import exp

from seamline.connector import RECORD_NO, SOURCE_POS
from seamline.errors import SpecError
from seamline.normalize import (
    Normalizer,
    NormalizerRegistry,
    SqlStep,
    StepContext,
    default_normalizers,
)
from seamline.workspace.crosswalk import local_codes, match_key_sql, match_mode
from seamline.workspace.loader import Workspace
from seamline.workspace.models import (
    CodeListSpec,
    DatasetSpec,
    IdentifierSchemeSpec,
    LocalMatch,
)

LANDING = "landing"
UNMAPPED = "unmapped_code"
MISMATCH = "identifier_mismatch"
CODE_CASE_LIMIT = 256
"""Code lists up to this many entries become a CASE expression, which keeps the rows in
landing order; larger ones a hash join, after which the plan sorts by row id again."""


@dataclass
class ArrowChain:
    """A field's leading steps, run in Arrow over the landing zone's text before the plan."""

    column: str
    """The landing column the chain reads (as text, like ``CAST(column AS VARCHAR)``)."""
    name: str
    """The struct column ``{value, flag}`` the plan reads the chain's result from."""
    steps: list[Normalizer]
    value_type: pa.DataType


@dataclass
class FieldPlan:
    index: int
    column: str
    attribute: str
    steps: list[Normalizer]
    codelist: str | None = None
    code_table: str | None = None
    """A large code list: the code table the plan joins."""
    code_map: dict[str, str] | None = None
    """A small code list: the ``local -> code`` pairs the plan writes as one CASE."""
    output_type: pa.DataType | None = None
    """None: the landed type is kept (no step changed it)."""
    code_match: LocalMatch = "ignore_case"
    """How values meet the code list's keys (see :mod:`seamline.workspace.crosswalk`)."""


@dataclass
class HarmonizePlan:
    dataset: str
    query: exp.Select
    fields: list[FieldPlan]
    arrow: list[ArrowChain] = field(default_factory=list)
    code_tables: dict[str, pa.Table] = field(default_factory=dict)

    def explain(self, render: Callable[[exp.Expr], str] | None = None) -> str:
        """The plan in words and its SQL, in DuckDB's dialect unless ``render`` writes it."""
        lines = [f"-- harmonize {self.dataset}: {len(self.fields)} mapped fields"]
        columns: dict[str, list[str]] = {}
        for f in self.fields:
            columns.setdefault(f.column, []).append(f.attribute)
        for column, attributes in columns.items():
            if len(attributes) > 1:
                lines.append(f"-- {column} is split into {', '.join(attributes)}")
        for chain in self.arrow:
            steps = ", ".join(s.key for s in chain.steps)
            lines.append(
                f"-- {chain.name}: {chain.column} through {steps} in Arrow, before the plan"
            )
        for name, table in self.code_tables.items():
            lines.append(f"-- {name}: code table with {table.num_rows} entries")
        lines.append(
            render(self.query) if render else self.query.sql(dialect="duckdb", pretty=True)
        )
        return "\n".join(lines) + "\n"


def _s(name: str) -> str:
    return f"s_{name}"


def _struct(value: exp.Expr, flag: exp.Expr) -> exp.Expr:
    return exp.Struct(
        expressions=[
            exp.PropertyEQ(this=exp.to_identifier("value"), expression=value),
            exp.PropertyEQ(this=exp.to_identifier("flag"), expression=flag),
        ]
    )


def _part(column: str, part: str) -> exp.Expr:
    return exp.Dot(this=exp.column(column, quoted=True), expression=exp.to_identifier(part))


def code_table(cl: CodeListSpec, dataset: str, column: str, today: dt.date) -> pa.Table:
    """``(local, code)`` pairs for one dataset column, ``local`` being the match key of
    :func:`seamline.workspace.crosswalk.local_codes` (what ``codes suggest`` uses too)."""
    pairs = local_codes(cl, dataset, column, today)
    return pa.table({"local": list(pairs), "code": list(pairs.values())})


def compile_dataset(
    ws: Workspace,
    dataset_id: str,
    *,
    landed_schema: pa.Schema,
    registry: NormalizerRegistry | None = None,
    today: dt.date | None = None,
) -> HarmonizePlan:
    """The plan of one dataset. Raises SpecError for a mapping that cannot be compiled."""
    spec: DatasetSpec = ws.dataset(dataset_id)
    registry = registry or default_normalizers()
    context = StepContext(
        country=ws.project.country,
        extras={"schemes": dict(ws.identifiers), "addresses": dict(ws.addresses)},
    )
    fields = _field_plans(ws, spec, registry, context, landed_schema)
    plan = HarmonizePlan(dataset_id, exp.select("*"), fields)
    today = today or dt.date.today()
    for f in fields:
        if f.codelist is not None:
            cl = ws.codelists[f.codelist]
            f.code_match = match_mode(cl, spec.id, f.column)
            table = code_table(cl, spec.id, f.column, today)
            if table.num_rows <= CODE_CASE_LIMIT:
                pairs = zip(
                    table.column("local").to_pylist(), table.column("code").to_pylist(), strict=True
                )
                f.code_map = {str(k): str(v) for k, v in pairs}
            else:
                f.code_table = f"codes_{f.index}"
                plan.code_tables[f.code_table] = table
    plan.query = _build_query(plan, landed_schema)
    return plan


def _field_plans(
    ws: Workspace,
    spec: DatasetSpec,
    registry: NormalizerRegistry,
    context: StepContext,
    schema: pa.Schema,
) -> list[FieldPlan]:
    plans: list[FieldPlan] = []
    seen: dict[str, str] = {}
    for loc, f in spec.mappings_with_loc():
        if f.attribute is None:
            continue
        if f.column not in schema.names:
            raise SpecError(
                f"dataset {spec.id} maps column {f.column!r}, which the landing zone does not have",
                where=ws.where("dataset", spec.id, *loc[:2], "column"),
                allowed=", ".join(n for n in schema.names if not n.startswith("_")),
                hint="check the column name against `seamline read` output",
            )
        if f.attribute in seen:
            raise SpecError(
                f"dataset {spec.id} maps both {seen[f.attribute]!r} and {f.column!r} to "
                f"{f.attribute!r}; one column per attribute",
                hint="map one of them to another attribute, or leave it unmapped",
            )
        seen[f.attribute] = f.column
        steps = []
        for i, step in enumerate(f.normalize):
            try:
                steps.append(registry.build(step, context))
            except SpecError as exc:
                raise SpecError(
                    f"dataset {spec.id}, field {f.column}, normalize step {i + 1}: {exc.message}",
                    allowed=exc.allowed,
                    hint=exc.hint,
                ) from None
        plans.append(FieldPlan(len(plans), f.column, f.attribute, steps, f.codelist))
    return plans


def _sql_step(step: Normalizer, input_type: pa.DataType, value: exp.Expr) -> SqlStep | None:
    """The step as SQL where the engine should run it so, else None."""
    if input_type != pa.string() or not step.prefer_sql:
        return None
    return step.sql(value)


def _share(sql: SqlStep, prefix: str, levels: list[list[exp.Expr]]) -> SqlStep:
    """The step with its shared subexpressions read from columns computed before it.

    The n-th shared expression becomes ``expression AS prefix_<n>`` in the n-th of the
    projections before the step (``levels``), written over the earlier ones' columns;
    the step's value and flag then name the column wherever the expression appeared.
    """
    value, flag = sql.value, sql.flag
    done: list[tuple[exp.Expr, exp.Expr]] = []

    def swap(node: exp.Expr) -> exp.Expr:
        for expr, column in done:
            if node == expr:
                return column.copy()
        return node

    for n, expr in enumerate(sql.shared):
        written = expr.copy().transform(swap)
        name = f"{prefix}_{n}"
        if len(levels) <= n:
            levels.append([])
        levels[n].append(exp.alias_(written, name, quoted=True))
        done.append((written, exp.column(name, quoted=True)))
        value, flag = value.transform(swap), flag.transform(swap)
    return SqlStep(value, flag)


def _arrow_prefix(f: FieldPlan, start: pa.DataType) -> int:
    """How many leading steps run in Arrow: up to and including the last non-SQL one."""
    prefix, current = 0, start
    for k, step in enumerate(f.steps):
        if _sql_step(step, current, exp.column("v")) is None:
            prefix = k + 1
        current = step.output_for(current)
    return prefix


def _build_query(plan: HarmonizePlan, schema: pa.Schema) -> exp.Select:
    fields = plan.fields
    base: list[exp.Expr] = [exp.column(RECORD_NO), exp.column(SOURCE_POS)]
    types: dict[int, pa.DataType] = {}
    prefixes: dict[int, int] = {}
    for f in fields:
        source = exp.column(f.column, quoted=True)
        text = exp.cast(source, "VARCHAR")
        changes = bool(f.steps) or f.codelist is not None
        start = text if changes else source
        types[f.index] = pa.string() if changes else schema.field(f.column).type
        prefixes[f.index] = _arrow_prefix(f, types[f.index])
        base.append(exp.alias_(text, f"o_{f.index}", quoted=True))
        first: exp.Expr = _struct(start, exp.cast(exp.Null(), "VARCHAR"))
        if prefixes[f.index]:
            steps = f.steps[: prefixes[f.index]]
            for step in steps:
                types[f.index] = step.output_for(types[f.index])
            chain = ArrowChain(f.column, f"_arrow_{f.index}", steps, types[f.index])
            plan.arrow.append(chain)
            first = exp.column(chain.name, quoted=True)
        base.append(exp.alias_(first, _s(str(f.index)), quoted=True))
    query: exp.Select = exp.select(*base).from_(exp.to_table(LANDING))
    depth = max((len(f.steps) for f in fields), default=0)
    layer = 0
    for k in range(depth):
        if not any(prefixes[f.index] <= k < len(f.steps) for f in fields):
            continue  # every field's step k ran in Arrow already
        compiled: dict[int, SqlStep] = {}
        levels: list[list[exp.Expr]] = []
        for f in fields:
            if prefixes[f.index] <= k < len(f.steps):
                value = _part(_s(str(f.index)), "value")
                as_sql = _sql_step(f.steps[k], types[f.index], value)
                if as_sql is None:  # _arrow_prefix put every non-SQL step in the chain
                    raise SpecError(f"step {f.steps[k].key} of {f.column} has no SQL")
                compiled[f.index] = _share(as_sql, f"x_{f.index}", levels)
        for n, level in enumerate(levels):
            query = exp.select(exp.Star(), *level).from_(query.subquery(f"p{layer + 1}_{n + 1}"))
        cols: list[exp.Expr] = [exp.column(RECORD_NO), exp.column(SOURCE_POS)]
        for f in fields:
            cols.append(exp.column(f"o_{f.index}", quoted=True))
            name = _s(str(f.index))
            if not prefixes[f.index] <= k < len(f.steps):
                cols.append(exp.column(name, quoted=True))
                continue
            done = compiled[f.index]
            flag = _part(name, "flag")
            new = _struct(done.value, exp.func("coalesce", flag, done.flag))
            types[f.index] = f.steps[k].output_for(types[f.index])
            cols.append(exp.alias_(new, name, quoted=True))
        layer += 1
        query = exp.select(*cols).from_(query.subquery(f"l{layer}"))
    return _final(plan, query, types)


def _final(plan: HarmonizePlan, inner: exp.Select, types: dict[int, pa.DataType]) -> exp.Select:
    cols: list[exp.Expr] = [exp.column(RECORD_NO, table="h"), exp.column(SOURCE_POS, table="h")]
    query = exp.select().from_(inner.subquery("h"))
    values: dict[str, exp.Expr] = {}
    flags: dict[str, exp.Expr] = {}
    for f in plan.fields:
        name = _s(str(f.index))
        value: exp.Expr = exp.Dot(
            this=exp.column(name, table="h", quoted=True), expression=exp.to_identifier("value")
        )
        flag: exp.Expr = exp.Dot(
            this=exp.column(name, table="h", quoted=True), expression=exp.to_identifier("flag")
        )
        if f.code_table is not None or f.code_map is not None:
            text = exp.cast(value, "VARCHAR")
            trimmed = match_key_sql(text, f.code_match)
            blank = exp.EQ(this=exp.Trim(this=text.copy()), expression=exp.Literal.string(""))
            code: exp.Expr
            missing: exp.Expr
            if f.code_map is not None:
                code = exp.Case(
                    this=trimmed.copy(),
                    ifs=[
                        exp.If(this=exp.Literal.string(k), true=exp.Literal.string(v))
                        for k, v in f.code_map.items()
                    ],
                )
                keys = [exp.Literal.string(k) for k in f.code_map]
                missing = exp.Not(this=exp.In(this=trimmed.copy(), expressions=keys))
            else:
                alias = f"c{f.index}"
                query = query.join(
                    exp.to_table(str(f.code_table)).as_(alias),
                    on=exp.EQ(this=exp.column("local", table=alias), expression=trimmed),
                    join_type="left",
                )
                code = exp.column("code", table=alias)
                missing = exp.Is(this=code.copy(), expression=exp.Null())
            unmapped = exp.If(
                this=exp.and_(
                    exp.Not(this=exp.Is(this=value, expression=exp.Null())),
                    exp.Not(this=blank),
                    missing,
                ),
                true=exp.Literal.string(UNMAPPED),
            )
            value, flag = code, exp.func("coalesce", flag, exp.Case(ifs=[unmapped]))
            f.output_type = pa.string()
        elif f.steps or f.codelist:
            f.output_type = types[f.index]
        values[f.attribute], flags[f.attribute] = value, flag
    for f in plan.fields:
        mismatch = _embedded_mismatch(f, values)
        if mismatch is not None:
            flags[f.attribute] = exp.func("coalesce", flags[f.attribute], mismatch)
    for f in plan.fields:
        cols.append(exp.alias_(values[f.attribute], f.attribute, quoted=True))
        cols.append(
            exp.alias_(
                exp.column(f"o_{f.index}", table="h", quoted=True),
                f"{f.attribute}__orig",
                quoted=True,
            )
        )
        cols.append(exp.alias_(flags[f.attribute], f"{f.attribute}__flag", quoted=True))
    query = query.select(*cols)
    if plan.code_tables:  # a hash join does not keep the rows' order
        query = query.order_by(exp.column(RECORD_NO, table="h"))
    return query


def _embedded_mismatch(f: FieldPlan, values: dict[str, exp.Expr]) -> exp.Expr | None:
    """``identifier_mismatch`` where a declared scheme's embedded part (a birth date, a
    sex digit) disagrees with the record's own harmonized attribute."""
    scheme = next((getattr(s, "spec", None) for s in f.steps if s.key == "identifier"), None)
    if not isinstance(scheme, IdentifierSchemeSpec):
        return None
    checks: list[exp.Expr] = []
    ident = exp.cast(values[f.attribute], "VARCHAR")
    for part in scheme.embedded:
        if part.attribute is None or part.attribute not in values or part.attribute == f.attribute:
            continue
        raw = exp.Substring(
            this=ident,
            start=exp.Literal.number(part.start),
            length=exp.Literal.number(part.length),
        )
        other = values[part.attribute]
        embedded: exp.Expr
        if part.kind == "date" and part.format:
            embedded = exp.cast(
                exp.Anonymous(
                    this="try_strptime", expressions=[raw, exp.Literal.string(part.format)]
                ),
                "DATE",
            )
            other = exp.TryCast(this=other, to=exp.DataType.build("DATE"))
        elif part.kind == "code" and part.values:
            embedded = exp.Case(
                ifs=[
                    exp.If(
                        this=exp.EQ(this=raw.copy(), expression=exp.Literal.string(k)),
                        true=exp.Literal.string(v),
                    )
                    for k, v in part.values.items()
                ]
            )
            other = exp.cast(other, "VARCHAR")
        else:
            embedded, other = raw, exp.cast(other, "VARCHAR")
        checks.append(
            exp.and_(
                exp.Not(this=exp.Is(this=embedded, expression=exp.Null())),
                exp.Not(this=exp.Is(this=other, expression=exp.Null())),
                exp.NEQ(this=embedded.copy(), expression=other.copy()),
            )
        )
    if not checks:
        return None
    return exp.Case(ifs=[exp.If(this=exp.or_(*checks), true=exp.Literal.string(MISMATCH))])


def output_columns(plan: HarmonizePlan) -> list[str]:
    out = [RECORD_NO, SOURCE_POS]
    for f in plan.fields:
        out += [f.attribute, f"{f.attribute}__orig", f"{f.attribute}__flag"]
    return out


__all__ = ["HarmonizePlan", "compile_dataset", "output_columns"]
