"""Copybook text -> tokens with line and column: fixed/free format, comments, continuations.

Fixed-format copybooks keep a sequence area in columns 1-6, an indicator in column 7 and
ignore everything past column 72; free-format ones are code from column 1. The format is
detected from the text so both kinds load without an option.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r"'(?:[^']|'')*'?|\"(?:[^\"]|\"\")*\"?|[^\s]+")
_INDICATORS = " *-/D$d"
USAGES = {
    "COMP": "COMP",
    "COMPUTATIONAL": "COMP",
    "COMP-0": "COMP",
    "COMPUTATIONAL-0": "COMP",
    "COMP-1": "COMP-1",
    "COMPUTATIONAL-1": "COMP-1",
    "COMP-2": "COMP-2",
    "COMPUTATIONAL-2": "COMP-2",
    "COMP-3": "COMP-3",
    "COMPUTATIONAL-3": "COMP-3",
    "PACKED-DECIMAL": "COMP-3",
    "COMP-4": "COMP",
    "COMPUTATIONAL-4": "COMP",
    "BINARY": "COMP",
    "COMP-5": "COMP-5",
    "COMPUTATIONAL-5": "COMP-5",
    "COMP-9": "COMP-9",
    "DISPLAY": "DISPLAY",
    "POINTER": "POINTER",
    "INDEX": "INDEX",
}
IGNORED_WORDS = {
    "GLOBAL",
    "EXTERNAL",
    "JUSTIFIED",
    "JUST",
    "RIGHT",
    "LEFT",
    "SYNC",
    "SYNCHRONIZED",
    "IS",
    "ARE",
    "TIMES",
}


@dataclass
class Token:
    """A word, a quoted literal or an entry-ending period."""

    text: str
    line: int
    column: int


def _is_fixed_format(lines: list[str]) -> bool:
    """Fixed-format copybooks have a sequence area (columns 1-6) and an indicator column."""
    seen = False
    for raw in lines:
        line = raw.rstrip()
        if not line:
            continue
        seen = True
        seq = line[:6]
        if seq.strip() and " " in seq.strip():
            return False
        if len(line) > 6 and line[6] not in _INDICATORS:
            return False
        if len(line) <= 6 and seq.strip():
            return False
    return seen


def _code_lines(text: str) -> list[tuple[int, int, str]]:
    """(line number, column offset, code text) for every line that holds code."""
    text = text.split("\x1a", 1)[0]  # DOS end-of-file mark (Ctrl-Z) ends the copybook
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = [line.expandtabs(8) for line in lines]
    fixed = _is_fixed_format(lines)
    out: list[tuple[int, int, str]] = []
    for number, line in enumerate(lines, start=1):
        if fixed:
            indicator = line[6] if len(line) > 6 else " "
            if indicator in "*/":
                continue
            code, offset = line[7:72], 7
            if indicator == "-" and out:
                # continuation line: glue to the previous line (literals continue after a quote)
                cont = code.lstrip()
                if cont.startswith(("'", '"')):
                    cont = cont[1:]
                prev_no, prev_off, prev = out[-1]
                out[-1] = (prev_no, prev_off, prev.rstrip() + cont)
                continue
        else:
            if line.lstrip().startswith("*"):
                continue
            code, offset = line, 0
        if "*>" in code:
            code = code[: code.index("*>")]
        out.append((number, offset, code))
    return out


def tokenize(text: str) -> list[Token]:
    """Words, literals and entry-ending periods with their 1-based line and column."""
    tokens: list[Token] = []
    for number, offset, code in _code_lines(text):
        for match in _TOKEN.finditer(code):
            word = match.group(0)
            column = offset + match.start() + 1
            if word[0] in "'\"":
                tokens.append(Token(word, number, column))
                continue
            period = False
            while word and word[-1] in ".,;":
                if word[-1] == ".":
                    period = True
                word = word[:-1]
            if word:
                tokens.append(Token(word, number, column))
            if period:
                tokens.append(Token(".", number, column + len(word)))
    return tokens
