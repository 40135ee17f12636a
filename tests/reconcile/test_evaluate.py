"""Ground truth is opt-in (``evaluate:``), has one documented format, and a bad one says so."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from seamline.demo import generate_demo
from seamline.errors import SpecError
from seamline.harmonize.stage import HarmonizeStage
from seamline.pipeline import ConnectStage, run_pipeline
from seamline.reconcile.evaluate import evaluate
from seamline.reconcile.golden import Choice, Picks
from seamline.reconcile.stage import ReconcileStage
from seamline.store import Store
from seamline.workspace import load_workspace
from seamline.workspace.issues import SpecErrors
from seamline.workspace.models import EvaluateSpec

FOREIGN_RECORDS = "rec,who,pin\nA1,x,123\n"
FOREIGN_PEOPLE = "who,pin,name\nx,123,Someone\n"

# Every file opened in this process, while a test listens (audit hooks cannot be removed,
# so the hook only records when asked to).
_opened: list[str] | None = None


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event == "open" and _opened is not None and isinstance(args[0], str | Path):
        _opened.append(str(args[0]))


sys.addaudithook(_hook)


@pytest.fixture
def opened() -> Iterator[list[str]]:
    """The files opened from now on (clear it to start afresh)."""
    global _opened
    _opened = []
    yield _opened
    _opened = None


def _without_evaluate(root: Path) -> None:
    yaml = root / "seamline.yaml"
    text = yaml.read_text("utf-8")
    yaml.write_text(text[: text.index("\nevaluate:") + 1], "utf-8")


def _foreign_truth(root: Path) -> None:
    (root / "_truth" / "records.csv").write_text(FOREIGN_RECORDS, "utf-8")
    (root / "_truth" / "entities.csv").unlink()
    (root / "_truth" / "people.csv").write_text(FOREIGN_PEOPLE, "utf-8")


def test_foreign_truth_without_evaluate_is_never_read(tmp_path: Path, opened: list[str]) -> None:
    root = tmp_path / "ws"
    generate_demo(root, people=150, seed=5)
    _without_evaluate(root)
    _foreign_truth(root)
    opened.clear()
    ws = load_workspace(root)
    assert ws.project.evaluate is None
    with Store.open(f"sqlite:///{tmp_path}/store.db") as store:
        summary = run_pipeline(
            ws, store, stages=[ConnectStage(), HarmonizeStage(), ReconcileStage()]
        )
    assert [s.status for s in summary.stages] == ["ok", "ok", "ok"]
    reconcile = summary.stages[2]
    assert reconcile.details and "F1" not in reconcile.details[0]
    truth = str(root / "_truth")
    assert [p for p in opened if p.startswith(truth)] == []
    assert any(p.startswith(str(root / "data")) for p in opened)  # the hook did listen


def test_declared_truth_of_a_foreign_shape_is_one_clear_spec_error(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    generate_demo(root, people=20, seed=5)
    _foreign_truth(root)
    with pytest.raises(SpecErrors) as caught:
        load_workspace(root)
    (issue,) = caught.value.issues
    assert issue.path == "_truth/records.csv"
    assert issue.message.startswith("has no columns 'dataset', 'record_key', 'entity_id'")
    text = str(caught.value)
    assert "_truth/records.csv" in text and "'record_key'" in text
    assert "dataset,record_key,entity_id" in text  # the expected format
    assert "KeyError" not in text

    env = {k: v for k, v in os.environ.items() if k != "SEAMLINE_STORE"}
    run = subprocess.run(
        [sys.executable, "-m", "seamline", "run", str(root)],
        capture_output=True,
        text=True,
        env={**env, "COLUMNS": "200"},
        timeout=120,
    )
    assert run.returncode == 2, run.stderr
    out = run.stdout + run.stderr
    assert "_truth/records.csv" in out and "record_key" in out and "Traceback" not in out


def test_truth_checks_name_unknown_columns_and_missing_files(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    generate_demo(root, people=20, seed=5)
    entities = root / "_truth" / "entities.csv"
    text = entities.read_text("utf-8")
    entities.write_text(text.replace("birth_date", "birth_dat", 1), "utf-8")
    yaml = root / "seamline.yaml"
    yaml.write_text(yaml.read_text("utf-8").replace("patronymic: name", "patronymc: name"))
    with pytest.raises(SpecErrors) as caught:
        load_workspace(root)
    messages = sorted(str(i) for i in caught.value.issues)
    assert len(messages) == 2, messages
    assert "_truth/entities.csv:1:" in messages[0] and "did you mean 'birth_date'" in messages[0]
    assert messages[1].startswith("seamline.yaml:") and "'patronymc'" in messages[1]

    (root / "_truth" / "records.csv").unlink()
    entities.write_text(text, "utf-8")
    yaml.write_text(yaml.read_text("utf-8").replace("patronymc", "patronymic"))
    with pytest.raises(SpecErrors, match=r"_truth/records.csv: is missing"):
        load_workspace(root)


def _picks(entities: list[str], values: list[str | None]) -> Picks:
    return Picks.from_choices(entities, [Choice(v, None, None, "rule", "") for v in values])


def _truth(tmp_path: Path, records: str, entities: str | None) -> EvaluateSpec:
    folder = tmp_path / "truth here"
    folder.mkdir()
    (folder / "records.csv").write_text(records, "utf-8")
    if entities is not None:
        (folder / "entities.csv").write_text(entities, "utf-8")
    return EvaluateSpec(truth="truth here", compare={"name": "text", "word": "name"})


def test_golden_values_are_scored_for_whatever_attributes_the_truth_has(tmp_path: Path) -> None:
    spec = _truth(
        tmp_path,
        "dataset,record_key,entity_id\na,1,E1\na,2,E2\nb,x,E1\nb,y,E2\nb,z,\n",
        # A BOM from a spreadsheet; a column the entity has no golden value for is skipped.
        "\ufeffentity_id,code,name,word,colour\nE1,007,Ann  Lee,Жылдыз,red\nE2,8,Bo,Айбек,\n",
    )
    uids = ["a:1", "a:2", "b:x", "b:y", "b:z"]
    # The reconciled entities: k1 holds both of E1's records, k2 E2's first, k3 E2's second.
    record_entity = ["k1", "k2", "k1", "k3", "k3"]
    entity_ids = ["k1", "k2", "k3"]
    choices = {
        "code": _picks(entity_ids, ["007", "8", "08"]),  # exact: '08' is not '8'
        "name": _picks(entity_ids, ["ann lee", "BO", None]),  # text: case, spaces folded
        "word": _picks(entity_ids, ["ZHYLDYZ", "Aibek", "Aybek"]),  # name keys
    }
    m = evaluate(tmp_path, spec, uids, record_entity, entity_ids, choices)
    assert m is not None
    assert m["records_with_truth"] == 4 and m["people_seen"] == 2
    # True pairs: (a:1,b:x), (a:2,b:y); predicted: (a:1,b:x), (b:y,b:z) of which 1 right.
    assert m["links"] == {
        "precision": 1.0,
        "recall": 0.5,
        "f1": 0.66667,
        "true_pairs": 2,
        "predicted_pairs": 1,
        "correct_pairs": 1,
    }
    assert m["golden_accuracy"] == {"code": 0.66667, "name": 0.66667, "word": 1.0}
    assert evaluate(tmp_path, None, uids, record_entity, entity_ids, choices) is None


def test_truth_changed_after_loading_is_a_spec_error_not_a_key_error(tmp_path: Path) -> None:
    spec = _truth(tmp_path, "dataset,key,person_id\na,1,P1\n", None)
    with pytest.raises(SpecError, match=r"has no columns 'record_key', 'entity_id'") as caught:
        evaluate(tmp_path, spec, ["a:1"], ["k1"], ["k1"], {})
    assert "truth here/records.csv" in str(caught.value)
    assert "dataset,record_key,entity_id" in str(caught.value)


def test_golden_values_not_true_are_flagged_when_listed_else_silently_wrong(
    tmp_path: Path,
) -> None:
    spec = _truth(
        tmp_path,
        "dataset,record_key,entity_id\na,1,E1\na,2,E2\na,3,E3\na,4,E4\n",
        "entity_id,word\nE1,Howard\nE2,Howard\nE3,Smith\nE4,Lee\n",
    )
    uids = ["a:1", "a:2", "a:3", "a:4"]
    entity_ids = ["k1", "k2", "k3", "k4"]
    # Two Latin spellings are not the same name: a doubled letter is a typo.
    choices = {"word": _picks(entity_ids, ["Howaard", "Howaard", "SMITH", None])}
    m = evaluate(tmp_path, spec, uids, entity_ids, entity_ids, choices, listed={"word": {"k2"}})
    assert m is not None
    assert m["golden_outcome"]["word"] == {
        "right": 1,
        "flagged": 1,
        "missing": 1,
        "silently_wrong": 1,
        "scored": 4,
    }
    assert m["golden_accuracy"]["word"] == 0.25


def test_an_entity_of_a_link_in_review_is_flagged_for_every_attribute(tmp_path: Path) -> None:
    from seamline.reconcile.worklist import LINK_ATTRIBUTE

    spec = _truth(
        tmp_path,
        "dataset,record_key,entity_id\na,1,E1\na,2,E1\na,3,E2\n",
        "entity_id,word,code\nE1,Howard,7\nE2,Smith,8\n",
    )
    uids = ["a:1", "a:2", "a:3"]
    record_entity = ["k1", "k2", "k3"]  # E1's second record was left apart, in review
    entity_ids = ["k1", "k2", "k3"]
    choices = {
        "word": _picks(entity_ids, ["Howard", "Howaard", "Smyth"]),
        "code": _picks(entity_ids, ["7", "9", "8"]),
    }
    m = evaluate(
        tmp_path, spec, uids, record_entity, entity_ids, choices, listed={LINK_ATTRIBUTE: {"k2"}}
    )
    assert m is not None
    # k2's values wait for the link's decision; k3's wrong word is on no list.
    assert m["golden_outcome"]["word"]["flagged"] == 1
    assert m["golden_outcome"]["word"]["silently_wrong"] == 1
    assert m["golden_outcome"]["code"]["flagged"] == 1
    assert m["golden_outcome"]["code"]["right"] == 2


def test_only_worklist_rows_count_as_listed() -> None:
    from seamline.reconcile.run import _listed
    from seamline.reconcile.worklist import LINK_ATTRIBUTE

    rows: list[dict[str, Any]] = [
        {"classification": "conflict", "attribute": "word", "entity_id": "k1"},
        {"classification": "doubtful", "attribute": "unit", "entity_id": "k2"},
        {"classification": "missing_in", "attribute": "word", "entity_id": "k3"},
        {
            "classification": "review_link",
            "attribute": LINK_ATTRIBUTE,
            "entity_id": "k4",
            "observed": {"left_entity": "k4", "right_entity": "k5"},
        },
    ]
    # missing_in rows are kept for the report, not shown to stewards: not flagged.
    assert _listed(rows) == {"word": {"k1"}, "unit": {"k2"}, LINK_ATTRIBUTE: {"k4", "k5"}}
