"""From database column types to Arrow types, and Python values to fitting Arrow values.

The reader selects raw driver values (no SQLAlchemy result processing, which would
fail a whole chunk on one bad date stored as text in SQLite) and converts each value
here, so a value that does not fit quarantines only its own row.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from typing import Any

import pyarrow as pa
from sqlalchemy import types as sqltypes

Converter = Callable[[Any], Any]

MAX_DECIMAL_PRECISION = 38
DEFAULT_DECIMAL = (38, 10)


def arrow_type(sql_type: sqltypes.TypeEngine[Any]) -> pa.DataType:
    """The Arrow type that holds every value of a column of ``sql_type``."""
    if isinstance(sql_type, sqltypes.Boolean):
        return pa.bool_()
    if isinstance(sql_type, sqltypes.Integer):
        return pa.int64()
    if isinstance(sql_type, sqltypes.Float):
        return pa.float64()
    if isinstance(sql_type, sqltypes.Numeric):
        precision = sql_type.precision
        scale = sql_type.scale if sql_type.scale is not None else 0
        if precision is None or precision > MAX_DECIMAL_PRECISION:
            return pa.decimal128(*DEFAULT_DECIMAL)
        return pa.decimal128(precision, scale)
    if isinstance(sql_type, sqltypes.DateTime):
        return pa.timestamp("us", tz="UTC" if sql_type.timezone else None)
    if isinstance(sql_type, sqltypes.Date):
        return pa.date32()
    if isinstance(sql_type, sqltypes.Time):
        return pa.time64("us")
    if isinstance(sql_type, sqltypes._Binary):
        return pa.binary()
    return pa.string()


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise ValueError(f"{value!r} is not a boolean")


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        if -(2**63) <= value < 2**63:
            return value
        raise ValueError(f"{value} does not fit a 64-bit integer")
    if isinstance(value, decimal.Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, str):
        return int(value.strip())
    raise ValueError(f"{value!r} is not an integer")


def _to_float(value: Any) -> float:
    if isinstance(value, (int, float, decimal.Decimal)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        return float(value.strip())
    raise ValueError(f"{value!r} is not a number")


def _decimal(typ: pa.Decimal128Type) -> Converter:
    quantum = decimal.Decimal(1).scaleb(-typ.scale)
    limit = decimal.Decimal(10) ** (typ.precision - typ.scale)

    def convert(value: Any) -> decimal.Decimal:
        if isinstance(value, bool):
            raise ValueError(f"{value!r} is not a number")
        try:
            d = decimal.Decimal(str(value).strip() if isinstance(value, str) else str(value))
        except decimal.InvalidOperation as exc:
            raise ValueError(f"{value!r} is not a number") from exc
        if not d.is_finite():
            raise ValueError(f"{value!r} is not a finite number")
        q = d.quantize(quantum)
        if q != d:
            raise ValueError(f"{value!r} has more than {typ.scale} decimal places")
        if abs(q) >= limit:
            raise ValueError(f"{value!r} does not fit decimal({typ.precision},{typ.scale})")
        return q

    return convert


def _to_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return dt.date.fromisoformat(value.strip()[:10])
    raise ValueError(f"{value!r} is not a date")


def _timestamp(tz_aware: bool) -> Converter:
    def convert(value: Any) -> dt.datetime:
        if isinstance(value, dt.datetime):
            ts = value
        elif isinstance(value, dt.date):
            ts = dt.datetime(value.year, value.month, value.day)
        elif isinstance(value, str):
            ts = dt.datetime.fromisoformat(value.strip())
        else:
            raise ValueError(f"{value!r} is not a timestamp")
        if tz_aware and ts.tzinfo is None:
            ts = ts.replace(tzinfo=dt.UTC)
        if not tz_aware and ts.tzinfo is not None:
            ts = ts.astimezone(dt.UTC).replace(tzinfo=None)
        return ts

    return convert


def _to_time(value: Any) -> dt.time:
    if isinstance(value, dt.time):
        return value
    if isinstance(value, dt.timedelta):  # MySQL TIME comes back as a timedelta
        seconds = value.total_seconds()
        if 0 <= seconds < 86_400:
            return (dt.datetime.min + value).time()
        raise ValueError(f"{value} is not a time of day")
    if isinstance(value, str):
        return dt.time.fromisoformat(value.strip())
    raise ValueError(f"{value!r} is not a time")


def _to_bytes(value: Any) -> bytes:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    raise ValueError(f"{value!r} is not binary")


def _to_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8")
    if isinstance(value, (dt.date, dt.time, dt.datetime)):
        return value.isoformat()
    return str(value)


def converter(typ: pa.DataType) -> Converter:
    """A function from a driver value (never None) to a value of Arrow type ``typ``."""
    if pa.types.is_boolean(typ):
        return _to_bool
    if pa.types.is_int64(typ):
        return _to_int
    if pa.types.is_float64(typ):
        return _to_float
    if isinstance(typ, pa.Decimal128Type):
        return _decimal(typ)
    if pa.types.is_date32(typ):
        return _to_date
    if isinstance(typ, pa.TimestampType):
        return _timestamp(typ.tz is not None)
    if pa.types.is_time64(typ):
        return _to_time
    if pa.types.is_binary(typ):
        return _to_bytes
    return _to_text


def infer_type(values: list[Any]) -> pa.DataType | None:
    """The Arrow type of a query column from its values; None when all are null."""
    for value in values:
        if value is None:
            continue
        if isinstance(value, bool):
            return pa.bool_()
        if isinstance(value, int):
            return pa.int64()
        if isinstance(value, float):
            return pa.float64()
        if isinstance(value, decimal.Decimal):
            return _decimal_type(values)
        if isinstance(value, dt.datetime):
            return pa.timestamp("us", tz="UTC" if value.tzinfo is not None else None)
        if isinstance(value, dt.date):
            return pa.date32()
        if isinstance(value, dt.time):
            return pa.time64("us")
        if isinstance(value, (bytes, bytearray, memoryview)):
            return pa.binary()
        return pa.string()
    return None


def _decimal_type(values: list[Any]) -> pa.DataType:
    scale = 0
    digits = 1
    for v in values:
        if isinstance(v, decimal.Decimal) and v.is_finite():
            exp = v.as_tuple().exponent
            s = -exp if isinstance(exp, int) and exp < 0 else 0
            scale = max(scale, s)
            digits = max(digits, v.adjusted() + 1)
    scale = max(scale, 2)
    precision = min(MAX_DECIMAL_PRECISION, max(digits + scale, 18))
    return pa.decimal128(precision, min(scale, precision))


def watermark_text(value: Any) -> tuple[str, str]:
    """A watermark value as (text, type tag) for the reader's kept state."""
    if isinstance(value, dt.datetime):
        return value.isoformat(), "timestamp"
    if isinstance(value, dt.date):
        return value.isoformat(), "date"
    if isinstance(value, bool):
        return str(value), "text"
    if isinstance(value, int):
        return str(value), "integer"
    if isinstance(value, decimal.Decimal):
        return str(value), "decimal"
    if isinstance(value, float):
        return repr(value), "float"
    return _to_text(value), "text"


def watermark_value(text: str, tag: str) -> Any:
    """The kept watermark text back as a Python value to bind as a parameter."""
    parsers: dict[str, Converter] = {
        "timestamp": dt.datetime.fromisoformat,
        "date": dt.date.fromisoformat,
        "integer": int,
        "decimal": decimal.Decimal,
        "float": float,
    }
    return parsers.get(tag, str)(text)
