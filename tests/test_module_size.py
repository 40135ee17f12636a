"""No module of src/ grows past 500 lines: split it by responsibility before it does."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 500


def physical_lines(data: bytes) -> int:
    """Lines as an editor numbers them: each newline ends one, and so does the file's end."""
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def test_physical_lines_are_counted_as_an_editor_numbers_them() -> None:
    assert [physical_lines(b) for b in (b"", b"a", b"a\n", b"a\n\nb", b"\n\n\n")] == [0, 1, 1, 3, 3]


def test_no_module_under_src_is_over_500_lines() -> None:
    modules = sorted((ROOT / "src").rglob("*.py"))
    assert len(modules) > 100
    too_long = {
        str(path.relative_to(ROOT)): lines
        for path in modules
        if (lines := physical_lines(path.read_bytes())) > LIMIT
    }
    assert not too_long, (
        f"modules over {LIMIT} lines (split each by responsibility, as src/seamline/cli/ "
        f"is split by command group): {too_long}"
    )
