"""Never crash on a valid shape of data: the linkage model is built from the attributes
the workspace maps and the data holds, and where it cannot be built one sentence says why.

Two registers of invented people (the second with typos, swapped birth days and missing
values) are written as a user would write them, then each case removes something in turn
and runs ``seamline run``."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from linkage_kit import Dataset, f1, seamline_run, write_workspace

SEED = 20260
PEOPLE = 240
_SYL = ["ka", "ri", "mo", "ta", "len", "sar", "vi", "do", "ne", "bu", "ro", "mi", "as", "el"]
FIELDS: dict[str, str | None] = {
    "rec_id": None,
    "given": "given_name",
    "family": "family_name",
    "father": "patronymic",
    "born": "birth_date",
    "sex": "sex",
    "number": "national_id",
    "street": "street",
    "house": "house_number",
    "town": "locality",
    "postcode": "post_code",
}


def _word(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(_SYL) for _ in range(n)).capitalize()


def _typo(rng: random.Random, text: str) -> str:
    i = rng.randrange(len(text))
    return text[:i] + rng.choice("aeioustr") + text[i + 1 :]


def _people(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for i in range(PEOPLE):
        out.append(
            {
                "person": i,
                "given": _word(rng, 2),
                "family": _word(rng, 3),
                "father": _word(rng, 2) + "ovich",
                "born": f"{rng.randint(1940, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "sex": rng.choice("MF"),
                "number": f"{rng.randrange(10**8, 10**9)}",
                "street": f"{_word(rng, 2)} street",
                "house": str(rng.randint(1, 200)),
                "town": _word(rng, 2),
                "postcode": str(rng.randint(1000, 9999)),
            }
        )
    return out


def _noisy(rng: random.Random, p: dict[str, Any]) -> dict[str, Any]:
    q = dict(p)
    for col in ("given", "family", "street"):
        if rng.random() < 0.2:
            q[col] = _typo(rng, q[col])
    if rng.random() < 0.1:
        y, m, d = q["born"].split("-")
        q["born"] = f"{y}-{d}-{m}" if int(d) <= 12 else f"{y}-{m}-{int(d) - 1:02d}"
    if rng.random() < 0.3:
        q["number"] = ""
    if rng.random() < 0.1:
        q["postcode"] = ""
    return q


def _registers() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rng = random.Random(SEED)
    people = _people(rng)
    a = [{**p, "rec_id": f"a{p['person']}"} for p in people]
    b = [{**_noisy(rng, p), "rec_id": f"b{p['person']}"} for p in people if rng.random() < 0.75]
    return a, b


def _case(name: str) -> tuple[list[Dataset], str]:
    """The datasets of one case and what it removes."""
    a, b = _registers()
    fa, fb = dict(FIELDS), dict(FIELDS)
    drop = {
        "no_patronymic": ["father"],
        "no_birth_date": ["born"],
        "no_identifier": ["number"],
        "no_sex": ["sex"],
        "one_name_only": ["given", "father"],
    }.get(name, [])
    for col in drop:
        fa.pop(col)
        fb.pop(col)
    if name == "identifier_in_one_dataset":
        fb.pop("number")
    if name == "all_null_columns":
        for rows in (a, b):
            for r in rows:
                r["father"] = r["sex"] = ""
    if name == "deduplication":
        return [Dataset("register_a", a + [{**r, "rec_id": r["rec_id"]} for r in b], fa)], name
    if name == "two_records":
        return [Dataset("register_a", a[:1], fa), Dataset("register_b", b[:1], fb)], name
    return [Dataset("register_a", a, fa), Dataset("register_b", b, fb)], name


def _person(uid: str) -> str:
    return uid.split(":", 1)[1][1:]


CASES = [
    "everything",
    "no_patronymic",
    "no_birth_date",
    "no_identifier",
    "identifier_in_one_dataset",
    "no_sex",
    "one_name_only",
    "deduplication",
    "two_records",
    "all_null_columns",
]


@pytest.mark.parametrize("case", CASES)
def test_each_shape_links_or_says_why(case: str, tmp_path: Path) -> None:
    datasets, _ = _case(case)
    root = write_workspace(tmp_path / "ws", datasets)
    out = seamline_run(root)
    assert out.exit_code == 0, out.output
    assert "Traceback" not in out.output
    assert out.entity_of, "no entity mapping written"
    score = f1(out.entity_of, _person)
    if case == "two_records":
        # Two records cannot train a model: the run says so in one sentence.
        assert "too few to estimate a linkage model" in " ".join(out.output.split())
    elif case == "one_name_only":
        assert score["f1"] >= 0.85, score
    else:
        assert score["f1"] >= 0.95, score
