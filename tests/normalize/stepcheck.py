"""Run a normalizer step both ways — its SQL on the engine and its Arrow path — for tests."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from sqlglot import exp

from seamline.engine import DuckDBEngine
from seamline.normalize import Normalizer


def run_sql(step: Normalizer, values: list[Any]) -> tuple[list[Any], list[Any]]:
    sql = step.sql(exp.column("v"))
    assert sql is not None
    table = pa.table({"i": list(range(len(values))), "v": pa.array(values, pa.string())})
    with DuckDBEngine() as eng:
        eng.register_arrow("t", table)
        out = eng.arrow(
            exp.select(exp.alias_(sql.value, "value"), exp.alias_(sql.flag, "flag"))
            .from_("t")
            .order_by("i")
        )
    return out.column("value").to_pylist(), out.column("flag").to_pylist()


def run_arrow(step: Normalizer, values: list[Any]) -> tuple[list[Any], list[Any]]:
    result = step.arrow(pa.array(values, pa.string()))
    assert len(result.values) == len(values) == len(result.flags)
    return result.values.to_pylist(), result.flags.to_pylist()
