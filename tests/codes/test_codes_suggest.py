"""Crosswalk suggestions for unmapped local values."""

from __future__ import annotations

import dataclasses
import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seamline.codes.suggest import Suggestion, suggest
from seamline.demo import generate_demo
from seamline.errors import SpecError
from seamline.workspace import Workspace, load_workspace


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("codes") / "demo"
    generate_demo(root, people=300)
    return load_workspace(root)


def _best(suggestions: list[Suggestion], local: str) -> str | None:
    s = next(s for s in suggestions if s.local == local)
    return s.best.code if s.best else None


def test_only_unmapped_values_most_frequent_first(ws: Workspace) -> None:
    got = suggest(
        ws, "person_status", "social_cases", "status", [("1", 90), ("4", 3), ("2", 5), ("4", 2)]
    )
    assert [(s.local, s.count) for s in got] == [("4", 5)]
    best = got[0].best
    assert best is not None
    assert best.code == "deceased"
    assert any("position 4" in r for r in best.reasons)


def test_abbreviations(ws: Workspace) -> None:
    got = suggest(ws, "person_status", "tax_payers", "status", [("S", 1), ("D", 1), ("susp", 1)])
    assert _best(got, "S") == "suspended"
    assert _best(got, "susp") == "suspended"
    d = next(s for s in got if s.local == "D")
    # "D" starts deceased and (transliterated) Действующий, and civil_persons maps it.
    assert d.best is not None and d.best.code == "deceased"
    assert any("civil_persons.STATUS_CD maps 'D'" in r for r in d.best.reasons)
    marital = suggest(ws, "marital_status", "tax_payers", "status", [("div", 1), ("wid", 1)])
    assert _best(marital, "div") == "divorced"
    assert _best(marital, "wid") == "widowed"


def test_labels_across_languages_and_scripts(ws: Workspace) -> None:
    values = [("вдова", 4), ("Zhesir", 3), ("Razvedena", 2), ("ЗАМУЖЕМ", 1), ("Xyzzy", 1)]
    got = suggest(ws, "marital_status", "tax_payers", "status", values)
    assert _best(got, "вдова") == "widowed"
    assert _best(got, "Zhesir") == "widowed"
    assert _best(got, "Razvedena") == "divorced"
    assert _best(got, "ЗАМУЖЕМ") == "married"
    assert _best(got, "Xyzzy") is None
    zhesir = next(s for s in got if s.local == "Zhesir").best
    assert zhesir is not None and "transliterated" in zhesir.reasons[0]


def test_reuse_of_other_crosswalks_and_code_equality(ws: Workspace) -> None:
    values = [("W", 2), ("married", 1), (" MARRIED ", 1)]
    got = suggest(ws, "marital_status", "tax_payers", "status", values)
    w = next(s for s in got if s.local == "W").best
    assert w is not None and w.code == "widowed" and w.score > 0.9
    # a canonical code, in any case, maps to itself in harmonize: it is not unmapped
    assert {s.local for s in got} == {"W"}
    exact = dataclasses.replace(
        ws,
        codelists={
            **ws.codelists,
            "marital_status": ws.codelists["marital_status"].model_copy(update={"match": "exact"}),
        },
    )
    got = suggest(exact, "marital_status", "tax_payers", "status", values)
    m = next(s for s in got if s.local == " MARRIED ").best
    assert m is not None and m.code == "married" and "in other case" in m.reasons[0]
    assert "married" not in {s.local for s in got}


def test_copybook_level_88_names(ws: Workspace) -> None:
    names = {"X": "MS-DIVORCED", "P": "MS-NEVER-MARRIED", "Q": "MS-WIDOWER"}
    got = suggest(
        ws, "marital_status", "tax_payers", "status", [("X", 1), ("P", 1), ("Q", 1)], names
    )
    assert _best(got, "X") == "divorced"
    assert _best(got, "Q") == "widowed"
    p = next(s for s in got if s.local == "P")
    # "never married" must not be called married with confidence.
    assert all(c.score < 0.5 for c in p.candidates if c.code == "married")


def test_builtin_country_list(ws: Workspace) -> None:
    got = suggest(
        ws, "iso3166_1", "tax_payers", "status", [("Киргизия", 3), ("Kyrgyzstan", 2), ("kg", 1)]
    )
    # "kg" is the code KG when case is ignored (the default): mapped, not suggested
    assert {s.local: s.best.code for s in got if s.best} == {
        "Киргизия": "KG",
        "Kyrgyzstan": "KG",
    }


def test_unknown_names_are_errors(ws: Workspace) -> None:
    with pytest.raises(SpecError, match="did you mean 'marital_status'"):
        suggest(ws, "marital_stats", "tax_payers", "status", [("1", 1)])
    with pytest.raises(SpecError, match="no dataset 'tax'"):
        suggest(ws, "marital_status", "tax", "status", [("1", 1)])


def test_any_values_give_bounded_scores(ws: Workspace) -> None:
    # The property runs inside the test so hypothesis never reprs the (large) workspace.
    @settings(max_examples=60, deadline=None)
    @given(values=st.lists(st.tuples(st.text(max_size=12), st.integers(1, 1000)), max_size=8))
    def check(values: list[tuple[str, int]]) -> None:
        for s in suggest(ws, "marital_status", "tax_payers", "status", values):
            assert s.local.strip()
            assert len(s.candidates) <= 5
            scores = [c.score for c in s.candidates]
            assert scores == sorted(scores, reverse=True)
            for c in s.candidates:
                assert 0.3 <= c.score <= 1.0 and c.reasons

    check()


def test_builtin_subdivisions_prefer_the_project_country(ws: Workspace) -> None:
    assert ws.project.country == "KG"
    values = [
        ("Чуйская область", 5),
        ("Bishkek", 4),
        ("Ош", 3),
        ("Talas oblast", 2),
        ("Баткенская обл.", 1),
        ("Джалал-Абадская", 1),
    ]
    got = suggest(ws, "iso3166_2", "social_cases", "region", values)
    assert {s.local: s.best.code for s in got if s.best} == {
        "Чуйская область": "KG-C",
        "Bishkek": "KG-GB",
        "Ош": "KG-O",
        "Talas oblast": "KG-T",
        "Баткенская обл.": "KG-B",
        "Джалал-Абадская": "KG-J",
    }
    foreign = [c for s in got for c in s.candidates if not c.code.startswith("KG-")]
    assert foreign and all("outside the project's country (KG)" in c.reasons for c in foreign)


def test_the_demo_data_is_fully_mapped(ws: Workspace) -> None:
    con = sqlite3.connect(ws.root / "data" / "tax" / "tax.sqlite")
    try:
        rows = con.execute("SELECT status, COUNT(*) FROM taxpayers GROUP BY status").fetchall()
    finally:
        con.close()
    assert sum(n for _, n in rows) > 100
    assert suggest(ws, "person_status", "tax_payers", "status", rows) == []
