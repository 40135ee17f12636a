"""The prediction blocking rules, run on the engine as Splink runs them (a self-join per
rule), on a small hand-made register; and the budget, counted by Splink."""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

from seamline.reconcile.blocking import choose, rule_sqls, with_keys
from seamline.reconcile.counting import SplinkCounter as _Counter
from seamline.reconcile.model import Available, Rule, candidate_rules

DET = ["f_det_national_id"]
FEATURES = ["f_family", "f_given", "f_patronymic", "f_birth_date"]


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
        "dataset": "a",
        "f_family": family,
        "f_given": given,
        "f_patronymic": patronymic,
        "f_birth_date": birth,
        "f_det_national_id": pin,
    }


def _rules(features: list[str] = FEATURES) -> list[Rule]:
    return candidate_rules(Available(features, set()), [])


def _pairs(
    people: list[dict[str, Any]], det: list[str], rules: list[Rule] | None = None
) -> set[tuple[int, int]]:
    """The pairs the rules generate (each once, as Splink's dedupe keeps them)."""
    rules = _rules() if rules is None else rules
    data = with_keys(pa.Table.from_pylist(people), rules, det)
    con = duckdb.connect()
    con.register("d", data)
    found: set[tuple[int, int]] = set()
    for rule in rules:
        for sql in rule_sqls(rule, det):
            rows = con.execute(
                f"select l.rid, r.rid from d l join d r on {sql} and l.rid < r.rid"
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


def test_rules_name_only_the_attributes_the_data_holds() -> None:
    derived = {"f_birth_year": "f_birth_date", "u_family": "f_family"}
    for features in (["f_family", "f_given"], ["f_family", "f_birth_date"], ["f_post_code"]):
        rules = _rules(features)
        assert rules
        for rule in rules:
            assert {derived.get(c, c) for c in rule.columns()} <= set(features), rule


def test_a_rule_over_the_pair_budget_is_dropped() -> None:
    """The block of a frequent name does not grow with the square of the register: the
    rule on family and given name alone is counted by Splink and dropped when its pairs
    exceed the budget, while the rules with a birth year stay."""
    from splink import DuckDBAPI
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    people = [
        _person(n, "mamatov", "azamat", f"father{n}ovich", f"{1940 + n}-01-01", None)
        for n in range(1, 61)
    ]
    rules = _rules()
    data = with_keys(pa.Table.from_pylist(people), rules, []).rename_columns(
        ["unique_id", *pa.Table.from_pylist(people).column_names[1:], "f_birth_year", "u_family"]
    )
    frame = DuckDBAPI().register(data)
    counted = choose(_Counter(frame, count_comparisons_from_blocking_rules), rules, [], 60, 5)
    by_rule = {c.rule.label(): c for c in counted}
    names_alone = by_rule["family + given"]
    assert names_alone.pairs == 60 * 59 // 2
    assert not names_alone.kept and names_alone.why == "over the pair budget"
    assert by_rule["family + given + birth year"].pairs == 0
    # A budget large enough keeps it.
    counted = choose(_Counter(frame, count_comparisons_from_blocking_rules), rules, [], 60, 50)
    assert {c.rule.label(): c for c in counted}["family + given"].kept


def test_blocking_once_counts_as_splink_counts_and_the_bound_holds() -> None:
    """The one-pass counter (Splink's prediction blocking, counted per rule) gives the
    counts of Splink's counting, open pairs only and swapped names included; the bound
    from key frequencies is never below the pairs made."""
    from splink import DuckDBAPI
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    from seamline.reconcile.counting import BlockedPairs, pair_bound

    families = ["asanov", "bakirov", "osmonova", "sadykov", "eldiyar"]
    givens = ["bakyt", "aizhan", "eldiyar", "nurai", "sadykov"]
    people = [
        _person(
            n,
            families[n % 5],
            givens[(n // 5) % 5],
            "kadyrovna" if n % 3 else "bakytovich",
            None if n % 7 == 0 else f"{1960 + n % 4}-0{1 + n % 3}-1{n % 2}",
            None if n % 4 == 0 else f"{100 + n}",
        )
        for n in range(1, 81)
    ]
    rules = _rules()
    base = pa.Table.from_pylist(people)
    data = with_keys(base, rules, DET).rename_columns(
        ["unique_id", *with_keys(base, rules, DET).column_names[1:]]
    )
    frame = DuckDBAPI().register(data)
    splink = choose(_Counter(frame, count_comparisons_from_blocking_rules), rules, DET, 80, 5)
    once = BlockedPairs(frame, "f_family")
    ours = choose(once, rules, DET, 80, 5)
    assert ours == splink
    assert any(c.kept and c.pairs for c in ours) and any(not c.kept for c in ours)
    # The table kept is the pairs of the kept rules, as their self-joins make them.
    kept = [c.rule for c in ours if c.kept]
    blocked = once.blocked.as_pyarrow_table()
    got = {
        tuple(sorted((int(a), int(b))))
        for a, b in zip(
            blocked.column("join_key_l").to_pylist(),
            blocked.column("join_key_r").to_pylist(),
            strict=True,
        )
    }
    assert got == _pairs(people, DET, kept)
    assert pair_bound(data, rules) >= sum(c.pairs for c in splink)


def test_the_one_edit_level_keeps_every_pair_one_edit_apart() -> None:
    """The cheap test in front of the Damerau-Levenshtein distance lets through every
    pair one edit or adjacent transposition apart, on every pair of strings of up to five
    characters (where the test changes) over three letters (one of them outside ASCII), as the engine runs it."""
    import itertools

    from seamline.reconcile.model import _one_edit

    letters = ["a", "é", "c"]
    words = ["".join(w) for n in range(6) for w in itertools.product(letters, repeat=n)]
    level = _one_edit("x")
    guard = level.removesuffix(" and damerau_levenshtein(x_l, x_r) <= 1")
    assert guard != level
    con = duckdb.connect()
    con.execute("create table w as select unnest(?) as x", [words])
    close, missed, passed = con.execute(
        "select count(*) filter (where damerau_levenshtein(x_l, x_r) <= 1), "
        f"count(*) filter (where damerau_levenshtein(x_l, x_r) <= 1 and not ({guard})), "
        f"count(*) filter (where {guard}) "
        "from (select l.x as x_l, r.x as x_r from w as l, w as r)"
    ).fetchone() or (0, 0, 0)
    assert close > 3_000 and missed == 0
    assert passed < 0.5 * len(words) ** 2  # the test does let most pairs out
