"""A seam's contract as an Open Data Contract Standard (ODCS v3.0) document, and back.

So a contract can be agreed with a provider that uses other tools. The mapping:

- ``id``/``name``/``status``: the seam; status from the agreement's dates;
- ``description``: purpose and usage from the data-sharing agreement;
- ``schema``: one object, the provider dataset, with a property per shared attribute
  (``logicalType`` from the canonical entity, ``required`` when a zero-tolerance
  ``not_null`` rule holds) and the quality rules;
- quality: ``not_null`` -> library ``nullCheck``, ``unique`` -> ``duplicateCount``,
  ``in_codelist`` -> ``validValues`` (the code list's codes), volume -> ``rowCount``,
  each with the tolerated share as ``mustBeLessOrEqualTo`` in percent; the rules ODCS
  has no library metric for (pattern, range, valid identifier, referential, cross-field,
  volume change) are ``type: custom`` with ``engine: seamline``;
- ``team``/``roles``: the seam's accountable owner, the consumer's read access;
- ``slaProperties``: freshness as ``latency``, the agreement's retention as ``retention``;
- ``customProperties``: what ODCS has no field for (the agreement, the consumer),
  so a document exported here imports back into the same seam.

Hand-written rather than generated from the ODCS JSON schema: the schema only says
which keys exist; what each of our rules means in ODCS terms is this module's job.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from seamline.errors import SpecError
from seamline.seams.agreements import agreement_status
from seamline.seams.contract import rule_names
from seamline.workspace.loader import Workspace
from seamline.workspace.models import (
    AgreementSpec,
    ContractSpec,
    FreshnessSpec,
    RuleSpec,
    SeamOwner,
    SeamSpec,
    VolumeSpec,
)

API_VERSION = "v3.0.2"
ENGINE = "seamline"
LOGICAL = {
    "string": "string",
    "code": "string",
    "identifier": "string",
    "date": "date",
    "integer": "integer",
    "decimal": "number",
    "boolean": "boolean",
}
STATUS = {"valid": "active", "expiring": "active", "expired": "retired", "not_started": "proposed"}
LIBRARY = {"not_null": "nullCheck", "unique": "duplicateCount", "in_codelist": "validValues"}
FROM_LIBRARY = {
    "nullcheck": "not_null",
    "nullvalues": "not_null",
    "missingvalues": "not_null",
    "duplicatecount": "unique",
    "duplicatevalues": "unique",
    "validvalues": "in_codelist",
    "invalidvalues": "in_codelist",
}
DIMENSION = {
    "not_null": "completeness",
    "unique": "uniqueness",
    "in_codelist": "conformity",
    "valid_identifier": "validity",
    "pattern": "conformity",
    "range": "validity",
    "referential": "consistency",
    "cross_field": "consistency",
}
RULE_KEYS = ("min", "max", "pattern", "reference", "expression")
DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")
UNITS = {"d": "D", "h": "H", "m": "M"}


@dataclass
class ImportedContract:
    """What an ODCS document says about a seam."""

    id: str
    title: str
    contract: ContractSpec
    provider: str | None = None
    consumer: str | None = None
    owner: SeamOwner | None = None
    agreement: AgreementSpec | None = None
    description: str = ""
    change_windows: dict[str, str] | None = None
    attributes: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    """Quality items no seamline rule can check (``text``, ``sql``, other engines), named."""
    """The schema's properties: the attributes the provider shares."""

    def seam(self) -> SeamSpec:
        """The whole seam spec; needs provider, consumer, owner and agreement."""
        missing = [
            k for k in ("provider", "consumer", "owner", "agreement") if getattr(self, k) is None
        ]
        if missing:
            raise SpecError(
                f"the ODCS contract {self.id!r} does not say the seam's {', '.join(missing)}",
                hint="add them to seams/<id>.yaml by hand, or ask the provider to fill the contract's team and customProperties",
            )
        return SeamSpec(
            id=self.id,
            title=self.title,
            description=self.description,
            change_windows=self.change_windows or {},
            provider=self.provider or "",
            consumer=self.consumer or "",
            owner=self.owner,
            agreement=self.agreement,
            contract=self.contract,
        )


def _percent(share: float) -> float | int:
    # Decimal on the shortest repr keeps the round trip exact (0.001 -> 0.1 -> 0.001).
    pct = Decimal(repr(share)) * 100
    return int(pct) if pct == pct.to_integral_value() else float(pct)


def _share(percent: Any) -> float:
    return float(Decimal(repr(float(percent))) / 100)


def _quality(ws: Workspace, seam: SeamSpec, rule: RuleSpec, name: str) -> dict[str, Any]:
    q: dict[str, Any] = {"name": name}
    if rule.check in LIBRARY:
        q["type"] = "library"
        q["rule"] = LIBRARY[rule.check]
        if rule.check == "in_codelist":
            q["validValues"] = _codes(ws, seam, rule.attribute)
    else:
        q["type"] = "custom"
        q["engine"] = ENGINE
        q["implementation"] = {"check": rule.check} | {
            k: getattr(rule, k) for k in RULE_KEYS if getattr(rule, k) is not None
        }
    q["dimension"] = DIMENSION[rule.check]
    q["mustBeLessOrEqualTo"] = _percent(rule.tolerance)
    q["unit"] = "percent"
    if _share(q["mustBeLessOrEqualTo"]) != rule.tolerance:
        # A share with 16+ significant digits has no exact percent double: keep it too.
        q["customProperties"] = [{"property": "seamlineTolerance", "value": rule.tolerance}]
    if rule.description:
        q["description"] = rule.description
    return q


def _codes(ws: Workspace, seam: SeamSpec, attribute: str) -> list[str]:
    spec = ws.datasets.get(seam.provider)
    field = next((f for f in spec.mappings() if f.attribute == attribute), None) if spec else None
    codelist = ws.codelists.get(field.codelist) if field and field.codelist else None
    return codelist.code_values() if codelist else []


def _duration(iso: str) -> dict[str, Any]:
    m = DURATION.match(iso)
    parts = [(int(v), u) for v, u in zip(m.groups(), "dhm", strict=True) if v] if m else []
    if len(parts) == 1:
        return {"value": parts[0][0], "unit": parts[0][1]}
    return {"value": iso}  # several units: ODCS takes the ISO 8601 text as it is


def _iso_duration(value: Any, unit: Any) -> str:
    if unit is None:
        return str(value)
    u = str(unit).lower()[:1]
    if u not in UNITS:
        raise SpecError(f"an ODCS latency unit of {unit!r} is not days, hours or minutes")
    n = int(value)
    return f"P{n}D" if u == "d" else f"PT{n}{UNITS[u]}"


def export_odcs(ws: Workspace, seam_id: str, *, today: dt.date | None = None) -> str:
    """The seam's contract as an ODCS v3.0 YAML document."""
    if seam_id not in ws.seams:
        raise SpecError(f"no seam {seam_id!r} in the workspace")
    seam = ws.seams[seam_id]
    a, c = seam.agreement, seam.contract
    dataset = ws.datasets.get(seam.provider)
    entity = ws.entities.get(dataset.entity) if dataset else None
    types = {x.name: x.type for x in entity.attributes} if entity else {}
    attributes = list(dict.fromkeys([*a.attributes, *(r.attribute for r in c.rules)]))
    names = rule_names(c.rules)
    properties = []
    for attr in attributes:
        rules = [(r, n) for r, n in zip(c.rules, names, strict=True) if r.attribute == attr]
        prop: dict[str, Any] = {
            "name": attr,
            "logicalType": LOGICAL.get(types.get(attr, "string"), "string"),
            "physicalType": types.get(attr, "string"),
            "required": any(r.check == "not_null" and r.tolerance == 0 for r, _ in rules),
        }
        if any(r.check == "unique" and r.tolerance == 0 for r, _ in rules):
            prop["unique"] = True
        if rules:
            prop["quality"] = [_quality(ws, seam, r, n) for r, n in rules]
        properties.append(prop)
    table_quality: list[dict[str, Any]] = []
    if c.volume is not None:
        v = c.volume
        if v.min_rows is not None or v.max_rows is not None:
            q: dict[str, Any] = {"type": "library", "rule": "rowCount", "dimension": "completeness"}
            if v.min_rows is not None and v.max_rows is not None:
                q["mustBeBetween"] = [v.min_rows, v.max_rows]
            elif v.min_rows is not None:
                q["mustBeGreaterOrEqualTo"] = v.min_rows
            else:
                q["mustBeLessOrEqualTo"] = v.max_rows
            q["unit"] = "rows"
            table_quality.append(q)
        if v.max_change is not None:
            table_quality.append(
                {
                    "type": "custom",
                    "engine": ENGINE,
                    "dimension": "completeness",
                    "description": "row count change versus the previous delivery",
                    "implementation": {"check": "volume_change", "max_change": v.max_change},
                }
            )
    obj: dict[str, Any] = {
        "name": seam.provider,
        "physicalName": seam.provider,
        "logicalType": "object",
        "physicalType": "table",
        "description": dataset.title if dataset else "",
        "properties": properties,
    }
    if table_quality:
        obj["quality"] = table_quality
    owner = seam.owner
    sla: list[dict[str, Any]] = []
    if c.freshness is not None:
        sla.append(
            {"property": "latency", **_duration(c.freshness.max_age)}
            | ({"element": f"{seam.provider}.{c.freshness.column}"} if c.freshness.column else {})
        )
    if a.retention:
        sla.append({"property": "retention", "value": a.retention})
    custom = [
        {"property": "seamlineConsumer", "value": seam.consumer},
        {"property": "seamlineOwnerAgency", "value": owner.agency},
        {"property": "seamlineDescription", "value": seam.description},
        {"property": "seamlineChangeWindows", "value": dict(seam.change_windows)},
        {"property": "seamlineAllowNewColumns", "value": c.allow_new_columns},
        # ODCS groups rules by property; the seam's own order names rules `check:attr#n`.
        {"property": "seamlineRuleOrder", "value": names},
        {
            "property": "seamlineAgreement",
            "value": {
                "reference": a.reference,
                "purpose": a.purpose,
                "legal_basis": a.legal_basis,
                "attributes": list(a.attributes),
                "retention": a.retention,
                "starts": a.starts.isoformat(),
                "expires": a.expires.isoformat() if a.expires else None,
            },
        },
    ]
    doc: dict[str, Any] = {
        "apiVersion": API_VERSION,
        "kind": "DataContract",
        "id": seam.id,
        "name": seam.title or seam.id,
        "version": "1.0.0",
        "status": STATUS[agreement_status(seam, today or dt.date.today())],
        "domain": owner.agency,
        "dataProduct": seam.provider,
        "description": {
            "purpose": f"{a.purpose}: {seam.description or seam.title or seam.id}",
            "usage": f"read by {seam.consumer} under {a.legal_basis}; agreement {a.reference}",
            "limitations": f"only the attributes listed in agreement {a.reference}"
            + (f"; kept at most {a.retention}" if a.retention else ""),
        },
        "schema": [obj],
        "team": [
            {"username": owner.email or owner.name, "name": owner.name, "role": "owner"}
            | {"description": f"accountable owner of the seam, {owner.agency}"}
        ],
        "roles": [
            {
                "role": f"{seam.consumer}-read",
                "access": "read",
                "firstLevelApprovers": owner.name,
                "description": f"the consumer system {seam.consumer} reads the shared attributes",
            }
        ],
        "servers": [
            {
                "server": "harmonized",
                "type": "local",
                "format": "parquet",
                "path": f"{ws.project.data_dir}/harmonized/{seam.provider}.parquet",
            }
        ],
        "customProperties": custom,
    }
    if sla:
        doc["slaProperties"] = sla
    out = io.StringIO()
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.allow_unicode = True
    yaml.dump(doc, out)
    return out.getvalue()


def _load(text: str) -> dict[str, Any]:
    try:
        doc = YAML(typ="safe", pure=True).load(text)
    except YAMLError as exc:
        raise SpecError(f"the ODCS document is not valid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise SpecError("the ODCS document is not a mapping of keys (apiVersion, kind, id...)")
    if doc.get("kind") != "DataContract" or not str(doc.get("apiVersion", "")).startswith("v3."):
        raise SpecError(
            "not an ODCS v3 data contract",
            hint="expected `apiVersion: v3.0.x` and `kind: DataContract`",
        )
    return doc


def _customs(items: Any) -> dict[str, Any]:
    if not isinstance(items, list):
        return {}
    return {str(p.get("property")): p.get("value") for p in items if isinstance(p, dict)}


def _tolerance(q: dict[str, Any]) -> float:
    """The tolerated failing share: ``mustBeLessOrEqualTo`` (percent or rows) or 0."""
    exact = _customs(q.get("customProperties")).get("seamlineTolerance")
    if exact is not None:
        return float(exact)
    limit = q.get("mustBeLessOrEqualTo", q.get("mustBeLessThan", q.get("mustBe", 0)))
    if str(q.get("unit", "rows")).lower() in ("percent", "%"):
        return _share(limit)
    return 0.0  # a row count cannot become a share without the data; be strict


def _rule(attr: str, q: dict[str, Any]) -> RuleSpec | None:
    """One ODCS quality item as a rule; ``None`` for items we cannot check (text, SQL)."""
    kind = str(q.get("type", "library")).lower()
    extra = {"description": str(q["description"])} if q.get("description") else {}
    if kind == "custom" and str(q.get("engine", "")).lower() == ENGINE:
        impl = dict(q.get("implementation") or {})
        check = impl.pop("check", None)
        return RuleSpec(attribute=attr, check=check, tolerance=_tolerance(q), **impl, **extra)
    name = str(q.get("rule") or q.get("metric") or "").lower()
    if kind == "library" and name in FROM_LIBRARY:
        return RuleSpec(attribute=attr, check=FROM_LIBRARY[name], tolerance=_tolerance(q), **extra)
    return None


def _volume(items: list[dict[str, Any]]) -> VolumeSpec | None:
    v: dict[str, Any] = {}
    for q in items:
        name = str(q.get("rule") or q.get("metric") or "").lower()
        impl = q.get("implementation") or {}
        if name == "rowcount":
            if "mustBeBetween" in q:
                v["min_rows"], v["max_rows"] = q["mustBeBetween"]
            v.setdefault("min_rows", q.get("mustBeGreaterOrEqualTo"))
            v.setdefault("max_rows", q.get("mustBeLessOrEqualTo"))
        elif isinstance(impl, dict) and impl.get("check") == "volume_change":
            v["max_change"] = impl.get("max_change")
    v = {k: x for k, x in v.items() if x is not None}
    return VolumeSpec(**v) if v else None


def import_odcs(text: str) -> ImportedContract:
    """Read an ODCS v3 document into a contract (and the agreement, owner, when known).

    Quality items we cannot check (``text``, ``sql``, other engines' custom checks) are
    left out; the property-level ``logicalTypeOptions`` pattern and minimum/maximum of
    a contract written with other tools become ``pattern`` and ``range`` rules.
    """
    doc = _load(text)
    try:
        return _import(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise SpecError(f"the ODCS contract does not fit a seam: {where}: {first['msg']}") from None
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        raise SpecError(f"the ODCS contract is malformed: {exc}") from None


def _import(doc: dict[str, Any]) -> ImportedContract:
    custom = _customs(doc.get("customProperties"))
    schema = doc.get("schema") or []
    if not isinstance(schema, list) or len(schema) != 1 or not isinstance(schema[0], dict):
        raise SpecError(
            "a seam's contract covers one provider dataset: the ODCS `schema` must hold one object"
        )
    obj = schema[0]
    rules: list[RuleSpec] = []
    attributes: list[str] = []
    order: dict[int, str] = {}
    skipped: list[str] = []
    for prop in obj.get("properties") or []:
        attr = str(prop["name"])
        attributes.append(attr)
        own: list[RuleSpec] = []
        for q in prop.get("quality") or []:
            if (r := _rule(attr, q)) is not None:
                order[id(r)] = str(q.get("name", ""))
                own.append(r)
            else:
                kind = q.get("type", "library")
                skipped.append(
                    f"{attr}: {kind} {q.get('name') or q.get('rule') or q.get('query') or q.get('description') or ''}".strip()
                )
        options = prop.get("logicalTypeOptions") or {}
        if options.get("pattern") and not any(r.check == "pattern" for r in own):
            own.append(RuleSpec(attribute=attr, check="pattern", pattern=options["pattern"]))
        low, high = options.get("minimum"), options.get("maximum")
        if (low is not None or high is not None) and not any(r.check == "range" for r in own):
            own.append(RuleSpec(attribute=attr, check="range", min=low, max=high))
        if prop.get("required") and not any(r.check == "not_null" for r in own):
            own.append(RuleSpec(attribute=attr, check="not_null"))
        rules.extend(own)
    wanted = custom.get("seamlineRuleOrder")
    if isinstance(wanted, list):
        rank = {str(n): i for i, n in enumerate(wanted)}
        rules.sort(key=lambda r: rank.get(order.get(id(r), ""), len(rank)))
    freshness = None
    for sla in doc.get("slaProperties") or []:
        if str(sla.get("property", "")).lower() in ("latency", "freshness"):
            column = str(sla["element"]).split(".")[-1] if sla.get("element") else None
            freshness = FreshnessSpec(
                max_age=_iso_duration(sla.get("value"), sla.get("unit")), column=column
            )
    contract = ContractSpec(
        allow_new_columns=bool(custom.get("seamlineAllowNewColumns", True)),
        rules=rules,
        volume=_volume(list(obj.get("quality") or [])),
        freshness=freshness,
    )
    owner = None
    member = next(
        (t for t in doc.get("team") or [] if "owner" in str(t.get("role", "")).lower()), None
    )
    if member is not None:
        username = str(member.get("username") or "")
        owner = SeamOwner(
            name=str(member.get("name") or username),
            agency=str(custom.get("seamlineOwnerAgency") or doc.get("domain") or "unknown"),
            email=username if "@" in username else None,
        )
    agreement = None
    if isinstance(custom.get("seamlineAgreement"), dict):
        agreement = AgreementSpec(**custom["seamlineAgreement"])
    return ImportedContract(
        id=str(doc["id"]),
        title="" if str(doc.get("name") or doc["id"]) == str(doc["id"]) else str(doc["name"]),
        contract=contract,
        provider=str(obj.get("physicalName") or obj.get("name")),
        consumer=custom.get("seamlineConsumer"),
        owner=owner,
        agreement=agreement,
        description=str(custom.get("seamlineDescription") or ""),
        change_windows=custom.get("seamlineChangeWindows") or None,
        attributes=tuple(attributes),
        skipped=tuple(skipped),
    )
