"""What the UI tests share besides fixtures: the demo password, the pinned day, and a
way to make a code-list value unmapped again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

PASSWORD = "correct horse battery"
TODAY = dt.date(2026, 6, 1)


def unmap(root: Path, local: str = "W") -> Path:
    """Take ``local`` out of civil_persons.MARITAL_CD's crosswalk, so the code-list page
    lists it as unmapped (accepting the suggestion puts it back)."""
    path = root / "codelists" / "marital_status.yaml"
    text = path.read_text(encoding="utf-8")
    line = f'      - {{local: "{local}", code: widowed}}\n'
    if line in text:
        path.write_text(text.replace(line, ""), encoding="utf-8")
    return path
