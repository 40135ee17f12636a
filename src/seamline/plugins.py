"""The extension points: connectors (and later normalizers and reporters).

Built-ins register exactly the way a third-party package does: a module with a
``register(registry)`` function. Built-in modules are listed in ``DEFAULT_PLUGINS``;
other packages declare theirs under the ``seamline.plugins`` entry-point group.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from seamline.errors import SpecError
from seamline.errors import did_you_mean as did_you_mean

if TYPE_CHECKING:
    from seamline.connector import Reader

DEFAULT_PLUGINS: tuple[str, ...] = (
    "seamline.sources.copybook",
    "seamline.sources.folder",
    "seamline.sources.delimited",
    "seamline.sources.fixedwidth",
    "seamline.sources.spreadsheet",
    "seamline.sources.jsonsrc",
    "seamline.sources.xmlsrc",
    "seamline.sources.parquet",
    "seamline.sources.sql",
    "seamline.sources.amqp",
    "seamline.sources.nats",
)


@dataclass
class Registry:
    """What is pluggable, by name."""

    connectors: dict[str, type[Reader[Any]]] = field(default_factory=dict)

    def register_connector(self, reader: type[Reader[Any]]) -> None:
        if reader.kind in self.connectors and self.connectors[reader.kind] is not reader:
            raise SpecError(
                f"two connectors claim the source kind {reader.kind!r}: "
                f"{self.connectors[reader.kind].__module__} and {reader.__module__}"
            )
        self.connectors[reader.kind] = reader

    def connector(self, kind: str, where: str | None = None) -> type[Reader[Any]]:
        try:
            return self.connectors[kind]
        except KeyError:
            allowed = sorted(self.connectors)
            guess = did_you_mean(kind, allowed)
            raise SpecError(
                f"unknown source kind {kind!r}" + (f" (did you mean {guess!r}?)" if guess else ""),
                where=where,
                allowed=", ".join(allowed),
            ) from None


def _load(registry: Registry, module_name: str) -> None:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:  # a built-in not (yet) shipped in this build
            return
        raise
    register = getattr(module, "register", None)
    if register is None:
        raise SpecError(f"plugin module {module_name} has no register(registry) function")
    register(registry)


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    """The registry with every built-in and every installed plugin, built once."""
    registry = Registry()
    for name in DEFAULT_PLUGINS:
        _load(registry, name)
    for ep in entry_points(group="seamline.plugins"):
        _load(registry, ep.value)
    return registry
