"""Load a workspace folder into validated models, collecting every problem."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from seamline.connector import SourceOptions
from seamline.crypto.keys import resolve_key
from seamline.crypto.parquet import ParquetFiles
from seamline.engine import Engine
from seamline.errors import SeamlineError, SpecError
from seamline.normalize.address_rules import AddressRulesSpec
from seamline.plugins import Registry, default_registry
from seamline.workspace.derived import DerivedSpec
from seamline.workspace.engines import data_path, engine_issues, open_engine
from seamline.workspace.entities import EntitySpec, merge_entities
from seamline.workspace.envvars import resolve_env
from seamline.workspace.issues import Issue, SpecErrors, merge_instances
from seamline.workspace.models import (
    AgenciesFile,
    AgencySpec,
    CodeListSpec,
    DatasetSpec,
    EntityFile,
    IdentifierSchemeSpec,
    ProjectSpec,
    SeamSpec,
    SystemSpec,
)
from seamline.workspace.project import PROJECT_FILE
from seamline.workspace.pydantic_issues import issues_from
from seamline.workspace.salvage import ids_in_text, salvage
from seamline.workspace.templates import expand_template, is_template
from seamline.workspace.truthfiles import evaluate_issues
from seamline.workspace.yamlpos import Loc, Positions, load_yaml

if TYPE_CHECKING:
    from seamline.normalize import NormalizerRegistry

AGENCIES_FILE = "agencies.yaml"
FOLDERS: dict[str, type[BaseModel]] = {
    "systems": SystemSpec,
    "datasets": DatasetSpec,
    "codelists": CodeListSpec,
    "entities": EntityFile,
    "seams": SeamSpec,
    "identifiers": IdentifierSchemeSpec,
    "derived": DerivedSpec,
}
DEFAULT_STORE = "sqlite:///.seamline/seamline.db"

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Origin:
    """Where a spec object was read from: its file and the positions inside it."""

    path: str
    positions: Positions
    instance: str = ""
    """For a dataset expanded from a template: its instance's name."""

    def at(self, *loc: str | int, key: bool = False) -> tuple[int, int]:
        return self.positions.of(tuple(loc), key=key)


@dataclass
class Workspace:
    """A validated workspace. Build it with :func:`load_workspace`."""

    root: Path
    project: ProjectSpec
    agencies: dict[str, AgencySpec] = field(default_factory=dict)
    systems: dict[str, SystemSpec] = field(default_factory=dict)
    datasets: dict[str, DatasetSpec] = field(default_factory=dict)
    codelists: dict[str, CodeListSpec] = field(default_factory=dict)
    entities: dict[str, EntitySpec] = field(default_factory=dict)
    seams: dict[str, SeamSpec] = field(default_factory=dict)
    identifiers: dict[str, IdentifierSchemeSpec] = field(default_factory=dict)
    derived: dict[str, DerivedSpec] = field(default_factory=dict)
    """Derived datasets (``derived/*.yaml``), computed by the derive stage."""
    addresses: dict[str, AddressRulesSpec] = field(default_factory=dict)
    """Address rules by country (``addresses/<country>.yaml``)."""
    sources: dict[str, SourceOptions] = field(default_factory=dict)
    origins: dict[tuple[str, str], Origin] = field(default_factory=dict)
    incomplete: set[str] = field(default_factory=set)
    """Folders (or ``agencies``) with a file that could not be loaded."""
    unread_ids: dict[str, set[str] | None] = field(default_factory=dict)
    """Per incomplete folder: the ids its unloadable files seem to define (``id:`` lines),
    None when that cannot be known (a file whose id itself is wrong)."""
    _parquet: ParquetFiles | None = field(default=None, init=False, repr=False, compare=False)

    def unread(self, folder: str, ids: set[str] | None) -> None:
        """Note that a file of ``folder`` could not be loaded and which ids it may define."""
        self.incomplete.add(folder)
        known = self.unread_ids.get(folder, set())
        self.unread_ids[folder] = None if known is None or not ids else known | ids

    @property
    def name(self) -> str:
        return self.project.name

    @property
    def data_dir(self) -> Path:
        p = data_path(self.project.data_dir)
        return p if p.is_absolute() else self.root / p

    @property
    def parquet(self) -> ParquetFiles:
        """The one door to the data folder's Parquet files: encrypted with the key of
        ``encryption:`` (resolved once, on first use), else in clear."""
        if self._parquet is None:
            spec = self.project.encryption
            key = resolve_key(spec, self.root) if spec else None
            self._parquet = ParquetFiles(key, spill=self.data_dir / "tmp")
        return self._parquet

    def engine(self, **options: Any) -> Engine:
        """The engine ``seamline.yaml`` chose, for a stage that can run on Spark: Spark, or
        the embedded engine spilling into the data folder (``options`` are DuckDB's, such
        as a memory limit; a cluster takes them from ``spark: conf:``)."""
        return open_engine(self.project, embedded=self.parquet.engine, **options)

    @property
    def data_key(self) -> bytes | None:
        """The key of ``encryption:`` (None without it); ``Store.open(..., key=)`` takes it."""
        return self.parquet.key

    def store_url(self, env: Mapping[str, str] | None = None) -> str:
        """The store URL: ``SEAMLINE_STORE``, else ``store:``, else SQLite in ``.seamline/``."""
        env = os.environ if env is None else env
        url = env.get("SEAMLINE_STORE") or self.project.store or DEFAULT_STORE
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str((self.root / url[len(prefix) :]).resolve())
        return url

    def origin(self, kind: str, ident: str) -> Origin | None:
        return self.origins.get((kind, ident))

    def where(self, kind: str, ident: str, *loc: str | int) -> str | None:
        """``file:line:column`` of a value of a spec object, with the template instance
        that a dataset was expanded for; None when the object was not read from a file."""
        origin = self.origin(kind, ident)
        if origin is None:
            return None
        line, column = origin.at(*loc)
        return Issue(origin.path, line, column, "", instance=origin.instance).where

    def dataset(self, ident: str) -> DatasetSpec:
        try:
            return self.datasets[ident]
        except KeyError:
            from seamline.errors import did_you_mean

            guess = did_you_mean(ident, list(self.datasets))
            raise SpecError(
                f"no dataset {ident!r} in the workspace"
                + (f" (did you mean {guess!r}?)" if guess else ""),
                where=str(self.root),
                allowed=", ".join(sorted(self.datasets)) or "none: add a file under datasets/",
            ) from None


@dataclass
class _Loaded:
    data: Any
    positions: Positions
    secret: set[Loc]
    template: bool = False
    """A dataset template (``for_each:``), read as written: expansion comes first."""


class _Collector:
    def __init__(self, root: Path, env: Mapping[str, str]) -> None:
        self.root = root
        self.env = env
        self.issues: list[Issue] = []

    def display(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    def read(self, path: Path, *, templates: bool = False) -> _Loaded | None:
        shown = self.display(path)
        data, pos, problems = load_yaml(path, shown)
        self.issues.extend(problems)
        if problems:
            return None
        if not isinstance(data, dict):
            what = "empty" if data is None else f"a {type(data).__name__}, not a mapping"
            self.issues.append(
                Issue(shown, 1, 1, f"is {what}", hint="Each spec file holds one YAML mapping.")
            )
            return None
        if templates and is_template(data):
            return _Loaded(data, pos, set(), template=True)
        return self.resolve(data, pos)

    def resolve(self, data: Any, pos: Positions, instance: str = "") -> _Loaded:
        """``data`` with its ``${ENV_VAR}`` references filled in; a missing one is an issue."""
        data, missing, secret = resolve_env(data, self.env)
        for loc, name in missing:
            line, col = pos.of(loc)
            self.issues.append(
                Issue(
                    pos.path,
                    line,
                    col,
                    f"the environment variable {name} is not set",
                    hint=f"Export {name} before running seamline, or give a default: ${{{name}:-value}}.",
                    instance=instance,
                )
            )
        return _Loaded(data, pos, secret)

    def validate(self, model: type[M], loaded: _Loaded, instance: str = "") -> M | None:
        """The validated object; on errors, records them all and returns what is left.

        A file with schema errors still takes part in the cross-file checks: the keys in
        error are left out (see :func:`salvage`), so one round of ``seamline validate``
        shows the reference errors too. The issues already make the workspace invalid.
        """
        try:
            return model.model_validate(loaded.data)
        except ValidationError as exc:
            found = issues_from(exc, model, loaded.positions, secret=loaded.secret)
            self.issues.extend(replace(i, instance=instance) for i in found)
            return salvage(model, loaded.data, exc)


def load_workspace(
    root: Path | str,
    *,
    env: Mapping[str, str] | None = None,
    registry: Registry | None = None,
    normalizers: NormalizerRegistry | None = None,
) -> Workspace:
    """Load and validate the workspace at ``root``; raise :class:`SpecErrors` listing every problem."""
    workspace, issues = check_workspace(root, env=env, registry=registry, normalizers=normalizers)
    if issues or workspace is None:
        raise SpecErrors(issues)
    return workspace


def check_workspace(
    root: Path | str,
    *,
    env: Mapping[str, str] | None = None,
    registry: Registry | None = None,
    normalizers: NormalizerRegistry | None = None,
) -> tuple[Workspace | None, list[Issue]]:
    """Validate the workspace at ``root``; return it (if loadable) and every problem found."""
    root = Path(root)
    if not root.is_dir():
        raise SpecError(
            f"no workspace folder at {root}",
            hint=f"Create one with `seamline init {root}` or `seamline demo {root}`.",
        )
    col = _Collector(root, os.environ if env is None else env)
    registry = registry or default_registry()

    project_path = root / PROJECT_FILE
    project: ProjectSpec | None = None
    project_pos: Positions | None = None
    if not project_path.is_file():
        col.issues.append(
            Issue(
                PROJECT_FILE,
                0,
                0,
                f"is missing: {root} has no {PROJECT_FILE}, so it is not a seamline workspace",
                hint=f"Run `seamline init {root}` to start one.",
            )
        )
    else:
        loaded = col.read(project_path)
        if loaded is not None:
            project = col.validate(ProjectSpec, loaded)
            project_pos = loaded.positions

    ws = Workspace(root=root, project=project or ProjectSpec(name="invalid"))
    _load_agencies(col, ws)
    own_entities: list[EntityFile] = []
    for folder, model in FOLDERS.items():
        directory = root / folder
        if not directory.is_dir():
            continue
        for path in sorted(directory.iterdir()):
            if path.suffix not in (".yaml", ".yml") or path.name.startswith("."):
                continue
            loaded = col.read(path, templates=folder == "datasets")
            if loaded is not None and loaded.template:
                _load_template(col, ws, loaded, registry)
                continue
            obj = col.validate(model, loaded) if loaded is not None else None
            if loaded is None or obj is None:
                # Parsed but beyond repair: its id may be what is wrong, so unknown.
                ws.unread(folder, ids_in_text(path) if loaded is None else None)
                continue
            origin = Origin(col.display(path), loaded.positions)
            if isinstance(obj, EntityFile):
                own_entities.append(obj)
                ws.origins[("entity", obj.id)] = origin
                continue
            ident = str(getattr(obj, "id", ""))
            _add_unique(col, ws, folder, ident, obj, origin)
            if isinstance(obj, DatasetSpec):
                _validate_source(col, ws, obj, loaded, origin, registry)
    _load_addresses(col, ws)
    ws.entities = merge_entities([EntitySpec.model_validate(e.model_dump()) for e in own_entities])

    from seamline.workspace.references import check_normalizers, check_references

    col.issues.extend(check_references(ws))
    col.issues.extend(check_normalizers(ws, normalizers))
    if project is not None and project.evaluate is not None and project_pos is not None:
        attributes = {a for e in ws.entities.values() for a in e.attribute_names()}
        col.issues.extend(evaluate_issues(ws.root, attributes, project.evaluate, project_pos))
    if project is not None and project_pos is not None:
        col.issues.extend(engine_issues(project, ws.store_url(col.env), project_pos))
    issues = merge_instances(col.issues)
    if project is None:
        return None, issues
    return ws, issues


def _load_agencies(col: _Collector, ws: Workspace) -> None:
    path = ws.root / AGENCIES_FILE
    if not path.is_file():
        return
    loaded = col.read(path)
    parsed = col.validate(AgenciesFile, loaded) if loaded is not None else None
    if loaded is None or parsed is None:
        ws.unread("agencies", ids_in_text(path) if loaded is None else None)
        return
    for i, agency in enumerate(parsed.agencies):
        origin = Origin(col.display(path), loaded.positions.within(("agencies", i)))
        _add_unique(col, ws, "agencies", agency.id, agency, origin)


ADDRESSES = "addresses"


def _load_addresses(col: _Collector, ws: Workspace) -> None:
    """``addresses/<country>.yaml``: one country's address rules per file."""
    directory = ws.root / ADDRESSES
    if not directory.is_dir():
        return
    from seamline.normalize.address_rules import check_declared

    for path in sorted(directory.iterdir()):
        if path.suffix not in (".yaml", ".yml") or path.name.startswith("."):
            continue
        loaded = col.read(path)
        spec = col.validate(AddressRulesSpec, loaded) if loaded is not None else None
        if loaded is None or spec is None:
            ws.incomplete.add(ADDRESSES)
            continue
        origin = Origin(col.display(path), loaded.positions)
        line, column = origin.at("country")
        if path.stem.upper() != spec.country:
            col.issues.append(
                Issue(
                    origin.path,
                    line,
                    column,
                    f"country {spec.country!r} does not match the file name {path.name!r}",
                    hint=f"Name the file {ADDRESSES}/{spec.country.lower()}.yaml.",
                )
            )
            continue
        if spec.country in ws.addresses:
            first = ws.origins[(ADDRESSES, spec.country)]
            col.issues.append(
                Issue(
                    origin.path,
                    line,
                    column,
                    f"the address rules of {spec.country} are already in {first.path}",
                    hint="Keep one file per country.",
                )
            )
            continue
        try:
            check_declared({spec.country: spec})
        except SpecError as exc:
            col.issues.append(Issue(origin.path, line, column, exc.message))
            continue
        ws.addresses[spec.country] = spec
        ws.origins[(ADDRESSES, spec.country)] = origin


_KIND = {
    "agencies": "agency",
    "systems": "system",
    "datasets": "dataset",
    "codelists": "codelist",
    "seams": "seam",
    "identifiers": "identifier scheme",
    "derived": "derived",
}


def _add_unique(
    col: _Collector, ws: Workspace, folder: str, ident: str, obj: Any, origin: Origin
) -> None:
    kind = _KIND[folder]
    table: dict[str, Any] = getattr(ws, folder)
    if ident in table:
        first = ws.origins[(kind, ident)]
        line, column = origin.at("id")
        col.issues.append(
            Issue(
                origin.path,
                line,
                column,
                f"{kind} id {ident!r} is already used by {first.path}:{first.at('id')[0]}"
                + (f" (instance {first.instance})" if first.instance else ""),
                hint="Ids must be unique across the workspace; rename one of them.",
                instance=origin.instance,
            )
        )
        return
    table[ident] = obj
    ws.origins[(kind, ident)] = origin


def _validate_source(
    col: _Collector,
    ws: Workspace,
    dataset: DatasetSpec,
    loaded: _Loaded,
    origin: Origin,
    registry: Registry,
) -> None:
    kind = dataset.source.get("kind")
    if not isinstance(kind, str):
        line, column = origin.at("source")
        col.issues.append(
            Issue(
                origin.path,
                line,
                column,
                "source has no 'kind'",
                allowed=", ".join(sorted(registry.connectors)),
                instance=origin.instance,
            )
        )
        return
    try:
        reader = registry.connector(kind)
    except SeamlineError as exc:
        line, column = origin.at("source", "kind")
        col.issues.append(
            Issue(origin.path, line, column, exc.message, exc.allowed, instance=origin.instance)
        )
        return
    try:
        ws.sources[dataset.id] = reader.options_model.model_validate(dataset.source)
    except ValidationError as exc:
        found = issues_from(
            exc, reader.options_model, loaded.positions, prefix=("source",), secret=loaded.secret
        )
        col.issues.extend(replace(i, instance=origin.instance) for i in found)


def _load_template(col: _Collector, ws: Workspace, loaded: _Loaded, registry: Registry) -> None:
    """Expand a dataset template and load each instance as an ordinary dataset."""

    def source_keys(kind: str) -> set[str]:
        reader = registry.connectors.get(kind)
        return set(reader.options_model.model_fields) if reader is not None else set()

    instances, problems = expand_template(
        loaded.data, loaded.positions, ws.root, DatasetSpec, source_keys
    )
    col.issues.extend(problems)
    if problems:  # an instance left out may be what another file refers to
        ws.unread("datasets", None)
    for inst in instances:
        one = col.resolve(inst.data, inst.positions, inst.name)
        obj = col.validate(DatasetSpec, one, inst.name)
        if obj is None:
            ws.unread("datasets", None)
            continue
        origin = Origin(inst.positions.path, inst.positions, inst.name)
        _add_unique(col, ws, "datasets", obj.id, obj, origin)
        _validate_source(col, ws, obj, one, origin, registry)
