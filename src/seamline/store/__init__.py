"""The store: what seamline learns about the program, kept in SQLite or PostgreSQL.

Runs, datasets and fields as observed, profiles, check results, findings,
discrepancies, steward decisions and audit events. The schema is versioned with
Alembic; ``Store.open`` creates or upgrades it and refuses a store from a newer version.
"""

from seamline.store.deliveries import DeliveryInfo
from seamline.store.migrate import backend_name, head_revision, safe_url, upgrade_store
from seamline.store.store import FindingInfo, RunInfo, Store, of_dataset, status_history

__all__ = [
    "DeliveryInfo",
    "FindingInfo",
    "RunInfo",
    "Store",
    "backend_name",
    "head_revision",
    "of_dataset",
    "safe_url",
    "status_history",
    "upgrade_store",
]
