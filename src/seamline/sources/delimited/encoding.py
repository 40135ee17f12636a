"""``encoding: auto`` of the csv source: UTF-8 unless the file is clearly something else.

The rule, on the first :data:`SAMPLE_BYTES` of the file (the whole file if smaller):

1. A byte-order mark decides: UTF-8 with BOM or UTF-16.
2. Otherwise the sample is decoded as UTF-8, keeping every invalid byte. The file is
   read as UTF-8 unless **both** hold: the invalid bytes outnumber the valid non-ASCII
   UTF-8 characters, and they sit on at least :data:`CODE_PAGE_LINE_SHARE` of the
   sample's lines. Text in a single-byte code page (cp1251, latin-1 …) almost never
   forms valid multi-byte UTF-8 by chance and has its non-ASCII letters on many lines;
   a UTF-8 export with a few damaged bytes has neither.
3. Only then charset-normalizer picks the code page.

Read as UTF-8, a record with bytes that are not UTF-8 is quarantined with the byte
offset of the first bad byte, wherever in the file it sits (the rest of the file
reads normally). The choice and the reason for it are reported with the data.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import ClassVar

from charset_normalizer import from_bytes

from seamline.errors import SourceError

SAMPLE_BYTES = 256 * 1024
CODE_PAGE_LINE_SHARE = 0.05
"""Share of the sample's lines with bytes that are not UTF-8 above which a code page is read."""

_INVALID = re.compile("[\udc80-\udcff]")
_MULTIBYTE = re.compile("[^\x00-\x7f\udc80-\udcff]")


@dataclass(frozen=True)
class EncodingChoice:
    """The codec a csv file is read with and why."""

    name: str
    """A Python codec name (as ``codecs.lookup`` spells it)."""
    rule: str
    """Why, in words: ``declared``, ``byte-order mark``, or the sample's counts."""


def detect_encoding(sample: bytes, where: str, *, whole_file: bool) -> EncodingChoice:
    """The encoding of a file whose first bytes are ``sample`` (rule in the module doc)."""
    if sample.startswith(codecs.BOM_UTF8):
        return EncodingChoice("utf-8-sig", "byte-order mark")
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return EncodingChoice("utf-16", "byte-order mark")
    text = sample.decode("utf-8", errors="surrogateescape")
    if not whole_file:  # the sample may end inside a character: judge whole lines only
        cut = text.rfind("\n")
        text = text[: cut + 1] if cut >= 0 else text[:-4]
    lines = [line for line in text.split("\n") if line.strip("\r")]
    bad_lines = sum(1 for line in lines if _INVALID.search(line))
    invalid = len(_INVALID.findall(text))
    valid = len(_MULTIBYTE.findall(text))
    span = f"the first {len(sample):,} bytes" if not whole_file else "the file"
    if invalid == 0:
        what = "valid UTF-8" if valid else "ASCII, read as UTF-8"
        return EncodingChoice("utf-8", f"{span}: {what}")
    counts = (
        f"{bad_lines:,} of {len(lines):,} lines of {span} have bytes that are not UTF-8 "
        f"({invalid:,} such bytes, {valid:,} valid UTF-8 characters)"
    )
    if invalid <= valid or bad_lines < CODE_PAGE_LINE_SHARE * len(lines):
        return EncodingChoice("utf-8", f"{counts}: read as UTF-8, those records quarantined")
    best = from_bytes(sample).best()
    if best is None:
        raise SourceError(
            f"cannot tell the text encoding of this file: {counts}",
            where=where,
            hint="Set encoding: in the dataset's source (e.g. utf-8, cp1251, latin-1).",
        )
    name = codecs.lookup(best.encoding).name
    return EncodingChoice(name, f"{counts}: not UTF-8, {name} by charset-normalizer")


def check_encoding(name: str, where: str) -> EncodingChoice:
    try:
        return EncodingChoice(codecs.lookup(name).name, "declared")
    except LookupError:
        raise SourceError(
            f"unknown encoding {name!r}",
            where=where,
            hint="Use a Python codec name such as utf-8, utf-8-sig, cp1251, cp866, latin-1.",
        ) from None


class ByteCounter:
    """Byte lengths of decoded lines, to name where a bad byte sits in the file.

    Lines are decoded with ``surrogateescape``, so encoding them back the same way gives
    their bytes exactly; a codec that writes a byte-order mark on every call is measured
    with its BOM-less twin and the mark counted once, at the start.
    """

    _TWINS: ClassVar[dict[str, tuple[str, int]]] = {
        "utf-8-sig": ("utf-8", 3),
        "utf-16": ("utf-16-le", 2),
        "utf-32": ("utf-32-le", 4),
    }

    def __init__(self, encoding: str) -> None:
        self.codec, self.start = self._TWINS.get(encoding, (encoding, 0))

    def size(self, text: str) -> int | None:
        try:
            return len(text.encode(self.codec, errors="surrogateescape"))
        except UnicodeError:
            return None


def first_bad_byte(line: str) -> tuple[int, int] | None:
    """Index (in characters) and value of the first undecodable byte of ``line``."""
    found = _INVALID.search(line)
    if found is None:
        return None
    return found.start(), ord(found.group()) - 0xDC00
