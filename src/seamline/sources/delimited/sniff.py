"""Encoding detection and dialect sniffing on the first block of a delimited file.

The standard library's ``csv.Sniffer`` and charset-normalizer do the work; this module
only orders them the way registers' exports need: a BOM wins, then strict UTF-8 (which
almost never decodes text in another encoding by accident), then detection.
"""

from __future__ import annotations

import codecs
import csv

from charset_normalizer import from_bytes

from seamline.errors import SourceError

SAMPLE_BYTES = 256 * 1024
DELIMITERS = ",;\t|"


def detect_encoding(sample: bytes, where: str) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 4:  # a character cut by the end of the sample
            return "utf-8"
    best = from_bytes(sample).best()
    if best is None:
        raise SourceError(
            "cannot tell the text encoding of this file",
            where=where,
            hint="set encoding: in the dataset's source (e.g. utf-8, cp1251, latin-1)",
        )
    return str(best.encoding)


def check_encoding(name: str, where: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise SourceError(
            f"unknown encoding {name!r}",
            where=where,
            hint="use a Python codec name such as utf-8, utf-8-sig, cp1251, cp866, latin-1",
        ) from None


def sniff_delimiter(text: str) -> str:
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        # The sniffer gives up on irregular samples; the most frequent candidate in the
        # first line is then the best guess.
        counts = {d: lines[0].count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","
