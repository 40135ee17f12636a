"""The entity page learns a spec's entity from ``reconcile/`` once per version of it."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from seamline.ui import entity_view
from seamline.ui.entity_view import PreparedCache


def test_the_entity_of_a_spec_is_read_again_only_when_reconcile_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "reconcile"
    folder.mkdir()
    spec = folder / "firms.yaml"
    spec.write_text("id: firms\nentity: Business\ndatasets: [trade_register, vat_payers]\n")
    parsed: list[Path] = []
    real = entity_view.load_reconcile_specs

    def counting(root: Path) -> Any:
        parsed.append(root)
        return real(root)

    monkeypatch.setattr(entity_view, "load_reconcile_specs", counting)
    ws: Any = SimpleNamespace(root=tmp_path)
    cache = PreparedCache()

    assert cache.entity_of(ws, "firms") == "Business"
    assert cache.entity_of(ws, "firms") == "Business"
    assert cache.entity_of(ws, "nobody") == "Entity"
    assert len(parsed) == 1  # three pages, one parse

    spec.write_text("id: firms\nentity: Company\ndatasets: [trade_register, vat_payers]\n")
    stat = spec.stat()
    os.utime(spec, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert cache.entity_of(ws, "firms") == "Company"
    assert len(parsed) == 2
