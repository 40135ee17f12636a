"""A derived dataset's output as batches, for ``seamline read <derived id>`` (export)."""

from __future__ import annotations

from collections.abc import Iterator

from seamline.connector import Batch, ReadContext, Reader, SourceOptions
from seamline.crypto.parquet import ParquetFiles
from seamline.errors import SourceError
from seamline.workspace.derived import derived_path


class DerivedReader(Reader[SourceOptions]):
    """``derived/<id>.parquet`` read through the data folder's one door (decrypted when
    the workspace encrypts). ``context.base_dir`` is the data folder. Not a connector."""

    kind = "derived"
    options_model = SourceOptions

    def __init__(
        self, options: SourceOptions, context: ReadContext, *, files: ParquetFiles
    ) -> None:
        super().__init__(options, context)
        self.files = files

    def batches(self) -> Iterator[Batch]:
        path = derived_path(self.context.base_dir, self.context.dataset)
        if not self.files.exists(path):  # a file, or Spark's directory of parts
            raise SourceError(
                f"the derived dataset {self.context.dataset} has not been computed yet",
                hint="Run `seamline run` or `seamline derive` first.",
            )
        for batch in self.files.iter_batches(path, self.context.batch_size):
            yield Batch(batch)

    def describe(self) -> str:
        return f"the derived dataset {self.context.dataset}"
