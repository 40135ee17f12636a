"""Built-in code lists from pycountry: ``iso3166_1`` (countries) and ``iso3166_2`` (subdivisions).

pycountry ships the Debian iso-codes data with its gettext catalogues, so the labels
in other languages come from the same release as the codes. A label is only added
for a language when the catalogue really translates the English name.
"""

from __future__ import annotations

import gettext
from functools import cache
from importlib.metadata import version

import pycountry

from seamline.workspace.models import CodeListSpec, CodeSpec

LANGUAGES = ("ru", "ky")
"""Languages whose pycountry translations are added as labels besides English."""
BUILTIN_IDS = ("iso3166_1", "iso3166_2")


def _catalogue(domain: str, lang: str) -> gettext.NullTranslations:
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[lang], fallback=True)


def _labels(english: str, catalogues: dict[str, gettext.NullTranslations]) -> dict[str, str]:
    labels = {"en": english}
    for lang, cat in catalogues.items():
        text = cat.gettext(english)
        if text and text != english:
            labels[lang] = text
    return labels


def _countries(languages: tuple[str, ...]) -> CodeListSpec:
    cats = {lang: _catalogue("iso3166-1", lang) for lang in languages}
    codes = []
    for c in sorted(pycountry.countries, key=lambda c: c.alpha_2):
        official = getattr(c, "official_name", "")
        codes.append(
            CodeSpec(
                code=c.alpha_2,
                labels=_labels(c.name, cats),
                description=f"{official}; alpha-3 {c.alpha_3}, numeric {c.numeric}"
                if official
                else f"alpha-3 {c.alpha_3}, numeric {c.numeric}",
            )
        )
    return CodeListSpec(
        id="iso3166_1",
        title="Countries (ISO 3166-1 alpha-2)",
        version=f"pycountry {version('pycountry')}",
        description="Built in: the ISO 3166-1 country codes as shipped by pycountry.",
        codes=codes,
    )


def _subdivisions(languages: tuple[str, ...]) -> CodeListSpec:
    cats = {lang: _catalogue("iso3166-2", lang) for lang in languages}
    codes = []
    for s in sorted(pycountry.subdivisions, key=lambda s: s.code):
        parent = getattr(s, "parent_code", None)
        where = f"{s.type} in {s.country_code}" + (f", part of {parent}" if parent else "")
        codes.append(CodeSpec(code=s.code, labels=_labels(s.name, cats), description=where))
    return CodeListSpec(
        id="iso3166_2",
        title="Country subdivisions (ISO 3166-2)",
        version=f"pycountry {version('pycountry')}",
        description="Built in: the ISO 3166-2 subdivision codes as shipped by pycountry.",
        codes=codes,
    )


@cache
def builtin_codelists(languages: tuple[str, ...] = LANGUAGES) -> dict[str, CodeListSpec]:
    """The built-in code lists by id (built once per process; specs are frozen)."""
    return {"iso3166_1": _countries(languages), "iso3166_2": _subdivisions(languages)}
