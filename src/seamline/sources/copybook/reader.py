"""The ``copybook`` reader: frames records, decodes them a block at a time, splits off bad ones."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seamline.errors import CopybookError, SeamlineError, SourceError
from seamline.sources.base import (
    Batch,
    Capabilities,
    QuarantineRecord,
    ReadContext,
    Reader,
    SourceOptions,
    with_bookkeeping,
)
from seamline.sources.copybook.assemble import Assembler, Block
from seamline.sources.copybook.hierarchy import Hierarchy, nested_batch
from seamline.sources.copybook.layout import Layout
from seamline.sources.copybook.occurs import RecordSizer
from seamline.sources.copybook.options import CopybookOptions
from seamline.sources.copybook.parser import load_copybook
from seamline.sources.copybook.records import Frame, Framing, compression_of, frames
from seamline.sources.copybook.split import read_span, spans, splittable
from seamline.sources.copybook.text import Codec
from seamline.sources.parallel import MIN_RANGE_BYTES, read_ranges, resolve_workers


class CopybookReader(Reader[CopybookOptions]):
    """``kind: copybook`` — fixed, RDW-variable or text records laid out by a COBOL copybook."""

    kind: ClassVar[str] = "copybook"
    options_model: ClassVar[type[SourceOptions]] = CopybookOptions
    capabilities: ClassVar[Capabilities] = Capabilities(
        streaming=True, schema_inference=True, position_unit="byte"
    )

    def __init__(self, options: SourceOptions, context: ReadContext) -> None:
        super().__init__(options, context)
        self._layout: Layout | None = None

    @classmethod
    def file_issue(cls, option: str, name: str, path: Path) -> tuple[str, str] | None:
        if option not in ("copybook", "extra_copybooks"):
            return None
        try:
            load_copybook(path)
        except SeamlineError as exc:
            return (
                f"the copybook {name} does not parse: "
                f"{exc.where + ': ' if exc.where else ''}{exc.message}",
                "Fix the copybook; `seamline copybook FILE` shows its layout once it parses.",
            )
        return None

    @classmethod
    def value_labels(cls, options: SourceOptions, base_dir: Path, column: str) -> dict[str, str]:
        if not isinstance(options, CopybookOptions):
            return {}
        layout = load_copybook(base_dir / options.copybook)
        try:
            found = layout.find(column)
        except KeyError:
            return {}
        return {k.strip(): v for k, v in found.values88.items()}

    def describe(self) -> str:
        return f"copybook {self.opts.path} ({self.opts.copybook}, {self.opts.encoding}, {self.opts.record_format})"

    @property
    def layout(self) -> Layout:
        if self._layout is None:
            layouts = []
            for option, name in [
                ("copybook", self.opts.copybook),
                *(("extra_copybooks", extra) for extra in self.opts.extra_copybooks),
            ]:
                path = self.context.resolve(name)
                if not path.is_file():
                    raise SourceError(
                        "the copybook file does not exist",
                        where=str(path),
                        hint=f"Check source.{option} (relative to the workspace folder).",
                    )
                layouts.append(load_copybook(path))
            self._layout = layouts[0]
            for extra in layouts[1:]:  # their 01 records overlay the first's
                self._layout.records.extend(extra.records)
                self._layout.renames.update(extra.renames)
        return self._layout

    def framing(self, layout: Layout, assembler: Assembler) -> Framing:
        o = self.opts
        sizer = None
        if o.variable_size_occurs:
            sizer = RecordSizer(layout, assembler.codec, assembler.mappings)
        width = layout.record_length
        record_length = o.record_length or width + o.record_start_offset + o.record_end_offset
        if o.record_length is not None:
            width = max(0, record_length - o.record_start_offset - o.record_end_offset)
        return Framing(
            record_format=o.record_format,
            width=width,
            record_length=record_length,
            record_start_offset=o.record_start_offset,
            record_end_offset=o.record_end_offset,
            rdw_big_endian=o.rdw_big_endian,
            rdw_includes_header=o.rdw_includes_header,
            rdw_adjustment=o.rdw_adjustment,
            rdw_in_record=o.rdw_in_record,
            file_start_offset=o.file_start_offset,
            file_end_offset=o.file_end_offset,
            batch_size=self.context.batch_size,
            record_size=sizer,
            compression=compression_of(self.context.resolve(o.path), o.compression),
        )

    def assembler(self) -> Assembler:
        o = self.opts
        codec = Codec.for_encoding(
            o.encoding,
            ieee_float=o.floating_point == "ieee",
            trim=o.string_trim,
            comp5_little_endian=o.comp5_little_endian,
            control_chars=o.control_chars,
            blank_null=o.blank_text == "null",
            nul_blank=o.nul_as_blank,
        )
        return Assembler(
            self.layout,
            codec,
            flatten=o.flatten and not o.segment_children,
            keep_fillers=o.keep_fillers,
            lenient=o.invalid_values != "quarantine",
            replace_text=o.invalid_values == "replace",
            debug=o.debug,
            segment_field=o.segment_field,
            segments=o.segments,
            variable_occurs=o.variable_size_occurs,
            occurs_mappings=o.occurs_mappings,
            group_text=o.group_text,
        )

    def batches(self) -> Iterator[Batch]:
        path = self.context.resolve(self.opts.path)
        if not path.is_file():
            raise SourceError(
                "the data file does not exist"
                if not path.exists()
                else "the data path is not a file",
                where=str(path),
                hint="Check source.path (relative to the workspace folder).",
            )
        self.note_source_file(path)
        try:
            assembler = self.assembler()
        except CopybookError:
            raise
        framing = self.framing(self.layout, assembler)
        limit = self.context.limit
        if limit is None and not self.opts.segment_children and splittable(framing):
            size = path.stat().st_size
            workers = resolve_workers(self.opts.workers, size, self.context.ranges)
            if workers > 1:
                yield from self._parallel(path, framing, workers)
                return
        record_no = 0
        unit = "line" if self.opts.record_format == "D" else "byte"
        hierarchy = None
        if self.opts.segment_children:
            hierarchy = Hierarchy(self.layout, self.opts.segments, self.opts.segment_children)
        try:
            for frame in frames(path, framing):
                if limit is not None and record_no >= limit:
                    break
                if limit is not None and record_no + frame.n > limit:
                    frame = _head(frame, limit - record_no)
                if hierarchy is None:
                    yield self.decode(frame, assembler, record_no, unit)
                else:
                    yield nested_batch(hierarchy, frame, assembler, unit)
                record_no += frame.n
            if hierarchy is not None:
                yield nested_batch(hierarchy, None, assembler, unit)
        except OSError as exc:
            raise SourceError(
                f"cannot read the data file: {exc.strerror or exc}",
                where=str(path),
                hint="Check that the file is readable.",
            ) from None

    def _parallel(self, path: Path, framing: Framing, workers: int) -> Iterator[Batch]:
        """The file cut into byte ranges at record boundaries, decoded by ``workers`` processes."""
        target = min(64 << 20, max(MIN_RANGE_BYTES, path.stat().st_size // (4 * workers)))
        tasks = [
            (read_span, self.opts, self.context, span) for span in spans(path, framing, target)
        ]
        yield from read_ranges(tasks, workers, str(path), self.context.ranges)

    def decode(self, frame: Frame, assembler: Assembler, first_no: int, unit: str) -> Batch:
        result = assembler.run(Block(frame.matrix, frame.lengths))
        bad = result.bad
        reasons = result.reasons
        if frame.broken:
            bad = bad.copy()
            for row, (reason, _) in frame.broken.items():
                bad[row] = True
                reasons[row] = reason
        numbers = np.arange(first_no + 1, first_no + 1 + frame.n, dtype=np.int64)
        quarantined = [
            QuarantineRecord(
                record_no=int(numbers[row]),
                position=f"{unit} {int(frame.positions[row])}",
                reason=str(reasons[row]),
                raw=frame.raw(int(row)),
            )
            for row in np.flatnonzero(bad)
        ]
        keep = ~bad
        if result.names:
            data = pa.RecordBatch.from_arrays(result.arrays, names=result.names)
        else:
            data = pa.RecordBatch.from_pydict({"_": pa.nulls(frame.n)}).drop_columns(["_"])
        positions = frame.positions
        if len(quarantined):
            mask = pa.array(keep, type=pa.bool_())
            data = data.filter(mask) if data.num_columns else data.slice(0, int(keep.sum()))
            numbers, positions = numbers[keep], positions[keep]
        # Arrow's integer-to-text cast is several times faster than numpy.char here
        digits = cast(pa.StringArray, pa.array(positions).cast(pa.string()))
        # (the stubs want all arguments arrays or all scalars; Arrow broadcasts the mix)
        text = pc.binary_join_element_wise(f"{unit} ", digits, "")  # type: ignore[call-overload]
        data = with_bookkeeping(data, pa.array(numbers), text)
        return Batch(data=data, quarantined=quarantined, consumed=frame.n)


def _head(frame: Frame, n: int) -> Frame:
    return Frame(
        frame.matrix[:n],
        frame.lengths[:n],
        frame.positions[:n],
        {k: v for k, v in frame.broken.items() if k < n},
    )


def read_file(copybook_path: str | Path, data_path: str | Path, **options: Any) -> pa.Table:
    """Read a whole file into one table (bookkeeping columns included); raises on bad options.

    Quarantined records are not in the table; use :class:`CopybookReader` to see them.
    """
    opts = CopybookOptions(path=str(data_path), copybook=str(copybook_path), **options)
    reader = CopybookReader(opts, ReadContext(base_dir=Path.cwd()))
    batches = [b.data for b in reader.batches()]
    if not batches:
        return pa.table({})
    return pa.Table.from_batches(batches)
