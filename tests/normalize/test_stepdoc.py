"""The step options in docs/harmonize.md are generated from the code; unknown options."""

from __future__ import annotations

from pathlib import Path

import pytest

from seamline.errors import SpecError
from seamline.normalize import StepContext, default_normalizers
from seamline.stepdoc import BEGIN, END, render, update
from seamline.workspace import SpecErrors, load_workspace
from seamline.workspace.template import write_example

ROOT = Path(__file__).resolve().parents[2]


def test_step_options_in_the_docs_are_generated_from_the_option_models() -> None:
    committed = (ROOT / "docs" / "harmonize.md").read_text(encoding="utf-8")
    assert committed == update(committed, render()), (
        "docs/harmonize.md is stale: run `python -m seamline.stepdoc docs/harmonize.md`"
    )


def test_every_step_and_option_is_documented_with_its_allowed_values() -> None:
    generated = render()
    registry = default_normalizers()
    for key, cls in registry.normalizers.items():
        assert f"### `{key}`" in generated
        for name, info in cls.options_model.model_fields.items():
            assert f"| `{name}` |" in generated
            assert info.description, f"step {key}: option {name} has no docstring"
    assert "one of `full`, `given`, `family`, `patronymic`, `middle`, `suffix`, `none`" in generated
    with pytest.raises(ValueError, match="markers"):
        update("no markers here", generated)
    assert update(f"a\n{BEGIN}\nold\n{END}\nb", "new\n") == f"a\n{BEGIN}\n\nnew\n\n{END}\nb"


def test_an_unknown_option_gets_a_did_you_mean_and_the_allowed_options() -> None:
    registry = default_normalizers()
    with pytest.raises(SpecError) as caught:
        registry.build({"name": {"prt": "family"}}, StepContext())
    assert caught.value.message == "unknown option 'prt' for step 'name' (did you mean 'part'?)"
    assert caught.value.allowed == "case, honorifics, part, order, patronymics"
    with pytest.raises(SpecError, match="no options"):
        registry.build({"email": {"strict": True}}, StepContext())
    with pytest.raises(SpecError, match="are a mapping"):
        registry.build({"name": "family"}, StepContext())


def test_an_unknown_option_is_reported_with_file_and_line(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write_example(root)
    spec = root / "datasets" / "civil_persons.yaml"
    text = spec.read_text(encoding="utf-8").replace(
        "{column: family_name, attribute: family_name}",
        "{column: family_name, attribute: family_name, normalize: [{name: {prt: family}}]}",
    )
    spec.write_text(text, encoding="utf-8")
    with pytest.raises(SpecErrors) as caught:
        load_workspace(root, env={})
    (issue,) = caught.value.issues
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "prt" in t)
    assert issue.path.endswith("civil_persons.yaml") and issue.line == line
    assert "unknown option 'prt' for step 'name' (did you mean 'part'?)" in str(issue)
    assert "part, order" in str(issue)
