"""The normalizer registry: built-ins register like third-party plugins would."""

from __future__ import annotations

import importlib
from functools import lru_cache
from typing import Any

from pydantic import ValidationError

from seamline.errors import SpecError, did_you_mean
from seamline.normalize.base import Normalizer, StepContext

BUILTIN_MODULES = (
    "seamline.normalize.identifiers",
    "seamline.normalize.dates",
    "seamline.normalize.names",
    "seamline.normalize.contact",
    "seamline.normalize.text",
    "seamline.normalize.address",
)


class NormalizerRegistry:
    def __init__(self) -> None:
        self.normalizers: dict[str, type[Normalizer]] = {}

    def register(self, cls: type[Normalizer]) -> None:
        if cls.key in self.normalizers:
            raise SpecError(f"normalizer {cls.key!r} is registered twice")
        self.normalizers[cls.key] = cls

    def get(self, key: str) -> type[Normalizer]:
        try:
            return self.normalizers[key]
        except KeyError:
            guess = did_you_mean(key, list(self.normalizers))
            raise SpecError(
                f"unknown normalizer {key!r}" + (f" (did you mean {guess!r}?)" if guess else ""),
                allowed=", ".join(sorted(self.normalizers)),
            ) from None

    def doubt_flags(self) -> frozenset[str]:
        """Every registered step's ``doubts``: flags whose value is one reading of several."""
        return frozenset(f for cls in self.normalizers.values() for f in cls.doubts)

    def build(self, step: dict[str, Any], context: StepContext) -> Normalizer:
        """A normalizer from one ``normalize:`` list item: ``{key: {options}}``."""
        if not isinstance(step, dict) or len(step) != 1:
            raise SpecError(
                "a normalize step is a mapping with one key, e.g. {date: {formats: [DD.MM.YYYY]}}",
                allowed=", ".join(sorted(self.normalizers)),
            )
        ((key, options),) = step.items()
        cls = self.get(str(key))
        if options is not None and not isinstance(options, dict):
            raise SpecError(
                f"the options of step {key!r} are a mapping, e.g. {{{key}: {{...}}}}",
                allowed=_allowed(cls),
            )
        try:
            parsed = cls.options_model.model_validate(options or {})
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            if first["type"] == "extra_forbidden":
                guess = did_you_mean(where, list(cls.options_model.model_fields))
                raise SpecError(
                    f"unknown option {where!r} for step {key!r}"
                    + (f" (did you mean {guess!r}?)" if guess else ""),
                    allowed=_allowed(cls),
                    hint="docs/harmonize.md lists every step's options.",
                ) from None
            raise SpecError(f"normalizer {key}: {where}: {first['msg']}") from None
        return cls(parsed, context)


def _allowed(cls: type[Normalizer]) -> str:
    return ", ".join(cls.options_model.model_fields) or "no options"


@lru_cache(maxsize=1)
def default_normalizers() -> NormalizerRegistry:
    registry = NormalizerRegistry()
    for name in BUILTIN_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(registry)
    return registry
