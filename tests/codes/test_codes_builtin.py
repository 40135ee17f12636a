"""Built-in ISO 3166 code lists from pycountry."""

from __future__ import annotations

import pycountry

from seamline.codes.builtin import builtin_codelists
from seamline.codes.skos import export_skos, import_skos


def test_countries_have_alpha2_codes_and_translations() -> None:
    countries = builtin_codelists()["iso3166_1"]
    assert countries.id == "iso3166_1"
    assert len(countries.codes) == len(pycountry.countries)
    by_code = {c.code: c for c in countries.codes}
    assert by_code["KG"].labels == {"en": "Kyrgyzstan", "ru": "Киргизия", "ky": "Кыргызстан"}
    assert by_code["KZ"].labels["ru"] == "Казахстан"
    assert all(len(c.code) == 2 and c.code.isupper() for c in countries.codes)
    assert countries.version.startswith("pycountry ")


def test_subdivisions_have_codes_and_only_real_translations() -> None:
    subs = builtin_codelists()["iso3166_2"]
    assert len(subs.codes) == len(pycountry.subdivisions)
    by_code = {c.code: c for c in subs.codes}
    assert by_code["KG-C"].labels == {"en": "Chüy"}  # no Russian entry in iso-codes
    assert by_code["RU-CU"].labels["ru"] == "Чувашская республика"
    assert "KG" in by_code["KG-GB"].description
    codes = [c.code for c in subs.codes]
    assert len(set(codes)) == len(codes)


def test_builtins_export_to_skos() -> None:
    countries = builtin_codelists()["iso3166_1"]
    assert import_skos(export_skos(countries)) == countries
