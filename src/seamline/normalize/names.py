"""The ``name`` step (people's names) and ``name_key``, a comparison key for names.

The step cleans a name (spacing, honorifics, letter case) and can take one part of it:
family, given, middle, patronymic or suffix, or the whole name reordered family first.
The parsing is :func:`seamline.normalize.name_parts.parse_name`, one Python definition
run once per distinct value of a batch (a name column repeats its values); it has no
SQL form, so the harmonize plan runs it in its Arrow pre-pass.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any, ClassVar, Literal, cast

import pyarrow as pa

from seamline.normalize.base import Normalizer, StepOptions, StepResult
from seamline.normalize.name_parts import Order, Patronymics, parse_name
from seamline.normalize.text import Case, map_distinct
from seamline.normalize.translit import SchemeName, TransliterateNormalizer, to_latin

Part = Literal["full", "given", "family", "patronymic", "middle", "suffix", "none"]


class NameOptions(StepOptions):
    case: Case = "title"
    """Letter case of the result. title handles hyphens, apostrophes and prefixes
    (O'Neil-Smith, McDonald), keeps particles inside a family name in lower case
    (De la Cruz) and keeps accents."""
    honorifics: bool = True
    """Remove honorifics: Mr, Mrs, Dr, г-н, г-жа... before and мырза, айым... after."""
    part: Part = "none"
    """none: the cleaned name, in the order written (commas dropped); full: reordered to
    FAMILY GIVEN MIDDLE PATRONYMIC SUFFIX; or one part. A one-word value is whichever of
    given or family is asked for; a part the name lacks is null (not flagged). The given
    or middle part of a name with a whole word after the given name (``MARY ANN``, a
    double given name or a given and a middle name) is flagged ambiguous_given_name;
    an initial (``KENNETH T``) is not."""
    order: Order = "family_first"
    """How a name without a comma is written: FAMILY GIVEN ... or GIVEN ... FAMILY. A
    comma always means family name first ("DE LA CRUZ, JOSE A")."""
    patronymics: Patronymics = "auto"
    """Whether the words after the given name are a patronymic or middle names. auto: a
    patronymic where they look like one (Asanovich, Nurlanovna, Ильич, "Asan kyzy") or
    where the workspace's country writes patronymics (KG, KZ, RU, UA...), else middle
    names; always or never decide it for every value."""


_parse = lru_cache(maxsize=1 << 16)(parse_name)
"""parse_name, remembered: the steps of one split column (family, given, middle) read
the same values one after the other, batch by batch."""


class NameNormalizer(Normalizer):
    """People's names: spacing, case, honorifics, and one part of a full name."""

    # Parsing is per word with word lists; it runs once per distinct value.
    prefer_sql: ClassVar[bool] = False
    memoize: ClassVar[bool] = True
    key = "name"
    options_model = NameOptions
    flags = ("empty_name", "ambiguous_given_name")
    doubts = ("ambiguous_given_name",)

    @property
    def opts(self) -> NameOptions:
        return cast(NameOptions, self.options)

    def one(self, text: str) -> tuple[str | None, str | None]:
        """The step over one value: (output, flag)."""
        o = self.opts
        parts = _parse(
            text,
            order=o.order,
            case=o.case,
            honorifics=o.honorifics,
            patronymics=o.patronymics,
            country=self.context.country,
        )
        if parts.empty:
            return None, "empty_name"
        if o.part == "none":
            return parts.cleaned, None
        if o.part == "full":
            return parts.full(), None
        value = parts.part(o.part)
        if value is not None and o.part in ("given", "middle") and parts.given_or_middle:
            # "DEMARCO, MARY ANN": a double given name, or a given and a middle name
            return value, "ambiguous_given_name"
        return value, None

    def arrow(self, values: pa.Array[Any]) -> StepResult:
        return map_distinct(values, self.one)


# --- comparison keys ---------------------------------------------------------------

_PREFOLD = str.maketrans(
    {"ž": "zh", "č": "ch", "š": "sh", "ŝ": "shch", "â": "ya", "û": "yu", "ë": "yo",
     "ı": "i", "ß": "ss", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th"}
)  # fmt: skip
"""ISO 9 and other Latin letters that lose their sound when diacritics are dropped."""

_FOLDS = tuple(
    (re.compile(p), r)
    for p, r in (
        ("shch|sch|shh", "sh"),
        ("dzh|dj|zh", "j"),
        ("kh", "h"),
        ("ts|cz", "c"),
        ("x", "ks"),
        ("ye|yo", "e"),
        ("y", "i"),
        ("w", "v"),
        ("ng", "n"),
        (r"(.)\1+", r"\1"),
    )
)
"""Spelling variants of the same Cyrillic sound, merged (Zh/J, Kh/H, Y/I, Yu/Iu...)."""


def _key(text: str, scheme: SchemeName, fold: bool) -> str | None:
    s = to_latin(unicodedata.normalize("NFC", text).lower(), scheme).translate(_PREFOLD)
    s = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    s = re.sub("[^a-z]", "", s)
    if fold:
        previous = None
        while s != previous:
            previous = s
            for pattern, repl in _FOLDS:
                s = pattern.sub(repl, s)
    return s or None


def name_key(
    values: pa.Array[Any], scheme: SchemeName = "icao", *, fold: bool = True
) -> pa.Array[Any]:
    """A comparison key per name: Latin, lowercase, letters only, variants folded.

    "Жылдыз", "ZHYLDYZ", "Jyldyz" and "Žyldyz" all give ``jildiz``; "Айбек", "Aibek"
    and "Aybek" give ``aibek``. ``scheme`` is how Cyrillic values are romanized first;
    with ``fold=False`` the key is just the romanized letters (``zhyldyz``). Keys are
    for finding candidate matches, not for display; null or letterless input -> null.
    """
    return map_distinct(values, lambda s: (_key(s, scheme, fold), None)).values


def other_script(value: str | None) -> bool:
    """Whether ``value`` holds a letter outside the Latin script (Cyrillic, Greek...).

    Two names compare on :func:`name_key` only where one of them is in another script (a
    romanization explains the variants there); two Latin spellings must agree as spelled.
    """
    return value is not None and any(
        ch.isalpha() and not unicodedata.name(ch, "").startswith("LATIN") for ch in value
    )


def _spelling(text: str) -> str | None:
    s = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in s if c.isalpha() and not unicodedata.combining(c)) or None


def spelling_key(values: pa.Array[Any]) -> pa.Array[Any]:
    """A name's letters as spelled: case, spacing, punctuation and diacritics dropped.

    For names all in the Latin script, where :func:`name_key`'s folds (made for
    romanizations) would hide typos and its Cyrillic-letter readings (ë as yo) do not
    apply: "Zoë" and "ZOE" agree, "Howaard" and "Howard" do not.
    """
    return map_distinct(values, lambda s: (_spelling(s), None)).values


def register(registry: Any) -> None:
    registry.register(NameNormalizer)
    registry.register(TransliterateNormalizer)
