"""Read the files dropped into a folder since the last run, each with its own connector.

A file is known by its path relative to the workspace, its size and its modification
time; the reader's state keeps those of every file delivered, so a run reads only files
that are new or changed. The state moves on only after the landing (with the other
incremental readers), so a run that dies reads the same files again next time. Rows are
numbered across the files of one delivery and ``_source_pos`` names the file
(``drops/a.csv line 3``); it is the source's record key, so a file read again lands
each row once in an ``append`` state, and a changed file's rows replace the earlier ones
at the same place.
"""

from __future__ import annotations

import glob
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from seamline.errors import SourceError
from seamline.sources.base import (
    RECORD_NO,
    SOURCE_POS,
    Batch,
    Capabilities,
    ReadContext,
    Reader,
    SourceOptions,
    SourceTime,
)
from seamline.sources.folder.options import FolderOptions


class FolderReader(Reader[FolderOptions]):
    """``kind: folder`` — new or changed files matching ``path``, oldest first.

    A file is known by its path, size and modification time; the run's state keeps those
    of every file delivered, so each run reads only files new or changed since the last
    successful one (a failed or killed run reads them again). ``_source_pos`` names the
    file and line (``drops/a.csv line 3``) and is the key of the ``append`` state when no
    ``key:`` is declared: a file read twice lands each row once, and a changed file's rows
    replace its earlier rows at the same lines (rows a shorter new version no longer has
    stay). Drop files under another name and rename them when complete (``*.partial`` is
    skipped); a file still being written is otherwise read as it is.
    """

    kind: ClassVar[str] = "folder"
    options_model: ClassVar[type[SourceOptions]] = FolderOptions
    capabilities: ClassVar[Capabilities] = Capabilities(
        streaming=True, incremental=True, position_unit="line", state="append"
    )
    record_key: ClassVar[str | None] = SOURCE_POS

    def __init__(self, options: SourceOptions, context: ReadContext) -> None:
        super().__init__(options, context)
        self.delivered: dict[str, list[int]] = {}

    def describe(self) -> str:
        return f"folder {self.opts.path} ({self.opts.format})"

    def metadata(self) -> dict[str, str]:
        return {"files": str(len(self.delivered))}

    def source_time(self) -> SourceTime | None:
        """The newest modification time of the files this delivery read."""
        if not self.delivered:
            return None
        newest = max(sig[1] for sig in self.delivered.values())
        return SourceTime(datetime.fromtimestamp(newest / 1e9, UTC), "file modified")

    def _known(self) -> dict[str, list[int]]:
        files = self.context.state.get("files", {})
        return {str(k): list(v) for k, v in files.items()} if isinstance(files, dict) else {}

    def _files(self) -> list[tuple[str, Path, list[int]]]:
        pattern = str(self.context.resolve(self.opts.path))
        found: list[tuple[int, str, Path, list[int]]] = []
        for name in glob.glob(pattern, recursive=True):
            path = Path(name)
            if not path.is_file() or path.name.endswith(".partial"):
                continue
            st = path.stat()
            try:
                rel = path.relative_to(self.context.base_dir).as_posix()
            except ValueError:
                rel = path.as_posix()
            found.append((st.st_mtime_ns, rel, path, [st.st_size, st.st_mtime_ns]))
        known = self._known()
        return [(rel, p, sig) for _, rel, p, sig in sorted(found) if known.get(rel) != sig]

    def batches(self) -> Iterator[Batch]:
        from seamline.plugins import default_registry

        inner = default_registry().connector(self.opts.format)
        done = 0
        for rel, path, sig in self._files():
            spec = {**self.opts.options, "kind": self.opts.format, "path": str(path)}
            try:
                options = inner.options_model.model_validate(spec)
            except ValueError as exc:
                raise SourceError(
                    f"the options for the {self.opts.format} files are not valid: {exc}",
                    where=f"dataset {self.context.dataset} (folder {self.opts.path})",
                    hint="Fix the folder source's options: block.",
                ) from exc
            context = ReadContext(
                self.context.base_dir, self.context.dataset, self.context.batch_size
            )
            reader = inner(options, context)
            read = 0
            try:
                for batch in reader.batches():
                    yield _shifted(batch, done + read, rel)
                    read += batch.read
            finally:
                reader.close()
            done += read
            self.delivered[rel] = sig

    def state(self) -> dict[str, Any]:
        return {"files": {**self._known(), **self.delivered}}


def _shifted(batch: Batch, offset: int, name: str) -> Batch:
    """``batch`` numbered after ``offset`` records, its positions prefixed with the file."""
    data = batch.data
    i, j = data.schema.get_field_index(RECORD_NO), data.schema.get_field_index(SOURCE_POS)
    numbers = pc.add(data.column(i), pa.scalar(offset, pa.int64()))
    where = pc.binary_join_element_wise(f"{name} ", data.column(j), "")  # type: ignore[call-overload]
    data = data.set_column(i, data.schema.field(i), numbers)
    data = data.set_column(j, data.schema.field(j), where)
    bad = [
        replace(q, record_no=q.record_no + offset, position=f"{name} {q.position}")
        for q in batch.quarantined
    ]
    return Batch(data, bad, batch.read)
