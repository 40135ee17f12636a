"""The user's overrides of the generated model (``reconcile/*.yaml``): comparisons per
attribute, blocking rules, training rules. Attributes are named as in the workspace
(``family_name``, ``post_code``, ``national_id``); each maps to one feature column."""

from __future__ import annotations

from typing import Any

from seamline.errors import SpecError
from seamline.reconcile.features import id_feature
from seamline.reconcile.model import BIRTH, YEAR, Available, Rule
from seamline.reconcile.spec import ComparisonSpec, ReconcileSpec

FEATURE_OF = {
    "family_name": "f_family",
    "given_name": "f_given",
    "patronymic": "f_patronymic",
    "middle_name": "f_middle",
    "birth_date": "f_birth_date",
    "sex": "f_sex",
    "house_number": "f_house",
    "street": "f_street",
    "locality": "f_locality",
    "post_code": "f_post_code",
    "region": "f_region",
    "phone": "f_phone",
    "email": "f_email",
}


def feature(
    spec: ReconcileSpec,
    attribute: str,
    identifiers: list[str],
    where: str,
    features: dict[str, str] | None = None,
) -> str:
    """The feature column of an attribute named in the spec (a spec error if none).

    ``features``: attribute -> feature column of an entity without person names
    (:mod:`.generic`); default: the person model's."""
    known = FEATURE_OF if features is None else features
    if attribute in known:
        return known[attribute]
    if attribute == "birth_year" and where != "comparisons" and features is None:
        return YEAR
    if id_feature(attribute) in identifiers:
        return id_feature(attribute)
    allowed = [*known, *(i.removeprefix("f_id_") for i in identifiers)]
    raise SpecError(
        f"reconcile spec {spec.id!r}: {where} names {attribute!r}, which is no attribute "
        "the model can compare",
        allowed=", ".join(sorted(set(allowed))),
    )


def _build(cl: Any, col: str, over: ComparisonSpec) -> Any:
    kind = over.comparison
    if kind == "ExactMatch":
        made = cl.ExactMatch(col)
    elif kind == "DateOfBirthComparison":
        made = cl.DateOfBirthComparison(col, input_is_string=True)
    elif kind == "NameComparison":
        made = cl.NameComparison(col)
    else:
        maker = getattr(cl, kind)
        made = maker(col, over.thresholds) if over.thresholds else maker(col)
    if over.term_frequency:
        made = made.configure(term_frequency_adjustments=True)
    return made


def apply_comparisons(
    spec: ReconcileSpec,
    generated: dict[str, Any],
    av: Available,
    identifiers: list[str],
    features: dict[str, str] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """The generated comparisons with the spec's replacements; notes for attributes the
    data lacks."""
    if not spec.comparisons:
        return generated, []
    import splink.comparison_library as cl

    out = dict(generated)
    notes: list[str] = []
    for attribute, over in spec.comparisons.items():
        col = feature(spec, attribute, identifiers, "comparisons", features)
        if over.comparison == "none":
            out.pop(col, None)
        elif not av.has(col):
            notes.append(f"the comparison on {attribute} is left out: the data lacks it")
        else:
            out[col] = _build(cl, col, over)
    return out, notes


def rules(
    spec: ReconcileSpec,
    given: list[list[str]],
    identifiers: list[str],
    where: str,
    av: Available,
    features: dict[str, str] | None = None,
) -> list[Rule]:
    """Rules from lists of attributes that must be equal; a rule naming an attribute the
    data lacks is left out (it would pair nothing)."""
    out: list[Rule] = []
    for attrs in given:
        cols = [feature(spec, a, identifiers, where, features) for a in attrs]
        held = [av.has(BIRTH) if c == YEAR else av.has(c) for c in cols]
        if cols and all(held):
            out.append(Rule(tuple((c, c) for c in cols)))
    return out
