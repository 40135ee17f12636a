"""Catalogue search: Unicode-aware matching, all words required, ranked by where."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seamline.catalog import search_catalog
from seamline.catalog.search import fold, query_terms
from seamline.errors import UsageError
from seamline.workspace import Workspace


def _ids(hits: list) -> list[str]:  # type: ignore[type-arg]
    return [h.dataset for h in hits]


def test_field_hit_names_the_field(example_ws: Workspace) -> None:
    hits = search_catalog(example_ws, "pin")
    assert _ids(hits) == ["civil_persons"]
    assert hits[0].title == "Civil registry: persons"
    assert hits[0].matched == ["field pin (national_id): Personal identification number"]
    # The attribute name and the field description are searched too.
    assert search_catalog(example_ws, "national_id")[0].matched == hits[0].matched
    assert "field pin" in search_catalog(example_ws, "identification")[0].matched[0]


def test_case_insensitive_and_other_places(example_ws: Workspace) -> None:
    assert _ids(search_catalog(example_ws, "CIVIL REGISTRY")) == ["civil_persons"]
    owner = search_catalog(example_ws, "state civil registry service")[0]
    assert "owner: State Civil Registry Service" in owner.matched
    assert "steward: Aigul Toktogulova" in search_catalog(example_ws, "toktogulova")[0].matched
    assert "system: Civil registry database" in search_catalog(example_ws, "database")[0].matched


def test_every_word_must_match(extended_ws: Workspace) -> None:
    assert _ids(search_catalog(extended_ws, "aigul pin")) == ["civil_persons"]
    assert search_catalog(extended_ws, "aigul nosuchword") == []
    assert search_catalog(extended_ws, '"registry persons"') == []  # not one phrase
    assert _ids(search_catalog(extended_ws, '"registry: persons"')) == ["civil_persons"]


def test_cyrillic(extended_ws: Workspace) -> None:
    hits = search_catalog(extended_ws, "ФИЗИЧЕСКИЕ лица")
    assert _ids(hits) == ["social_register"]
    assert hits[0].matched[0].startswith("description: Физические лица")
    # Kyrgyz letters fold too: ҮЙ-БҮЛӨЛҮҮ is found by its lower case.
    assert _ids(search_catalog(extended_ws, "үй-бүлөлүү")) == ["social_register"]
    field = search_catalog(extended_ws, "фамилия")[0]
    assert field.matched == ["field фамилия (family_name): Фамилия получателя"]
    assert "steward: Бакыт Садыков" in search_catalog(extended_ws, "садыков")[0].matched


def test_title_hits_rank_before_field_hits_before_others(extended_ws: Workspace) -> None:
    # "tax": title of tax_companies; owner (State Tax Service) of social_register.
    hits = search_catalog(extended_ws, "tax")
    # companies_by_form, a derived dataset, is owned by the tax service and reads tax_companies
    assert _ids(hits) == ["tax_companies", "companies_by_form", "social_register"]
    assert hits[0].score > hits[1].score
    # "number": a field description of civil_persons and of tax_companies only.
    hits = search_catalog(extended_ws, "number")
    assert set(_ids(hits)) == {"civil_persons", "tax_companies"}
    # "address": the title of public_addresses beats the description-only matches.
    hits = search_catalog(extended_ws, "address")
    assert hits[0].dataset == "public_addresses"


def test_long_texts_are_cut_around_the_match(extended_ws: Workspace) -> None:
    hit = search_catalog(extended_ws, "excerpt")[0]
    (snippet,) = [m for m in hit.matched if m.startswith("description:")]
    assert "excerpt" in snippet and snippet.endswith("…") and "description: …" in snippet
    assert len(snippet) < 100


def test_limit_and_blank_query(extended_ws: Workspace) -> None:
    everything = search_catalog(extended_ws, "  ")
    assert _ids(everything) == sorted([*extended_ws.datasets, *extended_ws.derived])
    assert all(h.score == 0 for h in everything)
    assert len(search_catalog(extended_ws, "a", limit=2)) == 2
    with pytest.raises(UsageError, match="at least 1"):
        search_catalog(extended_ws, "tax", limit=0)


def test_query_terms() -> None:
    assert query_terms('Tax  "State  Tax" tax ') == ["tax", "state tax"]
    assert query_terms('"" "') == []
    assert fold("ＰＩＮ Straße") == "pin strasse"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=30))
def test_any_query_is_safe_and_sorted(example_ws: Workspace, text: str) -> None:
    hits = search_catalog(example_ws, text, limit=5)
    assert len(hits) <= 5
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    for hit in hits:
        blob = fold(
            str(example_ws.datasets[hit.dataset].model_dump())
            + str(example_ws.agencies)
            + str(example_ws.systems)
        )
        assert all(term in blob for term in query_terms(text))


def test_a_derived_dataset_is_found_by_title_and_lineage(extended_ws: Workspace) -> None:
    (hit,) = search_catalog(extended_ws, "legal form")
    assert hit.dataset == "companies_by_form"
    assert "title: Companies per legal form" in hit.matched
    hits = {h.dataset: h for h in search_catalog(extended_ws, "tax_companies")}
    assert "derived from: tax_companies" in hits["companies_by_form"].matched
