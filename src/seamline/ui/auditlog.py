"""Every UI action as one audit record.

Where the UI runs inside the exchange app and its hash-chained audit writer is running,
events join that chain (``seamline.exchange.audit``); otherwise (the UI on its own, the
writer off) they are appended as JSON lines to ``<data_dir>/ui/audit.jsonl``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from seamline.exchange.audit import AuditWriter, Event


class UiAudit:
    def __init__(self, path: Path, writer: Callable[[], AuditWriter | None] | None = None):
        self.path = path
        self.writer = writer or (lambda: None)
        self._lock = threading.Lock()

    async def record(
        self,
        actor: str,
        action: str,
        resource: str | None = None,
        outcome: str = "ok",
        details: dict[str, Any] | None = None,
    ) -> None:
        writer = self.writer()
        if writer is not None and writer.alive:
            event = Event(actor, "ui", f"ui.{action}", resource, None, outcome, details or {})
            await writer.append(event)
            return
        line = {
            "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "actor": actor,
            "action": f"ui.{action}",
            "resource": resource,
            "outcome": outcome,
            "details": details or {},
        }
        text = json.dumps(line, ensure_ascii=False, default=str) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(text)
