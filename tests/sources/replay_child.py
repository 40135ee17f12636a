"""One connect run of one dataset, as ``seamline run`` makes it, for the replay tests.

It does what the pipeline's connect stage does for a dataset: mark runs whose process
died as aborted, start a run, :func:`~seamline.sources.deliveries.deliver` the source,
keep the reader's state when it committed, finish the run. The parent kills it with
SIGKILL at a random moment and starts it again at once.

Usage: python replay_child.py STORE_URL DATA_DIR DATASET OPTIONS_JSON [die-after-commit]
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from seamline.crypto.parquet import PLAIN
from seamline.errors import SeamlineError
from seamline.plugins import Registry, default_registry
from seamline.sources.base import ReadContext
from seamline.sources.deliveries import deliver
from seamline.store import Store


def dies_after_commit(registry: Registry, kind: str) -> Registry:
    """``registry`` with ``kind``'s reader replaced by one killed right after it commits.

    The reader acknowledges (or keeps its watermark) as usual, then the process gets
    SIGKILL before the run can record the delivery: the worst moment for a crash.
    """
    base = registry.connector(kind)

    class Dying(base):  # type: ignore[valid-type,misc]
        def commit(self) -> None:
            super().commit()
            os.kill(os.getpid(), signal.SIGKILL)

    return Registry(connectors={**registry.connectors, kind: Dying})


def connect_once(
    url: str,
    data_dir: str,
    dataset: str,
    spec: dict[str, Any],
    registry: Registry | None = None,
) -> int:
    """One connect run; prints what it did as JSON, returns the exit code."""
    registry = registry or default_registry()
    options = registry.connector(spec["kind"]).options_model.model_validate(spec)
    with Store.open(url) as store:
        store.abort_dead_runs()
        run_id = store.start_run("connect", workspace="replay", dataset=dataset)
        context = ReadContext(
            base_dir=Path(data_dir).parent,
            dataset=dataset,
            state=store.get_state(dataset),
            batch_size=40,
        )
        try:
            done = deliver(
                store,
                dataset,
                options,
                Path(data_dir),
                context,
                run_id=run_id,
                max_quarantine_share=0.5,
                registry=registry,
                files=PLAIN,
            )
        except SeamlineError as exc:
            store.finish_run(run_id, "failed", message=str(exc))
            print(json.dumps({"error": str(exc)}), flush=True)
            return 3
        landed = done.landing
        if landed.committed:
            store.set_state(dataset, options.kind, landed.state)
        store.finish_run(run_id, "ok" if landed.ok else "failed", counts=landed.counts())
        print(json.dumps({"status": done.status, **landed.counts()}), flush=True)
    return 0


def main() -> int:
    url, data_dir, dataset, raw = sys.argv[1:5]
    spec = json.loads(raw)
    # import what the run will use now, so the parent's random delay falls in the run
    default_registry().connector(spec["kind"])
    import seamline.engine.duckdb_engine  # noqa: F401

    print("started", flush=True)  # imports done: the parent's random delay counts from here
    registry = default_registry()
    if sys.argv[5:] == ["die-after-commit"]:
        registry = dies_after_commit(registry, spec["kind"])
    return connect_once(url, data_dir, dataset, spec, registry)


if __name__ == "__main__":
    sys.exit(main())
