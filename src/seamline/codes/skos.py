"""Code lists as SKOS: export to an RDF graph (Turtle) and import back.

Layout of the graph for a code list ``marital_status`` under ``base_uri``:

* ``<base>marital_status`` is a ``skos:ConceptScheme`` with ``dct:identifier`` (the id),
  ``dct:title``, ``dct:description`` and ``owl:versionInfo``.
* ``<base>marital_status/married`` is a ``skos:Concept`` per code: ``skos:notation``
  (the code), ``skos:prefLabel`` per language (language-tagged literals),
  ``skos:definition`` (the description), ``owl:deprecated``, ``skos:inScheme`` and
  ``skos:topConceptOf``.
* RDF has no order, but a code list has one (numeric crosswalk suggestions use it), so
  the concepts are also listed in a ``skos:OrderedCollection`` (``skos:memberList``).
* Each crosswalk is a local concept scheme ``<base>marital_status/crosswalk/<dataset>/<column>``
  linked from the canonical scheme with ``seamline:crosswalk`` and carrying
  ``seamline:dataset`` and ``seamline:column``. Each entry is a local concept
  (``skos:notation`` = the local value) with ``skos:exactMatch`` or ``skos:closeMatch``
  to the canonical concept. Validity dates use schema.org: ``schema:validFrom`` and
  ``schema:validThrough`` typed ``xsd:date`` (``dct:valid`` takes a free-text DCMI
  period, which other tools cannot compare as dates).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import quote, unquote

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from seamline.errors import SpecError
from seamline.workspace.models import CodeListSpec, CodeSpec, CrosswalkEntry, CrosswalkSpec

SEAMLINE = Namespace("https://w3id.org/seamline/ns#")
SCHEMA = Namespace("https://schema.org/")
DEFAULT_BASE = "urn:seamline:codelist:"
UNDETERMINED = "und"
"""Language key for labels that carry no language tag (BCP 47 "undetermined")."""


def _graph() -> Graph:
    g = Graph()
    g.bind("skos", SKOS)
    g.bind("dct", DCTERMS)
    g.bind("owl", OWL)
    g.bind("schema", SCHEMA)
    g.bind("seamline", SEAMLINE)
    return g


def _seg(text: str) -> str:
    return quote(text, safe="")


def export_skos(codelist: CodeListSpec, *, base_uri: str = DEFAULT_BASE) -> Graph:
    """The code list and its crosswalks as a SKOS graph (layout in the module docstring)."""
    g = _graph()
    scheme = URIRef(base_uri + _seg(codelist.id))
    g.add((scheme, RDF.type, SKOS.ConceptScheme))
    g.add((scheme, DCTERMS.identifier, Literal(codelist.id)))
    g.add((scheme, DCTERMS.title, Literal(codelist.title)))
    g.add((scheme, OWL.versionInfo, Literal(codelist.version)))
    if codelist.description:
        g.add((scheme, DCTERMS.description, Literal(codelist.description)))
    concepts: dict[str, URIRef] = {}
    for code in codelist.codes:
        c = URIRef(f"{scheme}/{_seg(code.code)}")
        concepts[code.code] = c
        g.add((c, RDF.type, SKOS.Concept))
        g.add((c, SKOS.notation, Literal(code.code)))
        for lang, text in code.labels.items():
            tag = None if lang == UNDETERMINED else lang
            g.add((c, SKOS.prefLabel, Literal(text, lang=tag)))
        if code.description:
            g.add((c, SKOS.definition, Literal(code.description)))
        if code.deprecated:
            g.add((c, OWL.deprecated, Literal(True)))
        g.add((c, SKOS.inScheme, scheme))
        g.add((c, SKOS.topConceptOf, scheme))
        g.add((scheme, SKOS.hasTopConcept, c))
    _ordered(g, URIRef(f"{scheme}/order"), list(concepts.values()), scheme)
    used: set[URIRef] = set()
    for position, cw in enumerate(codelist.crosswalks, 1):
        local = URIRef(f"{scheme}/crosswalk/{_seg(cw.dataset)}/{_seg(cw.column)}")
        if local in used:  # the same column twice: keep both, distinctly named
            local = URIRef(f"{local}~{position}")
        used.add(local)
        g.add((local, SEAMLINE.position, Literal(position)))
        _export_crosswalk(g, scheme, local, cw, concepts)
    return g


def _ordered(
    g: Graph, uri: URIRef, members: list[URIRef], scheme: URIRef, label: str = "codes"
) -> None:
    g.add((uri, RDF.type, SKOS.OrderedCollection))
    g.add((uri, RDFS.label, Literal(f"order of the {label}")))
    g.add((uri, SEAMLINE.orders, scheme))
    head = BNode()
    Collection(g, head, list(members))
    g.add((uri, SKOS.memberList, head))


def _export_crosswalk(
    g: Graph, scheme: URIRef, local: URIRef, cw: CrosswalkSpec, concepts: dict[str, URIRef]
) -> None:
    g.add((scheme, SEAMLINE.crosswalk, local))
    g.add((local, RDF.type, SKOS.ConceptScheme))
    g.add((local, DCTERMS.title, Literal(f"Local codes of {cw.dataset}.{cw.column}")))
    g.add((local, SEAMLINE.dataset, Literal(cw.dataset)))
    g.add((local, SEAMLINE.column, Literal(cw.column)))
    seen: dict[str, int] = {}
    members: list[URIRef] = []
    for entry in cw.map:
        # The same local value may appear more than once (different validity periods),
        # so later occurrences get a numbered URI.
        n = seen.get(entry.local, 0) + 1
        seen[entry.local] = n
        suffix = "" if n == 1 else f"~{n}"
        c = URIRef(f"{local}/{_seg(entry.local)}{suffix}")
        members.append(c)
        g.add((c, RDF.type, SKOS.Concept))
        g.add((c, SKOS.notation, Literal(entry.local)))
        g.add((c, SKOS.inScheme, local))
        target = concepts.get(entry.code, URIRef(f"{scheme}/{_seg(entry.code)}"))
        g.add((c, SKOS.exactMatch if entry.match == "exact" else SKOS.closeMatch, target))
        if entry.valid_from:
            g.add((c, SCHEMA.validFrom, Literal(entry.valid_from, datatype=XSD.date)))
        if entry.valid_to:
            g.add((c, SCHEMA.validThrough, Literal(entry.valid_to, datatype=XSD.date)))
    _ordered(g, URIRef(f"{local}/order"), members, local, "entries")


def to_turtle(codelist: CodeListSpec, *, base_uri: str = DEFAULT_BASE) -> str:
    """The code list as Turtle text."""
    return export_skos(codelist, base_uri=base_uri).serialize(format="turtle")


def import_skos(source: Graph | Path | str, *, scheme: str | None = None) -> CodeListSpec:
    """Read a code list from a SKOS graph or file (Turtle, RDF/XML, JSON-LD, N-Triples).

    Graphs written by :func:`export_skos` come back equal. Other SKOS files work too:
    codes come from ``skos:notation`` (else the last URI segment), untagged labels are
    kept under the language ``und``, and without an ordered collection the codes are
    sorted by notation. ``scheme`` picks the concept scheme when a file holds several.
    """
    g = _load(source)
    root = _pick_scheme(g, scheme, source)
    ident = _text(g, root, DCTERMS.identifier) or _slug(_last_segment(root))
    title = (
        _text(g, root, DCTERMS.title)
        or _text(g, root, SKOS.prefLabel)
        or _text(g, root, RDFS.label)
        or ident
    )
    members = _members(g, root)
    if not members:
        members = sorted(
            {s for s in g.subjects(SKOS.inScheme, root) if isinstance(s, URIRef)}
            | {s for s in g.subjects(SKOS.topConceptOf, root) if isinstance(s, URIRef)}
            | {o for o in g.objects(root, SKOS.hasTopConcept) if isinstance(o, URIRef)},
            key=lambda c: _notation(g, c),
        )
    codes = [_code(g, c) for c in members]
    by_uri = {c: spec.code for c, spec in zip(members, codes, strict=True)}
    crosswalks = [
        _crosswalk(g, local, by_uri)
        for local in sorted(
            (o for o in g.objects(root, SEAMLINE.crosswalk) if isinstance(o, URIRef | BNode)),
            key=lambda o: (_position(g, o), str(o)),
        )
    ]
    try:
        return CodeListSpec(
            id=ident,
            title=title,
            version=_text(g, root, OWL.versionInfo) or "1",
            description=_text(g, root, DCTERMS.description) or "",
            codes=codes,
            crosswalks=crosswalks,
        )
    except ValueError as exc:
        raise SpecError(
            f"the SKOS scheme {root} is not a valid code list: {exc}",
            where=_where(source),
        ) from None


def _where(source: Graph | Path | str) -> str | None:
    return None if isinstance(source, Graph) else str(source)


def _load(source: Graph | Path | str) -> Graph:
    if isinstance(source, Graph):
        return source
    path = Path(source)
    if not path.is_file():
        raise SpecError(f"no SKOS file at {path}", hint="Check the path.")
    g = Graph()
    try:
        g.parse(path)
    except Exception as exc:  # rdflib raises many unrelated types for bad input
        raise SpecError(
            f"cannot parse {path} as RDF: {exc}",
            where=str(path),
            hint="Give a Turtle (.ttl), RDF/XML (.rdf), JSON-LD (.jsonld) or N-Triples (.nt) file.",
        ) from None
    return g


def _pick_scheme(g: Graph, wanted: str | None, source: Graph | Path | str) -> URIRef:
    local = {o for o in g.objects(None, SEAMLINE.crosswalk)}
    schemes = sorted(
        s
        for s in g.subjects(RDF.type, SKOS.ConceptScheme)
        if isinstance(s, URIRef) and s not in local
    )
    if wanted is not None:
        if URIRef(wanted) in schemes:
            return URIRef(wanted)
        raise SpecError(
            f"no concept scheme {wanted} in the graph",
            where=_where(source),
            allowed=", ".join(schemes) or "none",
        )
    if len(schemes) == 1:
        return schemes[0]
    raise SpecError(
        f"the graph has {len(schemes)} concept schemes, not one",
        where=_where(source),
        allowed=", ".join(schemes) or "none",
        hint="Name the one to import with scheme=<URI>." if schemes else None,
    )


def _position(g: Graph, node: Node) -> int:
    value = g.value(node, SEAMLINE.position)
    py = value.toPython() if isinstance(value, Literal) else None
    return py if isinstance(py, int) else 0


def _text(g: Graph, subject: Node, pred: URIRef) -> str | None:
    values = sorted(str(o) for o in g.objects(subject, pred) if isinstance(o, Literal))
    return values[0] if values else None


def _last_segment(uri: URIRef) -> str:
    text = str(uri).rstrip("/#")
    for sep in ("#", "/", ":"):
        text = text.rsplit(sep, 1)[-1]
    return text


def _slug(text: str) -> str:
    out = "".join(ch if ch.isalnum() and ch.isascii() else "_" for ch in text.lower())
    out = out.strip("_") or "codelist"
    return out if out[0].isalnum() else "c" + out


def _notation(g: Graph, concept: URIRef) -> str:
    return _text(g, concept, SKOS.notation) or unquote(_last_segment(concept))


def _members(g: Graph, scheme: Node) -> list[URIRef]:
    for coll in g.subjects(SEAMLINE.orders, scheme):
        head = g.value(coll, SKOS.memberList)
        if head is not None:
            return [m for m in Collection(g, head) if isinstance(m, URIRef)]
    return []


def _code(g: Graph, concept: URIRef) -> CodeSpec:
    labels: dict[str, str] = {}
    for label in sorted(g.objects(concept, SKOS.prefLabel), key=str):
        if isinstance(label, Literal):
            labels.setdefault(label.language or UNDETERMINED, str(label))
    deprecated = any(
        bool(o.toPython()) for o in g.objects(concept, OWL.deprecated) if isinstance(o, Literal)
    )
    return CodeSpec(
        code=_notation(g, concept),
        labels=labels,
        description=_text(g, concept, SKOS.definition) or "",
        deprecated=deprecated,
    )


def _date(g: Graph, subject: Node, pred: URIRef) -> dt.date | None:
    value = g.value(subject, pred)
    if isinstance(value, Literal):
        py = value.toPython()
        if isinstance(py, dt.date):
            return py
        return dt.date.fromisoformat(str(value))
    return None


def _crosswalk(g: Graph, local: Node, by_uri: dict[URIRef, str]) -> CrosswalkSpec:
    members = _members(g, local)
    if not members:
        members = sorted(
            (s for s in g.subjects(SKOS.inScheme, local) if isinstance(s, URIRef)), key=str
        )
    entries: list[CrosswalkEntry] = []
    for c in members:
        for pred, match in ((SKOS.exactMatch, "exact"), (SKOS.closeMatch, "close")):
            target = g.value(c, pred)
            if not isinstance(target, URIRef):
                continue
            code = by_uri.get(target) or _notation(g, target)
            entries.append(
                CrosswalkEntry(
                    local=_notation(g, c),
                    code=code,
                    match="exact" if match == "exact" else "close",
                    valid_from=_date(g, c, SCHEMA.validFrom),
                    valid_to=_date(g, c, SCHEMA.validThrough),
                )
            )
    return CrosswalkSpec(
        dataset=_text(g, local, SEAMLINE.dataset) or "",
        column=_text(g, local, SEAMLINE.column) or "",
        map=entries,
    )
