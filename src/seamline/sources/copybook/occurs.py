"""Record sizes under ``variable_size_occurs``: a table takes only its counted elements.

With variable-size OCCURS DEPENDING ON, a fixed-format file holds records back to back,
each as long as its counts make it: the length of a record is known only by reading its
counters in order. This walk does that one record at a time (plain Python: each counter
changes where the next one is), so it is far slower than the vectorized decoding that
follows it; it runs only for files that need it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from seamline.sources.copybook.decode import decode_field
from seamline.sources.copybook.layout import Field, Layout
from seamline.sources.copybook.text import Codec


class RecordSizer:
    """The actual size of the record starting at a byte offset of the data."""

    def __init__(
        self, layout: Layout, codec: Codec, mappings: dict[int, dict[str, int]] | None = None
    ) -> None:
        self.layout = layout
        self.codec = codec
        self.mappings = mappings or {}
        self._chars = [chr(c) if c < 0x110000 else "\ufffd" for c in codec.table.tolist()]
        """Table (by ``id``) -> counter text -> count (``occurs_mappings``)."""
        self.keys: dict[int, list[str]] = {}
        for f in layout.walk():
            if f.depending_on is not None:
                counter = layout.find(f.depending_on)
                self.keys.setdefault(id(counter), []).append(f.depending_on)

    def __call__(self, data: npt.NDArray[np.uint8], pos: int) -> int:
        self._data = data
        self._counts: dict[str, int] = {}
        self._texts: dict[str, str] = {}
        # several 01 records overlay each other: the record is as long as the longest
        return max(self._item(record, pos) for record in self.layout.records)

    def _shrink(self, items: list[Field], static_base: int, pos: int) -> int:
        shrink = 0
        starts: dict[str, int] = {}
        for child in items:
            at = starts.get(child.redefines or "")
            if at is None:
                at = pos + (child.offset - static_base) - shrink
            starts[child.name] = at
            used = self._item(child, at)
            if child.redefines is None:
                shrink += child.total_size - used
        return shrink

    def _item(self, f: Field, at: int) -> int:
        if f.occurs is None:
            return self._one(f, at)
        n = f.occurs
        if f.depending_on is not None:
            mapping = self.mappings.get(id(f))
            if mapping is not None:
                count = mapping.get(self._texts.get(f.depending_on, ""), 0)
            else:
                count = self._counts.get(f.depending_on, 0)
            n = min(max(count, f.occurs_min), f.occurs)
        cursor = at
        for _ in range(n):
            cursor += self._one(f, cursor)
        return cursor - at

    def _one(self, f: Field, at: int) -> int:
        if f.is_group:
            return f.size - self._shrink(f.children, f.offset, at)
        keys = self.keys.get(id(f))
        if keys:
            value, text = self._count(f, at)
            for key in keys:
                self._counts[key] = value
                self._texts[key] = text
        return f.size

    def _count(self, f: Field, at: int) -> tuple[int, str]:
        """The counter's value (0 if it holds no number) and its text."""
        raw = self._data[at : at + f.size]
        if len(raw) < f.size:
            return 0, ""
        # fast paths for the usual counters (digits as text, binary); the rest below
        if f.kind in ("alnum", "zoned") and not f.sign_separate:
            text = "".join(self._chars[b] for b in raw.tobytes()).strip()
            if text.isdigit() or f.kind == "alnum":
                return (int(text) if text.isdigit() else 0), text
        elif f.kind == "binary" and not f.little_endian and f.usage != "COMP-5":
            value = int.from_bytes(raw.tobytes(), "big", signed=f.signed)
            return value, str(value)
        arr, bad, _ = decode_field(f, raw.reshape(1, f.size), self.codec)
        value = arr[0].as_py()
        if bad[0] or value is None:
            return 0, ""
        text = str(value).strip()
        if isinstance(value, str):
            return (int(text) if text.isdigit() else 0), text
        return int(value), text
