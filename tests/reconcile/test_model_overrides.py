"""The user sees and overrides the model: ``reconcile/*.yaml`` comparisons, blocking and
training rules; ``seamline reconcile run --explain`` prints the model used."""

from __future__ import annotations

import json
from pathlib import Path

from linkage_kit import Dataset, f1, seamline_run, write_workspace
from test_attribute_matrix import FIELDS, _person, _registers
from typer.testing import CliRunner

from seamline.cli import app


def _write(root: Path, reconcile: dict[str, object]) -> Path:
    a, b = _registers()
    return write_workspace(
        root,
        [Dataset("register_a", a, dict(FIELDS)), Dataset("register_b", b, dict(FIELDS))],
        reconcile=reconcile,
    )


def _model(root: Path) -> dict[str, object]:
    path = root / ".seamline" / "data" / "reference" / "person.model.json"
    loaded: dict[str, object] = json.loads(path.read_text("utf-8"))
    return loaded


def test_overrides_replace_the_generated_model(tmp_path: Path) -> None:
    root = _write(
        tmp_path / "ws",
        {
            "comparisons": {
                "sex": {"comparison": "none"},
                "family_name": {"comparison": "JaroWinklerAtThresholds", "thresholds": [0.9]},
            },
            "blocking": [["family_name", "given_name"], ["birth_date"]],
            "training": [["birth_date"], ["family_name"]],
        },
    )
    out = seamline_run(root)
    assert out.exit_code == 0, out.output
    assert f1(out.entity_of, _person)["f1"] >= 0.9
    model = _model(root)
    blocking = model["blocking"]
    assert isinstance(blocking, list)
    assert [r["rule"] for r in blocking] == ["family + given", "birth date"]
    assert all(r["kept"] and r["pairs"] > 0 for r in blocking)
    # EM ran on the user's training rules only (a pass whose estimate degenerates on
    # this small register is passed over).
    training = model["training"]
    assert isinstance(training, list) and training[0] == "birth date"
    assert set(training) <= {"birth date", "family"}
    splink = model["splink"]
    assert isinstance(splink, dict)
    compared = {c["output_column_name"]: c for c in splink["comparisons"]}
    assert "f_sex" not in compared
    labels = [lv["sql_condition"] for lv in compared["f_family"]["comparison_levels"]]
    assert any("0.9" in sql and "jaro_winkler" in sql for sql in labels)


def test_explain_prints_rules_with_pairs_and_weights(tmp_path: Path) -> None:
    root = _write(tmp_path / "ws", {})
    before = CliRunner().invoke(app, ["reconcile", "--explain", "-w", str(root)])
    assert before.exit_code == 0, before.output
    assert "no model yet (run `seamline reconcile run` first)" in before.output
    result = CliRunner().invoke(app, ["reconcile", "run", str(root), "--explain"])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "blocking rules (pairs each adds" in text
    assert "birth date" in text and "kept" in text
    assert "comparisons (level: m, u, match weight)" in text
    # The rule lines carry the counted pairs.
    model = _model(root)
    first = model["blocking"][0]  # type: ignore[index]
    assert f"{first['pairs']:,}" in text
    # ``seamline reconcile --explain`` prints the same model again without a run.
    again = CliRunner().invoke(app, ["reconcile", "--explain", "--workspace", str(root)])
    assert again.exit_code == 0, again.output
    shown = again.output.splitlines()
    assert shown[0].startswith("Linkage model of person")
    assert text.splitlines()[-len(shown) :] == shown
    assert "Report:" not in again.output  # no run summary: nothing ran


def test_explain_before_a_command_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["reconcile", "--explain", "worklist"])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())  # the console wraps at 80 columns
    assert "takes no command, and `worklist` was given." in said


def test_an_override_naming_no_attribute_is_a_spec_error(tmp_path: Path) -> None:
    root = _write(tmp_path / "ws", {"blocking": [["shoe_size"]]})
    out = seamline_run(root)
    assert out.exit_code != 0
    assert "shoe_size" in out.output
    assert "Traceback" not in out.output
