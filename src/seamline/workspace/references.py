"""Cross-file checks: every id a spec file names must exist somewhere in the workspace."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from seamline.errors import did_you_mean
from seamline.workspace.issues import Issue
from seamline.workspace.pydantic_issues import allowed_list

if TYPE_CHECKING:
    from seamline.normalize import NormalizerRegistry
    from seamline.workspace.loader import Workspace


class _Refs:
    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.issues: list[Issue] = []

    def check(
        self,
        kind: str,
        ident: str,
        loc: tuple[str | int, ...],
        value: str | None,
        what: str,
        allowed: Iterable[str],
        hint: str | None = None,
        *,
        target: str | None = None,
    ) -> bool:
        """Record an issue when ``value`` is not among ``allowed``; True when it is.

        ``target`` is the folder that defines such ids; when one of its files could not
        be read and its ``id:`` lines name the id (or none can be found), the id may be
        defined there, so nothing is reported (the broken file's own error is) and False
        tells the caller to skip dependent checks.
        """
        if value is None:
            return True
        if target is not None and target in self.ws.incomplete and value not in allowed:
            maybe = self.ws.unread_ids.get(target)
            if not maybe or value in maybe:
                return False
        options = sorted(set(allowed))
        if value in options:
            return True
        origin = self.ws.origin(kind, ident)
        path, (line, column) = (origin.path, origin.at(*loc)) if origin else (kind, (0, 0))
        guess = did_you_mean(value, options)
        message = f"unknown {what} {value!r}" + (f" (did you mean {guess!r}?)" if guess else "")
        self.issues.append(
            Issue(
                path,
                line,
                column,
                message,
                allowed_list(options) if options else "none defined",
                hint,
                origin.instance if origin else "",
            )
        )
        return False

    def problem(
        self,
        kind: str,
        ident: str,
        loc: tuple[str | int, ...],
        message: str,
        hint: str | None = None,
    ) -> None:
        origin = self.ws.origin(kind, ident)
        path, (line, column) = (origin.path, origin.at(*loc)) if origin else (kind, (0, 0))
        instance = origin.instance if origin else ""
        self.issues.append(Issue(path, line, column, message, hint=hint, instance=instance))


def check_references(ws: Workspace) -> list[Issue]:
    """Every cross-file reference problem of a loaded workspace."""
    r = _Refs(ws)
    w = r.ws
    agencies, systems = list(w.agencies), list(w.systems)
    for sid, system in w.systems.items():
        r.check(
            "system",
            sid,
            ("agency",),
            system.agency,
            "agency",
            agencies,
            "Agencies are declared in agencies.yaml.",
            target="agencies",
        )
    for did, ds in w.datasets.items():
        r.check(
            "dataset",
            did,
            ("system",),
            ds.system,
            "system",
            systems,
            "Systems are declared in systems/*.yaml.",
            target="systems",
        )
        r.check("dataset", did, ("owner",), ds.owner, "owner agency", agencies, target="agencies")
        if not r.check(
            "dataset", did, ("entity",), ds.entity, "entity", list(w.entities), target="entities"
        ):
            continue
        attrs = w.entities[ds.entity].attribute_names()
        for i, name in enumerate(ds.authoritative_for):
            r.check("dataset", did, ("authoritative_for", i), name, f"{ds.entity} attribute", attrs)
        seen: dict[str, int] = {}
        for i, f in enumerate(ds.fields):
            if f.column in seen:
                r.problem(
                    "dataset",
                    did,
                    ("fields", i, "column"),
                    f"column {f.column!r} is mapped twice (also fields[{seen[f.column]}])",
                )
            seen.setdefault(f.column, i)
        fed: dict[str, str] = {}
        for loc, f in ds.mappings_with_loc():
            if f.attribute is not None and f.attribute in fed:
                r.problem(
                    "dataset",
                    did,
                    (*loc, "attribute"),
                    f"attribute {f.attribute!r} is fed twice (also by column {fed[f.attribute]!r})",
                    "One source per attribute in a dataset: map one of them to another attribute.",
                )
            if f.attribute is not None:
                fed.setdefault(f.attribute, f.column)
            r.check(
                "dataset",
                did,
                (*loc, "attribute"),
                f.attribute,
                f"{ds.entity} attribute",
                attrs,
                f"Add it to the entity in entities/{ds.entity.lower()}.yaml if it is new.",
            )
            r.check(
                "dataset",
                did,
                (*loc, "codelist"),
                f.codelist,
                "code list",
                list(w.codelists),
                "Code lists live in codelists/*.yaml.",
                target="codelists",
            )
    for cid, cl in w.codelists.items():
        codes = cl.code_values()
        dupes = {c for c in codes if codes.count(c) > 1}
        for i, c in enumerate(cl.codes):
            if c.code in dupes:
                r.problem("codelist", cid, ("codes", i, "code"), f"code {c.code!r} is listed twice")
                dupes.discard(c.code)
        for i, cw in enumerate(cl.crosswalks):
            if not r.check(
                "codelist",
                cid,
                ("crosswalks", i, "dataset"),
                cw.dataset,
                "dataset",
                list(w.datasets),
                target="datasets",
            ):
                continue
            columns = [f.column for f in w.datasets[cw.dataset].fields]
            r.check(
                "codelist",
                cid,
                ("crosswalks", i, "column"),
                cw.column,
                f"column of dataset {cw.dataset}",
                columns,
            )
            for j, entry in enumerate(cw.map):
                r.check(
                    "codelist",
                    cid,
                    ("crosswalks", i, "map", j, "code"),
                    entry.code,
                    f"code of {cid}",
                    codes,
                )
    for sid, seam in w.seams.items():
        r.check(
            "seam", sid, ("consumer",), seam.consumer, "consumer system", systems, target="systems"
        )
        r.check(
            "seam",
            sid,
            ("owner", "agency"),
            seam.owner.agency,
            "agency",
            agencies,
            target="agencies",
        )
        if seam.provider in w.derived:
            _derived_seam(r, sid)
            continue
        if seam.agreement.rows is not None:
            r.problem(
                "seam",
                sid,
                ("agreement", "rows"),
                "a row restriction applies to a derived provider only",
                "Name a derived dataset as the provider, or remove `rows:`.",
            )
        if not r.check(
            "seam",
            sid,
            ("provider",),
            seam.provider,
            "provider dataset",
            [*w.datasets, *w.derived],
            target="datasets",
        ):
            continue
        entity = w.entities.get(w.datasets[seam.provider].entity)
        if entity is None:  # reported on the dataset already
            continue
        attrs = entity.attribute_names()
        for i, name in enumerate(seam.agreement.attributes):
            r.check("seam", sid, ("agreement", "attributes", i), name, "attribute", attrs)
        for i, rule in enumerate(seam.contract.rules):
            r.check(
                "seam",
                sid,
                ("contract", "rules", i, "attribute"),
                rule.attribute,
                "attribute",
                attrs,
            )
            if rule.check == "referential":
                r.check(
                    "seam",
                    sid,
                    ("contract", "rules", i, "reference"),
                    rule.reference,
                    "reference dataset",
                    list(w.datasets),
                    target="datasets",
                )
    from seamline.workspace.derived_checks import derived_issues

    return r.issues + derived_issues(ws)


def _derived_seam(r: _Refs, sid: str) -> None:
    """A seam over a derived dataset: its attributes and row column are the query's
    columns, when the query names them (``SELECT *`` is checked when served)."""
    from seamline.workspace.derived import QueryProblem, output_columns, parse_query
    from seamline.workspace.models import ContractSpec

    seam = r.ws.seams[sid]
    spec = r.ws.derived[seam.provider]
    if seam.contract != ContractSpec():
        r.problem(
            "seam",
            sid,
            ("contract",),
            f"a seam over the derived dataset {spec.id} has no contract of its own",
            f"Write the rules under `contract:` in derived/{spec.id}.yaml.",
        )
    try:
        named = output_columns(parse_query(spec.sql))
    except QueryProblem:  # reported on the derived dataset
        return
    if named is None:
        return
    columns = [*spec.primary_key, *named]
    what = f"column of derived dataset {spec.id}"
    for i, name in enumerate(seam.agreement.attributes):
        r.check("seam", sid, ("agreement", "attributes", i), name, what, columns)
    if seam.agreement.rows is not None:
        rows = seam.agreement.rows
        r.check("seam", sid, ("agreement", "rows", "column"), rows.column, what, columns)


def check_normalizers(ws: Workspace, registry: NormalizerRegistry | None = None) -> list[Issue]:
    """Every field's ``normalize:`` steps exist and their options are valid."""
    from seamline.errors import SeamlineError
    from seamline.normalize import StepContext, default_normalizers

    registry = registry or default_normalizers()
    context = StepContext(
        country=ws.project.country,
        extras={"schemes": dict(ws.identifiers), "addresses": dict(ws.addresses)},
    )
    r = _Refs(ws)
    for did, ds in ws.datasets.items():
        for loc, f in ds.mappings_with_loc():
            for j, step in enumerate(f.normalize):
                try:
                    registry.build(step, context)
                except SeamlineError as exc:
                    origin = ws.origin("dataset", did)
                    path, (line, column) = (
                        (origin.path, origin.at(*loc, "normalize", j)) if origin else ("", (0, 0))
                    )
                    r.issues.append(
                        Issue(
                            path,
                            line,
                            column,
                            exc.message,
                            exc.allowed,
                            exc.hint,
                            origin.instance if origin else "",
                        )
                    )
    return r.issues
