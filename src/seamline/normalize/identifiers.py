"""The ``identifier`` step: national ids, tax numbers, IBANs to their compact form.

``scheme`` names either a python-stdnum module (``iban``, ``ru.inn``, ``ee.ik``...) or
an identifier scheme declared in the workspace (``identifiers/kg_pin.yaml``); a declared
scheme wins when both exist::

    normalize:
      - identifier: {scheme: kg_pin}

The output is the compact form (separators removed). A value with the wrong length,
pattern or check digit is flagged ``invalid_identifier`` and its output is null (or the
compact form with ``keep_invalid: true``). A number that lost its leading zeros in a
spreadsheet gets them back where the scheme allows it, flagged
``leading_zeros_restored`` so the repair stays visible.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import re
from functools import lru_cache
from types import ModuleType
from typing import Any

import pyarrow as pa
import pyarrow.compute as _pc
from sqlglot import exp

from seamline.errors import SpecError, did_you_mean
from seamline.normalize.base import Normalizer, SqlStep, StepContext, StepOptions, StepResult
from seamline.normalize.dates import as_text, clean_text_sql, compile_format, re2_literal
from seamline.normalize.placeholders import (
    FLAG,
    STDNUM_PLACEHOLDERS,
    compact_list,
    is_placeholder,
    is_placeholder_sql,
)
from seamline.normalize.scheme_spec import IdentifierSchemeSpec
from seamline.normalize.schemes import check, check_sql, cross_check, embedded_values

# pyarrow-stubs' overloads reject ``pa.Array[Any]`` arguments; results are checked by tests.
pc: Any = _pc

__all__ = ["IdentifierNormalizer", "IdentifierOptions", "cross_check", "embedded_values"]

COMMON_STDNUM = (
    "iban",
    "bic",
    "isin",
    "ean",
    "imei",
    "vatin",
    "ru.inn",
    "ru.ogrn",
    "pl.pesel",
    "nl.bsn",
    "by.unp",
    "ua.rntrc",
    "ee.ik",
    "de.idnr",
    "fr.nir",
)
STDNUM_SEPARATORS = " -./"
"""Removed from values before python-stdnum sees them."""
_MODULE_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$")


class IdentifierOptions(StepOptions):
    scheme: str
    """A python-stdnum module (``iban``, ``ru.inn``) or a declared scheme id (``kg_pin``)."""
    keep_invalid: bool = False
    """Output the compact form of invalid values too (they stay flagged)."""
    separators: str | None = None
    """Characters removed before validation. Default: the declared scheme's
    ``separators``; for python-stdnum schemes space, dot, dash and slash, whatever the
    library's own compact form removes (its us.ssn keeps spaces)."""
    placeholders: bool = True
    """Flag placeholder values ``placeholder_identifier``: one digit repeated
    (000000000), a digit run (123456789), the scheme's declared ``placeholders``."""


@lru_cache(maxsize=1)
def stdnum_names() -> tuple[str, ...]:
    """Every python-stdnum module name, from the package listing (nothing is imported)."""
    import stdnum

    names: list[str] = []
    for info in pkgutil.iter_modules(stdnum.__path__):
        if info.ispkg:
            sub = importlib.util.find_spec(f"stdnum.{info.name}")
            paths = list(sub.submodule_search_locations or []) if sub else []
            names += [f"{info.name}.{m.name}" for m in pkgutil.iter_modules(paths)]
        elif info.name not in {"exceptions", "util", "numdb"}:
            names.append(info.name)
    return tuple(sorted(names))


def stdnum_module(name: str) -> ModuleType | None:
    """The python-stdnum module ``name`` if it validates identifiers, else None."""
    if not _MODULE_NAME.match(name):
        return None
    try:
        module = importlib.import_module(f"stdnum.{name}")
    except ImportError:
        return None
    if not (
        callable(getattr(module, "compact", None)) and callable(getattr(module, "validate", None))
    ):
        return None
    return module


class IdentifierNormalizer(Normalizer):
    """Identifiers to their compact form, validated by a python-stdnum module or a
    scheme declared in identifiers/*.yaml."""

    key = "identifier"
    options_model = IdentifierOptions
    flags = ("invalid_identifier", FLAG, "leading_zeros_restored")

    def __init__(self, options: StepOptions, context: StepContext | None = None) -> None:
        super().__init__(options, context)
        if not isinstance(self.options, IdentifierOptions):
            raise TypeError(f"identifier step got {type(self.options).__name__} options")
        self.opts: IdentifierOptions = self.options
        declared: dict[str, IdentifierSchemeSpec] = self.context.extras.get("schemes") or {}
        self.spec: IdentifierSchemeSpec | None = declared.get(self.opts.scheme)
        self.module: ModuleType | None = None
        if self.spec is None:
            self.module = stdnum_module(self.opts.scheme)
        if self.spec is None and self.module is None:
            guess = did_you_mean(self.opts.scheme, [*declared, *stdnum_names()])
            raise SpecError(
                f"unknown identifier scheme {self.opts.scheme!r}"
                + (f" (did you mean {guess!r}?)" if guess else ""),
                allowed=", ".join([*sorted(declared), *COMMON_STDNUM])
                + ", or any python-stdnum module",
                hint="Declare a scheme in identifiers/<id>.yaml, or see "
                "https://arthurdejong.org/python-stdnum/doc/ for module names.",
            )

        if self.spec is not None:
            _check_spec(self.spec)
            if self.opts.separators is not None:
                self.spec = self.spec.model_copy(update={"separators": self.opts.separators})
        self.separators = self.spec.separators if self.spec is not None else STDNUM_SEPARATORS
        if self.opts.separators is not None:
            self.separators = self.opts.separators
        listed = self.spec.placeholders if self.spec is not None else ()
        self.placeholders: list[str] = compact_list(
            [*listed, *STDNUM_PLACEHOLDERS.get(self.opts.scheme, ())], self.separators
        )

    def arrow(self, values: pa.Array[Any]) -> StepResult:
        text = as_text(values)
        if self.spec is not None:
            checked = check(self.spec, text)
            compact, valid, restored = checked.compact, checked.valid, checked.restored
        else:
            if self.separators:
                text = pc.replace_substring_regex(
                    text, "[" + re2_literal(self.separators) + "]", ""
                )
            compact, valid = self._stdnum(text)
            restored = pa.array([False] * len(text), pa.bool_())
        invalid = pc.invert(pc.fill_null(valid, True))
        if self.opts.placeholders:
            placeholder = is_placeholder(compact, self.placeholders)
        else:
            placeholder = pa.array([False] * len(text), pa.bool_())
        bad = pc.or_(invalid, placeholder)
        out = compact if self.opts.keep_invalid else pc.if_else(bad, None, compact)
        flags = pc.if_else(
            placeholder,
            FLAG,
            pc.if_else(
                invalid,
                "invalid_identifier",
                pc.if_else(restored, "leading_zeros_restored", pa.scalar(None, pa.string())),
            ),
        )
        return StepResult(out.cast(pa.string()), flags.cast(pa.string()))

    def _stdnum(self, text: pa.Array[Any]) -> tuple[pa.Array[Any], pa.Array[Any]]:
        """Compact and validate with the library, once per distinct value."""
        module = self.module
        if module is None:
            raise TypeError("no python-stdnum module for this scheme")
        uniques = pc.unique(text)
        compacts: list[str | None] = []
        verdicts: list[bool | None] = []
        for value in uniques.to_pylist():
            if value is None:
                compacts.append(None)
                verdicts.append(None)
                continue
            try:
                compacted = str(module.compact(value))
            except Exception:  # stdnum's compact() may raise anything on odd input
                compacts.append(value)
                verdicts.append(False)
                continue
            try:
                compacts.append(str(module.validate(compacted)))
                verdicts.append(True)
            except Exception:  # ValidationError, or a stray error from a country module
                compacts.append(compacted)
                verdicts.append(False)
        index = pc.index_in(text, uniques)
        compact = pc.take(pa.array(compacts, pa.string()), index)
        valid = pc.take(pa.array(verdicts, pa.bool_()), index)
        return compact, valid

    @property
    def prefer_sql(self) -> bool:  # type: ignore[override]
        # A check digit in SQL is a list lambda per row (DuckDB's most expensive operator
        # in the harmonize benchmark); the numpy digit matrix needs less CPU.
        return self.spec is None or self.spec.check == "none"

    def sql(self, value: exp.Expr) -> SqlStep | None:
        if self.spec is None:
            return None
        checked = check_sql(self.spec, clean_text_sql(value))
        if checked is None:
            return None
        invalid = exp.Not(this=exp.Coalesce(this=checked.valid, expressions=[exp.true()]))
        placeholder: exp.Expr = exp.false()
        if self.opts.placeholders:
            placeholder = is_placeholder_sql(checked.compact, self.placeholders)
        out: exp.Expr = checked.compact
        if not self.opts.keep_invalid:
            bad = exp.or_(invalid.copy(), placeholder.copy())
            out = exp.Case(ifs=[exp.If(this=bad, true=exp.Null())], default=out.copy())
        flag = exp.Case(
            ifs=[
                exp.If(this=placeholder.copy(), true=exp.Literal.string(FLAG)),
                exp.If(this=invalid.copy(), true=exp.Literal.string("invalid_identifier")),
                exp.If(
                    this=checked.restored.copy(), true=exp.Literal.string("leading_zeros_restored")
                ),
            ]
        )
        return SqlStep(value=out, flag=flag, shared=(checked.stripped, invalid.copy()))


def _check_spec(spec: IdentifierSchemeSpec) -> None:
    """Fail at build time, not mid-run, on a pattern RE2 rejects or a bad part format."""
    where = f"identifiers/{spec.id}"
    if spec.pattern is not None:
        try:
            pc.match_substring_regex(pa.array([""]), f"^(?:{spec.pattern})$")
        except pa.ArrowInvalid as exc:
            raise SpecError(
                f"identifier scheme {spec.id!r}: pattern {spec.pattern!r} is not a valid RE2 "
                f"regular expression ({exc})",
                where=where,
                hint="RE2 has no lookahead or backreferences; express the rule without them.",
            ) from None
    for part in spec.embedded:
        if part.kind == "date":
            try:
                compile_format(part.format or "%Y%m%d")
            except ValueError as exc:
                raise SpecError(
                    f"identifier scheme {spec.id!r}: part {part.name!r}: {exc}", where=where
                ) from None


def register(registry: Any) -> None:
    registry.register(IdentifierNormalizer)
