"""The parts of reconcile on small hand-made inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from seamline.crypto.parquet import PLAIN
from seamline.errors import SpecError, UsageError
from seamline.reconcile.cluster import Link, assign_ids, cluster, read_mapping, write_mapping
from seamline.reconcile.compare import _classify
from seamline.reconcile.decisions import AcceptedValue, link_subject, record_decision
from seamline.reconcile.deterministic import deterministic_links
from seamline.reconcile.evaluate import pairwise
from seamline.reconcile.golden import Candidate, choose
from seamline.reconcile.prepare import _split_full
from seamline.reconcile.spec import ReconcileSpec, load_reconcile_specs
from seamline.store import Store


def test_default_spec_when_the_workspace_has_none(tmp_path: Path) -> None:
    (spec,) = load_reconcile_specs(tmp_path)
    assert spec.entity == "Person"
    assert spec.thresholds.auto_link == 0.95 and spec.thresholds.review == 0.80
    assert spec.truth == ["authoritative", "most_recent", "most_frequent"]


def test_spec_from_yaml_with_per_attribute_rules(tmp_path: Path) -> None:
    (tmp_path / "reconcile").mkdir()
    (tmp_path / "reconcile" / "people.yaml").write_text(
        "entity: Person\nthresholds: {auto_link: 0.9, review: 0.7}\n"
        "truth_by_attribute: {status: [most_recent, most_frequent]}\n",
        encoding="utf-8",
    )
    (spec,) = load_reconcile_specs(tmp_path)
    assert spec.id == "people"
    assert spec.rules_for("status") == ["most_recent", "most_frequent"]
    assert spec.rules_for("birth_date") == ["authoritative", "most_recent", "most_frequent"]


@pytest.mark.parametrize(
    "text",
    [
        "thresholds: {auto_link: 0.7, review: 0.9}\n",
        "truth: [loudest]\n",
        "tresholds: {}\n",
        "- a list\n",
        "entity: [unclosed\n",
    ],
)
def test_bad_spec_is_a_spec_error_naming_the_file(tmp_path: Path, text: str) -> None:
    (tmp_path / "reconcile").mkdir()
    (tmp_path / "reconcile" / "bad.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as err:
        load_reconcile_specs(tmp_path)
    assert "bad.yaml" in str(err.value)


def _cand(
    dataset: str, value: str, recency: str | None = None, key: str | None = None
) -> Candidate:
    return Candidate(0, dataset, f"{dataset}:1", value, key or value, recency)


def test_truth_rules_in_order() -> None:
    cands = [
        _cand("tax", "active", "20240101000000"),
        _cand("social", "closed", "20250101000000"),
        _cand("civil", "deceased", None),
        _cand("social2", "closed", None),
    ]
    order = ["authoritative", "most_recent", "most_frequent"]
    c = choose(cands, order, ["civil"])
    assert (c.value, c.rule, c.dataset) == ("deceased", "authoritative", "civil")
    c = choose(cands, order, [])
    assert (c.value, c.rule, c.dataset) == ("closed", "most_recent", "social")
    c = choose(cands, ["most_frequent"], [])
    assert (c.value, c.rule) == ("closed", "most_frequent")
    tie = choose([_cand("a", "x"), _cand("b", "y")], ["most_frequent"], [])
    assert tie.rule == "tie" and tie.value == "x"


def test_agreement_and_decisions() -> None:
    same = [_cand("tax", "Жылдыз", key="jildiz"), _cand("civil", "ZHYLDYZ", key="jildiz")]
    c = choose(same, ["authoritative"], ["civil"])
    assert (c.rule, c.value) == ("agreed", "ZHYLDYZ")  # the authoritative spelling is shown
    assert choose(same[:1], ["authoritative"], []).rule == "only_source"
    assert choose([], ["authoritative"], []).rule == "missing"
    d = choose(same, ["authoritative"], ["civil"], AcceptedValue(7, "Жылдыз", "Aigul", "passport"))
    assert (d.value, d.rule, d.dataset) == ("Жылдыз", "decision", "tax")
    assert "#7" in d.reason and "Aigul" in d.reason


def test_classification() -> None:
    rows = [0, 1]
    assert _classify(rows, ["a", "a"], ["a", "a"], ["a", "a"]) == "equal"
    assert _classify(rows, ["a", "a"], ["A", "a"], ["a", "a"]) == "format_only"
    assert _classify(rows, ["ZH", "Ж"], ["ZH", "Ж"], ["j", "j"]) == "format_only"
    assert _classify(rows, ["a", None], ["a", None], ["a", None]) == "missing_in"
    assert _classify(rows, ["a", "b"], ["a", "b"], ["a", "b"]) == "conflict"


def test_deterministic_links_only_join_equal_ids() -> None:
    links = deterministic_links(["1", None, "1", "2", "1", ""])
    assert {(li.left, li.right) for li in links} == {(0, 2), (0, 4)}


def test_cluster_guards() -> None:
    ids = ["A", None, "B", None]
    links = [Link(0, 1, "probabilistic", 0.99), Link(1, 2, "probabilistic", 0.97)]
    # Record 1 has no id; it joins the stronger side and cannot glue A to B.
    assert cluster(4, links, ids) == [0, 0, 2, 3]
    # A deterministic or steward link is not second-guessed by the id guard.
    assert cluster(4, [*links, Link(0, 2, "decision")], ids) == [0, 0, 0, 3]
    # A rejected pair stays apart even through a third record.
    chain = [Link(0, 3, "deterministic"), Link(3, 1, "probabilistic", 0.99)]
    assert cluster(4, chain, [None] * 4, rejected=[(0, 1)]) == [0, 1, 2, 0]


def test_ids_are_stable_and_new_records_join() -> None:
    uids = ["civil:1", "tax:9", "civil:2"]
    first = assign_ids([0, 0, 2], uids, {}, "person")
    assert first[0] == first[1] != first[2]
    assert assign_ids([0, 0, 2], uids, {}, "person") == first  # same data, same ids
    previous = dict(zip(uids, first, strict=True))
    grown = [*uids, "social:5"]
    again = assign_ids([0, 0, 2, 0], grown, previous, "person")
    assert again == [*first, first[0]]  # the new record joins the existing entity
    # Order of records does not matter; a split keeps the id for the part with most members.
    split = assign_ids([0, 1, 2, 0], grown, {**previous, "social:5": first[0]}, "person")
    assert split[0] == split[3] == first[0] and split[1] not in (first[0], first[2])


def test_mapping_file_keeps_other_specs(tmp_path: Path) -> None:
    path = tmp_path / "reference" / "entity_ids.parquet"
    write_mapping(PLAIN, path, "person", ["a:1"], ["person-x"])
    write_mapping(PLAIN, path, "business", ["b:1"], ["business-y"])
    write_mapping(PLAIN, path, "person", ["a:2"], ["person-z"])
    assert read_mapping(PLAIN, path, "person") == {"a:2": "person-z"}
    assert read_mapping(PLAIN, path, "business") == {"b:1": "business-y"}


def test_name_split_of_full_names() -> None:
    def key(t: str) -> str:
        return t.lower()

    assert _split_full("Садыков Бакыт Асанович", key) == ("садыков", "бакыт", "асанович")
    assert _split_full("Aigul Toktogulova", key) == ("toktogulova", "aigul", None)
    assert _split_full("Toktogulova Aigul", key) == ("toktogulova", "aigul", None)
    assert _split_full("Asanova Zhyldyz Asan kizi", key) == ("asanova", "zhyldyz", "asankizi")
    assert _split_full("  ", key) == (None, None, None)


def test_pairwise_metrics() -> None:
    m = pairwise(["e1", "e1", "e1", "e2"], ["p1", "p1", "p2", "p2"])
    assert (m["true_pairs"], m["predicted_pairs"], m["correct_pairs"]) == (2, 3, 1)
    assert m["precision"] == pytest.approx(1 / 3, abs=1e-4)
    assert m["recall"] == 0.5


def test_decision_validation(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path}/s.db") as store:
        with pytest.raises(UsageError):
            record_decision(store, "merge", "a|b", actor="x", reason="y")
        with pytest.raises(UsageError):
            record_decision(store, "reject_link", "only-one", actor="x", reason="y")
        with pytest.raises(UsageError):
            record_decision(store, "accept_value", "person-1", actor="x", reason="y")
        with pytest.raises(UsageError):
            record_decision(store, "force_link", "a:1|b:2", actor=" ", reason="y")
        first = record_decision(store, "force_link", "b:2|a:1", actor="x", reason="y")
        second = record_decision(store, "reject_link", "a:1|b:2", actor="x", reason="z")
        assert second > first
        from seamline.reconcile.decisions import active_decisions

        active = active_decisions(store)
        assert active.rejected == {("a:1", "b:2")} and not active.forced
        assert link_subject("b:2", "a:1") == "a:1|b:2"


def test_spec_defaults_validate() -> None:
    with pytest.raises(ValueError, match="review"):
        ReconcileSpec.model_validate({"thresholds": {"auto_link": 0.5, "review": 0.6}})


def test_truth_queries_are_trees_with_one_step_per_rule() -> None:
    from sqlglot import exp

    from seamline.reconcile.truth_sql import attribute_sql, observed_sql

    query = attribute_sql(4, ("authoritative", "most_recent", "most_frequent"))
    assert isinstance(query, exp.Select)
    ctes = [c.alias for c in query.args["with_"].expressions]
    assert ctes == ["rows", "stats", "c0", "a1", "c1", "m2", "c2", "f3", "g3", "c3", "pick"]
    numbers = [n.this for n in query.find_all(exp.Literal) if not n.is_string]
    assert "4" in numbers  # h.attr = 4, a literal node
    assert {c.name for c in query.find_all(exp.Column)} >= {"v4", "o4", "k4", "k3", "kept2"}
    rule = query.expressions[5].this
    assert [i.args["true"].this for i in rule.args["ifs"]][-3:] == [
        "authoritative",
        "most_recent",
        "most_frequent",
    ]
    assert {c.name for c in observed_sql(7).find_all(exp.Column)} >= {"v7", "o7"}


def test_text_keys_are_the_python_definition_for_every_kind_of_text() -> None:
    import pyarrow as pa

    from seamline.reconcile.compare import _text_key, text_keys

    values = [
        "A-1234567-89",
        "  Bishkek\t Chui  Ave 12 ",
        "line\x1cone\vtwo\x0bthree",
        "Straße 5",  # casefold: ß -> ss, which lower() would not do
        "ӨМҮР  Ноокат",
        "ABC\u00a0DEF",  # a no-break space is whitespace to Python
        "",
        "   ",
        "UPPER lower",
        "İstanbul",
    ]
    for order in (values, values[::-1], [v for v in values if v.isascii()]):
        got = text_keys(pa.array(order, pa.string())).to_pylist()
        assert got == [_text_key(v) for v in order]


def test_picks_at_positions_are_the_single_picks() -> None:
    from seamline.reconcile.golden import Choice, Picks

    choices = [
        Choice("1987-03-14", "civil", "civil:1", "authoritative", "civil is authoritative"),
        Choice(None, None, None, "missing", "no linked record has a value"),
        Choice("married", "social", "social:9", "most_recent", "most recent record"),
    ]
    picks = Picks.from_choices(["e1", "e2", "e3"], choices)
    assert picks.at([2, 0, 1]) == [picks[2], picks[0], picks[1]] == [choices[i] for i in (2, 0, 1)]
    assert picks.at([]) == []
