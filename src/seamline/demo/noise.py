"""The small corruptions real registers carry: typos, reformatted identifiers."""

from __future__ import annotations

import numpy as np

_CYR_NEAR = "аоеиыуэяюлнмркгтсдбвжзчшй"
_LAT_NEAR = "AOEIYULNMRKGTSDBVZH"


def typo(text: str, rng: np.random.Generator) -> str:
    """One keyboard-style slip: swap two letters, drop one, double one or replace one."""
    if len(text) < 3:
        return text + text[-1:]
    kind = int(rng.integers(0, 4))
    i = int(rng.integers(1, len(text) - 1))
    if kind == 0:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if kind == 1:
        return text[:i] + text[i + 1 :]
    if kind == 2:
        return text[:i] + text[i] + text[i:]
    pool = _LAT_NEAR if text[i].isascii() else _CYR_NEAR
    letter = pool[int(rng.integers(0, len(pool)))]
    if text[i].isupper() or text.isupper():
        letter = letter.upper()
    elif not text[i].isascii() or text[i].islower():
        letter = letter.lower()
    return text[:i] + letter + text[i + 1 :]


def pin_variant(pin: str, style: int) -> str:
    """A PIN as another system stores it: 0 plain, 1 dashes, 2 spaces, 3 dots."""
    if style == 1:
        return f"{pin[0]}-{pin[1:9]}-{pin[9:]}"
    if style == 2:
        return f"{pin[0]} {pin[1:5]} {pin[5:9]} {pin[9:]}"
    if style == 3:
        return f"{pin[:1]}.{pin[1:3]}.{pin[3:5]}.{pin[5:9]}.{pin[9:]}"
    return pin
