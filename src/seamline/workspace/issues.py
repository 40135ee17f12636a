"""Spec problems, collected rather than raised one at a time."""

from __future__ import annotations

from dataclasses import dataclass, replace

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
    instance: str = ""
    """For a dataset expanded from a template: the instance the problem belongs to
    (several, comma-separated, when it is the same problem in each)."""

    @property
    def where(self) -> str:
        where = f"{self.path}:{self.line}:{self.column or 1}" if self.line else self.path
        if not self.instance:
            return where
        many = "instances" if ", " in self.instance else "instance"
        return f"{where} ({many} {self.instance})"

    def __str__(self) -> str:
        text = sentence(f"{self.where}: {self.message}")
        if self.allowed:
            text += " " + sentence(f"Allowed: {self.allowed}")
        if self.hint:
            text += " " + fix_sentence(self.hint)
        return text


MAX_INSTANCES_SHOWN = 5


def merge_instances(issues: list[Issue]) -> list[Issue]:
    """One issue for a problem that every instance of a template shares (the template's own
    line is wrong), naming the instances, instead of one per instance."""
    groups: dict[Issue, list[Issue]] = {}
    for issue in issues:
        groups.setdefault(replace(issue, instance="", allowed=None), []).append(issue)
    out: list[Issue] = []
    for key, members in groups.items():
        named = [m.instance for m in members if m.instance]
        if len(named) < 2 or len(named) != len(members):
            out += members
            continue
        shown = ", ".join(named[:MAX_INSTANCES_SHOWN])
        if len(named) > MAX_INSTANCES_SHOWN:
            shown += f" and {len(named) - MAX_INSTANCES_SHOWN} more"
        allowed = {m.allowed for m in members}  # per instance, e.g. its own variables
        out.append(
            replace(key, instance=shown, allowed=allowed.pop() if len(allowed) == 1 else None)
        )
    return out


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
