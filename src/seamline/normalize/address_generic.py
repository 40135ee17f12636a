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

from seamline.normalize.address_parts import LineParts
from seamline.normalize.address_rules import CountryRules, word_key
from seamline.normalize.postcode import PostCode

_NUMBERISH = re.compile(r"[0-9][0-9A-Z/-]*|[0-9]+ ?[0-9]/[0-9]", re.IGNORECASE)


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
    rest, post, invalid = take_post_code(text, rules)
    rest, region = take_region(rest, rules)
    pieces = [p.strip() for p in rest.split(",") if p.strip()]
    out = LineParts(text=text, post=post, invalid_post_code=invalid, region=region)
    if not pieces:
        return out
    box = _box(pieces[0], rules)
    at = 0
    if box is None:
        at = next((i for i, p in enumerate(pieces) if _delivery_like(p, rules)), -1)
        if at < 0:
            return out
    words = pieces[at].split()
    unit = _take_unit(words, rules) if box is None else None
    street: str | None
    house: str | None
    if box is not None:
        street, house, locality_words = box[0], None, words[box[1] :]
    else:
        house, street, locality_words = _street(words, rules)
    locality = " ".join([*locality_words, *pieces[at + 1 :]]) or None
    return LineParts(
        text=text,
        house_number=house,
        street=street,
        unit=unit,
        locality=rules.case(locality) if locality else None,
        region=region,
        post=post,
        invalid_post_code=invalid,
        parsed=street is not None and (house is not None or box is not None) and at == 0,
    ).checked()


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


def _take_unit(words: list[str], rules: CountryRules) -> str | None:
    """Remove a unit (``APT 4B``, ``# 15C``, ``#15C``) from ``words``; return it standardized."""
    for i, w in enumerate(words):
        if w.startswith("#") and len(w) > 1:
            del words[i]
            return f"# {w[1:]}"
        std = rules.unit_words.get(word_key(w)) if w != "#" else "#"
        if std is not None and i > 0 and i + 1 < len(words):
            ident = words[i + 1]
            if any(c.isdigit() for c in ident) or len(ident) <= 2:
                del words[i : i + 2]
                return f"{std} {ident}"
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
    type_at = next(
        (i for i in range(len(words) - 1, 0, -1) if word_key(words[i]) in rules.street_types),
        None,
    )
    if type_at is None:
        return house, _standard_street(words, rules), []
    end = type_at + 1
    if end < len(words) and word_key(words[end]) in rules.directionals:
        end += 1
    return house, _standard_street(words[:end], rules), words[end:]


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
