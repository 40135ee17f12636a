"""The decoded text of a JSON file, read in chunks and held only from the record being read.

:class:`TextStream` is what the walker (:mod:`seamline.sources.jsonsrc.walk`) reads: a
window of text addressed by absolute character positions, extended a chunk at a time
when a value runs past its end and trimmed behind each finished record, so memory holds
about one chunk plus the longest record, however long the file. Values are parsed by
:meth:`json.JSONDecoder.raw_decode` (the standard library's C scanner) at a position.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable
from typing import Any

_DECODER = json.JSONDecoder()
_NOT_WS = re.compile(r"[^ \t\n\r]")
_STRUCTURE = re.compile(r'["\[\]{},]')
_STRING_REST = re.compile(r'(?:[^"\\\n]|\\.)*["\n]')
CHUNK = 1 << 20
MAX_RECORD = 256 << 20
"""Characters one record (or a stretch of broken text) may span before the reader gives up."""


class JsonTextError(Exception):
    """Malformed JSON text or a record path that does not fit the document."""

    def __init__(self, message: str, pos: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


class TextStream:
    """Text from ``read`` (bytes, decoded with ``codec``), or a whole string."""

    def __init__(
        self,
        read: Callable[[int], bytes] | None = None,
        codec: str = "utf-8",
        *,
        text: str = "",
        chunk: int = CHUNK,
        max_record: int = MAX_RECORD,
    ) -> None:
        self._read = read
        name = "utf-8-sig" if codecs.lookup(codec).name == "utf-8" else codec
        self._decoder = codecs.getincrementaldecoder(name)("strict")
        self.buf = text
        self.base = 0
        """Absolute position of ``buf[0]``."""
        self.eof = read is None
        self.bytes_read = 0
        self.chunk = chunk
        self.max_record = max_record
        self._line_pos, self._line = 0, 1
        self._last_nl = -1
        """Absolute position of the last line break before ``base`` (-1: none)."""

    @property
    def end(self) -> int:
        return self.base + len(self.buf)

    def more(self) -> bool:
        """Append the next chunk; False at the end of the file."""
        if self.eof or self._read is None:
            return False
        data = self._read(self.chunk)
        before = self.bytes_read
        self.bytes_read += len(data)
        try:
            text = self._decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            raise UnicodeDecodeError(
                exc.encoding, exc.object, exc.start + before, exc.end + before, exc.reason
            ) from None
        if not data:
            self.eof = True
        self.buf += text
        return bool(text) or not self.eof

    def char(self, pos: int) -> str:
        """The character at ``pos``; ``""`` past the end of the file."""
        while pos >= self.end and self.more():
            pass
        return self.buf[pos - self.base] if pos < self.end else ""

    def ws(self, pos: int) -> int:
        """The first position at or after ``pos`` that is not whitespace (or the end)."""
        while True:
            m = _NOT_WS.search(self.buf, max(0, pos - self.base))
            if m is not None:
                return self.base + m.start()
            pos = max(pos, self.end)
            if not self.more():
                return self.end

    def value(self, pos: int) -> tuple[Any, int]:
        """The JSON value starting at ``pos`` and the position just after it."""
        while True:
            at = pos - self.base
            try:
                value, end = _DECODER.raw_decode(self.buf, at)
            except json.JSONDecodeError as exc:
                # A value cut by the end of the window (an unterminated string, an
                # error at the very end) may be whole once the next chunk is in.
                cut = exc.pos >= len(self.buf) - 16 or exc.msg.startswith("Unterminated")
                if cut and self._grow(pos):
                    continue
                raise JsonTextError(exc.msg, self.base + exc.pos) from None
            except RecursionError:
                raise JsonTextError("nested too deeply", pos) from None
            # A number or literal ending exactly at the window's end may go on.
            if end == len(self.buf) and self._grow(pos):
                continue
            return value, self.base + end

    def _grow(self, pos: int) -> bool:
        if self.end - pos > self.max_record:
            return False
        return self.more()

    def text(self, start: int, end: int) -> str:
        return self.buf[start - self.base : end - self.base]

    def skip_item(self, pos: int) -> int | None:
        """Where a (possibly malformed) array item starting at ``pos`` ends.

        The position of the ``,`` or ``]`` that follows it at its own nesting level,
        found by matching brackets outside strings; None when the file (or the
        ``max_record`` window) ends first. A string left open ends at its line's end.
        """
        depth, i = 0, pos
        while True:
            if i - pos > self.max_record:
                return None
            m = _STRUCTURE.search(self.buf, i - self.base)
            if m is None:
                i = self.end
                if not self.more():
                    return None
                continue
            j = self.base + m.start()
            c = m.group()
            if c == '"':
                s = _STRING_REST.match(self.buf, j + 1 - self.base)
                if s is None:
                    if not self.more():
                        return None
                    i = j
                    continue
                i = self.base + s.end()
                continue
            if c in "[{":
                depth += 1
            elif c in "]}":
                if depth == 0:
                    return j
                depth -= 1
            elif depth == 0:
                return j
            i = j + 1

    def line_at(self, pos: int) -> int:
        """1-based line of ``pos`` (positions asked for mostly go forward)."""
        if pos >= self._line_pos:
            self._line += self.buf.count("\n", self._line_pos - self.base, pos - self.base)
        else:
            self._line -= self.buf.count("\n", max(0, pos - self.base), self._line_pos - self.base)
        self._line_pos = pos
        return self._line

    def column_at(self, pos: int) -> int:
        """1-based column of ``pos`` (a minified document is one long line)."""
        nl = self.buf.rfind("\n", 0, pos - self.base)
        return pos - (self.base + nl if nl >= 0 else self._last_nl)

    def release(self, pos: int) -> None:
        """Forget the text before ``pos`` (nothing before it will be asked for again)."""
        at = pos - self.base
        if at < self.chunk:
            return
        self.line_at(pos)
        nl = self.buf.rfind("\n", 0, at)
        if nl >= 0:
            self._last_nl = self.base + nl
        self.buf = self.buf[at:]
        self.base = pos
