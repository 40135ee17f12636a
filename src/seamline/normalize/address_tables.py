"""The scanner of the ``cis`` address parser, over a country's designator words.

No address library fits here: libpostal needs a 2 GB model and knows little of Kyrgyz
post-Soviet address habits ("ул.", "мкр", "ж/м", "д. 96 кв 5"), so the parser is
table-driven. A designator is a word that says what the neighbouring name is: "ул."
(a street), "обл." (a region), "кв." (a flat). The words are data, in the country's
rules (``address_data/ru.yaml``, ``kg.yaml``...): each gives the kind, the canonical
(expanded) spelling and whether the word usually stands after the name
("Чуйская область", "Манас көчөсү") rather than before it ("ул. Манаса").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal[
    "street", "area", "region", "district", "city", "village", "house", "flat", "block", "post"
]
"""``street``: a thoroughfare; ``area``: a micro-district or housing estate that may stand in
for a street (``мкр. Джал 12``); ``city``/``village``: a locality; ``house``, ``flat``,
``block``: locators that need a number after them; ``post``: the word "post code"."""


@dataclass(frozen=True)
class Designator:
    kind: Kind
    canonical: str
    postfix: bool = False
    """The canonical form stands after the name ("Чуйская область")."""
    street_class: str = ""
    """For streets: a language-neutral class, so "улица" and "көчөсү" compare equal."""


# Single letters that are designators only in clear positions (start of a comma segment
# or before a number): "ул. С. Орозбекова" is a street named after a person, not a village.
SHORT = frozenset({"г", "с", "п", "д", "ш", "к", "s", "g", "d", "p"})

DEFAULT_POST_CODE = re.compile(r"\d{4,6}")
"""Post codes of a country whose rules give no pattern."""

# Latin letters typed for their Cyrillic look-alikes in house numbers ("96A" with a Latin A).
LATIN_TO_CYRILLIC = str.maketrans("ABEKMHOPCTXaebkmhopctx", "АВЕКМНОРСТХАВЕКМНОРСТХ")


def designators_for(country: str | None) -> Mapping[str, Designator]:
    """The designator words of ``country``'s built-in rules (``address_data/<cc>.yaml``);
    the Kyrgyz Republic's (Russian and Kyrgyz words) for a country without any."""
    from seamline.normalize.address_rules import rules_for

    rules = rules_for(country)
    if rules is None or not rules.designators:
        rules = rules_for("KG")
    return rules.designators if rules is not None else {}


def post_code_pattern(country: str | None) -> re.Pattern[str]:
    """The country's post code pattern from its rules (``address_data/<cc>.yaml``)."""
    from seamline.normalize.address_rules import rules_for

    rules = rules_for(country)
    return rules.post_code.pattern if rules and rules.post_code else DEFAULT_POST_CODE


def word_key(token: str) -> str:
    """A token as a table key: lower case, "ё" folded, trailing dots dropped."""
    return token.lower().replace("ё", "е").strip(".")


_HOUSE = re.compile(r"(\d{1,4})(?:-?([^\W\d_]))?(?:/(\d{1,4}[^\W\d_]?))?")
_HOUSE_FLAT = re.compile(r"(\d{1,4}[^\W\d_]?)-(\d{1,4})")  # "12-34": house 12, flat 34
_POST = re.compile(r"\d{5,7}")
_GLUED_DOT = re.compile(r"(?<=[^\W\d_])\.(?=[^\W_])")  # "ул.Киевская", "д.96"
_NOISE = re.compile(r"[\"«»()\[\]№#\u00a0\t]")


@dataclass
class Unit:
    """A run of words with at most one designator and one number."""

    designator: Designator | None = None
    words: list[str] = field(default_factory=list)
    house: str | None = None
    flat: str | None = None
    post: str | None = None

    def empty(self) -> bool:
        return self.designator is None and not self.words and self.house is None


def read_house(tokens: list[str], j: int, table: Mapping[str, Designator]) -> tuple[str, int]:
    """The house number at ``tokens[j]`` and how many tokens it took ("96 А" takes two)."""
    token = tokens[j]
    m = _HOUSE.fullmatch(token)
    if not m:
        return token, 1
    number, mark, fraction = m.groups()
    used = 1
    after = tokens[j + 1] if j + 1 < len(tokens) else None
    if (
        mark is None
        and fraction is None
        and after is not None
        and len(after) == 1
        and after.isalpha()
        and (word_key(after) not in table or j + 2 == len(tokens))
    ):
        mark, used = after, 2
    out = str(int(number)) + (mark.upper().translate(LATIN_TO_CYRILLIC) if mark else "")
    return out + (f"/{fraction.upper().translate(LATIN_TO_CYRILLIC)}" if fraction else ""), used


def read_number(unit: Unit, tokens: list[str], j: int, table: Mapping[str, Designator]) -> int:
    """Put the house (and flat, for "12-34") at ``tokens[j]`` into ``unit``; tokens used."""
    both = _HOUSE_FLAT.fullmatch(tokens[j])
    if both:
        unit.house, unit.flat = read_house([both.group(1)], 0, table)[0], both.group(2)
        return 1
    unit.house, used = read_house(tokens, j, table)
    return used


def is_number(token: str | None) -> bool:
    return token is not None and token[:1].isdigit()


def segments(text: str) -> list[list[str]]:
    text = unicodedata.normalize("NFC", text)
    text = _GLUED_DOT.sub(". ", _NOISE.sub(" ", text))
    return [seg.split() for seg in re.split(r"[,;]+", text) if seg.strip()]


def scan(tokens: list[str], table: Mapping[str, Designator]) -> list[Unit]:
    """Cut one comma segment into units at designators and numbers."""
    units: list[Unit] = []
    cur = Unit()

    def flush() -> None:
        nonlocal cur
        if not cur.empty() or cur.post or cur.flat:
            units.append(cur)
        cur = Unit()

    i, n = 0, len(tokens)
    while i < n:
        tok = tokens[i]
        nxt = tokens[i + 1] if i + 1 < n else None
        key = word_key(tok)
        d = table.get(key)
        if d and key in SHORT and not (cur.empty() or is_number(nxt) or tok.endswith(".")):
            d = None
        if d and d.kind in ("house", "flat", "block", "post"):
            if not is_number(nxt):
                d = None  # "Дом Советов", "К. Маркса": a name, not a locator
            else:
                flush()
                used = 1
                if d.kind == "house":
                    cur.designator = d
                    used = read_number(cur, tokens, i + 1, table)
                elif d.kind == "flat":
                    cur.flat = nxt
                elif d.kind == "block":
                    cur.designator, cur.words = d, [nxt or ""]
                else:
                    cur.post = nxt
                flush()
                i += 1 + used
                continue
        if d and cur.designator is not None and not cur.words:
            d = None  # "ул. С. Орозбекова": a person's initial inside a street name
        if d and d.kind == "area" and cur.empty() and units and i > 0 and is_number(tokens[i - 1]):
            last = units[-1]
            if last.designator is None and not last.words and last.house and not last.flat:
                units.pop()  # "7 мкр": Bishkek's numbered micro-districts
                cur.designator, cur.words = d, [last.house]
                if not is_number(nxt):
                    flush()
                i += 1
                continue
        if d:
            if cur.words and cur.designator is None:
                nxt_key = word_key(nxt) if nxt else ""
                if d.postfix or nxt is None or is_number(nxt) or nxt_key in table:
                    cur.designator = d  # "Чуйская область", "Садовая ул. 15"
                    if not (is_number(nxt) and d.kind in ("street", "area")):
                        flush()
                    i += 1
                    continue
            flush()
            cur.designator = d
        elif _POST.fullmatch(tok):
            flush()
            cur.post = tok
            flush()
        elif is_number(tok) and cur.designator and cur.designator.kind == "area" and not cur.words:
            cur.words.append(tok)  # "мкр. 7": a numbered micro-district
        elif is_number(tok):
            if not (cur.words or cur.designator is not None):
                flush()
            i += read_number(cur, tokens, i, table) - 1
            flush()
        else:
            cur.words.append(tok)
        i += 1
    flush()
    return units
