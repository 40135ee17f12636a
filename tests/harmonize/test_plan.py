"""The harmonize compiler: golden SQL, execution against a Python reference, nothing dropped."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from sqlglot import exp

from seamline.errors import SpecError
from seamline.harmonize import compile_dataset, harmonize_dataset
from seamline.normalize import Normalizer, NormalizerRegistry, SqlStep, StepOptions, StepResult
from seamline.workspace import load_workspace
from seamline.workspace.template import write_example

GOLDEN = Path(__file__).parent / "golden"


class UpperOptions(StepOptions):
    pass


class Upper(Normalizer):
    """A step the engine can do in SQL: upper case; flags values with digits."""

    key: ClassVar[str] = "upper"
    options_model: ClassVar[type[StepOptions]] = UpperOptions
    flags: ClassVar[tuple[str, ...]] = ("has_digits",)

    def sql(self, value: exp.Expr) -> SqlStep | None:
        digits = exp.Anonymous(
            this="regexp_matches", expressions=[value, exp.Literal.string("[0-9]")]
        )
        return SqlStep(
            exp.Upper(this=value),
            exp.Case(ifs=[exp.If(this=digits, true=exp.Literal.string("has_digits"))]),
        )

    def arrow(self, values: pa.Array[Any]) -> StepResult:
        flag = pc.if_else(
            pc.match_substring_regex(values, "[0-9]"),
            pa.scalar("has_digits"),
            pa.scalar(None, pa.string()),
        )
        return StepResult(pc.utf8_upper(values), flag)


class Reverse(Normalizer):
    """A step only Python can do (for the test): reverse the text; flags empty text."""

    key: ClassVar[str] = "reverse"
    options_model: ClassVar[type[StepOptions]] = UpperOptions
    flags: ClassVar[tuple[str, ...]] = ("empty",)

    def arrow(self, values: pa.Array[Any]) -> StepResult:
        items = values.to_pylist()
        out = [None if v is None else v[::-1] for v in items]
        flags = [None if v is None or v.strip() else "empty" for v in items]
        return StepResult(pa.array(out, pa.string()), pa.array(flags, pa.string()))


def registry() -> NormalizerRegistry:
    from seamline.normalize import default_normalizers

    reg = NormalizerRegistry()
    for cls in default_normalizers().normalizers.values():
        reg.register(cls)
    reg.register(Upper)
    reg.register(Reverse)
    return reg


def example(tmp_path: Path, rows: str | None = None) -> Path:
    root = tmp_path / "ws"
    write_example(root)
    spec = root / "datasets" / "civil_persons.yaml"
    text = spec.read_text(encoding="utf-8")
    text = text.replace(
        "{column: family_name, attribute: family_name}",
        "{column: family_name, attribute: family_name, normalize: [{upper: {}}, {reverse: {}}]}",
    )
    spec.write_text(text, encoding="utf-8")
    if rows is not None:
        (root / "data" / "persons.csv").write_text(rows, encoding="utf-8")
    return root


def land(root: Path) -> None:
    from seamline.pipeline import ConnectStage, run_pipeline
    from seamline.store import Store

    ws = load_workspace(root, env={}, normalizers=registry())
    with Store.open(ws.store_url(env={})) as store:
        run_pipeline(ws, store, stages=[ConnectStage()])


ROWS = (
    "pin,family_name,given_name,birth_date,marital\n"
    "21203198700123,Toktogulova,Aigul,12.03.1987,M\n"
    "10507199000456,Sadykov2,Bakyt,05.07.1990,X\n"
    "10101195500789, ,Nurzhan,01.01.1955,married\n"
    "10101195500790,,Asel,01.01.1956,\n"
)


def test_plan_matches_the_golden_sql(tmp_path: Path) -> None:
    root = example(tmp_path)
    land(root)
    ws = load_workspace(root, env={}, normalizers=registry())
    schema = pq.read_schema(ws.data_dir / "landing" / "civil_persons.parquet")
    plan = compile_dataset(ws, "civil_persons", landed_schema=schema, registry=registry())
    golden = GOLDEN / "civil_persons.sql"
    if os.environ.get("SEAMLINE_UPDATE_GOLDEN"):
        golden.write_text(plan.explain(), encoding="utf-8")
    assert plan.explain() == golden.read_text(encoding="utf-8")
    # upper has SQL, but runs in the Arrow chain because reverse, after it, has none
    assert [[s.key for s in c.steps] for c in plan.arrow] == [["upper", "reverse"]]
    assert plan.code_tables == {}  # a small code list is a CASE, which keeps row order


def reference(rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    """The same transformation, written plainly in Python."""
    codes = {"S": "single", "M": "married", "D": "divorced", "W": "widowed"}
    canonical = {"single", "married", "divorced", "widowed", "separated", "unknown"}
    out = []
    for r in rows:
        fam = r["family_name"]
        flag = "has_digits" if any(c.isdigit() for c in fam) else None
        upper = fam.upper()
        flag = flag or (None if upper.strip() else "empty")
        local = r["marital"].strip()
        code = codes.get(local) or (local if local in canonical else None)
        out.append(
            {
                "family_name": upper[::-1],
                "family_name__flag": flag,
                "marital_status": code,
                "marital_status__flag": "unmapped_code" if local and code is None else None,
                "marital_status__orig": r["marital"],
            }
        )
    return out


@pytest.mark.parametrize("case_limit", [256, 0], ids=["code-case", "code-join"])
@pytest.mark.parametrize("batch_rows", [131_072, 1], ids=["one-batch", "row-batches"])
def test_execution_matches_the_python_reference_and_keeps_every_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case_limit: int, batch_rows: int
) -> None:
    """Both code list forms (CASE, and a join for large lists), and Arrow batches of
    any size, give the reference's values in landing order."""
    import csv
    import io

    from seamline.harmonize import plan as plan_module

    monkeypatch.setattr(plan_module, "CODE_CASE_LIMIT", case_limit)
    root = example(tmp_path, ROWS)
    land(root)
    ws = load_workspace(root, env={}, normalizers=registry())
    seen: list[int] = []
    done = harmonize_dataset(
        ws, "civil_persons", registry=registry(), progress=seen.append, batch_rows=batch_rows
    )
    assert bool(done.plan.code_tables) == (case_limit == 0)
    assert sum(seen) == 4 and len(seen) == (4 if batch_rows == 1 else 1)
    got = pq.read_table(done.path).to_pylist()
    expected = reference(list(csv.DictReader(io.StringIO(ROWS))))
    assert len(got) == len(expected) == 4
    for g, e in zip(got, expected, strict=True):
        for key, value in e.items():
            assert g[key] == value, (key, g)
    assert [g["_record_no"] for g in got] == [1, 2, 3, 4]
    assert got[1]["family_name__orig"] == "Sadykov2"
    flags = {(f.attribute, f.flag): f for f in done.flags}
    assert flags[("marital_status", "unmapped_code")].values == [("X", 1)]
    assert flags[("marital_status", "unmapped_code")].positions == ["line 3"]
    assert flags[("family_name", "has_digits")].count == 1


def test_unknown_normalizer_and_column_are_spec_errors(tmp_path: Path) -> None:
    root = example(tmp_path)
    land(root)
    ws = load_workspace(root, env={}, normalizers=registry())
    schema = pq.read_schema(ws.data_dir / "landing" / "civil_persons.parquet")
    with pytest.raises(
        SpecError, match=r"normalize step 1: unknown normalizer '(upper|date|identifier)'"
    ):
        compile_dataset(ws, "civil_persons", landed_schema=schema, registry=NormalizerRegistry())
    renamed = schema.remove(schema.get_field_index("marital"))
    with pytest.raises(SpecError, match="landing zone does not have"):
        compile_dataset(ws, "civil_persons", landed_schema=renamed, registry=registry())


def test_harmonize_cli_explains_and_runs(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = tmp_path / "ws"
    write_example(root)
    run = subprocess.run(
        [sys.executable, "-m", "seamline", "harmonize", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    table = pq.read_table(root / ".seamline" / "data" / "harmonized" / "civil_persons.parquet")
    assert table.column("marital_status").to_pylist() == ["married", "single", "widowed", None]
    explained = subprocess.run(
        [sys.executable, "-m", "seamline", "harmonize", str(root), "--explain", "civil_persons"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert explained.returncode == 0
    assert "WHEN 'm'" in explained.stdout  # codes match ignoring case
