"""``make bench``: run every ``bench/bench_*.py`` and write ``bench/out/results.json``.

Each module has ``run(scale: float) -> dict``. ``SEAMLINE_BENCH_SCALE`` (default 1.0)
scales the generated inputs, e.g. 0.05 for a quick look.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    scale = float(os.environ.get("SEAMLINE_BENCH_SCALE", "1.0"))
    only = set(argv)
    results: dict[str, object] = {"scale": scale, "started": time.strftime("%Y-%m-%dT%H:%M:%S")}
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem.removeprefix("bench_")
        if only and name not in only:
            continue
        print(f"== {name} (scale {scale})", flush=True)
        module = importlib.import_module(f"bench.{path.stem}")
        results[name] = module.run(scale)
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    print(f"results in {out / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
