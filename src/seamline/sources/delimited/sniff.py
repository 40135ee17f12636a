"""Dialect sniffing on the first block of a delimited file (the encoding: ``encoding.py``).

The standard library's ``csv.Sniffer`` does the work; this module adds a fallback for
samples it gives up on.
"""

from __future__ import annotations

import csv

DELIMITERS = ",;\t|"


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
