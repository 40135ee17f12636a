"""How each system writes the same facts: SSN notations, name orders, street lines, phones."""

from __future__ import annotations

import random

from seamline.demo.usui import lists
from seamline.demo.usui.people import Address, Person, ascii_upper

PLACEHOLDER_SSNS = ("000000000", "111111111", "123456789", "999999999")
"""What clerks type when the SSN is unknown; the scheme declares them as placeholders."""


def ssn_notation(ssn: str, style: int) -> str:
    """0 plain 123456789, 1 dashes 123-45-6789, 2 spaces 123 45 6789."""
    if style == 1:
        return f"{ssn[:3]}-{ssn[3:5]}-{ssn[5:]}"
    if style == 2:
        return f"{ssn[:3]} {ssn[3:5]} {ssn[5:]}"
    return ssn


def invalid_ssn(ssn: str, rng: random.Random) -> str:
    """An SSN the scheme rejects: an ITIN-like 9xx area, a 000 area, a 00 group or a lost digit."""
    kind = rng.randrange(4)
    if kind == 0:
        return "9" + ssn[1:]
    if kind == 1:
        return "000" + ssn[3:]
    if kind == 2:
        return ssn[:3] + "00" + ssn[5:]
    i = rng.randrange(9)
    return ssn[:i] + ssn[i + 1 :]


def messy_ssn(
    ssn: str, rng: random.Random, styles: tuple[float, float, float], bad: float, placeholder: float
) -> tuple[str, str]:
    """(the SSN as written, defect or "")."""
    u = rng.random()
    if u < placeholder:
        return ssn_notation(rng.choice(PLACEHOLDER_SSNS), rng.randrange(2)), "placeholder_ssn"
    if u < placeholder + bad:
        value = invalid_ssn(ssn, rng)
        return (value if len(value) != 9 else ssn_notation(value, 1)), "invalid_ssn"
    style = rng.choices((0, 1, 2), weights=styles)[0]
    return ssn_notation(ssn, style), ""


def upper_name(name: str, rng: random.Random, *, keep_punctuation: float = 0.8) -> str:
    """A name as an upper-case, accent-free system holds it (O'BRIEN, sometimes OBRIEN)."""
    out = ascii_upper(name)
    if rng.random() >= keep_punctuation:
        out = out.replace("'", "").replace(".", "")
    return out


_NEAR = "AOEIYULNMRKGTSDBVZH"


def typo(text: str, rng: random.Random) -> str:
    """One keyboard slip, as the civil scenario makes them: swap, drop, double or replace."""
    if len(text) < 3:
        return text + text[-1:]
    kind = rng.randrange(4)
    i = rng.randrange(1, len(text) - 1)
    if kind == 0:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if kind == 1:
        return text[:i] + text[i + 1 :]
    if kind == 2:
        return text[:i] + text[i] + text[i:]
    letter = rng.choice(_NEAR)
    return text[:i] + (letter if text[i].isupper() else letter.lower()) + text[i + 1 :]


def maybe_typo(text: str, rng: random.Random, share: float) -> tuple[str, bool]:
    if text and rng.random() < share:
        return typo(text, rng), True
    return text, False


def street_line(
    addr: Address, rng: random.Random, *, upper: bool, with_unit: bool, hash_sign: bool = True
) -> str:
    """123 N Main St Apt 4B / 123 NORTH MAIN STREET #4B / 123 Main Street, Unit 4.

    ``hash_sign``: the system lets a clerk write "#" for an apartment (USPS reads it as an
    unknown designator); an address-validated system writes the designator.
    """
    parts = [addr.house]
    if addr.direction >= 0:
        short, long = lists.DIRECTIONS[addr.direction]
        parts.append(short if rng.random() < 0.6 else long)
    parts.append(lists.STREET_NAMES[addr.street])
    parts.append(rng.choice(lists.STREET_SUFFIXES[addr.suffix][1]))
    line = " ".join(parts)
    if with_unit and addr.unit_kind >= 0:
        spellings = lists.UNITS[addr.unit_kind][1]
        spelling = rng.choice(spellings if hash_sign else [x for x in spellings if x != "#"])
        sep = ", " if rng.random() < 0.2 else " "
        line += f"{sep}{spelling}{'' if spelling == '#' else ' '}{addr.unit}"
    return line.upper() if upper else line


def phone_notation(phone: str, rng: random.Random) -> str:
    """(973) 555-0142, 973-555-0142, 973.555.0142, 9735550142, +1 973 555 0142, 1-973-..."""
    a, b, c = phone[:3], phone[3:6], phone[6:]
    style = rng.randrange(6)
    if style == 0:
        return f"({a}) {b}-{c}"
    if style == 1:
        return f"{a}-{b}-{c}"
    if style == 2:
        return f"{a}.{b}.{c}"
    if style == 3:
        return phone
    if style == 4:
        return f"+1 {a} {b} {c}"
    return f"1-{a}-{b}-{c}"


def last_first(person: Person, rng: random.Random) -> str:
    """LAST, FIRST M (wage reports): upper case, middle initial, accents dropped."""
    name = f"{upper_name(person.family, rng)}, {ascii_upper(person.given)}"
    if person.middle:
        name += f" {ascii_upper(person.middle)[0]}"
    if person.suffix and rng.random() < 0.5:
        name = f"{upper_name(person.family, rng)} {person.suffix}, {ascii_upper(person.given)}"
        if person.middle:
            name += f" {ascii_upper(person.middle)[0]}"
    return name


def first_last(person: Person) -> str:
    """JOSE A GARCIA LOPEZ (the bank's payee line)."""
    parts = [ascii_upper(person.given)]
    if person.middle:
        parts.append(ascii_upper(person.middle)[0])
    parts.append(ascii_upper(person.family))
    if person.suffix:
        parts.append(person.suffix)
    return " ".join(parts)


def state_name(code: str) -> str:
    return dict(lists.STATES)[code]
