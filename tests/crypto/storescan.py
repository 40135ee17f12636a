"""Helpers of the store-at-rest tests: personal values from the demo's truth, and a scan of
every column of every table of a store, read without any key (SQLite file or PostgreSQL)."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import psycopg

from seamline.crypto.values import sealed_key_id

# Columns of the truth whose values must never sit in the store in clear.
KINDS = {
    "identifiers": ("pin", "tin"),
    "names": ("family_name", "given_name", "patronymic", "family_name_latin", "given_name_latin"),
    "birth dates": ("birth_date",),
}


def personal_values(root: Path) -> dict[str, set[str]]:
    with (root / "_truth" / "people.csv").open(encoding="utf-8", newline="") as fh:
        people = list(csv.DictReader(fh))
    out: dict[str, set[str]] = {}
    for kind, columns in KINDS.items():
        # Names of five letters and more: shorter ones turn up inside other words.
        least = 5 if kind == "names" else 8
        out[kind] = {p[c] for p in people for c in columns if len(p[c]) >= least}
    return out


def _hits(
    cells: dict[tuple[str, str], list[str]], wanted: dict[str, set[str]]
) -> dict[tuple[str, str], dict[str, int]]:
    found: dict[tuple[str, str], dict[str, int]] = {}
    for where, values in cells.items():
        # A sealed value is random text: a five-letter name turns up in it by chance (one
        # run in several, with a fresh key each run), which is no value in clear.
        text = "\x00".join(v for v in values if not _sealed(v))
        counts = {kind: sum(1 for v in vs if v in text) for kind, vs in wanted.items()}
        if any(counts.values()):
            found[where] = counts
    return found


def _sealed(value: str) -> bool:
    """Whether a cell holds one sealed value (a JSON column's is a quoted string)."""
    if value.startswith('"') and value.endswith('"'):
        try:
            value = json.loads(value)
        except ValueError:
            return False
    return sealed_key_id(value) is not None


def sqlite_cells(path: Path) -> dict[tuple[str, str], list[str]]:
    """Every value of every column of every table, as text, read with sqlite3 alone."""
    con = sqlite3.connect(path)
    try:
        tables = [t for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        cells = {}
        for table in tables:
            for column in [c[1] for c in con.execute(f'PRAGMA table_info("{table}")')]:
                rows = con.execute(f'SELECT "{column}" FROM "{table}"')
                cells[(table, column)] = [str(v) for (v,) in rows if v is not None]
    finally:
        con.close()
    return cells


def postgres_cells(url: str) -> dict[tuple[str, str], list[str]]:
    """The same for a PostgreSQL store, read with psycopg alone (``col::text``)."""
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    cells = {}
    with psycopg.connect(dsn) as conn:
        columns = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
        ).fetchall()
        for table, column in columns:
            rows = conn.execute(f'SELECT "{column}"::text FROM "{table}"').fetchall()
            cells[(table, column)] = [v for (v,) in rows if v is not None]
    return cells


def in_clear(
    cells: dict[tuple[str, str], list[str]], root: Path
) -> dict[tuple[str, str], dict[str, int]]:
    """Per (table, column): how many personal values of each kind it holds in clear."""
    return _hits(cells, personal_values(root))
