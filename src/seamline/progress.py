"""Progress reporting, decoupled from the terminal so library code stays testable."""

from __future__ import annotations

from typing import Protocol


class Task(Protocol):
    def advance(self, amount: int) -> None: ...

    def done(self) -> None: ...


class Reporter(Protocol):
    def task(self, description: str, total: int | None = None) -> Task: ...


class _NullTask:
    def advance(self, amount: int) -> None:
        return None

    def done(self) -> None:
        return None


class NullReporter:
    """Reports nothing (library default, tests)."""

    def task(self, description: str, total: int | None = None) -> Task:
        return _NullTask()
