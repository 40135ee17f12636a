"""The DCAT-AP export: structure, formats, access rights, stats and secrets."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import pytest
from rdflib import RDF, XSD, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.term import Node

from seamline.catalog import build_catalog, export_catalog
from seamline.catalog.dcat import FORMATS
from seamline.catalog.values import latest, shown_path, stable_json_ld
from seamline.catalog.vocab import ACCESS_RIGHT, DCAT, DCT, FILE_TYPE, FOAF, THEME, VCARD
from seamline.errors import UsageError
from seamline.workspace import Workspace

BASE = "https://data.example.gov/seamline/example-program/"


def _stats(ws: Workspace) -> dict[str, dict[str, object]]:
    return {
        ident: {"rows": 10 + n, "modified": dt.datetime(2026, 3, 1 + n, 12, 30, 15, 999)}
        for n, ident in enumerate(sorted(ws.datasets))
    }


def _parse(text: str, fmt: str) -> Graph:
    with warnings.catch_warnings():
        # rdflib's own JSON-LD parser builds a ConjunctiveGraph internally and warns
        # about its own deprecation; nothing in the export triggers it.
        warnings.filterwarnings("ignore", "ConjunctiveGraph is deprecated", DeprecationWarning)
        return Graph().parse(data=text, format=fmt)


def _one(g: Graph, s: Node, p: URIRef) -> Node:
    values = list(g.objects(s, p))
    assert len(values) == 1, f"{s} {p}: {values}"
    return values[0]


@pytest.mark.parametrize("name", ["example_ws", "extended_ws", "demo_ws"])
def test_turtle_and_json_ld_are_the_same_graph(name: str, request: pytest.FixtureRequest) -> None:
    ws: Workspace = request.getfixturevalue(name)
    for stats in (None, _stats(ws)):
        turtle = _parse(export_catalog(ws, fmt="turtle", stats=stats), "turtle")
        jsonld = _parse(export_catalog(ws, fmt="json-ld", stats=stats), "json-ld")
        assert len(turtle) > 50
        assert isomorphic(turtle, jsonld)
        assert isomorphic(turtle, build_catalog(ws, stats=stats))


def test_export_is_stable(demo_ws: Workspace) -> None:
    for fmt in FORMATS:
        assert export_catalog(demo_ws, fmt=fmt) == export_catalog(demo_ws, fmt=fmt)


def test_catalog_lists_every_dataset_and_seam(demo_ws: Workspace) -> None:
    g = build_catalog(demo_ws)
    base = f"https://data.example.gov/seamline/{demo_ws.name}/"
    cat = URIRef(base + "catalog")
    assert (cat, RDF.type, DCAT.Catalog) in g
    assert _one(g, cat, DCT.title) == Literal(demo_ws.project.title, lang="en")
    assert _one(g, cat, DCT.description) == Literal(demo_ws.project.description, lang="en")
    publisher = _one(g, cat, DCT.publisher)
    assert (publisher, RDF.type, FOAF.Agent) in g
    datasets = set(g.objects(cat, DCAT.dataset))
    assert datasets == {URIRef(base + "dataset/" + d) for d in demo_ws.datasets}
    assert set(g.subjects(RDF.type, DCAT.Dataset)) == datasets
    services = set(g.objects(cat, DCAT.service))
    assert services == {URIRef(base + "seam/" + s) for s in demo_ws.seams}
    for seam in demo_ws.seams.values():
        node = URIRef(base + "seam/" + seam.id)
        assert _one(g, node, DCAT.servesDataset) == URIRef(base + "dataset/" + seam.provider)
        assert isinstance(_one(g, node, DCAT.endpointURL), URIRef)
        desc = str(_one(g, node, DCT.description))
        assert seam.agreement.reference in desc and seam.agreement.legal_basis in desc


def test_dataset_publisher_contact_and_themes(example_ws: Workspace) -> None:
    g = build_catalog(example_ws)
    ds = URIRef(BASE + "dataset/civil_persons")
    assert _one(g, ds, DCT.identifier) == Literal("civil_persons")
    assert _one(g, ds, DCT.title) == Literal("Civil registry: persons", lang="en")
    agent = _one(g, ds, DCT.publisher)
    assert agent == URIRef(BASE + "agency/civil-registry")
    assert (agent, RDF.type, FOAF.Agent) in g
    assert _one(g, agent, FOAF.name) == Literal("State Civil Registry Service", lang="en")
    contact = _one(g, ds, DCAT.contactPoint)
    assert (contact, RDF.type, VCARD.Kind) in g
    assert _one(g, contact, VCARD.fn) == Literal("Aigul Toktogulova")
    assert _one(g, contact, VCARD.hasEmail) == URIRef(
        "mailto:a.toktogulova@registry.example.gov.kg"
    )
    assert set(g.objects(ds, DCAT.theme)) == {THEME.GOVE, THEME.SOCI}
    keywords = {str(k) for k in g.objects(ds, DCAT.keyword)}
    assert {"Person", "personal data"} <= keywords


def test_themes_follow_the_entity(extended_ws: Workspace) -> None:
    g = build_catalog(extended_ws)
    themes = {
        d: set(g.objects(URIRef(BASE + "dataset/" + d), DCAT.theme))
        for d in ("public_addresses", "tax_companies")
    }
    assert themes == {
        "public_addresses": {THEME.GOVE, THEME.REGI},
        "tax_companies": {THEME.GOVE, THEME.ECON},
    }


@pytest.mark.parametrize(
    ("dataset", "right"),
    [
        ("public_addresses", "PUBLIC"),
        ("tax_companies", "RESTRICTED"),
        ("civil_persons", "NON_PUBLIC"),
        ("social_register", "NON_PUBLIC"),
    ],
)
def test_sensitivity_decides_access_rights(
    extended_ws: Workspace, dataset: str, right: str
) -> None:
    g = build_catalog(extended_ws)
    node = URIRef(BASE + "dataset/" + dataset)
    assert _one(g, node, DCT.accessRights) == ACCESS_RIGHT[right]
    assert (ACCESS_RIGHT[right], RDF.type, DCT.RightsStatement) in g


def test_a_seam_is_never_public(extended_ws: Workspace) -> None:
    g = build_catalog(extended_ws)
    assert (
        _one(g, URIRef(BASE + "seam/addresses-to-tax"), DCT.accessRights) == ACCESS_RIGHT.RESTRICTED
    )
    assert _one(g, URIRef(BASE + "seam/civil-to-tax"), DCT.accessRights) == ACCESS_RIGHT.NON_PUBLIC


def test_no_connection_details_or_absolute_paths(extended_ws: Workspace, secret_url: str) -> None:
    assert extended_ws.sources["tax_companies"].url == secret_url  # type: ignore[attr-defined]
    for fmt in ("turtle", "json-ld"):
        text = export_catalog(extended_ws, fmt=fmt)
        for secret in (
            "S3cr3t-Pa55w0rd",
            "svc_reader",
            "db.tax.internal",
            "postgresql:",
            "/srv/exports",
            "secret-share",
            "vat_company_rows",
        ):
            assert secret not in text, (fmt, secret)
        assert "data/persons.csv" in text  # a relative path is published
    g = build_catalog(extended_ws)
    source = URIRef(BASE + "dataset/tax_companies/source")
    assert "sql" in str(_one(g, source, DCT.title))
    assert _one(g, source, DCT["format"]) == FILE_TYPE.SQL


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("data/persons.csv", "data/persons.csv"),
        ("./data//x.csv", "data/x.csv"),
        ("data\\civil\\p.dat", "data/civil/p.dat"),
        ("/etc/passwd", None),
        ("C:\\exports\\x.csv", None),
        ("../outside/x.csv", None),
        ("s3://bucket/x.csv", None),
        ("user@host:x.csv", None),
        ("", None),
        (None, None),
    ],
)
def test_only_relative_paths_are_shown(path: object, shown: str | None) -> None:
    assert shown_path(path) == shown


def test_stats_add_dates_rows_and_a_landing_distribution(example_ws: Workspace) -> None:
    landed = example_ws.data_dir / "landing" / "civil_persons.parquet"
    landed.parent.mkdir(parents=True)
    landed.write_bytes(b"PAR1" + bytes(100) + b"PAR1")
    when = dt.datetime(2026, 3, 1, 12, 30, 15, 999, tzinfo=dt.UTC)
    stats = {"civil_persons": {"rows": 1234, "modified": when, "issued": dt.date(2026, 1, 5)}}
    g = build_catalog(example_ws, stats=stats)
    ds = URIRef(BASE + "dataset/civil_persons")
    modified = _one(g, ds, DCT.modified)
    assert isinstance(modified, Literal) and modified.datatype == XSD.dateTime
    assert modified.toPython() == when.replace(microsecond=0)
    assert _one(g, ds, DCT.issued) == Literal(dt.date(2026, 1, 5), datatype=XSD.date)
    landing = URIRef(BASE + "dataset/civil_persons/landing")
    assert set(g.objects(ds, DCAT.distribution)) == {
        URIRef(BASE + "dataset/civil_persons/source"),
        landing,
    }
    assert "1234 rows" in str(_one(g, landing, DCT.description))
    assert _one(g, landing, DCT["format"]) == FILE_TYPE.PARQUET
    assert _one(g, landing, DCAT.byteSize) == Literal(108, datatype=XSD.nonNegativeInteger)
    assert _one(g, URIRef(BASE + "catalog"), DCT.modified) == modified


def test_without_stats_there_is_no_landing_and_no_dates(example_ws: Workspace) -> None:
    g = build_catalog(example_ws)
    ds = URIRef(BASE + "dataset/civil_persons")
    assert list(g.objects(ds, DCAT.distribution)) == [URIRef(BASE + "dataset/civil_persons/source")]
    assert not list(g.objects(ds, DCT.modified)) and not list(g.objects(ds, DCT.issued))
    assert not list(g.subject_objects(DCAT.byteSize))


@pytest.mark.parametrize(
    "bad", [{"rows": -1}, {"rows": True}, {"rows": "12"}, {"modified": "yesterday"}, {}]
)
def test_unusable_stats_are_ignored(example_ws: Workspace, bad: dict[str, object]) -> None:
    g = build_catalog(example_ws, stats={"civil_persons": bad, "no_such_dataset": {"rows": 5}})
    assert len(list(g.objects(URIRef(BASE + "dataset/civil_persons"), DCAT.distribution))) == 1
    assert not list(g.subject_objects(DCT.modified))


def test_text_is_tagged_english_unless_cyrillic(extended_ws: Workspace) -> None:
    g = build_catalog(extended_ws)
    ds = URIRef(BASE + "dataset/social_register")
    title = _one(g, ds, DCT.title)
    assert isinstance(title, Literal) and title.language is None
    assert str(title) == "Реестр получателей пособий"
    english = _one(g, URIRef(BASE + "dataset/tax_companies"), DCT.title)
    assert isinstance(english, Literal) and english.language == "en"
    # The steward is not among the owner's contacts: a contact with the name only.
    contact = _one(g, ds, DCAT.contactPoint)
    assert _one(g, contact, VCARD.fn) == Literal("Бакыт Садыков")
    assert not list(g.objects(contact, VCARD.hasEmail))


def test_base_uri(example_ws: Workspace) -> None:
    g = build_catalog(example_ws, base_uri="https://catalog.gov.example.kg/dcat")
    assert (URIRef("https://catalog.gov.example.kg/dcat/catalog"), RDF.type, DCAT.Catalog) in g
    for bad in (
        "catalog/",
        "ftp://x.example/",
        "https://has space.example/",
        "https://u:p@x.example/",
    ):
        with pytest.raises(UsageError):
            build_catalog(example_ws, base_uri=bad)


def test_unknown_format(example_ws: Workspace) -> None:
    with pytest.raises(UsageError, match="unknown catalogue format 'rdf/xml'"):
        export_catalog(example_ws, fmt="rdf/xml")  # type: ignore[arg-type]


def test_data_dir_is_used_for_the_landing_file(example_ws: Workspace, tmp_path: Path) -> None:
    # No landing file: a landing distribution from stats, but no invented byte size.
    g = build_catalog(example_ws, stats={"civil_persons": {"rows": 3}})
    assert not list(g.subject_objects(DCAT.byteSize))
    assert (URIRef(BASE + "dataset/civil_persons/landing"), RDF.type, DCAT.Distribution) in g


def test_json_ld_order_does_not_depend_on_set_order() -> None:
    a = '{"@context": {}, "@graph": [{"@id": "b", "k": [2, 1]}, {"@id": "a", "@type": ["y", "x"]}]}'
    b = '{"@graph": [{"@type": ["x", "y"], "@id": "a"}, {"k": [1, 2], "@id": "b"}], "@context": {}}'
    assert stable_json_ld(a) == stable_json_ld(b)
    assert stable_json_ld(a).index('"a"') < stable_json_ld(a).index('"b"')
    kept = stable_json_ld('{"@graph": [{"@id": "a", "p": {"@list": [3, 1, 2]}}]}')
    assert '"@list": [\n          3,\n          1,\n          2' in kept


def test_catalog_modified_is_the_latest_moment() -> None:
    utc = dt.UTC
    newest = latest(
        [
            None,
            "junk",
            dt.date(2026, 5, 1),
            dt.datetime(2026, 5, 1, 9, tzinfo=utc),
            "2026-04-30T23:00",
        ]
    )
    assert newest == Literal(dt.datetime(2026, 5, 1, 9, tzinfo=utc), datatype=XSD.dateTime)
    assert latest([]) is None


def test_a_derived_dataset_names_its_lineage(extended_ws: Workspace) -> None:
    g = build_catalog(extended_ws)
    ds = URIRef(BASE + "dataset/companies_by_form")
    assert (URIRef(BASE + "catalog"), DCAT.dataset, ds) in g
    assert (ds, RDF.type, DCAT.Dataset) in g
    prov = "http://www.w3.org/ns/prov#"
    assert set(g.objects(ds, URIRef(prov + "wasDerivedFrom"))) == {
        URIRef(BASE + "dataset/tax_companies")
    }
    assert _one(g, ds, DCT.publisher) == URIRef(BASE + "agency/tax-service")
    contact = _one(g, ds, DCAT.contactPoint)
    assert _one(g, contact, VCARD.fn) == Literal("Бакыт Садыков")
    assert set(g.objects(ds, DCAT.theme)) == {THEME.GOVE, THEME.ECON}
    assert "derived data" in {str(k) for k in g.objects(ds, DCAT.keyword)}
