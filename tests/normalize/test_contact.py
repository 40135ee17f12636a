"""The phone and email steps."""

from __future__ import annotations

from typing import Any

import phonenumbers
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp
from stepcheck import run_arrow, run_sql

from seamline.errors import SpecError
from seamline.normalize import StepContext, default_normalizers
from seamline.normalize.contact import (
    EmailNormalizer,
    EmailOptions,
    PhoneNormalizer,
    PhoneOptions,
)

# --- phone -------------------------------------------------------------------------


def test_kyrgyz_numbers_to_e164() -> None:
    step = PhoneNormalizer(PhoneOptions(region="KG"))
    values = [
        "0555 123 456",
        "+996 (555) 12-34-56",
        "996555123456.0",
        "0312 62 12 34",
        "12",
        "not a phone",
        "",
        None,
        "+7 912 345 67 89",
    ]
    assert run_arrow(step, values) == (
        [
            "+996555123456",
            "+996555123456",
            "+996555123456",
            "+996312621234",
            None,
            None,
            None,
            None,
            "+79123456789",
        ],
        [None, None, None, None, "invalid_phone", "invalid_phone", None, None, None],
    )
    assert step.sql(exp.column("v")) is None


def test_region_defaults_to_workspace_country() -> None:
    kg = PhoneNormalizer(PhoneOptions(), StepContext(country="kg"))
    assert run_arrow(kg, ["0555 123 456"])[0] == ["+996555123456"]
    nowhere = PhoneNormalizer(PhoneOptions())
    assert run_arrow(nowhere, ["0555 123 456", "+996555123456"]) == (
        [None, "+996555123456"],
        ["invalid_phone", None],
    )
    assert PhoneOptions(region="kg").region == "KG"


def test_numbers_typed_as_integers() -> None:
    step = PhoneNormalizer(PhoneOptions(region="KG"))
    result = step.arrow(pa.array([996555123456, None], pa.int64()))
    assert result.values.to_pylist() == ["+996555123456", None]


def test_each_distinct_value_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real_parse = phonenumbers.parse

    def counting_parse(text: str, region: str | None = None) -> Any:
        calls.append(text)
        return real_parse(text, region)

    monkeypatch.setattr(phonenumbers, "parse", counting_parse)
    step = PhoneNormalizer(PhoneOptions(region="KG"))
    values = ["0555 123 456", "0700 111 222"] * 500 + [None] * 10
    values_out, _ = run_arrow(step, values)
    assert sorted(calls) == ["0555 123 456", "0700 111 222"]
    assert values_out[:2] == ["+996555123456", "+996700111222"]


def test_unknown_region_is_a_spec_error() -> None:
    with pytest.raises(SpecError, match="region"):
        default_normalizers().build({"phone": {"region": "XX"}}, StepContext())


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(), st.text(max_size=20), st.from_regex(r"\+?[0-9 ()-]{3,16}", fullmatch=True)
        ),
        max_size=15,
    )
)
def test_phone_never_crashes_and_is_idempotent(values: list[str | None]) -> None:
    step = PhoneNormalizer(PhoneOptions(region="KG"))
    out, flags = run_arrow(step, values)
    for raw, value, flag in zip(values, out, flags, strict=True):
        assert raw is not None or (value is None and flag is None)
        assert value is None or value.startswith("+")
        assert not (value is not None and flag is not None)
    again, again_flags = run_arrow(step, out)
    assert again == out and all(f is None for f in again_flags)


# --- email -------------------------------------------------------------------------

EMAILS = [
    "  Aigul.Toktogulova@Mail.KG ",
    "mailto:b.sadykov@tax.example.kg",
    "MAILTO: info@bilim.example.kg",
    "jyldyz+tax@example.org",
    "no-at-sign.kg",
    "two@@example.kg",
    "dot.@example.kg",
    "user@localhost",
    "user@-bad-.kg",
    "user@xn--80ak6aa92e.com",
    "Айгүл@почта.кг",
    "x" * 65 + "@example.kg",
    "",
    "   ",
    None,
]


def test_email_values_and_flags() -> None:
    step = EmailNormalizer(EmailOptions())
    assert run_arrow(step, EMAILS) == (
        [
            "aigul.toktogulova@mail.kg",
            "b.sadykov@tax.example.kg",
            "info@bilim.example.kg",
            "jyldyz+tax@example.org",
            None,
            None,
            None,
            None,
            None,
            "user@xn--80ak6aa92e.com",
            None,
            None,
            None,
            None,
            None,
        ],
        [None] * 4 + ["invalid_email"] * 5 + [None] + ["invalid_email"] * 2 + [None] * 3,
    )


def test_email_sql_equals_arrow_on_fixture() -> None:
    step = EmailNormalizer(EmailOptions())
    assert run_sql(step, EMAILS) == run_arrow(step, EMAILS)


EMAIL_CHARS = st.sampled_from([*"aZ9.@-_+ кг\u00a0", "mailto:", ".kg", "@mail"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.lists(EMAIL_CHARS, max_size=12).map("".join)), max_size=12))
def test_email_sql_equals_arrow_property(values: list[str | None]) -> None:
    step = EmailNormalizer(EmailOptions())
    assert run_sql(step, values) == run_arrow(step, values)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=30), st.emails()), max_size=15))
def test_email_never_crashes_and_is_idempotent(values: list[str | None]) -> None:
    step = EmailNormalizer(EmailOptions())
    out, _ = run_arrow(step, values)
    assert all(v is None or (v == v.lower().strip() and "@" in v) for v in out)
    again, again_flags = run_arrow(step, out)
    assert again == out and all(f is None for f in again_flags)


def test_email_takes_no_options() -> None:
    with pytest.raises(SpecError):
        default_normalizers().build({"email": {"lower": False}}, StepContext())
