"""Post codes as a pattern with named parts: a US ZIP+4 (``post_code``, ``post_code_ext``),
a UK postcode (``outward``, ``inward``), a Canadian postal code (``fsa``, ``ldu``), a
Dutch postcode (``digits``, ``letters``).

A rule reads a candidate (upper case, spaces single), fills the pattern's named groups,
and writes the whole code by its ``format``; an all-digit code that lost its leading
zeros is padded back when the rule allows it, and the caller flags it.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

_DIGITS_FIRST = re.compile(r"([0-9]+)(.*)")


@dataclass(frozen=True)
class PostCode:
    """One post code read by a rule."""

    text: str
    """The whole code as the rule writes it."""
    groups: dict[str, str]
    """The named parts that were present."""
    restored: bool = False
    """Leading zeros were put back."""

    def part(self, name: str) -> str | None:
        """``post_code``: the group of that name, else the whole code; any other name: its
        group (None where the code has no such part)."""
        if name == "post_code":
            return self.groups.get("post_code", self.text)
        return self.groups.get(name)


class PostCodeRule:
    """A country's post code: a pattern with named groups, a format, a zero-padding length."""

    def __init__(self, pattern: str, fmt: str | None = None, pad: int | None = None) -> None:
        self.pattern = re.compile(pattern)
        self.names = tuple(self.pattern.groupindex)
        self.format = fmt
        self.pad = pad
        inner = f"(?:{pattern})"
        self._search = re.compile(rf"(?<![A-Z0-9]){inner}(?![A-Z0-9])", re.IGNORECASE)
        self._fields = [
            (literal, name) for literal, name, _, _ in string.Formatter().parse(fmt or "")
        ]

    def read(self, candidate: str) -> PostCode | None:
        """The post code ``candidate`` is (in full), or None."""
        text = " ".join(candidate.upper().split())
        m = self.pattern.fullmatch(text)
        if m is not None:
            return self._code(m)
        padded = self._padded(text)
        if padded is not None:
            m = self.pattern.fullmatch(padded)
            if m is not None:
                code = self._code(m)
                return PostCode(code.text, code.groups, restored=True)
        return None

    def looks_padded(self, candidate: str) -> bool:
        """Whether ``candidate`` is all digits where the code would be, zeros lost."""
        return self._padded(" ".join(candidate.upper().split())) is not None

    def _padded(self, text: str) -> str | None:
        """``text`` with its leading digits padded to the rule's length, where that applies:
        at most two zeros are restored (``8144`` -> ``08144``, never ``1`` -> ``00001``)."""
        if self.pad is None:
            return None
        m = _DIGITS_FIRST.fullmatch(text)
        if m is None or not self.pad - 2 <= len(m.group(1)) < self.pad:
            return None
        return m.group(1).zfill(self.pad) + m.group(2)

    def search(self, text: str) -> tuple[PostCode, tuple[int, int]] | None:
        """The last post code inside a line, and where it stands in it."""
        found = list(self._search.finditer(text))
        if not found:
            return None
        m = found[-1]
        inner = self.pattern.fullmatch(m.group(0).upper())
        return (self._code(inner), m.span()) if inner is not None else None

    def _code(self, m: re.Match[str]) -> PostCode:
        groups = {k: v for k, v in m.groupdict().items() if v}
        if not self._fields:
            return PostCode(m.group(0), groups)
        out: list[str] = []
        for literal, name in self._fields:
            if name is None:
                out.append(literal)
            elif name in groups:
                out.append((literal if out else literal.lstrip()) + groups[name])
        return PostCode("".join(out).strip(), groups)
