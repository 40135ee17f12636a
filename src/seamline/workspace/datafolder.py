"""Where the stages' files sit in the workspace's data folder.

The layout is shared by every stage (connect writes it, the others read it), so it lives
at the bottom, beside the workspace, not in one stage::

    landing/<dataset>.parquet              the current state: what every later stage reads
    landing/<dataset>/<id>.parquet         the rows landed by delivery <id> (six digits)
    quarantine/<dataset>/<id>.parquet      the records delivery <id> quarantined
"""

from __future__ import annotations

from pathlib import Path


def state_path(data_dir: Path, dataset: str) -> Path:
    """Where the current state of a dataset's landing zone is kept."""
    return data_dir / "landing" / f"{dataset}.parquet"


def current_state(data_dir: Path, dataset: str) -> Path | None:
    """The Parquet file of the dataset's current state, or None if nothing has landed yet.

    Harmonize, inventory, reconcile, check and ``seamline read --landed`` read this.
    """
    path = state_path(data_dir, dataset)
    return path if path.is_file() else None


def delivery_file(data_dir: Path, dataset: str, delivery_id: int) -> Path:
    return data_dir / "landing" / dataset / f"{delivery_id:06d}.parquet"


def delivery_quarantine(data_dir: Path, dataset: str, delivery_id: int) -> Path:
    return data_dir / "quarantine" / dataset / f"{delivery_id:06d}.parquet"
