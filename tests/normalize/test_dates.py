"""The ``date`` step: strict formats, ambiguity, plausibility, Arrow == SQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlglot import exp

from seamline.engine import DuckDBEngine
from seamline.errors import SpecError
from seamline.normalize.base import StepContext
from seamline.normalize.dates import (
    DateNormalizer,
    DateOptions,
    compile_format,
    register,
    to_strptime,
)
from seamline.normalize.registry import NormalizerRegistry

D = dt.date


@pytest.fixture(scope="module")
def engine() -> Iterator[DuckDBEngine]:
    with DuckDBEngine() as eng:
        yield eng


def step(**options: Any) -> DateNormalizer:
    return DateNormalizer(DateOptions.model_validate(options))


def run(
    s: DateNormalizer, values: list[Any], typ: pa.DataType | None = None
) -> list[tuple[Any, Any]]:
    result = s.arrow(pa.array(values, typ))
    assert len(result.values) == len(values) == len(result.flags)
    assert result.values.type == pa.date32() and result.flags.type == pa.string()
    return list(zip(result.values.to_pylist(), result.flags.to_pylist(), strict=True))


def run_sql(eng: DuckDBEngine, s: DateNormalizer, values: list[Any]) -> list[tuple[Any, Any]]:
    sql = s.sql(exp.column("v"))
    assert sql is not None
    eng.register_arrow("t", pa.table({"v": pa.array(values, pa.string())}))
    query = exp.select(exp.alias_(sql.value, "value"), exp.alias_(sql.flag, "flag")).from_("t")
    table = eng.arrow(query)
    return list(zip(table["value"].to_pylist(), table["flag"].to_pylist(), strict=True))


SOCIAL = step(
    formats=["DD.MM.YYYY", "DD.MM.YY", "DD/MM/YYYY", "MM/DD/YYYY", "%Y%m%d", "YYYY-MM-DD"],
    zero_is_null=True,
    min="1900-01-01",
    max="today",
)
FIXTURES: list[tuple[str | None, D | None, str | None]] = [
    ("14.03.1987", D(1987, 3, 14), None),  # Aigul Toktogulova's birth date as typed
    ("1.2.2001", D(2001, 2, 1), None),
    (" 01.02.2001 ", D(2001, 2, 1), None),
    ("01.02.85", D(1985, 2, 1), None),
    ("01.02.25", D(2025, 2, 1), None),  # yy <= pivot (30): 20yy
    ("01.02.30", D(2030, 2, 1), "implausible_date"),  # 20yy, but after `max: today`
    ("01.02.31", D(1931, 2, 1), None),
    ("29.02.00", D(2000, 2, 29), None),
    ("29.02.2000", D(2000, 2, 29), None),
    ("29.02.1900", None, "unparseable_date"),  # 1900 is not a leap year
    ("31.02.2001", None, "unparseable_date"),  # Arrow's strptime would say 03.03.2001
    ("00.01.2001", None, "unparseable_date"),
    ("01.13.2001", None, "unparseable_date"),
    ("03/04/2001", None, "ambiguous_date"),  # 3 April or March 4: not guessed
    ("13/04/2001", D(2001, 4, 13), None),
    ("04/13/2001", D(2001, 4, 13), None),
    ("04/04/2001", D(2001, 4, 4), None),  # both readings agree: not ambiguous
    ("19870314", D(1987, 3, 14), None),
    ("19870314.0", D(1987, 3, 14), None),  # a number through a spreadsheet
    ("1987-03-14", D(1987, 3, 14), None),
    ("01.02.1800", D(1800, 2, 1), "implausible_date"),
    ("01.02.2999", D(2999, 2, 1), "implausible_date"),
    ("0", None, None),
    ("00000000", None, None),
    ("00.00.0000", None, None),
    ("", None, None),
    ("   ", None, None),
    (None, None, None),
    ("14 марта 1987", None, "unparseable_date"),
    ("1987-3-14x", None, "unparseable_date"),
    ("0000-01-01", None, "unparseable_date"),
]


def test_fixtures_arrow() -> None:
    got = run(SOCIAL, [f[0] for f in FIXTURES])
    assert got == [(f[1], f[2]) for f in FIXTURES]


def test_fixtures_sql_equals_arrow(engine: DuckDBEngine) -> None:
    values = [f[0] for f in FIXTURES]
    assert run_sql(engine, SOCIAL, values) == run(SOCIAL, values)


def test_display_and_strptime_notations_are_the_same_format() -> None:
    assert to_strptime("DD.MM.YYYY") == "%d.%m.%Y"
    assert to_strptime("YYYYMMDD") == "%Y%m%d"
    assert to_strptime("DD/MM/YY") == "%d/%m/%y"
    assert to_strptime("%d.%m.%Y") == "%d.%m.%Y"
    a, b = step(format="DD.MM.YYYY"), step(format="%d.%m.%Y")
    values = ["14.03.1987", "1.2.2001", "x"]
    assert run(a, values) == run(b, values)


def test_fixed_width_fields_need_two_digits() -> None:
    s = step(format="YYYYMMDD")
    assert run(s, ["1987314", "19870314", "198703145"]) == [
        (None, "unparseable_date"),
        (D(1987, 3, 14), None),
        (None, "unparseable_date"),
    ]


def test_integer_and_decimal_input_restores_the_lost_leading_zero() -> None:
    s = step(format="%d%m%Y")
    assert run(s, [1022001, 14031987, None, 0]) == [
        (D(2001, 2, 1), None),
        (D(1987, 3, 14), None),
        (None, None),
        (None, "unparseable_date"),
    ]
    packed = step(format="%Y%m%d", zero_is_null=True)  # the civil register's DEATH_DATE
    assert run(packed, [Decimal(20010304), Decimal(0), None], pa.decimal128(9, 0)) == [
        (D(2001, 3, 4), None),
        (None, None),
        (None, None),
    ]
    assert run(packed, [20010304.0, float("nan"), 2.5e300]) == [
        (D(2001, 3, 4), None),
        (None, "unparseable_date"),
        (None, "unparseable_date"),
    ]


def test_date_and_timestamp_input_pass_through_with_bounds() -> None:
    s = step(format="DD.MM.YYYY", max=dt.date(2020, 1, 1))
    assert run(s, [D(1987, 3, 14), D(2024, 1, 1), None]) == [
        (D(1987, 3, 14), None),
        (D(2024, 1, 1), "implausible_date"),
        (None, None),
    ]
    stamps = pa.array([dt.datetime(1987, 3, 14, 10, 30)], pa.timestamp("s"))
    assert s.arrow(stamps).values.to_pylist() == [D(1987, 3, 14)]


def test_time_of_day_is_read_and_dropped() -> None:
    s = step(format="%Y-%m-%dT%H:%M:%S")
    assert run(s, ["1987-03-14T23:59:00", "1987-03-14T24:00:00"]) == [
        (D(1987, 3, 14), None),
        (None, "unparseable_date"),
    ]


def test_pivot_year_option(engine: DuckDBEngine) -> None:
    s = step(format="DD.MM.YY", pivot_year=10)
    values = ["01.01.10", "01.01.11", "29.02.00"]
    assert run(s, values) == [(D(2010, 1, 1), None), (D(1911, 1, 1), None), (D(2000, 2, 29), None)]
    assert run_sql(engine, s, values) == run(s, values)
    assert run(s, ["29.02.01", "29.02.96"]) == [(None, "unparseable_date"), (D(1996, 2, 29), None)]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "format"),
        ({"format": "%d.%m"}, "year"),
        ({"format": "%d.%B.%Y"}, "not supported"),
        ({"formats": ["DD.MM.YYYY", "%d.%m.%Y.%Y"]}, "exactly one"),
        ({"format": "DD.MM.YYYY", "pivot_year": 100}, "less than or equal"),
        ({"format": "DD.MM.YYYY", "max": "tomorrow"}, "today"),
        ({"format": "DD.MM.YYYY", "formt": "x"}, "Extra inputs"),
    ],
)
def test_bad_options_are_validation_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        DateOptions.model_validate(options)


def test_registry_builds_the_step_and_reports_bad_options() -> None:
    registry = NormalizerRegistry()
    register(registry)
    built = registry.build({"date": {"format": "DD.MM.YYYY"}}, StepContext())
    assert isinstance(built, DateNormalizer)
    with pytest.raises(SpecError, match="normalizer date"):
        registry.build({"date": {"format": "%Q"}}, StepContext())


def test_compiled_pattern_is_anchored_and_escaped() -> None:
    fmt = compile_format("DD.MM.YYYY")
    assert fmt.regex.startswith("^") and fmt.regex.endswith("$")
    assert r"\x{2E}" in fmt.regex  # a dot is a dot, not "any character"
    assert run(step(format="DD.MM.YYYY"), ["14x03x1987"]) == [(None, "unparseable_date")]


date_like = st.one_of(
    st.text(alphabet="0123456789./- ", max_size=12),
    st.dates(min_value=D(1, 1, 1)).map(lambda d: d.strftime("%d.%m.%Y")),
    st.dates(min_value=D(1000, 1, 1)).map(lambda d: d.strftime("%m/%d/%y")),
    st.text(max_size=8),
    st.none(),
)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(date_like, max_size=25))
def test_never_crashes_and_sql_agrees(engine: DuckDBEngine, values: list[str | None]) -> None:
    s = SOCIAL
    arrow = run(s, values)
    assert arrow == run_sql(engine, s, values)
    for (value, flag), raw in zip(arrow, values, strict=True):
        if raw is None:
            assert (value, flag) == (None, None)
        if flag in ("unparseable_date", "ambiguous_date"):
            assert value is None


@settings(max_examples=100, deadline=None)
@given(day=st.dates(min_value=D(1900, 1, 1), max_value=D(2025, 12, 31)))
def test_idempotent_on_its_own_output(day: D) -> None:
    s = step(formats=["DD.MM.YYYY", "YYYY-MM-DD"])
    first = s.arrow(pa.array([day.strftime("%d.%m.%Y")]))
    assert first.values.to_pylist() == [day]
    again = s.arrow(first.values)
    assert again.values.to_pylist() == [day] and again.flags.to_pylist() == [None]
    iso = s.arrow(first.values.cast(pa.string()))
    assert iso.values.to_pylist() == [day]
