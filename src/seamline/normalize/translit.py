"""Transliteration tables (Russian and Kyrgyz Cyrillic <-> Latin) and the step.

Written by hand rather than taken from ICU: PyICU has no wheel for this platform, and
each scheme is a short standard table (33 Russian letters plus Kyrgyz Ң Ө Ү) with one
or two context rules, which reads and reviews better than an opaque transform id.

Schemes (Cyrillic -> Latin):

- ``icao``: ICAO Doc 9303 part 3 (machine-readable passports, Russian since 2014).
  Ң Ө Ү are not in the ICAO table; the MRZ allows A-Z only, so they map to N O U.
- ``bgn_pcgn_ky``: BGN/PCGN 1979 for Kyrgyz (Ж j, Ң ng, Ө ö, Ү ü; Е is ye at the
  start of a word and after vowels).
- ``iso9``: ISO 9:1995, one Latin letter per Cyrillic letter, hence reversible.
- ``gost_7_79_b``: GOST 7.79-2000 system B (ASCII only; Ц is cz before e i y j).
- ``ru_passport``: older Russian passport practice (Й y, Ю yu, Я ya, no Ъ/Ь).

Latin -> Cyrillic is exact for ``iso9`` and best effort for the rest (longest match:
shch щ, zh ж, ch ч, sh ш, ya я, yu ю...): it is meant for comparing values, not for
restoring spellings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, cast

import pyarrow as pa

from seamline.normalize.base import Normalizer, StepOptions, StepResult
from seamline.normalize.text import map_distinct

SchemeName = Literal["icao", "bgn_pcgn_ky", "iso9", "gost_7_79_b", "ru_passport"]
SCHEMES: tuple[SchemeName, ...] = ("icao", "bgn_pcgn_ky", "iso9", "gost_7_79_b", "ru_passport")

_CYR_VOWELS = frozenset("аеёиоуыэюяөү")
_LAT_VOWELS = frozenset("aeiouyöüâêôûèàùë")


def _table(letters: str, latin: str) -> dict[str, str]:
    """Pair Cyrillic letters with space-separated Latin values ("-" = omitted)."""
    values = latin.split(" ")
    return {c: ("" if v == "-" else v) for c, v in zip(letters, values, strict=True)}


_LETTERS = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяңөү"

_ICAO = _table(
    _LETTERS, "a b v g d e e zh z i i k l m n o p r s t u f kh ts ch sh shch ie y - e iu ia n o u"
)
_RU_PASSPORT = _table(
    _LETTERS, "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch - y - e yu ya n o u"
)
_BGN_KY = _table(
    _LETTERS, "a b v g d e yo j z i y k l m n o p r s t u f kh ts ch sh shch ʺ y ʹ e yu ya ng ö ü"
)
_ISO9 = _table(_LETTERS, "a b v g d e ë ž z i j k l m n o p r s t u f h c č š ŝ ʺ y ʹ è û â n̦ ô ù")
_GOST_B = _table(
    _LETTERS,
    "a b v g d e yo zh z i j k l m n o p r s t u f x c ch sh shh `` y' ` e` yu ya n` o` u`",
)


@dataclass(frozen=True)
class Scheme:
    """One transliteration scheme: a letter table plus its context rules."""

    name: str
    letters: dict[str, str]
    """Lowercase Cyrillic letter -> lowercase Latin."""
    word_start: dict[str, str] = field(default_factory=dict)
    """Replacements at the start of a word or after a vowel (BGN/PCGN е -> ye)."""
    before_front: dict[str, str] = field(default_factory=dict)
    """Replacements before е и ы й (GOST 7.79 B ц -> cz)."""
    reverse: dict[str, str] = field(default_factory=dict)
    """Lowercase Latin sequence -> lowercase Cyrillic, matched longest first."""
    exact_reverse: bool = False
    """Latin -> Cyrillic restores the original (ISO 9)."""


# Best-effort Latin -> Cyrillic shared by the lossy schemes; each scheme overrides a few.
# j is ж: Kyrgyz names are often spelled that way (Jyldyz, Janyl) outside passports.
_BASE_REVERSE = {
    "a": "а", "b": "б", "v": "в", "g": "г", "d": "д", "e": "е", "z": "з", "i": "и",
    "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "r": "р", "s": "с",
    "t": "т", "u": "у", "f": "ф", "h": "х", "c": "ц", "y": "ы", "j": "ж", "w": "в",
    "q": "к", "x": "кс", "ö": "ө", "ü": "ү",
    "zh": "ж", "kh": "х", "ts": "ц", "ch": "ч", "sh": "ш", "shch": "щ",
    "ya": "я", "yu": "ю", "yo": "ё", "ye": "е", "ia": "я", "iu": "ю",
}  # fmt: skip

SCHEME_TABLES: dict[str, Scheme] = {
    "icao": Scheme("icao", _ICAO, reverse=_BASE_REVERSE),
    "ru_passport": Scheme("ru_passport", _RU_PASSPORT, reverse=_BASE_REVERSE),
    "bgn_pcgn_ky": Scheme(
        "bgn_pcgn_ky",
        _BGN_KY,
        word_start={"е": "ye"},
        reverse={**_BASE_REVERSE, "j": "ж", "ng": "ң", "ʺ": "ъ", "ʹ": "ь"},
    ),
    "iso9": Scheme(
        "iso9",
        _ISO9,
        reverse={v: k for k, v in _ISO9.items()},
        exact_reverse=True,
    ),
    "gost_7_79_b": Scheme(
        "gost_7_79_b",
        _GOST_B,
        before_front={"ц": "cz"},
        exact_reverse=True,
        reverse={
            **_BASE_REVERSE,
            **{v: k for k, v in _GOST_B.items()},
            "cz": "ц",
            "x": "х",
            "y": "ы",
            # n` is both ң and нь in the standard; нь is far more common (Ольга, день)
            "n`": "нь",
        },
    ),
}

_FRONT = frozenset("еиыйeiyj")
_CYRILLIC_RE = re.compile(r"[\u0400-\u04FF]")


def _recase(out: str, src: str, prev: str, nxt: str) -> str:
    """Give a transliterated letter the case of its source letter.

    An upper-case letter inside an all-caps word maps to all caps (Ж -> ZH in
    "ЖЫЛДЫЗ"), otherwise only the first output letter is capitalized (Жылдыз ->
    Zhyldyz). Caseless output (ʺ, `) keeps no case.
    """
    if not src.isupper() or not out:
        return out
    if nxt.isupper() or (not nxt.isalpha() and prev.isupper()):
        return out.upper()
    return out[:1].upper() + out[1:]


def to_latin(text: str, scheme: str = "icao") -> str:
    """One value from Cyrillic to Latin; other characters are kept as they are."""
    table = SCHEME_TABLES[scheme]
    if not _CYRILLIC_RE.search(text):
        return text
    out: list[str] = []
    n = len(text)
    for i, ch in enumerate(text):
        low = ch.lower()
        rep = table.letters.get(low)
        if rep is None:
            out.append(ch)
            continue
        prev = text[i - 1] if i else ""
        nxt = text[i + 1] if i + 1 < n else ""
        if low in table.word_start and (not prev.isalpha() or prev.lower() in _CYR_VOWELS):
            rep = table.word_start[low]
        if low in table.before_front and nxt.lower() in _FRONT:
            rep = table.before_front[low]
        out.append(_recase(rep, ch, prev, nxt))
    return "".join(out)


def _reverse_pattern(scheme: Scheme) -> re.Pattern[str]:
    keys = sorted(scheme.reverse, key=len, reverse=True)
    return re.compile("|".join(re.escape(k) for k in keys), re.IGNORECASE)


_REVERSE_PATTERNS = {name: _reverse_pattern(s) for name, s in SCHEME_TABLES.items()}


def to_cyrillic(text: str, scheme: str = "icao") -> str:
    """One value from Latin to Cyrillic (exact for iso9, best effort otherwise)."""
    table = SCHEME_TABLES[scheme]
    pattern = _REVERSE_PATTERNS[scheme]
    pieces: list[str] = []
    pos = 0
    last = ""
    for m in pattern.finditer(text):
        between = text[pos : m.start()]
        pieces.append(between)
        if between:
            last = between[-1]
        src = m.group(0)
        low = src.lower()
        rep = table.reverse[low]
        # the Cyrillic written so far, only needed to give caseless signs (ʺ ʹ) a case
        before = "".join(pieces)[-2:] if src.lower() == src.upper() else ""
        nxt = text[m.end()] if m.end() < len(text) else ""
        # A Latin i/y after a vowel and before a consonant or the end is usually й
        # (Aibek, Nikolai, Aybek) in the lossy schemes.
        if (
            not table.exact_reverse
            and low in ("i", "y")
            and last.lower() in _CYR_VOWELS
            and nxt.lower() not in _LAT_VOWELS
        ):
            rep = "й"
        out = _recase_cyrillic(rep, src, before, nxt)
        pieces.append(out)
        last = out[-1:] or last
        pos = m.end()
    pieces.append(text[pos:])
    return "".join(pieces)


def _recase_cyrillic(out: str, src: str, before: str, nxt: str) -> str:
    """Give Cyrillic output the case of its Latin source (``before``: up to 2 chars)."""
    if src[:1].isupper():
        if (len(src) > 1 and src.isupper()) or nxt.isupper():
            return out.upper()
        return out[:1].upper() + out[1:]
    # caseless ISO 9 signs (ʺ ʹ) inside an all-caps word: ОБЪЕКТ, СЪЕЗД round-trip;
    # at the end of a word only after two capitals ("Aʺ" is read as "Аъ")
    caseless = src.lower() == src.upper()
    at_end_of_caps = not nxt.isalpha() and len(before) == 2 and all(c.isupper() for c in before)
    if caseless and before[-1:].isupper() and (nxt.isupper() or at_end_of_caps):
        return out.upper()
    return out


def has_cyrillic(text: str) -> bool:
    return bool(_CYRILLIC_RE.search(text))


# --- the transliterate step --------------------------------------------------------


class TransliterateOptions(StepOptions):
    to: Literal["latin", "cyrillic"] = "latin"
    """The target script. Latin -> Cyrillic is best effort except for iso9."""
    scheme: SchemeName = "icao"
    """icao (passports), bgn_pcgn_ky (Kyrgyz), iso9 (reversible), gost_7_79_b, ru_passport."""


class TransliterateNormalizer(Normalizer):
    """Cyrillic to Latin (or back) with a named standard scheme."""

    memoize: ClassVar[bool] = True
    key = "transliterate"
    options_model = TransliterateOptions
    flags = ("untransliterated",)

    def arrow(self, values: pa.Array[Any]) -> StepResult:
        options = cast(TransliterateOptions, self.options)
        scheme = options.scheme
        if options.to == "cyrillic":
            return map_distinct(values, lambda s: (to_cyrillic(s, scheme), None))

        def one(text: str) -> tuple[str | None, str | None]:
            out = to_latin(text, scheme)
            # Cyrillic letters outside Russian and Kyrgyz (Қ, Ә, Ї...) stay as they are
            return out, ("untransliterated" if has_cyrillic(out) else None)

        return map_distinct(values, one)
