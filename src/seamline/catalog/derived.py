"""Derived datasets in the DCAT-AP catalogue: a ``dcat:Dataset`` each, with its lineage.

Lineage is ``prov:wasDerivedFrom`` (W3C PROV-O, which DCAT 3 uses for provenance) to
each table its query reads: the catalogued dataset or derived dataset, or for golden
records the reconcile spec's node under ``reference/``. The output file, once computed,
is a distribution.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rdflib import RDF, XSD, Namespace, URIRef
from rdflib import Literal as Lit

from seamline.catalog.values import text
from seamline.catalog.vocab import (
    DCAT,
    DCT,
    ENTITY_THEMES,
    LANDING_FORMAT,
    SENSITIVITY_ACCESS,
    SENSITIVITY_KEYWORD,
    SKOS,
    THEME,
    THEME_LABELS,
    THEME_SCHEME,
)
from seamline.workspace.derived import DerivedSpec, derived_path, lineage, reconcile_ids

if TYPE_CHECKING:
    from seamline.catalog.dcat import _Builder

PROV = Namespace("http://www.w3.org/ns/prov#")


def owner_agency_id(b: _Builder, spec: DerivedSpec) -> str:
    """The owner's agency id (the spec may name the agency by its name)."""
    named = spec.owner_agency
    for aid, agency in b.ws.agencies.items():
        if named in (aid, agency.name):
            return aid
    return named


def derived_dataset(b: _Builder, spec: DerivedSpec) -> URIRef:
    node = b.iri("dataset", spec.id)
    add = b.add
    reads = lineage(b.ws, spec.id)
    add(node, RDF.type, DCAT.Dataset)
    add(node, DCT.identifier, Lit(spec.id))
    add(node, DCT.title, text(spec.title))
    about = spec.description or f"Computed by seamline from {', '.join(reads) or 'its query'}."
    add(node, DCT.description, text(about))
    agency = owner_agency_id(b, spec)
    add(node, DCT.publisher, b.agent(agency))
    contact = spec.owner_contact
    if contact:
        email = contact if "@" in contact else None
        if not isinstance(spec.owner, str) and spec.owner.email:
            email = spec.owner.email
        owner = b.ws.agencies.get(agency)
        cp = b.iri("dataset", spec.id, "contact")
        add(node, DCAT.contactPoint, b.contact(cp, contact, email, owner.name if owner else None))
    for code in ("GOVE", *ENTITY_THEMES.get(spec.entity or "", ())):
        theme = b.concept(THEME[code], THEME_LABELS[code])
        add(theme, SKOS.inScheme, URIRef(THEME_SCHEME))
        add(node, DCAT.theme, theme)
    add(node, DCT.accessRights, b.access(SENSITIVITY_ACCESS[spec.sensitivity]))
    for kw in dict.fromkeys(["derived data", *([spec.entity] if spec.entity else [])]):
        add(node, DCAT.keyword, text(kw))
    add(node, DCAT.keyword, text(SENSITIVITY_KEYWORD[spec.sensitivity]))
    b.g.bind("prov", PROV)
    reconciled = set(reconcile_ids(b.ws.root))
    for table in reads:
        if table in b.ws.datasets or table in b.ws.derived:
            add(node, PROV.wasDerivedFrom, b.iri("dataset", table))
        elif table in reconciled:
            add(node, PROV.wasDerivedFrom, b.iri("reference", table))
    path = derived_path(b.ws.data_dir, spec.id)
    if b.ws.parquet.exists(path):  # a file, or Spark's directory of parts
        dist = b.iri("dataset", spec.id, "output")
        add(dist, RDF.type, DCAT.Distribution)
        add(dist, DCAT.accessURL, dist)
        add(dist, DCT.title, text("Derived output (Parquet)"))
        fmt, media = b.file_type(*LANDING_FORMAT)
        add(dist, DCT["format"], fmt)
        if media is not None:
            add(dist, DCAT.mediaType, media)
        add(dist, DCAT.byteSize, Lit(b.ws.parquet.size(path), datatype=XSD.nonNegativeInteger))
        add(node, DCAT.distribution, dist)
    return node
