"""Read a table or a query of a SQLAlchemy database in chunks over a server-side cursor."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.sql import sqltypes

from seamline.errors import SourceError
from seamline.sources.base import (
    Batch,
    Capabilities,
    QuarantineRecord,
    ReadContext,
    Reader,
    SourceOptions,
    SourceTime,
    StateMode,
    with_bookkeeping,
)
from seamline.sources.sql import types as t
from seamline.sources.sql.options import SqlOptions

_PASSWORD_IN_URL = re.compile(r"(://[^:/@]*:)[^@]*@")


def safe_url(raw: str) -> str:
    """The URL with its password masked, even when it cannot be parsed."""
    try:
        return make_url(raw).render_as_string(hide_password=True)
    except (sa_exc.ArgumentError, ValueError):
        return _PASSWORD_IN_URL.sub(r"\1***@", raw)


def _scrub(text: str, url: URL | None) -> str:
    """A driver message without the password (some drivers echo their DSN)."""
    first = text.strip().splitlines()[0] if text.strip() else text
    if url is not None and url.password:
        first = first.replace(str(url.password), "***")
    return first


class SqlReader(Reader[SqlOptions]):
    """``kind: sql`` — rows of a table or query; incremental by a watermark column."""

    kind: ClassVar[str] = "sql"
    options_model: ClassVar[type[SourceOptions]] = SqlOptions
    capabilities: ClassVar[Capabilities] = Capabilities(
        streaming=True, schema_inference=True, incremental=True, position_unit="key"
    )

    def __init__(self, options: SourceOptions, context: ReadContext) -> None:
        super().__init__(options, context)
        self._raw_url = (
            self.opts.url
            if self.opts.url is not None
            else f"sqlite:///{context.resolve(self.opts.path or '')}"
        )
        self._new_watermark: tuple[str, str] | None = None
        # Exact edges: the next run reads from the last watermark value *inclusive*, and
        # skips the rows at that value it delivered already (kept as hashes of the row),
        # so a row committed later with the same value is read, and none twice.
        self._last: str | None = (
            str(context.state["watermark"]) if "watermark" in context.state else None
        )
        self._skip_edge = set(map(str, context.state.get("edge", [])))
        self._skip_null = set(map(str, context.state.get("null_seen", [])))
        self._edge: set[str] = set()
        self._nulls: set[str] = set()

    # -- what the pipeline sees ---------------------------------------------------

    @classmethod
    def state_mode(cls, options: SourceOptions) -> StateMode:
        """``append`` with a ``watermark``: each run reads only new rows."""
        if options.state is not None:
            return options.state
        return "append" if getattr(options, "watermark", None) else "snapshot"

    def describe(self) -> str:
        what = "query" if self.opts.query is not None else f"table {self._table_name()}"
        return f"sql {safe_url(self._raw_url)} {what}"

    def state(self) -> dict[str, Any]:
        state = dict(self.context.state)
        if self._new_watermark is not None:
            state["watermark"], state["watermark_type"] = self._new_watermark
            state["watermark_column"] = self.opts.watermark
            state["edge"] = sorted(self._edge)
        if self.opts.watermark is not None and self.opts.null_watermark == "read_once":
            state["null_seen"] = sorted(self._nulls)
        return state

    def source_time(self) -> SourceTime | None:
        """The newest watermark value this read delivered, when the watermark is a time.

        A naive timestamp is taken as UTC; a date counts from its start.
        """
        if self._new_watermark is None:
            return None
        text, tag = self._new_watermark
        value = t.watermark_value(text, tag)
        if isinstance(value, dt.datetime):
            at = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        elif isinstance(value, dt.date):
            at = dt.datetime.combine(value, dt.time(), tzinfo=dt.UTC)
        else:
            return None
        return SourceTime(at.astimezone(dt.UTC), "watermark")

    def batches(self) -> Iterator[Batch]:
        url = self._url()
        try:
            engine = sa.create_engine(url)
        except (sa_exc.ArgumentError, sa_exc.NoSuchModuleError, ImportError) as exc:
            raise self._error(f"cannot use the database URL: {_scrub(str(exc), url)}") from exc
        try:
            yield from self._read(engine, url)
        finally:
            engine.dispose()

    # -- reading ------------------------------------------------------------------

    def _read(self, engine: Engine, url: URL) -> Iterator[Batch]:
        try:
            conn = engine.connect()
        except sa_exc.SQLAlchemyError as exc:
            raise self._error(
                f"cannot connect to the database: {_scrub(str(getattr(exc, 'orig', exc)), url)}",
                hint="Check that the server is running and the URL (host, port, user, database) is right.",
            ) from exc
        with conn:
            statement, types = self._statement(conn, url)
            try:
                result = conn.execution_options(
                    stream_results=True, yield_per=self.opts.chunk_size
                ).execute(statement)
            except sa_exc.SQLAlchemyError as exc:
                raise self._error(
                    f"the database refused the read: {_scrub(str(getattr(exc, 'orig', exc)), url)}",
                    hint="Check the query or table options of the dataset.",
                ) from exc
            with result:
                names = list(result.keys())
                record_no = 0
                for rows in self._chunks(result, url):
                    batch = self._batch(names, rows, types, record_no)
                    record_no += batch.read
                    yield batch
                if record_no == 0:  # no rows: one empty batch still tells the columns
                    yield self._batch(names, [], types, 0)

    def _chunks(self, result: sa.CursorResult[Any], url: URL) -> Iterator[Sequence[sa.Row[Any]]]:
        while True:
            try:
                rows = result.fetchmany(self.opts.chunk_size)
            except sa_exc.SQLAlchemyError as exc:
                raise self._error(
                    f"reading rows failed: {_scrub(str(getattr(exc, 'orig', exc)), url)}"
                ) from exc
            if not rows:
                return
            yield rows

    def _statement(
        self, conn: sa.Connection, url: URL
    ) -> tuple[sa.Executable, dict[str, pa.DataType]]:
        """The SELECT to run and the Arrow types known up front (reflected tables)."""
        last = self.context.state.get("watermark")
        if self.opts.table is not None:
            table = self._reflect(conn, url)
            types = {c.name: t.arrow_type(c.type) for c in table.columns}
            # Raw driver values: conversion happens per value so one bad value
            # quarantines its row, not the chunk.
            cols = [sa.type_coerce(c, sqltypes.NullType()).label(c.name) for c in table.columns]
            stmt = sa.select(*cols)
            if self.opts.watermark is not None:
                wm = self._column(table.c, self.opts.watermark, "watermark")
                if last is not None:
                    value = t.converter(types[wm.name])(str(last))
                    stmt = stmt.where(self._since(wm, wm >= value))
                elif self.opts.null_watermark == "never":
                    stmt = stmt.where(wm.is_not(None))
                stmt = stmt.order_by(wm)
            elif self.opts.key:
                stmt = stmt.order_by(*[self._column(table.c, k, "key") for k in self.opts.key])
            return stmt, types
        query = sa.text(self.opts.query or "")
        if self.opts.watermark is None:
            return query, {}
        sub = query.columns(sa.column(self.opts.watermark)).subquery("seamline_q")
        wm_col = sub.c[self.opts.watermark]
        qstmt: sa.Select[Any] = sa.select(sa.literal_column("*")).select_from(sub)
        if last is not None:
            value = t.watermark_value(
                str(last), str(self.context.state.get("watermark_type", "text"))
            )
            qstmt = qstmt.where(self._since(wm_col, wm_col >= sa.bindparam("seamline_last", value)))
        elif self.opts.null_watermark == "never":
            qstmt = qstmt.where(wm_col.is_not(None))
        return qstmt.order_by(wm_col), {}

    def _since(self, wm: sa.ColumnElement[Any], edge: sa.ColumnElement[bool]) -> Any:
        """Rows from the last watermark on, and those without one unless ``never``."""
        if self.opts.null_watermark == "never":
            return edge
        return sa.or_(edge, wm.is_(None))

    def _reflect(self, conn: sa.Connection, url: URL) -> sa.Table:
        name = self.opts.table or ""
        try:
            return sa.Table(name, sa.MetaData(), autoload_with=conn, schema=self.opts.db_schema)
        except sa_exc.NoSuchTableError as exc:
            try:
                known = sa.inspect(conn).get_table_names(schema=self.opts.db_schema)
            except sa_exc.SQLAlchemyError:
                known = []
            raise self._error(
                f"there is no table {self._table_name()!r} in the database",
                allowed=", ".join(sorted(known)[:20]) or None,
                hint="Check the table (and schema) options of the dataset.",
            ) from exc
        except sa_exc.SQLAlchemyError as exc:
            raise self._error(
                f"cannot read the columns of {self._table_name()!r}: "
                f"{_scrub(str(getattr(exc, 'orig', exc)), url)}"
            ) from exc

    def _column(self, columns: Any, name: str, option: str) -> sa.ColumnElement[Any]:
        if name in columns:
            col: sa.ColumnElement[Any] = columns[name]
            return col
        raise self._error(
            f"the {option} column {name!r} is not in table {self._table_name()!r}",
            allowed=", ".join(c.name for c in columns),
        )

    # -- rows to Arrow ------------------------------------------------------------

    def _batch(
        self,
        names: list[str],
        rows: Sequence[sa.Row[Any]],
        types: dict[str, pa.DataType],
        offset: int,
    ) -> Batch:
        wm_idx = names.index(self.opts.watermark) if self.opts.watermark in names else None
        if wm_idx is not None:
            # Rows an earlier run delivered are left out first, so that they play no part
            # in the types inferred from this batch either.
            self._infer(names, rows, types, only=wm_idx)
            wm_convert = t.converter(types.get(names[wm_idx], pa.string()))
            rows = [r for r in rows if not self._delivered_before(names, r, wm_idx, wm_convert)]
        self._infer(names, rows, types)
        col_types = [types.get(n, pa.string()) for n in names]
        convert = [t.converter(ct) for ct in col_types]
        key_idx = [names.index(k) for k in self.opts.key if k in names]
        columns: list[list[Any]] = [[] for _ in names]
        numbers: list[int] = []
        positions: list[str] = []
        quarantined: list[QuarantineRecord] = []
        n = offset
        for row in rows:
            n += 1
            pos = (
                "id=" + ",".join("" if row[k] is None else str(row[k]) for k in key_idx)
                if key_idx
                else f"row {n}"
            )
            try:
                values = [None if v is None else convert[i](v) for i, v in enumerate(row)]
            except (ValueError, TypeError, OverflowError, UnicodeDecodeError) as exc:
                bad = _first_bad(row, convert)
                quarantined.append(
                    QuarantineRecord(n, pos, f"column {names[bad]}: {exc}", _raw(names, row))
                )
                continue
            numbers.append(n)
            positions.append(pos)
            for i, v in enumerate(values):
                columns[i].append(v)
        arrays = [pa.array(c, type=ct) for c, ct in zip(columns, col_types, strict=True)]
        data = pa.RecordBatch.from_arrays(arrays, names=names)
        return Batch(
            data=with_bookkeeping(
                data, pa.array(numbers, pa.int64()), pa.array(positions, pa.string())
            ),
            quarantined=quarantined,
            consumed=n - offset,
        )

    @staticmethod
    def _infer(
        names: list[str],
        rows: Sequence[sa.Row[Any]],
        types: dict[str, pa.DataType],
        only: int | None = None,
    ) -> None:
        """Fix the type of columns not known yet from their values in ``rows``."""
        for i, name in enumerate(names):
            if name not in types and (only is None or i == only):
                inferred = t.infer_type([r[i] for r in rows])
                if inferred is not None:
                    types[name] = inferred

    def _delivered_before(
        self, names: list[str], row: sa.Row[Any], wm_idx: int, convert: t.Converter
    ) -> bool:
        """Whether an earlier run delivered this row (at the watermark's edge, or without one).

        Also keeps the hashes the next run needs: the rows at the highest watermark value
        seen, and (``read_once``) the rows without a watermark.
        """
        raw = row[wm_idx]
        digest = hashlib.blake2b(_raw(names, row), digest_size=10).hexdigest()
        if raw is None:
            if self.opts.null_watermark != "read_once":
                return False
            self._nulls.add(digest)
            return digest in self._skip_null
        try:
            text = t.watermark_text(convert(raw))
        except (ValueError, TypeError, OverflowError, UnicodeDecodeError):
            return False  # quarantined by the caller, with the reason
        if self._new_watermark is None or text[0] != self._new_watermark[0]:
            self._new_watermark, self._edge = text, set()  # rows come in watermark order
        self._edge.add(digest)
        return text[0] == self._last and digest in self._skip_edge

    # -- helpers ------------------------------------------------------------------

    def _url(self) -> URL:
        try:
            return make_url(self._raw_url)
        except (sa_exc.ArgumentError, ValueError) as exc:
            raise self._error(
                "the database URL cannot be parsed",
                allowed="dialect+driver://user:password@host:port/database",
                hint="See https://docs.sqlalchemy.org/en/20/core/engines.html#database-urls",
            ) from exc

    def _table_name(self) -> str:
        table = self.opts.table or ""
        return f"{self.opts.db_schema}.{table}" if self.opts.db_schema else table

    def _error(
        self, message: str, *, allowed: str | None = None, hint: str | None = None
    ) -> SourceError:
        return SourceError(
            message,
            where=f"dataset {self.context.dataset} ({safe_url(self._raw_url)})",
            allowed=allowed,
            hint=hint or "Check the url/path of the sql source and that the database is reachable.",
        )


def _first_bad(row: sa.Row[Any], convert: list[t.Converter]) -> int:
    for i, v in enumerate(row):
        if v is None:
            continue
        try:
            convert[i](v)
        except (ValueError, TypeError, OverflowError, UnicodeDecodeError):
            return i
    return 0


def _raw(names: list[str], row: sa.Row[Any]) -> bytes:
    """The row as ``name=value`` text, for the quarantine file."""
    return "; ".join(f"{n}={v!r}" for n, v in zip(names, row, strict=True)).encode("utf-8")
