"""Code lists: SKOS import/export, built-in ISO 3166 lists, crosswalk suggestions and edits."""

from seamline.codes.builtin import builtin_codelists
from seamline.codes.skos import export_skos, import_skos, to_turtle
from seamline.codes.suggest import Candidate, Suggestion, resolve_codelist, suggest
from seamline.codes.yamledit import accept

__all__ = [
    "Candidate",
    "Suggestion",
    "accept",
    "builtin_codelists",
    "export_skos",
    "import_skos",
    "resolve_codelist",
    "suggest",
    "to_turtle",
]
