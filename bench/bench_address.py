"""The ``address`` step on US lines: 100,000 invented lines (times SEAMLINE_BENCH_SCALE),
nearly all distinct, through the Arrow path (``part: full``), against usaddress's
tagger alone on the same lines (the floor: the step adds standardization, post code
parts and checks). Also a column where each line repeats ten times (parsed once each).
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import pyarrow as pa

from bench.harness import measure, table

NAMES = ["Main", "Oak", "Elm", "Center", "Lake", "Park", "Hill", "Mill", "Pine", "Cedar", "5th"]
SUFFIXES = ["St", "Street", "St.", "Ave", "Avenue", "Rd", "Blvd", "Pl.", "Ct", "Dr", "Lane"]
DIRECTIONS = ["", "", "N", "N.", "North", "NE", "SW"]
UNITS = ["", "", "", "Apt 4", "# 15C", "Ste 200", "Unit B", "Apartment 12"]
CITIES = ["Springfield", "Dover", "Austin", "Salem", "Troy", "Fairview", "Madison"]
STATES = ["IL", "TX", "Ohio", "NY", "CA", "WI"]


def lines(n: int, seed: int = 5) -> list[str]:
    rng = np.random.default_rng(seed)

    def pick(vocab: list[str]) -> list[str]:
        return [vocab[i] for i in rng.integers(0, len(vocab), n)]

    numbers = rng.integers(1, 99999, n)
    zips = rng.integers(1000, 99999, n)
    ext = rng.integers(0, 9999, n)
    out = []
    for i, (d, name, suf, unit, city, state) in enumerate(
        zip(
            pick(DIRECTIONS),
            pick(NAMES),
            pick(SUFFIXES),
            pick(UNITS),
            pick(CITIES),
            pick(STATES),
            strict=True,
        )
    ):
        street = " ".join(w for w in (str(numbers[i]), d, name, suf, unit) if w)
        code = f"{zips[i]:05d}" + (f"-{ext[i]:04d}" if i % 3 == 0 else "")
        out.append(f"{street}, {city}, {state} {code}")
    return out


def _step(texts: list[str]) -> dict[str, Any]:
    from seamline.normalize.address import AddressNormalizer, AddressOptions
    from seamline.normalize.base import StepContext

    step = AddressNormalizer(AddressOptions(part="full"), StepContext(country="US"))
    res = step.arrow(pa.array(texts))
    flags = res.flags.to_pylist()
    return {"rows": len(texts), "read": sum(f is None for f in flags)}


def _tagger(texts: list[str]) -> dict[str, Any]:
    import usaddress

    for t in texts:
        with contextlib.suppress(usaddress.RepeatedLabelError):
            usaddress.tag(t.upper())
    return {"rows": len(texts)}


def run(scale: float) -> dict[str, Any]:
    n = max(1000, int(100_000 * scale))
    texts = lines(n)
    repeated = lines(n // 10) * 10
    rows = [
        measure("usaddress.tag alone", _tagger, texts),
        measure("address step, distinct", _step, texts),
        measure("address step, each line x10", _step, repeated),
    ]
    print(table(f"address: {n:,} US lines", rows, "usaddress.tag alone"))
    return {m.name: {"seconds": m.seconds, "peak_mb": m.peak_mb, **m.result} for m in rows}
