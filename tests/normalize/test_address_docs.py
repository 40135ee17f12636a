"""The address reference in docs/harmonize.md is generated from the code."""

from __future__ import annotations

from pathlib import Path

from seamline.normalize.address_doc import BEGIN, END, render, replace_section

DOC = Path(__file__).resolve().parents[2] / "docs" / "harmonize.md"


def test_address_reference_is_generated_from_the_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert text.count(BEGIN) == 1 and text.count(END) == 1
    assert replace_section(text) == text, (
        "docs/harmonize.md's address reference is stale: run "
        "`python -m seamline.normalize.address_doc --write docs/harmonize.md`"
    )


def test_reference_lists_every_option_part_and_key() -> None:
    section = render()
    for name in ("`country`", "`part`", "`reference`", "`reference_columns`"):
        assert name in section
    for part in ("house_number", "street", "unit", "post_code_ext", "post_code.<group>"):
        assert f"`{part}`" in section
    for key in ("street_types", "unit_words", "post_code.pattern", "restore_leading_zeros"):
        assert key in section
