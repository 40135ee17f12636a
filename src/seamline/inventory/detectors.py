"""Value detectors run on a bounded, reproducible sample of a field's distinct values.

The engine computes the statistics over every row; validating identifiers with
python-stdnum, phone numbers with phonenumbers and ISO codes with pycountry needs
their Python code, so those run on a sample (weighted by how often each value occurs)
and report the share as an estimate with its sample size.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from types import ModuleType

import phonenumbers
import pycountry
import stdnum

# Identifier schemes worth trying everywhere; the workspace's country adds its own.
GENERIC_SCHEMES = ("iban", "bic", "ru.inn", "ua.rntrc", "by.unp", "ee.ik", "lt.asmens", "pl.pesel")
BREADTH: dict[str, int] = {
    "us.tin": 2,  # any of us.ssn, us.itin, us.ein, us.atin, us.ptin
    "us.atin": 1,  # python-stdnum's check accepts any nine digits
    "vatin": 1,  # any country's VAT number
}
"""Schemes that also accept the numbers of narrower ones, by how broad they are (an
unlisted scheme is 0). Detections are ordered narrowest first, so a column of social
security numbers is labelled ``us.ssn``, not ``us.atin`` or ``us.tin``, wherever the
narrower scheme validates enough of its values."""
_ID_SHAPE = re.compile(r"[0-9A-Za-z][0-9A-Za-z \-./]{3,40}")
_PHONE_SHAPE = re.compile(r"\+?[0-9][0-9 \-().]{5,20}")


@dataclass(frozen=True)
class Detection:
    """A detector's finding on one field: the share of sampled values it matched."""

    detector: str
    label: str
    share: float
    sample: int
    pii: str | None = None  # direct_identifier | personal | special


Values = Sequence[tuple[str, int]]  # (value, occurrences) pairs of the sample


PROBE = 50


def _share(values: Values, match: Callable[[str], bool], floor: float = 0.0) -> float:
    """The occurrence-weighted share of values that match.

    With a ``floor``, a probe of the first values decides first whether the full count
    is worth it: a validator that matches under half the floor on the probe scores 0.
    """
    if floor and len(values) > PROBE * 2:
        probe = values[:PROBE]
        if _share(probe, match) < floor / 2:
            return 0.0
    total = sum(n for _, n in values)
    if not total:
        return 0.0
    return sum(n for v, n in values if match(v)) / total


@cache
def _scheme(name: str) -> ModuleType | None:
    try:
        module = importlib.import_module(f"stdnum.{name}")
    except ImportError:
        return None
    return module if hasattr(module, "is_valid") else None


@cache
def schemes_for(country: str | None) -> tuple[str, ...]:
    names = list(GENERIC_SCHEMES)
    if country:
        cc = country.lower()
        try:
            package = importlib.import_module(f"stdnum.{cc}")
        except ImportError:
            package = None
        if package is not None and hasattr(package, "__path__"):
            names.extend(f"{cc}.{m.name}" for m in pkgutil.iter_modules(package.__path__))
    return tuple(n for n in dict.fromkeys(names) if _scheme(n) is not None)


def scheme_label(name: str) -> str:
    module = _scheme(name)
    doc = (module.__doc__ or name).strip().splitlines()[0] if module else name
    return doc.rstrip(".")


def identifier_detections(values: Values, country: str | None, min_share: float) -> list[Detection]:
    shaped = [(v, n) for v, n in values if _ID_SHAPE.fullmatch(v)]
    if not shaped or _share(values, lambda v: bool(_ID_SHAPE.fullmatch(v))) < min_share:
        return []
    found: list[Detection] = []
    for name in schemes_for(country):
        module = _scheme(name)
        if module is None:  # pragma: no cover - filtered in schemes_for
            continue
        is_valid: Callable[[str], bool] = module.is_valid
        share = _share(values, is_valid, min_share)
        if share >= min_share:
            found.append(
                Detection(
                    f"stdnum:{name}", scheme_label(name), share, len(values), "direct_identifier"
                )
            )
    return found


def phone_detection(values: Values, country: str | None, min_share: float) -> Detection | None:
    if _share(values, lambda v: bool(_PHONE_SHAPE.fullmatch(v))) < min_share:
        return None
    region = (country or "").upper() or None

    def valid(v: str) -> bool:
        if not _PHONE_SHAPE.fullmatch(v):
            return False
        try:
            return phonenumbers.is_valid_number(phonenumbers.parse(v, region))
        except phonenumbers.NumberParseException:
            return False

    share = _share(values, valid, min_share)
    if share < min_share:
        return None
    return Detection("phonenumbers", "phone number", share, len(values), "direct_identifier")


@lru_cache(maxsize=1)
def _iso_codes() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    alpha2 = frozenset(c.alpha_2 for c in pycountry.countries)
    alpha3 = frozenset(c.alpha_3 for c in pycountry.countries)
    subdivisions = frozenset(s.code for s in pycountry.subdivisions)
    return alpha2, alpha3, subdivisions


def iso_detections(values: Values, min_share: float) -> list[Detection]:
    alpha2, alpha3, subdivisions = _iso_codes()
    found: list[Detection] = []
    for name, label, codes in (
        ("pycountry:alpha_2", "ISO 3166-1 alpha-2 country code", alpha2),
        ("pycountry:alpha_3", "ISO 3166-1 alpha-3 country code", alpha3),
        ("pycountry:subdivision", "ISO 3166-2 subdivision code", subdivisions),
    ):
        upper = [(v.upper(), n) for v, n in values]
        share = _share(upper, codes.__contains__)
        if share >= min_share:
            found.append(Detection(name, label, share, len(values)))
    return found


def detect(values: Values, *, country: str | None, min_share: float = 0.5) -> list[Detection]:
    """Every detector that matches at least ``min_share`` of the sampled values."""
    if not values:
        return []
    found = identifier_detections(values, country, min_share)
    phone = phone_detection(values, country, min_share)
    if phone is not None:
        found.append(phone)
    found.extend(iso_detections(values, min_share))
    return sorted(
        found, key=lambda d: (BREADTH.get(d.detector.removeprefix("stdnum:"), 0), -d.share)
    )


__all__ = ["Detection", "detect", "schemes_for", "stdnum"]
