"""Retention periods: ISO 8601 durations, calendar arithmetic, and spec errors."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from seamline.errors import SpecError
from seamline.retention import effective_periods
from seamline.workspace import load_workspace
from seamline.workspace.periods import parse_period
from seamline.workspace.template import write_example


@pytest.mark.parametrize(
    ("text", "now", "cutoff"),
    [
        ("P5Y", datetime(2032, 2, 1, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC)),
        ("P1Y", datetime(2028, 2, 29, 12, tzinfo=UTC), datetime(2027, 2, 28, 12, tzinfo=UTC)),
        ("P18M", datetime(2026, 1, 31, tzinfo=UTC), datetime(2024, 7, 31, tzinfo=UTC)),
        ("P1M", datetime(2026, 3, 31, tzinfo=UTC), datetime(2026, 2, 28, tzinfo=UTC)),
        ("P2W3D", datetime(2026, 3, 18, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)),
        ("P90D", datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)),
        ("P1Y1M1D", datetime(2026, 1, 1, tzinfo=UTC), datetime(2024, 11, 30, tzinfo=UTC)),
    ],
)
def test_a_period_counts_back_by_the_calendar(text: str, now: datetime, cutoff: datetime) -> None:
    assert parse_period(text).cutoff(now) == cutoff


@pytest.mark.parametrize("text", ["P", "5Y", "P5", "P1.5Y", "PT5H", "P5Y ", "p5y", ""])
def test_what_is_not_a_period_is_refused(text: str) -> None:
    if text == "P5Y ":  # surrounding spaces are forgiven
        assert str(parse_period(text)) == "P5Y"
        return
    with pytest.raises(ValueError, match="is not a retention period"):
        parse_period(text)


def test_a_bad_period_in_a_spec_names_the_file_and_the_key(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write_example(root)
    ds = root / "datasets" / "civil_persons.yaml"
    ds.write_text(ds.read_text(encoding="utf-8") + "retention: five years\n", encoding="utf-8")
    project = root / "seamline.yaml"
    project.write_text(
        project.read_text(encoding="utf-8") + "audit: {retention: P}\n", encoding="utf-8"
    )
    with pytest.raises(SpecError) as caught:
        load_workspace(root)
    text = str(caught.value)
    assert "civil_persons.yaml" in text and "retention" in text and "five years" in text
    assert "seamline.yaml" in text and "'P' is not a retention period" in text


def test_the_longest_agreement_sets_a_dataset_s_period(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write_example(root)
    seam = (root / "seams" / "civil-to-tax.yaml").read_text(encoding="utf-8")
    longer = seam.replace("id: civil-to-tax", "id: civil-to-social").replace(
        "retention: P5Y", "retention: P7Y"
    )
    shorter = seam.replace("id: civil-to-tax", "id: civil-to-audit").replace(
        "retention: P5Y", "retention: P84M1D"
    )
    (root / "seams" / "civil-to-social.yaml").write_text(longer, encoding="utf-8")
    (root / "seams" / "civil-to-audit.yaml").write_text(shorter, encoding="utf-8")
    eff = effective_periods(load_workspace(root))["civil_persons"]
    assert (str(eff.period), eff.source) == ("P84M1D", "seam civil-to-audit")
    (root / "seams" / "civil-to-audit.yaml").unlink()
    eff = effective_periods(load_workspace(root))["civil_persons"]
    assert (str(eff.period), eff.source) == ("P7Y", "seam civil-to-social")


def test_the_dataset_s_own_period_wins_over_the_agreement(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write_example(root)
    ds = root / "datasets" / "civil_persons.yaml"
    ds.write_text(ds.read_text(encoding="utf-8") + "retention: P2Y\n", encoding="utf-8")
    eff = effective_periods(load_workspace(root))["civil_persons"]
    assert (str(eff.period), eff.source) == ("P2Y", "datasets/civil_persons.yaml")


def test_a_dataset_without_a_period_is_left_alone(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write_example(root)
    (root / "seams" / "civil-to-tax.yaml").unlink()
    eff = effective_periods(load_workspace(root))["civil_persons"]
    assert (eff.period, eff.source) == (None, "none")
