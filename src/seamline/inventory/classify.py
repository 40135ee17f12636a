"""Personal-data classification of one field, with the evidence for it.

Evidence comes from three places, strongest first: the canonical attribute the
dataset maps the column to, what the values are (validated identifiers, phone
numbers, e-mail addresses, dates), and the column's name in the languages registers
use. The declared sensitivity of the field (or of its dataset) is what counts; a
field that looks personal but is declared public is a governance finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from seamline.inventory.profiler import FieldProfile
from seamline.workspace.models import DatasetSpec, FieldSpec

DIRECT = "direct_identifier"
PERSONAL = "personal"
SPECIAL = "special"
RANK = {None: 0, PERSONAL: 1, DIRECT: 2, SPECIAL: 3}

ATTRIBUTE_CLASS: dict[str, str] = {
    "national_id": DIRECT,
    "tax_number": DIRECT,
    "passport_number": DIRECT,
    "identifiers": DIRECT,
    "phone": DIRECT,
    "email": DIRECT,
    "given_name": PERSONAL,
    "family_name": PERSONAL,
    "patronymic": PERSONAL,
    "full_name": PERSONAL,
    "birth_date": PERSONAL,
    "birth_place": PERSONAL,
    "death_date": PERSONAL,
    "sex": PERSONAL,
    "citizenship": PERSONAL,
    "marital_status": PERSONAL,
    "middle_name": PERSONAL,
    "name_suffix": PERSONAL,
    "address_full": PERSONAL,
}

# Column-name fragments (case-folded) in English, Russian and Kyrgyz register exports.
NAME_HINTS: list[tuple[str, tuple[str, ...]]] = [
    (
        SPECIAL,
        (
            "diagnos",
            "disab",
            "health",
            "ethnic",
            "religio",
            "диагноз",
            "инвалид",
            "национальн",
            "религи",
            "ден соолук",
        ),
    ),
    (
        DIRECT,
        (
            "passport",
            "паспорт",
            "pin",
            "inn",
            "snils",
            "tin",
            "ssn",
            "iban",
            "phone",
            "tel",
            "mobile",
            "телефон",
            "email",
            "e_mail",
            "mail",
            "почта",
        ),
    ),
    (
        PERSONAL,
        (
            "name",
            "surname",
            "patronym",
            "фамил",
            "имя",
            "отчеств",
            "аты",
            "birth",
            "born",
            "dob",
            "рожд",
            "туулган",
            "address",
            "addr",
            "адрес",
            "дарек",
            "street",
            "улица",
            "death",
            "смерт",
            "sex",
            "gender",
            "пол",
        ),
    ),
]


@dataclass
class Classification:
    pii: str | None
    evidence: list[str] = field(default_factory=list)
    declared: str = "internal"
    """The sensitivity that applies: the field's, else the dataset's."""

    @property
    def conflicts_with_declaration(self) -> bool:
        return self.pii is not None and self.declared == "public"


def _name_hint(column: str) -> tuple[str | None, str | None]:
    name = column.casefold()
    tokens = {t for t in name.replace("-", "_").replace(" ", "_").split("_") if t}
    for cls, hints in NAME_HINTS:
        for hint in hints:
            # short hints must be a whole word (pin, tin, tel, sex), longer ones a fragment
            if (len(hint) <= 4 and hint in tokens) or (len(hint) > 4 and hint in name):
                return cls, hint
    return None, None


def classify(profile: FieldProfile, spec: FieldSpec | None, dataset: DatasetSpec) -> Classification:
    evidence: list[str] = []
    found: str | None = None

    def raise_to(cls: str | None, why: str) -> None:
        nonlocal found
        if cls is None:
            return
        evidence.append(f"{cls}: {why}")
        if RANK[cls] > RANK[found]:
            found = cls

    mapped = spec.expand() if spec is not None else []
    for m in mapped:
        if m.attribute in ATTRIBUTE_CLASS and dataset.entity == "Person":
            raise_to(ATTRIBUTE_CLASS[m.attribute], f"mapped to Person.{m.attribute}")
    for d in profile.detections:
        if d.pii is not None:
            raise_to(
                d.pii,
                f"{d.label} ({d.detector}) matches {d.share:.0%} of {d.sample} sampled values",
            )
    if profile.email_share >= 0.5:
        raise_to(DIRECT, f"e-mail addresses in {profile.email_share:.0%} of values")
    if profile.logical_type == "date" and dataset.entity == "Person":
        cls, hint = _name_hint(profile.name)
        if cls == PERSONAL:
            raise_to(PERSONAL, f"dates in a column named like {hint!r}")
    cls, hint = _name_hint(profile.name)
    # Names, addresses and dates are personal data only where they describe people.
    if cls is not None and (cls != PERSONAL or dataset.entity == "Person"):
        raise_to(cls, f"column name contains {hint!r}")
    declared = next((m.sensitivity for m in mapped if m.sensitivity), None) or dataset.sensitivity
    return Classification(found, evidence, declared)
