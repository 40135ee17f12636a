"""Spec problems, collected rather than raised one at a time."""

from __future__ import annotations

from dataclasses import dataclass

from seamline.errors import SpecError, fix_sentence, sentence


@dataclass(frozen=True, order=True)
class Issue:
    """One problem in the workspace spec, with its place."""

    path: str
    line: int
    column: int
    message: str
    allowed: str | None = None
    hint: str | None = None

    @property
    def where(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}:{self.column or 1}"
        return self.path

    def __str__(self) -> str:
        text = sentence(f"{self.where}: {self.message}")
        if self.allowed:
            text += " " + sentence(f"Allowed: {self.allowed}")
        if self.hint:
            text += " " + fix_sentence(self.hint)
        return text


class SpecErrors(SpecError):
    """Every problem found in a workspace spec, raised together."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = sorted(issues)
        count = len(self.issues)
        lines = "\n".join(f"  {issue}" for issue in self.issues)
        super().__init__(
            f"the workspace spec has {count} error{'s' if count != 1 else ''}:\n{lines}",
            hint="Fix them and run `seamline validate` again.",
        )
