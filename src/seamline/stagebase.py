"""What every stage of ``seamline run`` shares: the run's context, a stage's result.

A bottom module, so that the stages (``sources``, ``inventory``, ``harmonize``,
``reconcile``, ``seams``, ``retention``) and the pipeline that runs them import it
without importing each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from seamline.progress import NullReporter, Reporter
from seamline.store import Store
from seamline.workspace.loader import Workspace

Status = Literal["ok", "partial", "failed", "checks_failed"]


@dataclass
class StageResult:
    stage: str
    status: Status = "ok"
    counts: dict[str, int] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    details: list[dict[str, Any]] = field(default_factory=list)
    reports: dict[str, str] = field(default_factory=dict)
    """Files the stage wrote for people to read (``html``, ``json``...)."""
    seconds: float = 0.0
    where: str = ""
    """Where the stage ran, on a workspace whose engine is not the embedded one."""


@dataclass
class RunContext:
    workspace: Workspace
    store: Store
    run_id: int
    reporter: Reporter = field(default_factory=NullReporter)
    datasets: Sequence[str] | None = None
    failed: set[str] = field(default_factory=set)
    """Datasets an earlier stage could not process; later stages leave them out."""
    nodata: set[str] = field(default_factory=set)
    """Datasets with nothing landed yet (only empty deliveries); later stages leave them out."""
    unchanged: set[str] = field(default_factory=set)
    """Datasets whose current state this run did not change (no new data)."""

    def usable(self) -> list[str]:
        """The selected datasets no earlier stage failed on and that have data."""
        return [d for d in self.selected() if d not in self.failed and d not in self.nodata]

    def selected(self) -> list[str]:
        if self.datasets:
            for d in self.datasets:
                self.workspace.dataset(d)  # raises with did-you-mean
            return list(self.datasets)
        return sorted(self.workspace.datasets)


class Stage(Protocol):
    name: str

    def run(self, ctx: RunContext) -> StageResult: ...


def settle(result: StageResult, ctx: RunContext) -> StageResult:
    """``failed`` when no selected dataset is left, ``partial`` when some failed."""
    if ctx.failed:
        result.status = "failed" if not ctx.usable() else "partial"
    return result
