"""The golden records of an entity in memory, indexed for identifier and name lookups.

The reference table of an entity (``<data_dir>/reference/<spec id>.parquet``, the id of
the reconcile spec that links the entity: ``person.parquet`` for the default Person
spec) is small enough for a national register's pilot scale to sit in memory; a dict per
identifier gives the API constant-time lookups without a query engine on the request
path. Family-name search applies to entities that have a ``family_name``.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from seamline.errors import SeamlineError
from seamline.normalize.names import name_key, other_script
from seamline.normalize.schemes import check as check_scheme
from seamline.normalize.translit import SchemeName
from seamline.reconcile.spec import load_reconcile_specs
from seamline.workspace.loader import Workspace
from seamline.workspace.models import IdentifierSchemeSpec

PERSON = "Person"
_SCHEME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class DataUnavailable(SeamlineError):
    """The reference data has not been built (run the pipeline first)."""


@dataclass
class Person:
    entity_id: str
    values: dict[str, Any]
    provenance: dict[str, dict[str, Any]]


@dataclass
class PersonIndex:
    people: list[Person] = field(default_factory=list)
    by_identifier: dict[str, dict[str, int]] = field(default_factory=dict)
    """attribute -> compact identifier -> row."""
    by_family: dict[str, list[int]] = field(default_factory=dict)
    """casefolded family name -> rows (the same spelling)."""
    by_family_key: dict[str, list[int]] = field(default_factory=dict)
    """family name key (romanized, spelling variants folded) -> rows, for a name asked
    for in another script than the golden value holds (``Токтосунов``, ``Toktosunov``)."""
    name_scheme: SchemeName = "icao"
    """How Cyrillic names are romanized for their keys: the entity's reconcile spec's."""
    entity: str = PERSON
    """The canonical entity whose golden records these are."""
    schemes: dict[str, str] = field(default_factory=dict)
    """identifier scheme -> the attribute it identifies (``kg_pin`` -> ``national_id``)."""
    specs: dict[str, IdentifierSchemeSpec] = field(default_factory=dict)
    digest: str | None = field(default=None, repr=False, compare=False)
    """``export.index_digest``'s cache: the index never changes while the app runs."""
    attributes: list[str] = field(default_factory=list)
    schema: pa.Schema | None = None
    """The reference table's schema (types for exports and the OpenAPI document)."""

    def __len__(self) -> int:
        return len(self.people)

    def compact(self, scheme: str, raw: str) -> str | None:
        """The compact form of a valid identifier of ``scheme``, else None."""
        spec = self.specs.get(scheme)
        if spec is None:
            return raw if raw and len(raw) <= 64 and raw.isalnum() else None
        checked = check_scheme(spec, pa.array([raw], pa.string()))
        if not checked.valid[0].as_py():
            return None
        value = checked.compact[0].as_py()
        return str(value) if value is not None else None

    def resolve(self, scheme: str, attribute: str, raw: str) -> Person | None:
        """The person with this identifier, or None when no one has it.

        Raises ValueError when the identifier is not valid for the scheme. A value found
        as-is (separators removed) in the golden records is a registered identifier, so
        the full scheme check — a few arrow kernels, ~0.5 ms — runs only on a miss.
        """
        spec = self.specs.get(scheme)
        quick = raw
        if spec is not None:
            quick = raw.translate({ord(c): None for c in spec.separators}).upper()
        hit = self.find(attribute, quick)
        if hit is not None:
            return hit
        value = self.compact(scheme, raw)
        if value is None:
            raise ValueError(f"not a valid {scheme} identifier")
        return self.find(attribute, value)

    def find(self, attribute: str, value: str) -> Person | None:
        row = self.by_identifier.get(attribute, {}).get(value)
        return None if row is None else self.people[row]

    def family(self, name: str) -> list[int]:
        """Rows whose golden family name is ``name``: as spelled (any case), or in another
        script with the same name key, as reconcile links them. Two spellings in one
        script must agree letter for letter: a typo is not a match."""
        name = name.strip()
        rows = set(self.by_family.get(name.casefold(), []))
        key = name_key(pa.array([name], pa.string()), self.name_scheme)[0].as_py()
        if key is not None:
            script = other_script(name)
            rows.update(
                r
                for r in self.by_family_key.get(key, [])
                if other_script(self.people[r].values.get("family_name")) != script
            )
        return sorted(rows)

    def search(self, family_name: str | None, birth_date: str | None) -> list[Person]:
        if family_name is not None:
            found = [self.people[r] for r in self.family(family_name)]
        else:
            found = list(self.people)
        if birth_date is not None:
            found = [p for p in found if p.values.get("birth_date") == birth_date]
        return found


def reference_path(ws: Workspace, entity: str = PERSON) -> Path:
    """The golden records of ``entity``: those of the reconcile spec that links it."""
    spec_id = next(
        (s.id for s in load_reconcile_specs(ws.root) if s.entity == entity), entity.lower()
    )
    return ws.data_dir / "reference" / f"{spec_id}.parquet"


def identifier_schemes(ws: Workspace, entity: str = PERSON) -> dict[str, str]:
    """scheme -> attribute, read from the entity's datasets' ``identifier`` steps."""
    out: dict[str, str] = {}
    for ds in ws.datasets.values():
        if ds.entity != entity:
            continue
        for f in ds.mappings():
            for step in f.normalize:
                opts = step.get("identifier") if isinstance(step, dict) else None
                if f.attribute and isinstance(opts, dict) and isinstance(opts.get("scheme"), str):
                    out.setdefault(opts["scheme"], f.attribute)
    return out


def load_people(ws: Workspace, path: Path | None = None, entity: str = PERSON) -> PersonIndex:
    """The golden records of ``entity`` (Person by default), indexed."""
    path = path or reference_path(ws, entity)
    if not path.exists():
        raise DataUnavailable(
            f"there are no golden {entity} records yet",
            where=str(path),
            hint="build them with `seamline run`",
        )
    table: pa.Table = ws.parquet.read_table(path)
    names = table.column_names
    attrs = [
        n for n in names if "__" not in n and n not in ("entity_id", "record_count", "datasets")
    ]
    index = PersonIndex(attributes=attrs, schema=table.schema, entity=entity)
    index.name_scheme = next(
        (s.name_scheme for s in load_reconcile_specs(ws.root) if s.entity == entity), "icao"
    )
    index.schemes = identifier_schemes(ws, entity)
    index.specs = {s: ws.identifiers[s] for s in index.schemes if s in ws.identifiers}
    id_attrs = set(index.schemes.values())
    for a in id_attrs:
        index.by_identifier[a] = {}
    for i, row in enumerate(table.to_pylist()):
        values = {a: row.get(a) for a in attrs}
        prov = {
            a: {
                "dataset": row.get(f"{a}__dataset"),
                "record": row.get(f"{a}__record"),
                "rule": row.get(f"{a}__rule"),
            }
            for a in attrs
        }
        index.people.append(Person(str(row["entity_id"]), values, prov))
        for a in id_attrs:
            v = values.get(a)
            if v is not None:
                index.by_identifier[a].setdefault(str(v), i)
        fam = values.get("family_name")
        if isinstance(fam, str):
            index.by_family.setdefault(fam.strip().casefold(), []).append(i)
    if "family_name" in names:
        keys = name_key(table.column("family_name").combine_chunks(), index.name_scheme)
        for i, key in enumerate(keys.to_pylist()):
            if key is not None:
                index.by_family_key.setdefault(key, []).append(i)
    return index


def _stamp(path: str) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


class LiveIndex:
    """The golden records' index of one entity (Person by default), read again when a run rewrites the reference file.

    Retention withdraws golden records past their period by deleting or rewriting that
    file; a server that started earlier must not go on answering from memory with them.
    A withdrawn (or unreadable) file leaves an index with no one in it: the API then
    finds no person, and ``/readyz`` reports not ready, until a run rebuilds it.
    """

    def __init__(
        self, ws: Workspace, path: Path | None = None, entity: str = PERSON, required: bool = True
    ) -> None:
        """``required=False``: a missing file gives an empty index (a workspace with no
        dataset of the entity) instead of DataUnavailable."""
        self.ws, self.path = ws, path or reference_path(ws, entity)
        self.entity = entity
        self._where = str(self.path)
        self._stamp = _stamp(self._where)
        if required or self._stamp is not None:
            self._index = load_people(ws, self.path, entity)
        else:
            self._index = PersonIndex(entity=entity)
        self._lock = threading.Lock()

    def get(self) -> PersonIndex:
        stamp = _stamp(self._where)
        if stamp == self._stamp:
            return self._index
        with self._lock:
            if stamp != self._stamp:
                self._index = self._load(stamp)
                self._stamp = stamp
            return self._index

    def _load(self, stamp: tuple[int, int, int] | None) -> PersonIndex:
        old = self._index
        if stamp is not None:
            try:
                return load_people(self.ws, self.path, self.entity)
            except (OSError, pa.ArrowException, DataUnavailable) as exc:
                logging.getLogger(__name__).error(
                    "the golden records could not be read again (%s); serving none",
                    type(exc).__name__,
                )
        empty = PersonIndex(attributes=old.attributes, schema=old.schema, entity=old.entity)
        empty.schemes, empty.specs = dict(old.schemes), dict(old.specs)
        empty.by_identifier = {a: {} for a in old.by_identifier}
        return empty


def parse_ref(ref: str) -> tuple[str, str] | None:
    """``kg_pin:10712199782415`` -> (scheme, id), or None when malformed."""
    scheme, sep, ident = ref.partition(":")
    if not sep or not _SCHEME.match(scheme) or not ident or len(ident) > 64:
        return None
    return scheme, ident
