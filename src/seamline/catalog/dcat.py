"""Export the workspace inventory as a DCAT-AP 3.0.1 catalogue (Turtle or JSON-LD).

One ``dcat:Catalog`` for the program; a ``dcat:Dataset`` per dataset with its owner
agency as publisher, its steward as contact point, EU data themes and access rights,
and distributions for the source extract and (once landed) the landing Parquet file;
a ``dcat:Dataset`` per derived dataset, with ``prov:wasDerivedFrom`` its lineage
(:mod:`seamline.catalog.derived`); a ``dcat:DataService`` per seam. Every node gets an IRI under the base URI, so two
exports of the same workspace are the same graph.

The export never carries connection details: of a dataset's ``source`` only the
``kind`` and a relative file path appear (URLs, hosts, credentials and options never
do). Conformance is checked in the tests against the official SHACL shapes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from rdflib import RDF, XSD, Graph, URIRef
from rdflib import Literal as Lit
from rdflib.term import Node

from seamline.catalog.derived import derived_dataset
from seamline.catalog.values import (
    catalog_base,
    latest,
    row_count,
    shown_path,
    stable_json_ld,
    text,
    when,
)
from seamline.catalog.vocab import (
    ACCESS_LABELS,
    ACCESS_RIGHT,
    ADMS,
    DCAT,
    DCT,
    ENTITY_THEMES,
    FILE_TYPE,
    FILE_TYPE_LABELS,
    FOAF,
    IANA_MEDIA,
    LANDING_FORMAT,
    LANGUAGE,
    SENSITIVITY_ACCESS,
    SENSITIVITY_KEYWORD,
    SKOS,
    SOURCE_FORMATS,
    SUFFIX_FORMATS,
    THEME,
    THEME_LABELS,
    THEME_SCHEME,
    THEME_SCHEME_TITLE,
    VCARD,
)
from seamline.errors import UsageError
from seamline.workspace.datafolder import state_path
from seamline.workspace.loader import Workspace
from seamline.workspace.models import AgencySpec, Contact, DatasetSpec, SeamSpec

Format = Literal["turtle", "json-ld"]
FORMATS: tuple[Format, ...] = ("turtle", "json-ld")

PREFIXES: dict[str, str] = {
    "dcat": str(DCAT),
    "dct": str(DCT),
    "foaf": str(FOAF),
    "vcard": str(VCARD),
    "skos": str(SKOS),
    "adms": str(ADMS),
    "xsd": str(XSD),
}


def export_catalog(
    ws: Workspace,
    *,
    fmt: Format = "turtle",
    stats: Mapping[str, Mapping[str, Any]] | None = None,
    base_uri: str | None = None,
) -> str:
    """Serialise the workspace's DCAT-AP catalogue as Turtle or JSON-LD text.

    ``stats`` maps a dataset id to what the store knows of its last landing:
    ``rows`` (int), ``modified`` (datetime) and optionally ``issued`` (first landing).
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown catalogue format {fmt!r}", allowed=", ".join(FORMATS))
    graph = build_catalog(ws, stats=stats, base_uri=base_uri)
    if fmt == "turtle":
        return graph.serialize(format="turtle")
    return stable_json_ld(graph.serialize(format="json-ld", context=PREFIXES))


def build_catalog(
    ws: Workspace,
    *,
    stats: Mapping[str, Mapping[str, Any]] | None = None,
    base_uri: str | None = None,
) -> Graph:
    """The catalogue as an rdflib graph (see :func:`export_catalog`)."""
    return _Builder(ws, catalog_base(ws.name, base_uri), stats or {}).build()


class _Builder:
    def __init__(self, ws: Workspace, base: str, stats: Mapping[str, Mapping[str, Any]]) -> None:
        self.ws = ws
        self.base = base
        self.stats = stats
        self.g = Graph()
        for prefix, ns in PREFIXES.items():
            self.g.bind(prefix, ns)
        self.agents: set[str] = set()

    def iri(self, *parts: str) -> URIRef:
        return URIRef(self.base + "/".join(parts))

    def add(self, s: Node, p: URIRef, o: Node) -> None:
        self.g.add((s, p, o))

    # -- catalogue ---------------------------------------------------------

    def build(self) -> Graph:
        ws, g = self.ws, self.g
        cat = self.iri("catalog")
        self.add(cat, RDF.type, DCAT.Catalog)
        title = ws.project.title or ws.name
        self.add(cat, DCT.title, text(title))
        description = ws.project.description or (
            f"Datasets, systems of record and data exchanges (seams) of the integration "
            f"program {title!r}, exported by seamline."
        )
        self.add(cat, DCT.description, text(description))
        self.add(cat, DCT.publisher, self.program_agent(title))
        self.add(cat, DCT.language, self.concept_free(LANGUAGE.ENG, DCT.LinguisticSystem))
        scheme = URIRef(THEME_SCHEME)
        self.add(cat, DCAT.themeTaxonomy, scheme)
        self.add(scheme, RDF.type, SKOS.ConceptScheme)
        self.add(scheme, DCT.title, Lit(THEME_SCHEME_TITLE, lang="en"))
        newest = latest(self.stats.get(d, {}).get("modified") for d in ws.datasets)
        if newest is not None:
            self.add(cat, DCT.modified, newest)
        for ident in sorted(ws.datasets):
            self.add(cat, DCAT.dataset, self.dataset(ws.datasets[ident]))
        for ident in sorted(ws.derived):
            self.add(cat, DCAT.dataset, derived_dataset(self, ws.derived[ident]))
        for ident in sorted(ws.seams):
            self.add(cat, DCAT.service, self.service(ws.seams[ident]))
        return g

    def program_agent(self, title: str) -> URIRef:
        node = self.iri("publisher")
        self.add(node, RDF.type, FOAF.Agent)
        self.add(node, FOAF.name, text(title))
        return node

    # -- shared nodes --------------------------------------------------------

    def concept_free(self, node: URIRef, cls: URIRef) -> URIRef:
        """An authority-table IRI typed with the class the shapes expect of it."""
        self.add(node, RDF.type, cls)
        return node

    def concept(self, node: URIRef, label: str, *, cls: URIRef | None = None) -> URIRef:
        self.add(node, RDF.type, SKOS.Concept)
        self.add(node, SKOS.prefLabel, Lit(label, lang="en"))
        if cls is not None:
            self.add(node, RDF.type, cls)
        return node

    def agent(self, agency_id: str) -> URIRef:
        node = self.iri("agency", agency_id)
        if agency_id in self.agents:
            return node
        self.agents.add(agency_id)
        spec = self.ws.agencies.get(agency_id)
        self.add(node, RDF.type, FOAF.Agent)
        self.add(node, DCT.identifier, Lit(agency_id))
        self.add(node, FOAF.name, text(spec.name if spec else agency_id))
        homepage = spec.homepage if spec else None
        if homepage and re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", homepage):
            page = URIRef(homepage)
            self.add(node, FOAF.homepage, page)
            self.add(page, RDF.type, FOAF.Document)
        return node

    def contact(
        self, node: URIRef, name: str, email: str | None, organisation: str | None
    ) -> URIRef:
        self.add(node, RDF.type, VCARD.Kind)
        self.add(node, VCARD.fn, Lit(name))
        if email:
            self.add(node, VCARD.hasEmail, URIRef("mailto:" + email))
        if organisation:
            self.add(node, VCARD["organization-name"], text(organisation))
        return node

    def access(self, code: str) -> URIRef:
        return self.concept(ACCESS_RIGHT[code], ACCESS_LABELS[code], cls=DCT.RightsStatement)

    def file_type(self, code: str, media: str | None) -> tuple[URIRef, URIRef | None]:
        fmt = self.concept(FILE_TYPE[code], FILE_TYPE_LABELS[code], cls=DCT.MediaTypeOrExtent)
        mt = None
        if media:
            mt = URIRef(IANA_MEDIA + media)
            self.add(mt, RDF.type, DCT.MediaType)
        return fmt, mt

    # -- datasets ------------------------------------------------------------

    def steward(self, ds: DatasetSpec) -> Contact | None:
        """The dataset's steward as a contact: by name, else the owner's steward role."""
        agencies: list[AgencySpec] = [
            a for a in [self.ws.agencies.get(ds.owner), *self.ws.agencies.values()] if a
        ]
        if ds.steward:
            wanted = ds.steward.casefold()
            for agency in agencies:
                for c in agency.contacts:
                    if c.name.casefold() == wanted:
                        return c
            return Contact(name=ds.steward)
        owner = self.ws.agencies.get(ds.owner)
        for c in owner.contacts if owner else []:
            if "steward" in c.role.casefold():
                return c
        return None

    def dataset(self, ds: DatasetSpec) -> URIRef:
        node = self.iri("dataset", ds.id)
        add = self.add
        add(node, RDF.type, DCAT.Dataset)
        add(node, DCT.identifier, Lit(ds.id))
        add(node, DCT.title, text(ds.title))
        system = self.ws.systems.get(ds.system)
        system_name = system.name if system else ds.system
        description = ds.description or f"{ds.entity} records from {system_name}."
        add(node, DCT.description, text(description))
        add(node, DCT.publisher, self.agent(ds.owner))
        steward = self.steward(ds)
        if steward is not None:
            owner = self.ws.agencies.get(ds.owner)
            cp = self.iri("dataset", ds.id, "contact")
            add(
                node,
                DCAT.contactPoint,
                self.contact(cp, steward.name, steward.email, owner.name if owner else None),
            )
        for code in ("GOVE", *ENTITY_THEMES.get(ds.entity, ())):
            theme = self.concept(THEME[code], THEME_LABELS[code])
            add(theme, SKOS.inScheme, URIRef(THEME_SCHEME))
            add(node, DCAT.theme, theme)
        add(node, DCT.accessRights, self.access(SENSITIVITY_ACCESS[ds.sensitivity]))
        keywords = [ds.entity, SENSITIVITY_KEYWORD[ds.sensitivity], system_name]
        if ds.reference:
            keywords.append("reference data")
        for kw in dict.fromkeys(keywords):
            add(node, DCAT.keyword, text(kw))
        stat = self.stats.get(ds.id, {})
        for prop, key in ((DCT.modified, "modified"), (DCT.issued, "issued")):
            moment = when(stat.get(key))
            if moment is not None:
                add(node, prop, moment)
        add(node, DCAT.distribution, self.source_distribution(ds))
        landing = self.landing_distribution(ds, stat)
        if landing is not None:
            add(node, DCAT.distribution, landing)
        return node

    def source_distribution(self, ds: DatasetSpec) -> URIRef:
        node = self.iri("dataset", ds.id, "source")
        kind = str(ds.source.get("kind", "unknown"))
        path = shown_path(ds.source.get("path"))
        self.add(node, RDF.type, DCAT.Distribution)
        self.add(node, DCAT.accessURL, node)
        where = f" {path}" if path else ""
        self.add(node, DCT.title, text(f"Source extract ({kind}{where})"))
        system = self.ws.systems.get(ds.system)
        self.add(
            node,
            DCT.description,
            text(
                f"As delivered by {system.name if system else ds.system}"
                f"{f' ({system.interface})' if system else ''}; read by seamline's {kind} connector"
                + (f" from {path}, relative to the workspace." if path else ".")
            ),
        )
        known = SUFFIX_FORMATS.get(PurePosixPath(path).suffix.lower()) if path else None
        known = known or SOURCE_FORMATS.get(kind)
        if known is not None:
            fmt, media = self.file_type(*known)
            self.add(node, DCT["format"], fmt)
            if media is not None:
                self.add(node, DCAT.mediaType, media)
        return node

    def landing_distribution(self, ds: DatasetSpec, stat: Mapping[str, Any]) -> URIRef | None:
        """The landing-zone Parquet file, when the store has seen a landing."""
        rows = row_count(stat.get("rows"))
        modified = when(stat.get("modified"))
        if rows is None and modified is None:
            return None
        node = self.iri("dataset", ds.id, "landing")
        self.add(node, RDF.type, DCAT.Distribution)
        self.add(node, DCAT.accessURL, node)
        self.add(node, DCT.title, text("Landing zone (Parquet)"))
        about = (
            "Records accepted from the source, one row per record, with _record_no and _source_pos."
        )
        if rows is not None:
            about += f" {rows} rows at the last landing."
        self.add(node, DCT.description, text(about))
        fmt, media = self.file_type(*LANDING_FORMAT)
        self.add(node, DCT["format"], fmt)
        if media is not None:
            self.add(node, DCAT.mediaType, media)
        if modified is not None:
            self.add(node, DCT.modified, modified)
        # dcat:byteSize is the size in bytes of the file, not a row count: only the real
        # file's size is recorded, and only when the file is there to measure.
        landed = state_path(Path(self.ws.data_dir), ds.id)
        if landed.is_file():
            self.add(
                node, DCAT.byteSize, Lit(landed.stat().st_size, datatype=XSD.nonNegativeInteger)
            )
        return node

    # -- seams -------------------------------------------------------------

    def service(self, seam: SeamSpec) -> URIRef:
        node = self.iri("seam", seam.id)
        add = self.add
        provider = self.ws.datasets.get(seam.provider)
        consumer = self.ws.systems.get(seam.consumer)
        consumer_name = consumer.name if consumer else seam.consumer
        provider_title = provider.title if provider else seam.provider
        add(node, RDF.type, DCAT.DataService)
        add(node, DCT.identifier, Lit(seam.id))
        add(node, DCT.title, text(seam.title or f"{provider_title} -> {consumer_name}"))
        ag = seam.agreement
        period = f"from {ag.starts.isoformat()}" + (
            f" to {ag.expires.isoformat()}" if ag.expires else ""
        )
        about = (
            f"Delivers {', '.join(ag.attributes)} of {provider_title!r} to {consumer_name} "
            f"for the purpose {ag.purpose} under agreement {ag.reference} "
            f"(legal basis: {ag.legal_basis}), valid {period}"
            + (f", retention {ag.retention}." if ag.retention else ".")
        )
        if seam.description:
            about = f"{seam.description} {about}"
        add(node, DCT.description, text(about))
        add(node, DCAT.endpointURL, self.iri("seam", seam.id, "endpoint"))
        sensitivity = provider.sensitivity if provider else "internal"
        # An exchange under a data-sharing agreement is never open to everyone.
        code = SENSITIVITY_ACCESS[sensitivity]
        add(node, DCT.accessRights, self.access("RESTRICTED" if code == "PUBLIC" else code))
        if provider is not None:
            add(node, DCAT.servesDataset, self.iri("dataset", provider.id))
            add(node, DCT.publisher, self.agent(provider.owner))
        owner_agency = self.ws.agencies.get(seam.owner.agency)
        cp = self.iri("seam", seam.id, "owner")
        add(
            node,
            DCAT.contactPoint,
            self.contact(
                cp,
                seam.owner.name,
                seam.owner.email,
                owner_agency.name if owner_agency else seam.owner.agency,
            ),
        )
        for kw in dict.fromkeys([ag.purpose, ag.reference]):
            add(node, DCAT.keyword, text(kw))
        return node
