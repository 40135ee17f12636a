"""PICTURE strings and USAGE clauses -> storage kind, digits, scale and byte size."""

from __future__ import annotations

import math
import re

from seamline.sources.copybook.layout import Field

_REPEAT = re.compile(r"(.)\((\d+)\)")
_NUMERIC_EDIT = set("Z*+-.,$B0/")


def expand(pic: str) -> str:
    """``S9(3)V99`` -> ``S999V99``; raises ValueError on a malformed repeat count."""
    if pic.count("(") != pic.count(")"):
        raise ValueError(f"PIC {pic}: unbalanced parentheses")

    def repl(m: re.Match[str]) -> str:
        n = int(m.group(2))
        if n <= 0 or n > 100_000:
            raise ValueError(f"PIC {pic}: repeat count {n} is out of range")
        return m.group(1) * n

    out = _REPEAT.sub(repl, pic)
    if "(" in out or ")" in out:
        raise ValueError(f"PIC {pic}: malformed repeat count")
    return out


def binary_size(digits: int) -> int:
    if digits <= 4:
        return 2
    if digits <= 9:
        return 4
    if digits <= 18:
        return 8
    # Beyond 18 digits COBOL compilers differ; this is Cobrix's rule (the smallest byte
    # count holding the digits plus a sign bit): 19-20 digits in 9 bytes, 37-38 in 16.
    bits = math.ceil(digits * math.log2(10)) + 1
    return (bits + 7) // 8


def apply_picture(f: Field) -> None:
    """Set kind, digits, scale, sign and size of an elementary item from PIC and USAGE."""
    pic = f.pic or ""
    chars = expand(pic)
    if not chars:
        raise ValueError("empty PIC string")
    body = chars.upper()
    if "CR" in body or "DB" in body:
        body = body.replace("CR", "--").replace("DB", "--")
    if any(c in "XAGN" for c in body):
        if any(c in "GN" for c in body):
            raise ValueError(f"PIC {pic}: national/DBCS pictures (N, G) are not supported")
        bad = set(body) - set("XA9B0/")
        if bad:
            raise ValueError(f"PIC {pic}: {''.join(sorted(bad))} cannot appear in a text picture")
        if f.usage != "DISPLAY":
            raise ValueError(f"PIC {pic}: a text picture cannot be USAGE {f.usage}")
        f.kind = "alnum"
        f.size = len(body)
        return
    bad = set(body) - set("S9VP") - _NUMERIC_EDIT
    if bad:
        raise ValueError(f"PIC {pic}: unexpected {''.join(sorted(bad))}")
    edited = any(c in _NUMERIC_EDIT for c in body)
    if edited:
        _edited(f, pic, body)
        return
    if body.count("S") > 1 or ("S" in body and not body.startswith("S")):
        raise ValueError(f"PIC {pic}: S must come first, once")
    if body.count("V") > 1:
        raise ValueError(f"PIC {pic}: more than one V")
    # a SIGN SEPARATE clause on an unsigned picture still stores a sign (Cobrix reads it)
    f.signed = body.startswith("S") or f.sign_separate
    core = body.lstrip("S")
    int_part, _, frac_part = core.partition("V")
    nines = core.count("9")
    if nines == 0:
        raise ValueError(f"PIC {pic}: a numeric picture needs at least one 9")
    lead_p = len(frac_part) - len(frac_part.lstrip("P")) if frac_part else 0
    if not frac_part and core.startswith("P"):
        lead_p = len(core) - len(core.lstrip("P"))
        frac_part, int_part = core, ""
    trail_p = len(int_part) - len(int_part.rstrip("P")) if int_part else 0
    f.scale = frac_part.count("9") + lead_p
    f.p_shift = trail_p
    f.digits = nines + lead_p + trail_p
    if f.digits > 38:
        raise ValueError(f"PIC {pic}: {f.digits} digits is more than 38")
    usage = f.usage
    if usage == "DISPLAY":
        f.kind = "zoned"
        f.size = nines + (1 if f.sign_separate else 0)
    elif usage == "COMP-3":
        f.kind = "packed"
        f.size = nines // 2 + 1
    elif usage in ("COMP", "COMP-5", "COMP-9"):
        f.kind = "binary"
        f.size = binary_size(nines)
        f.little_endian = usage == "COMP-9"
    elif usage in ("COMP-1", "COMP-2"):
        f.kind = "float"
        f.size = 4 if usage == "COMP-1" else 8
    else:
        raise ValueError(f"PIC {pic}: USAGE {usage} cannot have a picture")


def _edited(f: Field, pic: str, body: str) -> None:
    """Numeric-edited pictures (``9(5).99``, ``-ZZ9``): decoded as text, then parsed."""
    if f.usage != "DISPLAY":
        raise ValueError(f"PIC {pic}: an edited picture must be USAGE DISPLAY")
    f.kind = "zoned"
    f.signed = "S" in body or "-" in body or "+" in body
    point = body.find(".") if "." in body else body.find("V")
    digit_chars = set("9Z*")
    if point >= 0:
        f.scale = sum(1 for c in body[point + 1 :] if c in digit_chars)
    f.digits = max(1, sum(1 for c in body if c in digit_chars))
    f.size = len(body.replace("S", "").replace("V", "").replace("P", ""))
    f.usage = "DISPLAY"
    f.pic = pic
    f.edited = True


def apply_usage_without_picture(f: Field) -> None:
    if f.usage in ("COMP-1", "COMP-2"):
        f.kind = "float"
        f.size = 4 if f.usage == "COMP-1" else 8
        f.signed = True
    elif f.usage in ("POINTER", "INDEX"):
        f.kind = "binary"
        f.size = 4
        f.digits = 9
        f.signed = True
