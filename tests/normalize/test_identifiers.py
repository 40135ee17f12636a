"""The ``identifier`` step: declared schemes (kg_pin), python-stdnum schemes, Arrow == SQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp
from stdnum import luhn

from seamline.engine import DuckDBEngine
from seamline.errors import SpecError
from seamline.normalize.base import StepContext
from seamline.normalize.identifiers import (
    IdentifierNormalizer,
    IdentifierOptions,
    cross_check,
    embedded_values,
    register,
    stdnum_names,
)
from seamline.normalize.registry import NormalizerRegistry
from seamline.workspace.models import IdentifierSchemeSpec

KG_PIN = IdentifierSchemeSpec.model_validate(
    {
        "id": "kg_pin",
        "title": "Personal identification number",
        "length": 14,
        "pattern": "[12][0-9]{13}",
        "embedded": [
            {
                "name": "sex",
                "start": 1,
                "length": 1,
                "kind": "code",
                "values": {"1": "male", "2": "female"},
                "attribute": "sex",
            },
            {
                "name": "birth_date",
                "start": 2,
                "length": 8,
                "kind": "date",
                "format": "%d%m%Y",
                "attribute": "birth_date",
            },
        ],
    }
)
TIN = IdentifierSchemeSpec.model_validate(
    {
        "id": "kg_tin",
        "title": "Taxpayer number",
        "length": 10,
        "pattern": "[0-9]{10}",
        "restore_leading_zeros": True,
    }
)
CARD = IdentifierSchemeSpec.model_validate(
    {"id": "card", "title": "Benefit card", "length": 16, "check": "luhn", "separators": " "}
)
SCHEMES = {s.id: s for s in (KG_PIN, TIN, CARD)}
CONTEXT = StepContext(country="KG", extras={"schemes": SCHEMES})


@pytest.fixture(scope="module")
def engine() -> Iterator[DuckDBEngine]:
    with DuckDBEngine() as eng:
        yield eng


def step(scheme: str, **options: Any) -> IdentifierNormalizer:
    return IdentifierNormalizer(IdentifierOptions(scheme=scheme, **options), CONTEXT)


def run(
    s: IdentifierNormalizer, values: list[Any], typ: pa.DataType | None = None
) -> list[tuple[Any, Any]]:
    result = s.arrow(pa.array(values, typ))
    assert len(result.values) == len(values) == len(result.flags)
    assert result.values.type == pa.string() and result.flags.type == pa.string()
    return list(zip(result.values.to_pylist(), result.flags.to_pylist(), strict=True))


def run_sql(
    eng: DuckDBEngine, s: IdentifierNormalizer, values: list[str | None]
) -> list[tuple[Any, Any]]:
    sql = s.sql(exp.column("v"))
    assert sql is not None
    eng.register_arrow("t", pa.table({"v": pa.array(values, pa.string())}))
    query = exp.select(exp.alias_(sql.value, "value"), exp.alias_(sql.flag, "flag")).from_("t")
    table = eng.arrow(query)
    return list(zip(table["value"].to_pylist(), table["flag"].to_pylist(), strict=True))


# Bakyt Sadykov, born 14.03.1987 (invented), as the civil, tax and social systems write him.
PIN = "11403198700123"
PIN_FIXTURES: list[tuple[str | None, str | None, str | None]] = [
    (PIN, PIN, None),
    ("1-14031987-00123", PIN, None),
    ("1 1403 1987 00123", PIN, None),
    ("1.14.03.1987.00123", PIN, None),
    (" 11403198700123 ", PIN, None),
    ("11403198700123.0", PIN, None),  # a JSON number
    ("31403198700123", None, "invalid_identifier"),  # sex digit 3
    ("13102198700123", None, "invalid_identifier"),  # 31.02.1987
    ("1140319870012", None, "invalid_identifier"),  # 13 digits
    ("114031987001234", None, "invalid_identifier"),
    ("1140319870012A", None, "invalid_identifier"),
    ("1_14031987_00123", None, "invalid_identifier"),  # _ is no separator of kg_pin
    ("", None, None),
    (None, None, None),
]


def test_kg_pin_arrow() -> None:
    assert run(step("kg_pin"), [f[0] for f in PIN_FIXTURES]) == [(f[1], f[2]) for f in PIN_FIXTURES]


def test_kg_pin_sql_equals_arrow(engine: DuckDBEngine) -> None:
    values = [f[0] for f in PIN_FIXTURES]
    assert run_sql(engine, step("kg_pin"), values) == run(step("kg_pin"), values)


def test_numbers_from_json_and_spreadsheets() -> None:
    s = step("kg_pin")
    assert run(s, [11403198700123.0, None, 1.5]) == [
        (PIN, None),
        (None, None),
        (None, "invalid_identifier"),
    ]
    assert run(s, [11403198700123, 21403198700123]) == [(PIN, None), ("21403198700123", None)]


def test_keep_invalid_outputs_the_compact_form() -> None:
    s = step("kg_pin", keep_invalid=True)
    assert run(s, ["3-14031987-00123"]) == [("31403198700123", "invalid_identifier")]


def test_leading_zeros_restored_and_flagged(engine: DuckDBEngine) -> None:
    s = step("kg_tin")
    values = ["0012345678", "12345678", "12345678.0", "123456789012", "12-345-678", "ab"]
    want = [
        ("0012345678", None),
        ("0012345678", "leading_zeros_restored"),
        ("0012345678", "leading_zeros_restored"),
        (None, "placeholder_identifier"),  # a digit run is a placeholder, whatever its length
        ("0012345678", "leading_zeros_restored"),
        (None, "invalid_identifier"),
    ]
    assert run(s, values) == want
    assert run_sql(engine, s, values) == want
    assert run(s, [12345678]) == [("0012345678", "leading_zeros_restored")]


def test_luhn_scheme_in_sql_equals_arrow(engine: DuckDBEngine) -> None:
    s = step("card")
    good = "400000000000000" + luhn.calc_check_digit("400000000000000")
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    spaced = " ".join(good[i : i + 4] for i in range(0, 16, 4))
    values = [good, spaced, bad, "4000-0000-0000-0002", "400000000000000A", "", None]
    want = [
        (good, None),
        (good, None),
        (None, "invalid_identifier"),
        (None, "invalid_identifier"),  # "-" is not a separator of this scheme
        (None, "invalid_identifier"),
        (None, None),
        (None, None),
    ]
    assert run(s, values) == want
    assert run_sql(engine, s, values) == want


def test_check_digit_without_sql_runs_in_arrow_only() -> None:
    spec = CARD.model_copy(update={"id": "card_damm", "check": "damm", "length": 4})
    s = IdentifierNormalizer(
        IdentifierOptions(scheme="card_damm"), StepContext(extras={"schemes": {"card_damm": spec}})
    )
    assert s.sql(exp.column("v")) is None
    assert run(s, ["5724", "5723"]) == [("5724", None), (None, "invalid_identifier")]


def test_stdnum_schemes() -> None:
    inn = IdentifierNormalizer(IdentifierOptions(scheme="ru.inn"))
    assert inn.sql(exp.column("v")) is None
    assert run(inn, ["7707083893", "7707083894", None, "7707083893", " 7707083893 "]) == [
        ("7707083893", None),
        (None, "invalid_identifier"),
        (None, None),
        ("7707083893", None),
        ("7707083893", None),
    ]
    iban = IdentifierNormalizer(IdentifierOptions(scheme="iban"))
    assert run(iban, ["GB82 WEST 1234 5698 7654 32", "GB82 WEST 1234 5698 7654 33"]) == [
        ("GB82WEST12345698765432", None),
        (None, "invalid_identifier"),
    ]


def test_a_declared_scheme_wins_over_stdnum() -> None:
    # A workspace may declare its own "iban" (say, a domestic account format).
    local = IdentifierSchemeSpec.model_validate({"id": "iban", "title": "Local", "length": 4})
    s = IdentifierNormalizer(
        IdentifierOptions(scheme="iban"), StepContext(extras={"schemes": {"iban": local}})
    )
    assert run(s, ["12-34"]) == [("1234", None)]


@pytest.mark.parametrize(
    ("scheme", "guess"),
    [
        ("kg_pn", "kg_pin"),
        ("ru.in", "ru.inn"),
        ("ibann", "iban"),
        ("os.system", None),
        ("../x", None),
    ],
)
def test_unknown_scheme_is_a_spec_error(scheme: str, guess: str | None) -> None:
    with pytest.raises(SpecError) as info:
        step(scheme)
    text = str(info.value)
    assert f"unknown identifier scheme {scheme!r}" in text
    assert "kg_pin" in text and "ru.inn" in text  # declared and common library names
    if guess:
        assert f"did you mean {guess!r}" in text


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"pattern": "(?=1)[0-9]+"}, "not a valid RE2"),
        (
            {
                "embedded": [
                    {"name": "born", "start": 2, "length": 4, "kind": "date", "format": "%d%m"}
                ]
            },
            "born",
        ),
    ],
)
def test_a_scheme_that_cannot_run_fails_at_build_time(extra: dict[str, Any], message: str) -> None:
    spec = IdentifierSchemeSpec.model_validate({"id": "bad", "title": "Bad", **extra})
    with pytest.raises(SpecError, match=message):
        IdentifierNormalizer(
            IdentifierOptions(scheme="bad"), StepContext(extras={"schemes": {"bad": spec}})
        )


def test_stdnum_listing_needs_no_import() -> None:
    names = stdnum_names()
    assert "iban" in names and "ru.inn" in names and "util" not in names


def test_registry_builds_the_step() -> None:
    registry = NormalizerRegistry()
    register(registry)
    built = registry.build({"identifier": {"scheme": "kg_pin"}}, CONTEXT)
    assert isinstance(built, IdentifierNormalizer)
    with pytest.raises(SpecError, match="scheme"):
        registry.build({"identifier": {}}, CONTEXT)


def test_embedded_values_and_cross_check() -> None:
    compact = step("kg_pin").arrow(pa.array([PIN, "21502199000001", "13102198700123", None])).values
    parts = embedded_values(KG_PIN, compact)
    assert parts["sex"].to_pylist() == ["male", "female", None, None]
    assert parts["birth_date"].to_pylist() == [
        dt.date(1987, 3, 14),
        dt.date(1990, 2, 15),
        None,
        None,
    ]
    # The record's own facts, as the compiler passes them (a timestamp is cast to a date).
    births = pa.array(
        [dt.datetime(1987, 3, 14), dt.datetime(1990, 2, 16), None, None], pa.timestamp("s")
    )
    assert cross_check(births, parts["birth_date"]).to_pylist() == [True, False, None, None]
    sexes = pa.array(["Male", "male", "female", None])
    assert cross_check(sexes, parts["sex"]).to_pylist() == [True, False, None, None]


pin_like = st.one_of(
    st.text(alphabet="0123456789 -./", max_size=20),
    st.builds(
        lambda sex, day, serial: f"{sex}{day:%d%m%Y}{serial:05d}",
        st.sampled_from("12"),
        st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31)),
        st.integers(0, 99_999),
    ),
    st.text(max_size=16),
    st.none(),
)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(pin_like, max_size=25))
def test_never_crashes_sql_agrees_and_idempotent(
    engine: DuckDBEngine, values: list[str | None]
) -> None:
    s = step("kg_pin")
    first = run(s, values)
    assert first == run_sql(engine, s, values)
    again = run(s, [v for v, _ in first])
    assert [v for v, _ in again] == [v for v, _ in first]
    assert all(flag is None for _, flag in again)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.one_of(st.text(max_size=12), st.none()), max_size=20))
def test_stdnum_path_never_crashes(values: list[str | None]) -> None:
    for scheme in ("iban", "ru.inn"):
        run(IdentifierNormalizer(IdentifierOptions(scheme=scheme)), values)


# --- separators and placeholders ------------------------------------------------------


def test_stdnum_schemes_strip_spaces_dots_and_dashes_before_validating() -> None:
    import stdnum.us.ssn

    assert not stdnum.us.ssn.is_valid("536 90 4399")  # the library alone keeps spaces
    ssn = IdentifierNormalizer(IdentifierOptions(scheme="us.ssn"))
    got = run(ssn, ["536 90 4399", "536.90.4399", "536-90-4399", "536904399"])
    assert got == [("536904399", None)] * 4
    strict = IdentifierNormalizer(IdentifierOptions(scheme="us.ssn", separators="-"))
    assert run(strict, ["536 90 4399"]) == [(None, "invalid_identifier")]


def test_placeholders_of_stdnum_schemes() -> None:
    import stdnum.us.ssn

    ssn = IdentifierNormalizer(IdentifierOptions(scheme="us.ssn"))
    values = ["111-11-1111", "000000000", "123-45-6789", "987 65 4321", "078-05-1120"]
    values += ["219-09-9999", "536-90-4399"]
    # stdnum accepts the first and third as SSNs; the sample-card numbers it rejects
    assert stdnum.us.ssn.is_valid("111111111") and stdnum.us.ssn.is_valid("123456789")
    assert not stdnum.us.ssn.is_valid("078051120")
    assert run(ssn, values) == [(None, "placeholder_identifier")] * 6 + [("536904399", None)]
    kept = IdentifierNormalizer(IdentifierOptions(scheme="us.ssn", keep_invalid=True))
    assert run(kept, ["123456789"]) == [("123456789", "placeholder_identifier")]
    off = IdentifierNormalizer(IdentifierOptions(scheme="us.ssn", placeholders=False))
    assert run(off, ["123456789"]) == [("123456789", None)]


CLAIM = IdentifierSchemeSpec.model_validate(
    {
        "id": "claim_no",
        "title": "Claim number",
        "length": 8,
        "pattern": "[0-9]{8}",
        "placeholders": ["1000-0001", "2424 2424"],
    }
)


def test_declared_placeholders_sql_equals_arrow(engine: DuckDBEngine) -> None:
    s = IdentifierNormalizer(
        IdentifierOptions(scheme="claim_no"), StepContext(extras={"schemes": {"claim_no": CLAIM}})
    )
    values = ["10000001", "2424-2424", "99999999", "34567890", "12121212", "12345", "", None]
    want = [
        (None, "placeholder_identifier"),
        (None, "placeholder_identifier"),
        (None, "placeholder_identifier"),
        (None, "placeholder_identifier"),  # wraps past 9
        ("12121212", None),
        (None, "invalid_identifier"),
        (None, None),
        (None, None),
    ]
    assert run(s, values) == want
    assert run_sql(engine, s, values) == want


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="0123456789 -", max_size=12), max_size=12))
def test_placeholder_sql_equals_arrow_property(values: list[str]) -> None:
    s = IdentifierNormalizer(
        IdentifierOptions(scheme="claim_no"), StepContext(extras={"schemes": {"claim_no": CLAIM}})
    )
    with DuckDBEngine() as eng:
        assert run_sql(eng, s, list(values)) == run(s, list(values))
