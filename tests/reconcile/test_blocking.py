"""The prediction blocking rules, run on the engine as Splink runs them (a self-join per
rule), on a small hand-made register."""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

from seamline.reconcile.probabilistic import _with_open_keys, predict_rules

DET = ["f_det_national_id"]


def _person(
    rid: int,
    family: str,
    given: str,
    patronymic: str,
    birth: str | None,
    pin: str | None,
) -> dict[str, Any]:
    return {
        "rid": rid,
        "f_family": family,
        "f_given": given,
        "f_patronymic": patronymic,
        "f_birth_date": birth,
        "f_det_national_id": pin,
    }


def _pairs(people: list[dict[str, Any]], det: list[str]) -> set[tuple[int, int]]:
    """The pairs the rules generate (each once, as Splink's dedupe keeps them)."""
    data = _with_open_keys(pa.Table.from_pylist(people), det)
    con = duckdb.connect()
    con.register("d", data)
    found: set[tuple[int, int]] = set()
    for rule in predict_rules(det):
        rows = con.execute(
            f"select l.rid, r.rid from d l join d r on {rule} and l.rid < r.rid"
        ).fetchall()
        found.update((int(a), int(b)) for a, b in rows)
    return found


def test_only_pairs_with_an_open_record_are_generated() -> None:
    people = [
        _person(1, "asanov", "bakyt", "toktogulovich", "1980-05-01", "111"),
        _person(2, "asanov", "bakyt", "toktogulovich", "1980-05-01", "222"),
        _person(3, "asanov", "bakyt", "toktogulovich", "1980-05-01", None),
    ]
    # 1 and 2 hold validated identifiers that differ: decided apart, never scored.
    assert _pairs(people, DET) == {(1, 3), (2, 3)}
    # Without deterministic identifiers every pair is open.
    assert _pairs(people, []) == {(1, 2), (1, 3), (2, 3)}


def test_a_record_without_birth_date_meets_its_namesakes() -> None:
    people = [
        _person(1, "osmonova", "aizhan", "kadyrovna", "1991-02-03", "111"),
        # No birth date, and a patronymic spelled differently: only the undated rule sees it.
        _person(2, "osmonova", "aizhan", "kadyrbaevna", None, None),
        _person(3, "osmonova", "nurai", "kadyrovna", "1975-06-07", "333"),
    ]
    assert (1, 2) in _pairs(people, DET)
    assert (2, 3) not in _pairs(people, DET)


def test_swapped_names_and_a_shifted_birth_day_are_caught() -> None:
    people = [
        _person(1, "sadykov", "eldiyar", "bakytovich", "1988-11-30", "111"),
        _person(2, "eldiyar", "sadykov", "bakytovich", "1970-01-01", None),  # swapped
        _person(3, "sadykov", "eldiyar", "bakytovich", "1988-12-01", None),  # a day off
        _person(4, "sadykof", "eldiyar", "bakytovich", "1988-11-29", None),  # typo + day
    ]
    found = _pairs(people, DET)
    assert {(1, 2), (1, 3), (1, 4)} <= found


def test_common_names_born_in_other_years_are_not_paired() -> None:
    """The block of a frequent name does not grow with the square of the register."""
    people = [
        _person(n, "mamatov", "azamat", f"father{n}ovich", f"{1940 + n}-01-01", None)
        for n in range(1, 41)
    ]
    # Forty namesakes without identifiers, born in forty different years, with
    # different fathers: family and given name alone would pair all 780 of them.
    assert _pairs(people, DET) == set()
    # The same forty born in the same year are all candidates.
    same_year = [{**p, "f_birth_date": f"1980-01-{p['rid'] % 28 + 1:02d}"} for p in people]
    assert len(_pairs(same_year, DET)) == 40 * 39 // 2
