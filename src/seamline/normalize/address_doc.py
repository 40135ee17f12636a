"""Render the address reference in docs/harmonize.md from the code.

The section between ``<!-- address-reference -->`` and ``<!-- /address-reference -->``
is this module's output: the step's options, the keys of ``addresses/<country>.yaml``
(pydantic attribute docstrings) and the built-in countries (their rule files). Run
``python -m seamline.normalize.address_doc --write docs/harmonize.md``; a test fails
when the committed section differs.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from seamline.normalize.address import AddressNormalizer, AddressOptions
from seamline.normalize.address_rules import (
    AddressRulesSpec,
    PostCodeSpec,
    builtin_specs,
    compile_rules,
)

BEGIN = "<!-- address-reference -->"
END = "<!-- /address-reference -->"


def _md(text: str) -> str:
    return " ".join(text.replace("``", "`").split()).replace("|", "\\|")


def _table(model: type[BaseModel], prefix: str = "") -> list[str]:
    rows = ["| key | default | meaning |", "|---|---|---|"]
    for name, info in model.model_fields.items():
        if info.is_required():
            default = "required"
        elif info.default_factory is not None:
            default = "`{}`"
        elif info.default is PydanticUndefined or info.default is None:
            default = ""
        elif isinstance(info.default, bool):
            default = f"`{str(info.default).lower()}`"
        else:
            default = f"`{info.default}`"
        rows.append(f"| `{prefix}{name}` | {default} | {_md(info.description or '')} |")
    return rows


def render() -> str:
    lines = [BEGIN, "", "### `address` options", ""]
    lines += _table(AddressOptions)
    lines += ["", "Flags: " + ", ".join(f"`{f}`" for f in AddressNormalizer.flags) + ".", ""]
    lines += ["### `addresses/<country>.yaml`", "", _md(inspect.getdoc(AddressRulesSpec) or "")]
    lines += ["", *_table(AddressRulesSpec), *_table(PostCodeSpec, "post_code.")[2:]]
    lines += ["", "### Built-in countries", ""]
    lines += ["| country | parser | post code parts | words |", "|---|---|---|---|"]
    for country, spec in sorted(builtin_specs().items()):
        rules = compile_rules(spec)
        names = rules.post_code.names if rules.post_code else ()
        groups = ", ".join(f"`post_code.{n}`" for n in names) or "whole code only"
        counts = (
            f"{len(spec.street_types)} street types, {len(spec.unit_words)} unit designators, "
            f"{len(spec.directionals)} directionals, {len(spec.box_words)} box words"
            + (", ISO 3166-2 regions" if spec.regions_from_iso else "")
            if spec.street_types
            else ("the designator tables of `address_tables.py`" if rules.parser == "cis" else "")
        )
        lines.append(f"| {country} | `{rules.parser}` | {groups} | {counts} |")
    return "\n".join([*lines, "", END])


def replace_section(text: str) -> str:
    """``text`` (docs/harmonize.md) with its address reference section rendered anew."""
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[:start] + render() + text[end:]


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--write":
        path = Path(sys.argv[2])
        path.write_text(replace_section(path.read_text("utf-8")), "utf-8")
    else:
        print(render())
