"""Cut a copybook data file into byte ranges at record boundaries, for a parallel read.

Fixed-length records (F/FB) are cut every so many records; VB files between blocks,
found by walking the block descriptor words (one read per block, not per record). At the
first block descriptor that cannot be right, the rest of the file stays one range, so
its reader meets the same broken descriptor a single-core read meets. Other formats
(V, whose descriptors would have to be walked record by record; VBS, whose records span
blocks; text lines; records sized by their OCCURS counts; packed files) are read on one
core.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from seamline.sources.base import Batch
from seamline.sources.copybook.blocks import Descriptors, _bdw
from seamline.sources.copybook.records import Framing, data_span, frames

if TYPE_CHECKING:
    from seamline.sources.base import ReadContext
    from seamline.sources.copybook.options import CopybookOptions

Span = tuple[int, int]


def splittable(framing: Framing) -> bool:
    return (
        framing.record_format in ("F", "FB", "VB")
        and framing.record_size is None
        and framing.compression == "none"
    )


def spans(path: Path, framing: Framing, target: int) -> list[Span]:
    """Ranges of about ``target`` bytes that start and end at record boundaries."""
    start, end = data_span(path.stat().st_size, framing)
    if framing.record_format in ("F", "FB"):
        rl = framing.record_length
        # whole batches per range, so the batches are those of a single-core read
        per = max(1, target // (rl * framing.batch_size)) * framing.batch_size * rl
        cuts = list(range(start, end, per))
        return [(a, min(end, a + per)) for a in cuts]
    return _block_spans(path, start, end, framing, target)


def _block_spans(path: Path, start: int, end: int, framing: Framing, target: int) -> list[Span]:
    d = Descriptors(big_endian=framing.rdw_big_endian, includes_header=framing.rdw_includes_header)
    out: list[Span] = []
    first = pos = start
    with path.open("rb") as fh:
        while pos < end:
            fh.seek(pos)
            head = fh.read(4)
            if len(head) < 4:
                break
            block_len, problem = _bdw(head, d)
            if problem or block_len <= 0 or pos + 4 + block_len > end:
                break  # the rest is one range: its reader reports the broken descriptor
            pos += 4 + block_len
            if pos - first >= target:
                out.append((first, pos))
                first = pos
    if first < end:
        out.append((first, end))
    return out


def read_span(
    options: CopybookOptions, context: ReadContext, span: Span
) -> tuple[int, list[Batch]]:
    """Decode one range in a worker: (its records, its batches numbered from 1)."""
    from seamline.sources.copybook.reader import CopybookReader

    reader = CopybookReader(options, context)
    assembler = reader.assembler()
    framing = reader.framing(reader.layout, assembler)
    path = context.resolve(options.path)
    records = 0
    batches: list[Batch] = []
    for frame in frames(path, framing, span):
        batches.append(reader.decode(frame, assembler, records, "byte"))
        records += frame.n
    return records, batches
