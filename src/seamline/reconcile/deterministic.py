"""Deterministic links: records that share a validated identifier are one entity.

Only values whose identifier scheme validated them (harmonize left the flag null)
count: an unvalidated number may be a typo that points at somebody else.
"""

from __future__ import annotations

from collections.abc import Sequence

from seamline.reconcile.cluster import Link


def deterministic_links(ids: Sequence[str | None]) -> list[Link]:
    """A chain of links between the records sharing each identifier value."""
    first: dict[str, int] = {}
    links: list[Link] = []
    for rid, value in enumerate(ids):
        if not value:
            continue
        if value in first:
            links.append(Link(first[value], rid, "deterministic"))
        else:
            first[value] = rid
    return links
