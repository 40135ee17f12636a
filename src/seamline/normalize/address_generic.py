"""The table parser: an address line read with a country's word tables alone.

It serves countries a workspace declares with street types (``addresses/<cc>.yaml``)
and US lines the usaddress model cannot tag. Written by hand because no well-kept
offline parser reads arbitrary declared word tables; it is deliberately plain: the
delivery piece (the first comma piece with a number or a street type) gives the house
number, the street with its type and the unit; the pieces after it the locality; a
region code or name and the post code are taken from the end. What it cannot place
leaves the line unread (flagged), never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from seamline.normalize.address_parts import LineParts
from seamline.normalize.address_rules import CountryRules, word_key
from seamline.normalize.postcode import PostCode

_NUMBERISH = re.compile(r"[0-9][0-9A-Z/-]*|[NSEW][0-9]+[NSEW][0-9]+", re.IGNORECASE)
"""A house number: ``123``, ``96A``, ``12-14``, a Wisconsin grid number ``N6W23001``."""
_GLUED_UNIT = re.compile(r"(?<=[A-Z])#", re.IGNORECASE)  # "APT#5" -> "APT #5"


def standard(words: list[str], table: Mapping[str, str]) -> str | None:
    """The standard word for a run of words, or None."""
    return table.get(word_key(" ".join(words)))


def take_post_code(text: str, rules: CountryRules) -> tuple[str, PostCode | None, str | None]:
    """The line without its post code, the code, and an invalid post-code-like value.

    A code is taken from inside or at the end of the line, or at its start when a comma
    follows (``720040, ...``). A trailing number after a region or a comma that fails the
    pattern is an invalid post code; one that lost its leading zeros is padded back."""
    rule = rules.post_code
    if rule is None:
        return text, None, None
    found = rule.search(text)
    if found is not None:
        code, (start, end) = found
        if start > 0 or text[end:].lstrip().startswith(","):
            return (text[:start] + " " + text[end:]).strip(" ,").replace(" ,", ","), code, None
    tokens = text.split(" ")
    for i in range(len(tokens) - 1, 0, -1):
        token, before = tokens[i].rstrip(","), tokens[i - 1]
        placed = before.endswith(",") or word_key(before.rstrip(",")) in rules.regions
        if not (token[:1].isdigit() and placed):
            continue
        rest = " ".join(tokens[:i] + tokens[i + 1 :]).strip(" ,").replace(" ,", ",")
        read = rule.read(token)
        if read is not None:
            return rest, read, None
        if i == len(tokens) - 1:
            return rest, None, token
    return text, None, None


def take_region(text: str, rules: CountryRules) -> tuple[str, str | None]:
    """The line without a trailing region (code or name, up to three words), and its code."""
    if not rules.regions:
        return text, None
    words = text.replace(",", " , ").split()
    for size in (3, 2, 1):
        if len(words) > size and words[-size - 1 :] and "," not in words[-size:]:
            code = rules.regions.get(word_key(" ".join(words[-size:])))
            if code is not None:
                return " ".join(words[:-size]).replace(" , ", ", ").strip(" ,"), code
    return text, None


def parse_table(text: str, rules: CountryRules) -> LineParts:
    """Read a cleaned line with the country's tables."""
    rest, foreign = take_country(text, rules)
    rest, post, invalid = take_post_code(rest, rules)
    rest, region = take_region(rest, rules)
    pieces = [p.strip() for p in _GLUED_UNIT.sub(" #", rest).split(",") if p.strip()]
    out = LineParts(text=text, post=post, invalid_post_code=invalid, region=region)
    units: list[str] = []
    if len(pieces) > 1 and (first := _unit_piece(pieces[0], rules)):
        units.append(first)  # "Apt 5, 22 Elm St"
        pieces = pieces[1:]
    if not pieces or foreign:
        return out
    box = _box(pieces[0], rules)
    at = 0
    if box is None:
        at = next((i for i, p in enumerate(pieces) if _delivery_like(p, rules)), -1)
        if at < 0:
            return out
    words = pieces[at].split()
    street: str | None
    house: str | None
    if box is not None:
        street, house, locality_words = box[0], None, words[box[1] :]
    else:
        unit = _take_unit(words, rules)
        units += [unit] if unit else []
        house, street, locality_words = _street(words, rules)
    after = pieces[at + 1 :]
    while after and (more := _unit_piece(after[0], rules)):
        units.append(more)  # "22 Elm St, Apt 3, Salem"
        after = after[1:]
    locality = " ".join([*locality_words, *after]) or None
    return LineParts(
        text=text,
        house_number=house,
        street=street,
        unit=" ".join(units) or None,
        locality=rules.case(locality) if locality else None,
        region=region,
        post=post,
        invalid_post_code=invalid,
        number_first=rules.number_first,
        line=rules.line,
        parsed=(
            street is not None
            and (house is not None or box is not None)
            and at == 0
            and not any(c.isdigit() for c in locality or "")  # a number left over: unread
        ),
    ).checked()


def take_country(text: str, rules: CountryRules) -> tuple[str, bool]:
    """The line without a trailing name of its own country (``USA``), and whether it ends
    with another country's name instead (then it is not read by these rules)."""
    tokens = text.split(" ")
    for size in (3, 2, 1):
        if len(tokens) > size:
            found = country_names().get(word_key(" ".join(t.strip(",") for t in tokens[-size:])))
            if found == rules.country:
                return " ".join(tokens[:-size]).strip(" ,"), False
            if found is not None:
                return text, True
    return text, False


@lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    """Country names and alpha-3 codes (upper case, as table keys) -> alpha-2 code. Alpha-2
    codes are left out: ``CA`` or ``DE`` at the end of a line is more often a region."""
    import pycountry

    out: dict[str, str] = {"U S A": "US", "UNITED STATES OF AMERICA": "US", "UK": "GB"}
    countries: Any = pycountry.countries
    for c in countries:
        for attr in ("name", "official_name", "common_name", "alpha_3"):
            value = getattr(c, attr, None)
            if value:
                out.setdefault(word_key(str(value)), str(c.alpha_2))
    return out


def _unit_piece(piece: str, rules: CountryRules) -> str | None:
    """A comma piece that is a unit alone (``Apt 5``, ``# 12``, ``Suite 1200``)."""
    words = piece.split()
    unit = _take_unit(words, rules, first=True)
    return unit if unit and not words else None


def _delivery_like(piece: str, rules: CountryRules) -> bool:
    words = piece.split()
    return any(w[:1].isdigit() for w in words) or any(
        word_key(w) in rules.street_types for w in words
    )


def _box(piece: str, rules: CountryRules) -> tuple[str, int] | None:
    """``PO BOX 12`` or ``RR 2 BOX 45`` at the start of a piece, standardized, and the
    number of words it took."""
    words = piece.split()
    for size in (3, 2, 1):
        std = standard(words[:size], rules.box_words)
        if std is None or len(words) <= size or not words[size][:1].isdigit():
            continue
        ident = words[size]
        tail = words[size + 1 :]
        if len(tail) >= 2 and word_key(tail[0]) in rules.box_words and tail[1][:1].isdigit():
            return f"{std} {ident} BOX {tail[1]}", size + 3
        return f"{std} {ident}", size + 1
    return None


def _take_unit(words: list[str], rules: CountryRules, first: bool = False) -> str | None:
    """Remove a unit (``APT 4B``, ``# 15C``, ``#15C``, ``STE #200``) from ``words``; return
    it standardized. Unless ``first``, a unit word that starts the words is not a unit."""
    for i, w in enumerate(words):
        if w.startswith("#") and len(w) > 1:
            del words[i]
            return f"# {w[1:]}"
        std = rules.unit_words.get(word_key(w)) if w != "#" else "#"
        if std is None or not (i > 0 or first):
            continue
        if i + 1 < len(words):
            ident = words[i + 1].lstrip("#")
            if ident and (any(c.isdigit() for c in ident) or len(ident) <= 2):
                del words[i : i + 2]
                return f"{std} {ident}"
        if std in rules.units_alone and i == len(words) - 1:
            del words[i]
            return std
    return None


def _street(words: list[str], rules: CountryRules) -> tuple[str | None, str | None, list[str]]:
    """House number, street (type and directionals standardized), and words after it."""
    house: str | None = None
    if rules.number_first and words and _NUMBERISH.fullmatch(words[0]):
        house, words = words[0], words[1:]
        if words and re.fullmatch(r"[0-9]/[0-9]", words[0]):
            house, words = f"{house} {words[0]}", words[1:]
    elif not rules.number_first:
        idx = next((i for i in range(len(words) - 1, 0, -1) if words[i][:1].isdigit()), None)
        if idx is not None:
            house, after = words[idx], words[idx + 1 :]
            words = words[:idx]
            return house, _standard_street(words, rules), after
    type_at = _type_at(words, rules)
    if type_at is None:
        return house, _standard_street(words, rules), []
    end = type_at + 1
    if end < len(words) and word_key(words[end]) in rules.directionals:
        end += 1
    return house, _standard_street(words[:end], rules), words[end:]


def _type_at(words: list[str], rules: CountryRules) -> int | None:
    """Where the street type stands: the first type word after a name word that is not
    followed by another type word (``OLD MILL RD``: ``RD``; ``FOREST AVENUE GRAND RAPIDS``:
    ``AVENUE``); the last type word when there is no such one."""
    types = [word_key(w) in rules.street_types for w in words]
    named = False
    for i, is_type in enumerate(types):
        if i > 0 and is_type and named and not (i + 1 < len(words) and types[i + 1]):
            return i
        named = named or word_key(words[i]) not in rules.directionals
    return next((i for i in range(len(words) - 1, 0, -1) if types[i]), None)


def _standard_street(words: list[str], rules: CountryRules) -> str | None:
    if not words:
        return None
    out = list(words)
    last = len(out) - 1
    for i in (0, last):
        key = word_key(out[i])
        if key in rules.directionals and len(out) > 1:
            out[i] = rules.directionals[key]
    for i in (last, last - 1):
        if 0 < i <= last and word_key(out[i]) in rules.street_types:
            out[i] = rules.street_types[word_key(out[i])]
            break
    return rules.case(" ".join(w.rstrip(".") if len(w) > 1 else w for w in out))
