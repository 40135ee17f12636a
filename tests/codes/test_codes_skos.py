"""SKOS export and import of code lists."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, SKOS, XSD

from seamline.codes.skos import SCHEMA, export_skos, import_skos, to_turtle
from seamline.demo import generate_demo
from seamline.errors import SpecError
from seamline.workspace import load_workspace
from seamline.workspace.models import CodeListSpec, CodeSpec, CrosswalkEntry, CrosswalkSpec

BASE = "https://codes.example.kg/"

RICH = CodeListSpec(
    id="marital_status",
    title="Marital status",
    version="2026.1",
    description="Invented for tests",
    codes=[
        CodeSpec(code="single", labels={"en": "Single", "ru": "Холост / не замужем"}),
        CodeSpec(code="married", labels={"en": "Married", "ky": "Үй-бүлөлүү"}),
        CodeSpec(code="widowed", labels={"en": "Widowed"}, description="Spouse died"),
        CodeSpec(code="old code/x", labels={"und": "Legacy"}, deprecated=True),
    ],
    crosswalks=[
        CrosswalkSpec(
            dataset="social_cases",
            column="marital",
            map=[
                CrosswalkEntry(local="4", code="widowed"),
                CrosswalkEntry(local="1", code="single", valid_to=dt.date(2020, 12, 31)),
                CrosswalkEntry(
                    local="1", code="married", match="close", valid_from=dt.date(2021, 1, 1)
                ),
            ],
        ),
        CrosswalkSpec(
            dataset="civil_persons",
            column="MARITAL_CD",
            map=[CrosswalkEntry(local="W W", code="widowed")],
        ),
    ],
)


def test_export_has_the_skos_shape() -> None:
    g = export_skos(RICH, base_uri=BASE)
    scheme = URIRef(BASE + "marital_status")
    assert (scheme, RDF.type, SKOS.ConceptScheme) in g
    assert (scheme, DCTERMS.title, Literal("Marital status")) in g
    assert (scheme, OWL.versionInfo, Literal("2026.1")) in g
    married = URIRef(BASE + "marital_status/married")
    assert (married, RDF.type, SKOS.Concept) in g
    assert (married, SKOS.notation, Literal("married")) in g
    assert (married, SKOS.prefLabel, Literal("Үй-бүлөлүү", lang="ky")) in g
    assert (married, SKOS.inScheme, scheme) in g
    assert (married, SKOS.topConceptOf, scheme) in g
    # The code with a slash gets an escaped URI segment.
    assert (URIRef(BASE + "marital_status/old%20code%2Fx"), OWL.deprecated, Literal(True)) in g
    local = URIRef(BASE + "marital_status/crosswalk/social_cases/marital/4")
    assert (local, SKOS.exactMatch, URIRef(BASE + "marital_status/widowed")) in g
    second = URIRef(BASE + "marital_status/crosswalk/social_cases/marital/1~2")
    assert (second, SKOS.closeMatch, married) in g
    assert (second, SCHEMA.validFrom, Literal(dt.date(2021, 1, 1), datatype=XSD.date)) in g


def test_round_trip_rich_spec() -> None:
    assert import_skos(export_skos(RICH, base_uri=BASE)) == RICH


def test_round_trip_through_turtle_file(tmp_path: Path) -> None:
    path = tmp_path / "marital.ttl"
    path.write_text(to_turtle(RICH), encoding="utf-8")
    back = import_skos(path)
    assert back == RICH
    assert [c.code for c in back.codes] == ["single", "married", "widowed", "old code/x"]


def test_round_trip_every_demo_codelist(tmp_path: Path) -> None:
    generate_demo(tmp_path / "demo", people=300)
    ws = load_workspace(tmp_path / "demo")
    assert len(ws.codelists) == 3
    for cl in ws.codelists.values():
        assert import_skos(Graph().parse(data=to_turtle(cl), format="turtle")) == cl


def test_import_plain_skos_without_seamline_terms() -> None:
    ttl = """
    @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
    @prefix ex: <http://example.kg/sex/> .
    ex:scheme a skos:ConceptScheme ; skos:prefLabel "Sex codes"@en .
    ex:2 a skos:Concept ; skos:inScheme ex:scheme ; skos:prefLabel "Female"@en, "Аял"@ky .
    ex:1 a skos:Concept ; skos:topConceptOf ex:scheme ; skos:prefLabel "Male" .
    """
    cl = import_skos(Graph().parse(data=ttl, format="turtle"))
    assert cl.id == "scheme"
    assert cl.title == "Sex codes"
    assert [c.code for c in cl.codes] == ["1", "2"]
    assert cl.codes[0].labels == {"und": "Male"}
    assert cl.codes[1].labels == {"en": "Female", "ky": "Аял"}


def test_import_errors_name_the_problem(tmp_path: Path) -> None:
    two = Graph()
    for name in ("a", "b"):
        two.add((URIRef(BASE + name), RDF.type, SKOS.ConceptScheme))
    with pytest.raises(SpecError, match="2 concept schemes"):
        import_skos(two)
    assert import_skos(two, scheme=BASE + "b").id == "b"
    with pytest.raises(SpecError, match="no concept scheme"):
        import_skos(two, scheme=BASE + "c")
    with pytest.raises(SpecError, match="no SKOS file"):
        import_skos(tmp_path / "missing.ttl")
    bad = tmp_path / "bad.ttl"
    bad.write_text("this is @@ not turtle", encoding="utf-8")
    with pytest.raises(SpecError, match="cannot parse"):
        import_skos(bad)


_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1)


@settings(max_examples=40, deadline=None)
@given(
    codes=st.lists(_text, min_size=1, max_size=5, unique=True),
    labels=st.lists(st.tuples(st.sampled_from(["en", "ru", "ky", "und"]), _text), max_size=3),
    locals_=st.lists(_text, max_size=4),
)
def test_round_trip_any_text(
    codes: list[str], labels: list[tuple[str, str]], locals_: list[str]
) -> None:
    spec = CodeListSpec(
        id="x",
        title="T",
        codes=[CodeSpec(code=c, labels=dict(labels)) for c in codes],
        crosswalks=[
            CrosswalkSpec(
                dataset="d",
                column="c",
                map=[CrosswalkEntry(local=v, code=codes[0]) for v in locals_],
            )
        ],
    )
    assert import_skos(Graph().parse(data=to_turtle(spec), format="turtle")) == spec
