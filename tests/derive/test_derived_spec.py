"""`seamline validate` on derived datasets: each problem at its file:line:column."""

from __future__ import annotations

from pathlib import Path

import pytest
from derivekit import FILES, billing_workspace
from sqlglot import exp

from seamline.workspace import check_workspace
from seamline.workspace.derived import QueryProblem, parse_query, tables_of

INVOICES = FILES["derived/invoices.yaml"]


def _issues(tmp_path: Path, **files: str) -> list[str]:
    ws, issues = check_workspace(billing_workspace(tmp_path / "ws", **files), env={})
    assert ws is not None
    return [str(i) for i in sorted(issues)]


def test_the_billing_workspace_is_valid(tmp_path: Path) -> None:
    assert _issues(tmp_path) == []


def test_an_unknown_table_is_named_with_a_guess(tmp_path: Path) -> None:
    spec = INVOICES.replace("FROM billing_lines", "FROM biling_lines")
    (issue,) = _issues(tmp_path, **{"derived/invoices.yaml": spec})
    assert issue.startswith(
        "derived/invoices.yaml:10:8: the SQL reads an unknown table 'biling_lines' "
        "(did you mean 'billing_lines'?). Allowed: agency_list, agency_totals, "
        "billing_lines, invoices, person."
    )


def test_a_syntax_error_names_the_line_in_the_file(tmp_path: Path) -> None:
    spec = INVOICES.replace("GROUP BY agency_id, period", "GROUP BY (agency_id, period")
    (issue,) = _issues(tmp_path, **{"derived/invoices.yaml": spec})
    assert issue.startswith("derived/invoices.yaml:10:")
    assert "the SQL does not parse: Expecting )" in issue


def test_a_syntax_error_on_a_one_line_query(tmp_path: Path) -> None:
    one_line = "id: n\ntitle: N\nowner: ssc\nsql: SELECT COUNT(* FROM billing_lines\n"
    (issue,) = _issues(tmp_path, **{"derived/n.yaml": one_line})
    # sqlglot notices the missing ) at FROM (its last letter: column 19 of the query, 24 of the line)
    assert issue.startswith("derived/n.yaml:4:24: the SQL does not parse: Expecting )")


def test_a_cycle_is_named(tmp_path: Path) -> None:
    a = "id: a\ntitle: A\nowner: ssc\nsql: SELECT * FROM b\n"
    b = "id: b\ntitle: B\nowner: ssc\nsql: |\n  SELECT * FROM a JOIN billing_lines USING (agency_id)\n"
    issues = _issues(tmp_path, **{"derived/a.yaml": a, "derived/b.yaml": b})
    assert len(issues) == 1
    assert issues[0].startswith(
        ("derived/a.yaml:4:6: derived datasets read each other in a cycle: a -> b -> a",
         "derived/b.yaml:4:6: derived datasets read each other in a cycle: b -> a -> b")
    )  # fmt: skip


def test_only_one_select_is_allowed(tmp_path: Path) -> None:
    files = {
        "derived/d.yaml": "id: d\ntitle: D\nowner: ssc\nsql: DELETE FROM billing_lines\n",
        "derived/two.yaml": "id: two\ntitle: T\nowner: ssc\nsql: SELECT 1; SELECT 2\n",
        "derived/file.yaml": "id: file\ntitle: F\nowner: ssc\nsql: SELECT * FROM read_csv('/etc/passwd')\n",
        "derived/qual.yaml": "id: qual\ntitle: Q\nowner: ssc\nsql: SELECT * FROM main.billing_lines\n",
    }
    issues = _issues(tmp_path, **files)
    assert [i.split(": ", 1)[0] for i in issues] == [
        "derived/d.yaml:4:6",
        "derived/file.yaml:4:6",
        "derived/qual.yaml:4:6",
        "derived/two.yaml:4:6",
    ]
    assert "a DELETE statement; only SELECT and WITH queries are allowed" in issues[0]
    assert "reads datasets by id, not files or table functions" in issues[1]
    assert "without a schema or catalog" in issues[2]
    assert "the SQL holds 2 statements" in issues[3]


def test_owner_id_clash_entity_and_primary_key(tmp_path: Path) -> None:
    spec = (
        INVOICES.replace("agency: Shared Services Centre", "agency: Shared Service Centre")
        .replace("entity: BillingLine", "entity: Invoice")
        .replace("[agency_id, period]", "[agency_id, month]")
    )
    clash = "id: billing_lines\ntitle: Again\nowner: ssc\nsql: SELECT 1 AS one\n"
    issues = _issues(tmp_path, **{"derived/invoices.yaml": spec, "derived/again.yaml": clash})
    text = "\n".join(issues)
    assert "derived/again.yaml:1:5: id 'billing_lines' is also a dataset's id" in text
    assert (
        "derived/invoices.yaml:4:17: unknown owner agency 'Shared Service Centre' "
        "(did you mean 'Shared Services Centre'?)"
    ) in text
    assert "derived/invoices.yaml:5:9: unknown entity 'Invoice'" in text
    assert (
        "derived/invoices.yaml:6:26: primary key column 'month' is not a column of the query"
        in text
    )


def test_a_bad_id_and_missing_sql_are_schema_errors(tmp_path: Path) -> None:
    issues = _issues(tmp_path, **{"derived/x.yaml": "id: Bad-Id\ntitle: X\nowner: ssc\n"})
    assert len(issues) == 2
    assert issues[0].startswith("derived/x.yaml:1:")
    assert any("sql" in i for i in issues)


@pytest.mark.parametrize(
    ("sql", "tables"),
    [
        ("SELECT * FROM a JOIN b ON a.x = b.x", ["a", "b"]),
        ("WITH t AS (SELECT * FROM a) SELECT * FROM t, c", ["a", "c"]),
        ("SELECT * FROM a WHERE x IN (SELECT x FROM b) UNION ALL SELECT * FROM a", ["a", "b"]),
    ],
)
def test_tables_found_in_the_tree(sql: str, tables: list[str]) -> None:
    tree = parse_query(sql)
    assert isinstance(tree, exp.Query)
    assert tables_of(tree) == tables


def test_a_problem_keeps_its_position_in_the_query() -> None:
    with pytest.raises(QueryProblem) as caught:
        parse_query("SELECT a,\n  b\nFROM t WHERE")
    assert (caught.value.line, caught.value.column) == (3, 12)


def test_seamline_validate_reports_it(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from seamline.cli import app

    spec = INVOICES.replace("FROM billing_lines", "FROM biling_lines")
    root = billing_workspace(tmp_path / "ws", **{"derived/invoices.yaml": spec})
    done = CliRunner().invoke(app, ["validate", str(root)])
    assert done.exit_code == 2
    assert (
        "derived/invoices.yaml:10:8: the SQL reads an unknown table 'biling_lines'" in done.output
    )
