"""Render docs/connectors.md from the registered connectors' option models.

Run ``python -m seamline.sourcedoc > docs/connectors.md``; a test fails when the
committed file differs, so the reference cannot drift from the code.
"""

from __future__ import annotations

import inspect
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from seamline.connector import COMMON_OPTIONS, Reader, SourceOptions
from seamline.plugins import default_registry

INTRO = """\
# Connectors

Every dataset's `source:` block names a connector `kind` and its options. Each run
lands one *delivery* of the source, kept under its id: every record read ends up in the
delivery's landed rows (`landing/<dataset>/<id>.parquet`, with `_record_no`, its stable
ordinal, and `_source_pos`, where it was in the source) or in its quarantine
(`quarantine/<dataset>/<id>.parquet`, with position, raw bytes and reason). The record
numbers of a delivery are checked at run time to be exactly `1..read`, so
`read = landed + quarantined` holds for every run and a record a reader dropped fails
the delivery. A source with more quarantined records than `quarantine_max_share` (in
`seamline.yaml`) fails the run.

Later stages read the dataset's *current state* (`landing/<dataset>.parquet`), made
from the deliveries as the source's `state` says; an empty or failed delivery never
replaces it. `seamline deliveries DATASET` lists them (see the workspace guide).

Options every connector takes:

| option | type | default | meaning |
|---|---|---|---|
{common}

Values may be `${ENV_VAR}` references (for URLs with passwords, always). Unknown options
are errors with a did-you-mean. This page is generated from the option models
(`python -m seamline.sourcedoc > docs/connectors.md`).
"""


def _type(info: FieldInfo) -> str:
    text = str(info.annotation).replace("typing.", "")
    for noise in ("<class '", "'>"):
        text = text.replace(noise, "")
    return text.replace("NoneType", "None")


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    if info.default_factory is not None:
        return f"`{info.default_factory()!r}`"  # type: ignore[call-arg]
    if info.default is PydanticUndefined:
        return ""
    return f"`{info.default!r}`"


def _md(text: str) -> str:
    return text.replace("``", "`")


def _doc(obj: Any) -> str:
    return _md(inspect.cleandoc(obj.__doc__ or "").strip())


_COMMON_TYPES = {"state": "snapshot | append | None", "keep": "int | ISO 8601 duration | None"}


def _row(name: str, info: FieldInfo, typ: str | None = None) -> str:
    shown = info.alias or name
    meaning = _md(info.description or "").replace("\n", " ").replace("|", "\\|")
    return f"| `{shown}` | `{typ or _type(info)}` | {_default(info)} | {meaning} |".replace(
        "`required`", "required"
    )


def render() -> str:
    registry = default_registry()
    common = "\n".join(
        _row(n, SourceOptions.model_fields[n], _COMMON_TYPES.get(n)) for n in COMMON_OPTIONS
    )
    parts = [INTRO.replace("{common}", common)]
    for kind in sorted(registry.connectors):
        reader = registry.connector(kind)
        model = reader.options_model
        caps = reader.capabilities
        parts.append(f"## `kind: {kind}`\n")
        if _doc(model):
            parts.append(_doc(model) + "\n")
        flags = [
            name
            for name, on in (
                ("streams in batches", caps.streaming),
                ("infers types", caps.schema_inference),
                ("incremental", caps.incremental),
                ("acknowledges after landing", caps.acknowledges),
            )
            if on
        ]
        parts.append(
            f"Positions count {caps.position_unit}s"
            + (f"; {', '.join(flags)}" if flags else "")
            + f"; default `state: {caps.state}`"
            + (
                f" ({_doc(reader.state_mode).rstrip('.')})"
                if reader.state_mode.__func__ is not Reader.state_mode.__func__  # type: ignore[attr-defined]
                else ""
            )
            + ".\n"
        )
        parts.append("| option | type | default | meaning |\n|---|---|---|---|")
        for name, info in model.model_fields.items():
            if name == "kind" or (name in COMMON_OPTIONS and name not in model.__annotations__):
                continue
            parts.append(_row(name, info))
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")
