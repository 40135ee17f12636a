"""Reconcile: link one entity's records across agencies, compare them, publish golden records.

Deterministic links on validated identifiers, then Splink for the rest; clusters get
entity ids that survive re-runs; every (entity, attribute) is classified equal,
format_only, missing_in or conflict, and the truth rules choose the golden value.
"""

from seamline.reconcile.decisions import active_decisions, link_subject, record_decision
from seamline.reconcile.run import ReconcileResult, SpecResult, reconcile
from seamline.reconcile.spec import ReconcileSpec, load_reconcile_specs
from seamline.reconcile.worklist import load_worklist, write_worklist

__all__ = [
    "ReconcileResult",
    "ReconcileSpec",
    "SpecResult",
    "active_decisions",
    "link_subject",
    "load_reconcile_specs",
    "load_worklist",
    "reconcile",
    "record_decision",
    "write_worklist",
]
