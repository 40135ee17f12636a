"""Which agreement, if any, lets a consumer system read an entity's data for a purpose.

A request is served only under an agreement of a seam whose consumer is the caller's
system and whose provider dataset holds records of the entity asked for (Person for
``/v1/persons``, any canonical entity for ``/v1/entities/<Entity>``), for the purpose
the caller names, on a day between the agreement's start and expiry. The answer carries
only the agreement's attributes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from seamline.exchange.errors import ApiError
from seamline.workspace.loader import Workspace
from seamline.workspace.models import RowsSpec, SeamSpec

ENTITY = "Person"


@dataclass(frozen=True)
class Grant:
    seam: str
    agreement: str
    purpose: str
    legal_basis: str
    attributes: tuple[str, ...]
    entity: str = ENTITY
    rows: tuple[RowsSpec, ...] | None = None
    """A derived dataset's rows the grant covers, any of them (None: every row)."""


def entity_seams(ws: Workspace, system: str, entity: str) -> list[SeamSpec]:
    """The seams serving ``system`` whose provider dataset holds ``entity`` records."""
    out = []
    for seam in ws.seams.values():
        ds = ws.datasets.get(seam.provider)
        if seam.consumer == system and ds is not None and ds.entity == entity:
            out.append(seam)
    return out


def derived_seams(ws: Workspace, system: str, derived: str) -> list[SeamSpec]:
    """The seams serving ``system`` whose provider is the derived dataset ``derived``."""
    return [s for s in ws.seams.values() if s.consumer == system and s.provider == derived]


def person_seams(ws: Workspace, system: str) -> list[SeamSpec]:
    return entity_seams(ws, system, ENTITY)


def grant_for(
    ws: Workspace,
    system: str,
    purpose: str | None,
    today: dt.date,
    unapproved: Callable[[str], str | None] | None = None,
    entity: str = ENTITY,
    derived: str | None = None,
) -> Grant:
    """The grant for this system and purpose today, or an ApiError 400/403 saying why not.

    ``unapproved(seam_id)`` says why a seam lacks the approvals the workspace requires
    (None when it may be served); such a seam grants nothing. With ``derived``, the
    seams whose provider is that derived dataset grant, each with its row restriction.
    """
    if not purpose:
        raise ApiError(
            400,
            "purpose_required",
            "name the purpose of the request in the X-Seamline-Purpose header",
        )
    if derived is None:
        seams, what = entity_seams(ws, system, entity), f"{entity} data"
    else:
        seams, what = derived_seams(ws, system, derived), f"the dataset {derived!r}"
    if not seams:
        raise ApiError(
            403,
            "no_agreement",
            f"system {system!r} has no data-sharing agreement for {what}",
        )
    matching = [s for s in seams if s.agreement.purpose == purpose]
    if not matching:
        allowed = ", ".join(sorted({s.agreement.purpose for s in seams}))
        raise ApiError(
            403,
            "wrong_purpose",
            f"no agreement of system {system!r} covers the purpose {purpose!r}; "
            f"its agreements allow: {allowed}",
        )
    attrs: dict[str, None] = {}
    active = []
    refused: list[tuple[SeamSpec, str]] = []
    for seam in matching:
        a = seam.agreement
        if a.starts <= today and (a.expires is None or a.expires >= today):
            why_not = unapproved(seam.id) if unapproved is not None else None
            if why_not is not None:
                refused.append((seam, why_not))
                continue
            active.append(seam)
            attrs.update(dict.fromkeys(a.attributes))
    if not active and refused:
        seam, why_not = refused[0]
        raise ApiError(
            403,
            "agreement_not_approved",
            f"agreement {seam.agreement.reference} (seam {seam.id}) is not approved: {why_not}",
        )
    if not active:
        seam = matching[0]
        a = seam.agreement
        if a.starts > today:
            why = f"only starts on {a.starts}"
            code = "agreement_not_started"
        else:
            why = f"expired on {a.expires}"
            code = "agreement_expired"
        raise ApiError(403, code, f"agreement {a.reference} (seam {seam.id}) {why}")
    first = active[0]
    limits = [s.agreement.rows for s in active]
    rows = None if any(r is None for r in limits) else tuple(r for r in limits if r is not None)
    return Grant(
        seam=",".join(s.id for s in active),
        agreement=",".join(s.agreement.reference for s in active),
        purpose=purpose,
        legal_basis=first.agreement.legal_basis,
        attributes=tuple(attrs),
        entity=entity,
        rows=rows,
    )
