"""The ``phone`` and ``email`` steps.

Phone numbers go through the ``phonenumbers`` library (Google's libphonenumber
metadata), once per distinct value, since numbering plans are far beyond SQL. E-mail
addresses are checked with one RE2 pattern that DuckDB and Arrow both run.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, cast

import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import field_validator
from sqlglot import exp

from seamline.normalize.base import Normalizer, SqlStep, StepOptions, StepResult
from seamline.normalize.text import (
    arrow_empty_to_null,
    arrow_squeeze,
    as_strings,
    fn,
    lit,
    map_distinct,
    sql_empty_to_null,
    sql_replace,
    sql_squeeze,
    sql_text,
)

# --- phone -------------------------------------------------------------------------

_SPREADSHEET_FLOAT = re.compile(r"^\+?\d+\.0+$")
"""996555123456.0: a number that went through a spreadsheet or JSON as a float."""


class PhoneOptions(StepOptions):
    region: str | None = None
    """ISO 3166-1 alpha-2 country for numbers written without +code (default: the
    workspace country), e.g. KG reads "0555 123 456" as +996555123456."""

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str | None) -> str | None:
        if value is None:
            return None
        region = value.upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"{value!r} is not a country code phonenumbers knows (e.g. KG)")
        return region


class PhoneNormalizer(Normalizer):
    """Telephone numbers to E.164 text (+996555123456)."""

    memoize: ClassVar[bool] = True
    key = "phone"
    options_model = PhoneOptions
    flags = ("invalid_phone",)

    def _region(self) -> str | None:
        region = cast(PhoneOptions, self.options).region or self.context.country
        return region.upper() if region else None

    def arrow(self, values: pa.Array[Any]) -> StepResult:
        region = self._region()

        def one(text: str) -> tuple[str | None, str | None]:
            text = text.strip()
            if not text:
                return None, None
            if _SPREADSHEET_FLOAT.match(text):
                text = text.split(".", 1)[0]
            try:
                number = phonenumbers.parse(text, region)
            except phonenumbers.NumberParseException:
                return None, "invalid_phone"
            if not phonenumbers.is_valid_number(number):
                return None, "invalid_phone"
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            return e164, None

        return map_distinct(values, one)


# --- email -------------------------------------------------------------------------

_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
EMAIL_PATTERN = rf"^{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+(?:[a-z]{{2,63}}|xn--[a-z0-9-]{{1,59}})$"
"""A lowercase address: dot-atom local part, a dotted domain with a real TLD shape.

Quoted local parts, IP-literal domains and non-ASCII addresses are rejected: they
are legal but almost always typing errors in agency registers."""
_LOCAL_LENGTH = r"^[^@]{1,64}@[^@]{1,253}$"
_MAILTO = "(?i)^mailto:"


class EmailOptions(StepOptions):
    """The email step has no options: trim, lowercase, validate."""


class EmailNormalizer(Normalizer):
    """E-mail addresses: trimmed, lowercased, checked against a strict pattern."""

    key = "email"
    options_model = EmailOptions
    flags = ("invalid_email",)

    def sql(self, value: exp.Expr) -> SqlStep:
        v = sql_squeeze(sql_text(value), collapse=False)
        v = sql_squeeze(sql_replace(v, _MAILTO, ""), collapse=False)
        v = sql_empty_to_null(fn("lower", v))
        ok = exp.and_(
            fn("regexp_matches", v.copy(), lit(EMAIL_PATTERN)),
            fn("regexp_matches", v.copy(), lit(_LOCAL_LENGTH)),
        )
        out = exp.Case(ifs=[exp.If(this=ok, true=v)])
        bad = exp.and_(
            exp.Not(this=exp.Is(this=v.copy(), expression=exp.Null())),
            exp.Not(this=exp.Paren(this=ok.copy())),
        )
        flag = exp.Case(ifs=[exp.If(this=bad, true=lit("invalid_email"))])
        return SqlStep(out, flag)

    def arrow(self, values: pa.Array[Any]) -> StepResult:
        v: Any = arrow_squeeze(as_strings(values), collapse=False)
        v = arrow_squeeze(pc.replace_substring_regex(v, _MAILTO, ""), collapse=False)
        v = arrow_empty_to_null(pc.utf8_lower(v))
        ok = pc.and_(
            pc.match_substring_regex(v, EMAIL_PATTERN),
            pc.match_substring_regex(v, _LOCAL_LENGTH),
        )
        null = pa.scalar(None, pa.string())
        out = pc.if_else(ok, v, null)
        flags = pc.if_else(pc.fill_null(ok, True), null, pa.scalar("invalid_email"))
        return StepResult(out, flags)


def register(registry: Any) -> None:
    registry.register(PhoneNormalizer)
    registry.register(EmailNormalizer)
