"""One base exception with structured fields, and the exit codes of the CLI.

Every error a user can cause names the bad value, what is allowed and, where there is
one, the next command to run. The CLI prints ``str(error)``; ``--debug`` adds the
traceback.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from enum import IntEnum
from typing import ClassVar


class ExitCode(IntEnum):
    """Defined exit codes of every seamline command."""

    OK = 0
    CHECKS_FAILED = 1
    USAGE = 2
    RUNTIME = 3


@dataclass(frozen=True)
class Location:
    """A place in a file: 1-based line and column (0 when unknown)."""

    path: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}:{self.column or 1}"
        return self.path


def sentence(text: str) -> str:
    """``text`` ending as a sentence, so that what, allowed and fix read apart."""
    text = text.rstrip()
    return text if not text or text[-1] in ".!?:" else text + "."


_PLAIN_WORD = re.compile(r"[a-z]+(?=[ ,;])")


def fix_sentence(text: str) -> str:
    """A fix as a sentence of its own, after the problem's: ended, and begun with a capital
    where its first word is a plain word (``run it`` -> ``Run it.``; a path, a command in
    backticks or ``e.g.`` stay as written)."""
    text = sentence(text.strip())
    return text[0].upper() + text[1:] if _PLAIN_WORD.match(text) else text


@dataclass
class SeamlineError(Exception):
    """Base of every error seamline raises on purpose.

    ``message`` says what is wrong; ``where`` names the place (file:line:column,
    byte offset, dataset); ``allowed`` says what would be accepted; ``hint`` gives the
    next thing to try (often a command).
    """

    message: str
    where: str | None = None
    allowed: str | None = None
    hint: str | None = None
    exit_code: ExitCode = field(default=ExitCode.RUNTIME)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        head = f"{self.where}: {self.message}" if self.where else self.message
        parts = [head]
        if self.allowed or self.hint:
            parts[0] = sentence(head)
        if self.allowed:
            parts.append(sentence(f"Allowed: {self.allowed}"))
        if self.hint:
            parts.append(fix_sentence(self.hint))
        return " ".join(parts)


class CodedError(SeamlineError):
    """A :class:`SeamlineError` whose exit code is fixed by its class (``code``).

    Subclasses differ only in ``code`` and their docstring, and take the fields as
    keywords: ``raise UsageError("...", allowed="...", hint="...")``.
    """

    code: ClassVar[ExitCode] = ExitCode.RUNTIME

    def __init__(
        self,
        message: str,
        *,
        where: str | None = None,
        allowed: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, where, allowed, hint, self.code)


class SpecError(CodedError):
    """The workspace spec is wrong: exit code 2."""

    code = ExitCode.USAGE


class UsageError(CodedError):
    """The command line is wrong: exit code 2."""

    code = ExitCode.USAGE


class SourceError(CodedError):
    """A source could not be read (missing file, unreachable database, bad options)."""

    code = ExitCode.RUNTIME


class CopybookError(CodedError):
    """A COBOL copybook could not be parsed; ``where`` is file:line:column."""

    code = ExitCode.USAGE


class StoreError(CodedError):
    """The store cannot be reached, or is at a revision this seamline cannot use."""

    code = ExitCode.RUNTIME


def did_you_mean(value: str, allowed: list[str] | tuple[str, ...]) -> str | None:
    """The closest allowed word to a misspelt one, or None."""
    close = difflib.get_close_matches(value, list(allowed), n=1, cutoff=0.6)
    return close[0] if close else None
