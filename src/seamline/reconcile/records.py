"""The records behind each golden record, as this run compared them.

``reference/records/<spec>.parquet`` holds, per record of the spec's datasets, its
``uid``, ``dataset`` and source ``key`` and the harmonized value (as text), original
and flag of every attribute: the columns of :func:`~seamline.reconcile.prepare.prepare`
the entity page shows beside a golden record. Written with the golden records in the
same run, so the two agree, and read by the UI instead of preparing every harmonized
dataset again inside a web request. Retention deletes it with the golden records.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from seamline.crypto.parquet import ParquetFiles

RECORD_COLUMNS = ("uid", "dataset", "key")


def records_path(reference: Path, spec_id: str) -> Path:
    """Where a spec's compared records are kept, under the reference folder."""
    return reference / "records" / f"{spec_id}.parquet"


def write_records(
    files: ParquetFiles, path: Path, table: pa.Table, attributes: Sequence[str]
) -> None:
    """Keep the prepared table's shown columns (see the module's doc)."""
    names = [*RECORD_COLUMNS]
    for attr in attributes:
        names += [attr, f"{attr}__orig", f"{attr}__flag"]
    shown = [n for n in dict.fromkeys(names) if n in table.column_names]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    files.write_table(table.select(shown), tmp, compression="zstd")
    tmp.replace(path)


def records_of(table: pa.Table, uids: Sequence[str]) -> list[dict[str, Any]]:
    """The rows of ``table`` (a records file) whose uid is one of ``uids``."""
    mask = pc.is_in(table.column("uid"), value_set=pa.array(list(uids), pa.string()))
    return table.filter(mask).to_pylist()
