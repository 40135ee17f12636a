"""Gather the harmonized records of one entity into one table, with comparison features.

Every record gets a row id (``rid``), its dataset, its ``_record_no``, a source key
that survives re-runs (``uid`` = ``dataset:key``), a recency stamp, the harmonized
attribute values (with their originals and flags) and the linkage features: validated
identifiers, Latin name keys (``name_key``: Cyrillic and Latin spellings meet), the
birth date as text and the sex.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seamline.errors import SpecError
from seamline.normalize.names import name_key
from seamline.reconcile import generic
from seamline.reconcile.features import add_model_features, id_feature
from seamline.reconcile.spec import ReconcileSpec
from seamline.reconcile.trust import Trust, identifier_trust
from seamline.workspace.datafolder import state_path
from seamline.workspace.loader import Workspace

NAME_PARTS = ("family_name", "given_name", "patronymic")
_KEY_NAME = re.compile(r"(?i)(^|_)(id|no|nr|key|number|num)$")
_RECENCY_NAME = re.compile(r"(?i)(updated|changed|modified|last_change|last_update)")
_FAMILY_ENDINGS = ("ov", "ova", "ev", "eva", "in", "ina", "iev", "ieva")
_MALE_PATRONYMIC = ("vich", "ulu")
_FEMALE_PATRONYMIC = ("vna", "kizi", "chna")
_MARKERS = frozenset(("kizi", "ulu"))


@dataclass
class Prepared:
    """The records of one entity, ready for linking and comparing."""

    table: pa.Table
    attributes: list[str]
    """Attributes compared and published, in order."""
    holders: dict[str, list[str]]
    """Attribute -> datasets that map it."""
    authoritative: dict[str, list[str]]
    """Attribute -> datasets declared authoritative for it."""
    datasets: list[str] = field(default_factory=list)
    key_columns: dict[str, list[str]] = field(default_factory=dict)
    name_keys: dict[str, pa.Array[Any]] = field(default_factory=dict)
    """Name part -> the name keys of its harmonized values (before full names are split)."""
    unharmonized: list[str] = field(default_factory=list)
    """Datasets of the entity left out because they were never harmonized."""
    identifiers: list[str] = field(default_factory=list)
    """Identifier attributes the linked datasets map (each has a feature ``f_id_<name>``)."""
    trust: dict[str, Trust] = field(default_factory=dict)
    """Identifier -> how it links (exact identifiers also have ``f_det_<name>``)."""
    plan: generic.Plan | None = None
    """The features of an entity without person names (:mod:`.generic`); None: the
    person model."""

    def exact(self) -> list[str]:
        """Identifiers whose equal validated values link outright."""
        return [a for a, t in self.trust.items() if t.link == "exact"]

    def unique(self) -> list[str]:
        """Exact identifiers whose differing values forbid a link."""
        return [a for a, t in self.trust.items() if t.link == "exact" and t.unique]

    def column(self, name: str) -> list[Any]:
        values: list[Any] = self.table.column(name).to_pylist()
        return values


def entity_datasets(
    ws: Workspace, spec: ReconcileSpec, exclude: set[str] | None = None
) -> list[str]:
    """The datasets the spec links (all of its entity's datasets by default)."""
    if spec.datasets:
        for d in spec.datasets:
            ws.dataset(d)  # raises with a did-you-mean
        chosen = list(spec.datasets)
    else:
        chosen = sorted(
            d for d, s in ws.datasets.items() if s.entity == spec.entity and not s.reference
        )
    return [d for d in chosen if d not in (exclude or set())]


def harmonized_path(ws: Workspace, dataset: str) -> Path:
    return ws.data_dir / "harmonized" / f"{dataset}.parquet"


class NothingHarmonized(SpecError):
    """None of a spec's datasets has a harmonized file (a run restricted to other datasets)."""


def _key_columns(ws: Workspace, spec: ReconcileSpec, dataset: str, landing: pa.Table) -> list[str]:
    if dataset in spec.keys:
        missing = [c for c in spec.keys[dataset] if c not in landing.column_names]
        if missing:
            raise SpecError(
                f"reconcile spec {spec.id!r}: key columns {missing} are not in {dataset}",
                allowed=", ".join(landing.column_names),
            )
        return list(spec.keys[dataset])
    source_key = getattr(ws.sources.get(dataset), "key", None)
    if isinstance(source_key, list) and source_key and set(source_key) <= set(landing.column_names):
        return [str(c) for c in source_key]
    ds = ws.datasets[dataset]
    for f in ds.fields:
        if f.attribute or not _KEY_NAME.search(f.column) or f.column not in landing.column_names:
            continue
        col = landing.column(f.column)
        if col.null_count == 0 and pc.count_distinct(col).as_py() == len(col):
            return [f.column]
    return ["_record_no"]


def _recency_column(
    ws: Workspace, spec: ReconcileSpec, dataset: str, names: list[str]
) -> str | None:
    if dataset in spec.recency:
        return spec.recency[dataset]
    for f in ws.datasets[dataset].fields:
        if not f.attribute and _RECENCY_NAME.search(f.column) and f.column in names:
            return f.column
    return None


def _digits_stamp(values: pa.Array[Any] | pa.ChunkedArray[Any]) -> pa.ChunkedArray[Any]:
    """A sortable stamp: the digits of a date or timestamp, padded to 14 (yyyymmddhhmmss).

    Null where the value has fewer than eight digits.
    """
    text: Any = pc.cast(values, pa.string())
    digits: Any = pc.replace_substring_regex(text, pattern=r"\D", replacement="")
    stamp = pc.utf8_rpad(pc.utf8_slice_codeunits(digits, 0, 14), width=14, padding="0")
    enough = pc.greater_equal(pc.utf8_length(digits), pa.scalar(8))
    out: Any = pc.if_else(enough, stamp, pa.scalar(None, pa.string()))
    return pa.chunked_array([out]) if isinstance(out, pa.Array) else out


def _as_text(col: pa.ChunkedArray[Any]) -> pa.ChunkedArray[Any]:
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        return col
    return pc.cast(col, pa.string())


def _split_full(text: str | None, key: Any) -> tuple[str | None, str | None, str | None]:
    """FAMILY GIVEN PATRONYMIC (or GIVEN FAMILY) -> name keys of the three parts."""
    if not text:
        return None, None, None
    tokens = [k for k in (key(t) for t in text.split()) if k]
    if not tokens:
        return None, None, None
    if len(tokens) >= 2 and tokens[-1] in _MARKERS:
        tokens = [*tokens[:-2], tokens[-2] + tokens[-1]]
    if len(tokens) == 1:
        return tokens[0], None, None
    if len(tokens) == 2:
        a, b = tokens
        # "Назира Жумабаева": the family name is the one with a family-name ending.
        if b.endswith(_FAMILY_ENDINGS) and not a.endswith(_FAMILY_ENDINGS):
            return b, a, None
        return a, b, None
    return tokens[0], tokens[1], "".join(tokens[2:])


def _sex_from_patronymic(pat: str | None) -> str | None:
    if not pat:
        return None
    if pat.endswith(_MALE_PATRONYMIC):
        return "male"
    if pat.endswith(_FEMALE_PATRONYMIC):
        return "female"
    return None


def _dataset_rows(
    ws: Workspace, spec: ReconcileSpec, dataset: str, attributes: list[str]
) -> tuple[pa.Table, list[str]]:
    lpath = state_path(ws.data_dir, dataset)
    h = ws.parquet.read_table(harmonized_path(ws, dataset))
    landing = ws.parquet.read_table(lpath) if lpath.exists() else h.select(["_record_no"])
    keys = _key_columns(ws, spec, dataset, landing)
    rec_col = _recency_column(ws, spec, dataset, landing.column_names)
    wanted = ["_record_no", *[k for k in keys if k != "_record_no"]]
    if rec_col and rec_col in landing.column_names:
        wanted.append(rec_col)
    side = landing.select(list(dict.fromkeys(wanted)))
    joined = h.join(side, "_record_no", join_type="left outer", right_suffix="__landing")
    joined = joined.sort_by("_record_no")
    n = joined.num_rows
    parts: list[Any] = [pc.fill_null(_as_text(joined.column(k)), pa.scalar("")) for k in keys]
    join: Any = pc.binary_join_element_wise
    key_text = parts[0] if len(parts) == 1 else join(*parts, "|")
    none = pa.nulls(n, pa.string())
    rows: dict[str, Any] = {
        "dataset": pa.array(np.full(n, dataset, dtype=object), pa.string()),
        "record_no": pc.cast(joined.column("_record_no"), pa.int64()),
        "key": key_text,
        "recency": _digits_stamp(joined.column(rec_col)) if rec_col else none,
    }
    for attr in attributes:
        if attr in joined.column_names:
            rows[attr] = _as_text(joined.column(attr))
            orig = f"{attr}__orig"
            rows[orig] = (
                _as_text(joined.column(orig)) if orig in joined.column_names else rows[attr]
            )
            flag = f"{attr}__flag"
            rows[flag] = _as_text(joined.column(flag)) if flag in joined.column_names else none
        else:
            rows[attr] = rows[f"{attr}__orig"] = rows[f"{attr}__flag"] = none
    return pa.table(rows), keys


def prepare(ws: Workspace, spec: ReconcileSpec, exclude: set[str] | None = None) -> Prepared:
    """Read every linked dataset's harmonized file into one table of records."""
    datasets = entity_datasets(ws, spec, exclude)
    if not datasets:
        raise SpecError(
            f"reconcile spec {spec.id!r}: no dataset holds the entity {spec.entity!r}",
            hint="Set `entity:` in a dataset spec or list `datasets:` in reconcile/.",
        )
    # A run restricted to some datasets reuses earlier runs' harmonized files of the
    # others; datasets never harmonized are left out (and named in the result).
    unharmonized = [d for d in datasets if not harmonized_path(ws, d).exists()]
    datasets = [d for d in datasets if d not in unharmonized]
    if not datasets:
        raise NothingHarmonized(
            f"reconcile spec {spec.id!r}: none of its datasets "
            f"({', '.join(unharmonized)}) has harmonized data",
            where=str(ws.data_dir / "harmonized"),
            hint="Run `seamline run` (or `seamline harmonize`) first.",
        )
    holders: dict[str, list[str]] = {}
    authoritative: dict[str, list[str]] = {}
    for d in datasets:
        ds = ws.datasets[d]
        for f in ds.mappings():
            if f.attribute:
                holders.setdefault(f.attribute, [])
                if d not in holders[f.attribute]:
                    holders[f.attribute].append(d)
        for a in ds.authoritative_for:
            authoritative.setdefault(a, []).append(d)
    attributes = list(spec.attributes) if spec.attributes else list(holders)
    parts: list[pa.Table] = []
    key_columns: dict[str, list[str]] = {}
    for d in datasets:
        rows, keys = _dataset_rows(ws, spec, d, attributes)
        key_columns[d] = keys
        parts.append(rows)
    combined = pa.concat_tables(parts, promote_options="permissive")
    n = combined.num_rows
    join: Any = pc.binary_join_element_wise
    uid = join(combined.column("dataset"), combined.column("key"), ":")
    table = pa.table(
        {
            "rid": pa.array(np.arange(n, dtype=np.int64)),
            **{c: combined.column(c) for c in combined.column_names},
            "uid": uid,
        }
    )
    entity = ws.entities.get(spec.entity)
    identifiers = [
        a.name
        for a in (entity.attributes if entity else [])
        if a.match_kind() == "identifier" and a.name in holders and a.name in attributes
    ]
    plan = None
    name_keys: dict[str, pa.Array[Any]] = {}
    if entity is not None and not entity.person_shaped():
        table, plan = generic.add_features(table, entity, attributes, identifiers, spec.legal_forms)
    else:
        table, name_keys = _add_features(table, spec)
        table = add_model_features(table, spec, identifiers)
    trust = identifier_trust(ws, spec, datasets, identifiers)
    for attr, t in trust.items():
        if t.link == "exact":
            table = table.append_column(f"f_det_{attr}", table.column(id_feature(attr)))
    return Prepared(
        table,
        attributes,
        holders,
        authoritative,
        datasets,
        key_columns,
        name_keys,
        unharmonized,
        identifiers,
        trust,
        plan,
    )


def _keyer(texts: list[str | None], spec: ReconcileSpec) -> dict[str, str | None]:
    """Name keys of every word of the given texts, in one vectorized call."""
    words = sorted({w for t in texts if t for w in t.split()})
    keys = name_key(pa.array(words, pa.string()), spec.name_scheme).to_pylist()
    return dict(zip(words, keys, strict=True))


def _empty(values: pa.Array[Any]) -> pa.Array[Any]:
    """True where a name key is null or empty."""
    out: Any = pc.or_kleene(pc.is_null(values), pc.equal(values, pa.scalar("")))
    fill: Any = pc.fill_null
    filled: pa.Array[Any] = fill(out, pa.scalar(True))
    return filled


_Parts = tuple["pa.Array[Any]", "pa.Array[Any]", "pa.Array[Any]"]


def _split_rows(rows: Any, full: pa.Array[Any], parts: _Parts, spec: ReconcileSpec) -> _Parts:
    """Fill family, given and patronymic keys of ``rows`` from their full names."""
    if not len(rows):
        return parts
    texts: list[Any] = full.take(rows).to_pylist()
    keyed = _keyer(texts, spec)
    fam, giv, pat = (p.to_pylist() for p in parts)
    for r, text in zip(rows.tolist(), texts, strict=True):
        fam[r], giv[r], split_pat = _split_full(text, keyed.get)
        pat[r] = pat[r] or split_pat
    return (pa.array(fam, pa.string()), pa.array(giv, pa.string()), pa.array(pat, pa.string()))


def _add_features(
    table: pa.Table, spec: ReconcileSpec
) -> tuple[pa.Table, dict[str, pa.Array[Any]]]:
    """Linkage features: validated ids, name keys, birth date text, sex."""
    n = table.num_rows
    cols = set(table.column_names)

    def valid(attr: str) -> pa.Array[Any]:
        if attr not in cols:
            return pa.nulls(n, pa.string())
        value, flag = table.column(attr), table.column(f"{attr}__flag")
        usable = pc.and_kleene(pc.is_null(flag), pc.not_equal(value, pa.scalar("")))
        kept: pa.ChunkedArray[Any] = pc.if_else(usable, value, pa.scalar(None, pa.string()))
        return kept.combine_chunks()

    keys = {
        p: (
            name_key(table.column(p).combine_chunks(), spec.name_scheme)
            if p in cols
            else pa.nulls(n, pa.string())
        )
        for p in NAME_PARTS
    }
    name_keys = {p: keys[p] for p in NAME_PARTS if p in cols}
    fam_a, giv_a, pat_a = keys["family_name"], keys["given_name"], keys["patronymic"]
    sex_a: pa.Array[Any] = (
        pc.cast(table.column("sex"), pa.string()).combine_chunks()
        if "sex" in cols
        else pa.nulls(n, pa.string())
    )
    if "full_name" in cols:
        full = table.column("full_name").combine_chunks()
        # Only records with a full name and neither family nor given name are split.
        need = pc.and_(
            pc.and_(pc.is_valid(full), pc.not_equal(full, pa.scalar(""))),
            pc.and_(_empty(fam_a), _empty(giv_a)),
        )
        fam_a, giv_a, pat_a = _split_rows(
            np.flatnonzero(need.fill_null(False).to_numpy(zero_copy_only=False)),
            full,
            (fam_a, giv_a, pat_a),
            spec,
        )
    rows = np.flatnonzero(_empty(sex_a).to_numpy(zero_copy_only=False))
    if len(rows):
        sex_list: list[Any] = sex_a.to_pylist()
        pats: list[Any] = pat_a.take(rows).to_pylist()
        for r, pat in zip(rows.tolist(), pats, strict=True):
            sex_list[r] = _sex_from_patronymic(pat)
        sex_a = pa.array(sex_list, pa.string())
    tax = table.column("tax_number") if "tax_number" in cols else pa.nulls(n, pa.string())
    birth = table.column("birth_date") if "birth_date" in cols else pa.nulls(n, pa.string())
    features: dict[str, pa.Array[Any] | pa.ChunkedArray[Any]] = {
        "f_national_id": valid("national_id"),
        "f_tax_number": tax,
        "f_family": fam_a,
        "f_given": giv_a,
        "f_patronymic": pat_a,
        "f_birth_date": birth,
        "f_sex": sex_a,
    }
    for name, col in features.items():
        table = table.append_column(name, col)
    return table, name_keys
