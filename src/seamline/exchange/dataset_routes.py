"""``/v1/datasets/{id}``: a derived dataset's rows, limited to what the agreement covers.

A derived dataset is served under an agreement of a seam whose provider is the derived
dataset's id. The agreement names the columns served (``attributes:``) and may restrict
the rows (``rows: {column: agency_id, equals: a07}``): the restriction is applied while
the file is read (pyarrow's filters prune row groups), never after loading every row.
Authentication, the purpose header, agreement checks and audit are the exchange's own
(:class:`~seamline.exchange.service.Exchange`), as for every other route.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from typing import Any

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from seamline.exchange.agreements import Grant
from seamline.exchange.errors import ApiError
from seamline.exchange.service import Exchange
from seamline.workspace.derived import DERIVED_ID, derived_path

_ID = re.compile(DERIVED_ID)


def _json(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return str(value)  # exact: an amount keeps its cents
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def read_rows(ex: Exchange, ident: str, grant: Grant) -> list[dict[str, Any]]:
    """The derived dataset's rows under ``grant``: its columns, its rows only."""
    path = derived_path(ex.ws.data_dir, ident)
    if not path.exists():
        raise ApiError(503, "not_ready", f"the dataset {ident!r} has not been derived yet")
    present = set(ex.ws.parquet.read_schema(path).names)
    limits = grant.rows or ()
    missing = sorted({r.column for r in limits} - present | set(grant.attributes) - present)
    if missing:
        raise ApiError(
            500,
            "agreement_mismatch",
            f"agreement {grant.agreement} names columns the dataset {ident!r} "
            f"does not have: {', '.join(missing)}",
        )
    # Filters in disjunctive normal form: any of the agreements' restrictions.
    filters = [[(r.column, "==", r.equals)] for r in limits] if grant.rows is not None else None
    table = ex.ws.parquet.read_table(path, columns=list(grant.attributes), filters=filters)
    return [{k: _json(v) for k, v in row.items()} for row in table.to_pylist()]


def add_dataset_routes(app: FastAPI, ex: Exchange) -> None:
    @app.get(
        "/v1/datasets/{ident}",
        summary="A derived dataset's rows the agreement covers, its attributes only",
    )
    async def get_dataset(request: Request, ident: str) -> Response:
        ctx = await ex.begin(request, "dataset.read")
        request.state.audit_details = {"resource": f"dataset:{ident[:64]}"}
        if not _ID.match(ident) or ident not in ex.ws.derived:
            raise ApiError(404, "unknown_dataset", "no such derived dataset in this workspace")
        grant = ex.authorize(ctx, ex.ws.derived[ident].entity or "", derived=ident)
        rows = await run_in_threadpool(read_rows, ex, ident, grant)
        limits = [{"column": r.column, "equals": r.equals} for r in grant.rows or ()]
        body = {"dataset": ident, "agreement": grant.agreement, "count": len(rows), "rows": rows}
        return await ex.answer(
            request,
            ctx,
            body,
            {
                "resource": f"dataset:{ident}",
                "attributes": list(grant.attributes),
                "rows": limits if grant.rows is not None else "all",
                "subjects_count": len(rows),
            },
        )
