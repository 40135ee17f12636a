"""Namespaces and the EU controlled vocabularies the catalogue export points into.

DCAT-AP asks for themes, access rights, file types and languages as IRIs from the EU
Publications Office authority tables. rdflib ships no copy of those tables, and the few
entries seamline needs are stable, so they are written out here with their English
labels (the SHACL shapes require a ``skos:prefLabel`` on every ``skos:Concept``).
"""

from __future__ import annotations

from typing import Final

from rdflib import Namespace

from seamline.workspace.models import Sensitivity

DCAT: Final = Namespace("http://www.w3.org/ns/dcat#")
DCT: Final = Namespace("http://purl.org/dc/terms/")
FOAF: Final = Namespace("http://xmlns.com/foaf/0.1/")
VCARD: Final = Namespace("http://www.w3.org/2006/vcard/ns#")
SKOS: Final = Namespace("http://www.w3.org/2004/02/skos/core#")
ADMS: Final = Namespace("http://www.w3.org/ns/adms#")

AUTHORITY: Final = "http://publications.europa.eu/resource/authority/"
THEME: Final = Namespace(AUTHORITY + "data-theme/")
ACCESS_RIGHT: Final = Namespace(AUTHORITY + "access-right/")
FILE_TYPE: Final = Namespace(AUTHORITY + "file-type/")
LANGUAGE: Final = Namespace(AUTHORITY + "language/")
IANA_MEDIA: Final = "https://www.iana.org/assignments/media-types/"

THEME_SCHEME: Final = AUTHORITY + "data-theme"
THEME_SCHEME_TITLE: Final = "Data theme"

THEME_LABELS: Final[dict[str, str]] = {
    "GOVE": "Government and public sector",
    "SOCI": "Population and society",
    "ECON": "Economy and finance",
    "REGI": "Regions and cities",
}

ENTITY_THEMES: Final[dict[str, tuple[str, ...]]] = {
    "Person": ("SOCI",),
    "Address": ("REGI",),
    "Business": ("ECON",),
}
"""Themes by canonical entity; every dataset of a public register is also ``GOVE``."""

ACCESS_LABELS: Final[dict[str, str]] = {
    "PUBLIC": "public",
    "RESTRICTED": "restricted",
    "NON_PUBLIC": "non-public",
}

SENSITIVITY_ACCESS: Final[dict[Sensitivity, str]] = {
    "public": "PUBLIC",
    "internal": "RESTRICTED",
    "personal": "NON_PUBLIC",
    "special": "NON_PUBLIC",
}
"""Workspace sensitivity -> EU access-right code.

``internal`` data is shared with authorised bodies under conditions (RESTRICTED);
personal and special-category data is not publicly accessible for privacy reasons
(NON_PUBLIC).
"""

SENSITIVITY_KEYWORD: Final[dict[Sensitivity, str]] = {
    "public": "public data",
    "internal": "internal data",
    "personal": "personal data",
    "special": "special category personal data",
}

# Source kind -> (EU file-type code, IANA media type or None).
SOURCE_FORMATS: Final[dict[str, tuple[str, str | None]]] = {
    "csv": ("CSV", "text/csv"),
    "json": ("JSON", "application/json"),
    "xml": ("XML", "application/xml"),
    "parquet": ("PARQUET", "application/vnd.apache.parquet"),
    "spreadsheet": ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "fixed_width": ("TXT", "text/plain"),
    "copybook": ("BIN", "application/octet-stream"),
    "sql": ("SQL", None),
    "amqp": ("JSON", "application/json"),
    "nats": ("JSON", "application/json"),
}
LANDING_FORMAT: Final = SOURCE_FORMATS["parquet"]

FILE_TYPE_LABELS: Final[dict[str, str]] = {
    "CSV": "CSV",
    "JSON": "JSON",
    "XML": "XML",
    "PARQUET": "Parquet",
    "XLSX": "Excel XLSX",
    "TXT": "Text",
    "BIN": "Binary data",
    "SQL": "SQL",
    "XLS": "Excel XLS",
    "ODS": "OpenDocument Spreadsheet",
}

# A file's suffix decides between the variants one connector reads (a spreadsheet may
# be XLSX, XLS or ODS); it wins over SOURCE_FORMATS when it is listed here.
SUFFIX_FORMATS: Final[dict[str, tuple[str, str | None]]] = {
    ".xlsx": SOURCE_FORMATS["spreadsheet"],
    ".xls": ("XLS", "application/vnd.ms-excel"),
    ".ods": ("ODS", "application/vnd.oasis.opendocument.spreadsheet"),
    # NDJSON has no registered media type; JSON lines are still the JSON file type.
    ".ndjson": ("JSON", None),
    ".jsonl": ("JSON", None),
}
