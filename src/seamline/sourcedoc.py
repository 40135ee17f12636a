"""Render docs/connectors.md from the registered connectors' option models.

Run ``python -m seamline.sourcedoc > docs/connectors.md``; a test fails when the
committed file differs, so the reference cannot drift from the code.
"""

from __future__ import annotations

import inspect
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from seamline.plugins import default_registry

INTRO = """\
# Connectors

Every dataset's `source:` block names a connector `kind` and its options. Each record
read ends up in the landing zone (`landing/<dataset>.parquet`, with `_record_no`, its
stable ordinal, and `_source_pos`, where it was in the source) or in the quarantine
(`quarantine/<dataset>.parquet`, with position, raw bytes and reason), so that
`read = landed + quarantined` holds for every run. A source with more quarantined
records than `quarantine_max_share` (in `seamline.yaml`) fails the run.

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


def render() -> str:
    registry = default_registry()
    parts = [INTRO]
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
            + (f"; {', '.join(flags)}." if flags else ".")
            + "\n"
        )
        parts.append("| option | type | default | meaning |\n|---|---|---|---|")
        for name, info in model.model_fields.items():
            if name == "kind":
                continue
            shown = info.alias or name
            meaning = _md(info.description or "").replace("\n", " ").replace("|", "\\|")
            parts.append(
                f"| `{shown}` | `{_type(info)}` | {_default(info)} | {meaning} |".replace(
                    "`required`", "required"
                )
            )
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")
