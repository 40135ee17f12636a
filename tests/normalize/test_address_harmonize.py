"""The address step in a real harmonize run: a US workspace, parts to Person attributes."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from seamline.harmonize import harmonize_dataset
from seamline.pipeline import ConnectStage, run_pipeline
from seamline.store import Store
from seamline.workspace import load_workspace
from seamline.workspace.template import write_example

FIELDS = """\
  - {column: line, attribute: street, normalize: [{address: {part: street}}]}
  - {column: line_again, attribute: house_number, normalize: [{address: {part: house_number}}]}
  - {column: unit_src, attribute: unit, normalize: [{address: {part: unit}}]}
  - {column: zip, attribute: post_code, normalize: [{address: {part: post_code}}]}
  - {column: zip_again, attribute: post_code_ext, normalize: [{address: {part: post_code_ext}}]}
"""
ROWS = [
    ("5259 CENTER PL. # 15C", "62704-1234"),
    ("123 Main Street, Springfield, IL 62704-1234", "8144"),
    ("hello world", "not a zip"),
    ("", ""),
]


def test_us_workspace_harmonizes_address_parts(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write_example(root)
    project = root / "seamline.yaml"
    project.write_text(project.read_text("utf-8").replace("country: KG", "country: US"), "utf-8")
    spec = root / "datasets" / "civil_persons.yaml"
    text = spec.read_text("utf-8")
    marital = "  - {column: marital, attribute: marital_status, codelist: marital_status}\n"
    spec.write_text(text.replace(marital, marital + FIELDS), "utf-8")
    lines = ["pin,family_name,given_name,birth_date,marital,line,line_again,unit_src,zip,zip_again"]
    for i, (line, zip_code) in enumerate(ROWS):
        quoted = f'"{line}"'
        lines.append(f"{i},Roe,Jane,12.03.1987,S,{quoted},{quoted},{quoted},{zip_code},{zip_code}")
    (root / "data" / "persons.csv").write_text("\n".join(lines) + "\n", "utf-8")
    ws = load_workspace(root, env={})
    with Store.open(ws.store_url(env={})) as store:
        run_pipeline(ws, store, stages=[ConnectStage()])
    done = harmonize_dataset(ws, "civil_persons")
    got = pq.read_table(done.path).to_pylist()
    assert len(got) == 4
    assert [r["street"] for r in got] == ["CENTER PL", "MAIN ST", None, None]
    assert [r["house_number"] for r in got] == ["5259", "123", None, None]
    assert [r["unit"] for r in got] == ["# 15C", None, None, None]
    assert [r["post_code"] for r in got] == ["62704", "08144", None, None]
    assert [r["post_code_ext"] for r in got] == ["1234", None, None, None]
    assert [r["street__flag"] for r in got] == [None, None, "unparsed_address", None]
    assert [r["post_code__flag"] for r in got] == [
        None,
        "leading_zeros_restored",
        "unparsed_address",
        None,
    ]
    assert got[2]["street__orig"] == "hello world"  # the original stays beside the flag
    counted = {(f.attribute, f.flag): f.count for f in done.flags}
    assert counted[("post_code", "leading_zeros_restored")] == 1
