"""Load SHACL shapes for checking a catalogue export, working around dangling shapes.

The official DCAT-AP 3.0.1 ``dcat-ap-SHACL.ttl`` lists two property shapes of
``dcat:DataServiceShape`` (endpoint URL, endpoint description) that it never defines
(SEMICeu/DCAT-AP issue #448). pyshacl and Jena refuse such a shapes graph as soon as
the data holds a ``dcat:DataService``. Those references carry no constraint in the
file, so dropping them from the in-memory graph (never from the file) leaves every
constraint the file does state intact. The dropped references are returned so that a
caller can check that only the known ones were touched.
"""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, Namespace, URIRef

SH = Namespace("http://www.w3.org/ns/shacl#")


def dangling_property_shapes(shapes: Graph) -> list[tuple[URIRef, URIRef]]:
    """``(node shape, property shape)`` pairs whose property shape has no ``sh:path``."""
    found: list[tuple[URIRef, URIRef]] = []
    for node, prop in shapes.subject_objects(SH.property):
        if (
            isinstance(node, URIRef)
            and isinstance(prop, URIRef)
            and shapes.value(prop, SH.path) is None
        ):
            found.append((node, prop))
    return sorted(found)


def load_shapes(*paths: Path) -> tuple[Graph, list[tuple[URIRef, URIRef]]]:
    """Parse the shapes files into one graph; drop and return dangling property shapes."""
    graph = Graph()
    for path in paths:
        graph.parse(path, format="turtle")
    dangling = dangling_property_shapes(graph)
    for node, prop in dangling:
        graph.remove((node, SH.property, prop))
    return graph, dangling
