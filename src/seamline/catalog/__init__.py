"""The catalogue: a DCAT-AP 3.0.1 export of the workspace inventory, and search over it."""

from seamline.catalog.dcat import build_catalog, export_catalog
from seamline.catalog.search import Hit, search_catalog

__all__ = ["Hit", "build_catalog", "export_catalog", "search_catalog"]
