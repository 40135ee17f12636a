"""Retention: deleting data, deliveries and what was made from them past their period.

Sits at the top of the layers (beside ``pipeline``): it reads every stage's output in
the data folder and asks reconcile which specs link a dataset. ``docs/retention.md``
describes the rules.
"""

from seamline.retention.policy import Effective, effective_periods, parse_now
from seamline.retention.sweep import KINDS, Item, Sweep, sweep

__all__ = ["KINDS", "Effective", "Item", "Sweep", "effective_periods", "parse_now", "sweep"]
