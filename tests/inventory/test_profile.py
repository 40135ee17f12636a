"""Field profiles computed on the engine, checked against a plain Python reference."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seamline.crypto.parquet import PLAIN
from seamline.inventory import profiler
from seamline.inventory.detectors import detect
from seamline.inventory.profile_sql import (
    DATE_FORMATS,
    EMAIL_RE,
    FieldRef,
    date_candidates,
    grouped_values,
    pass1,
    value_stats,
)
from seamline.inventory.profiler import profile_parquet

IBANS = [
    "DE89370400440532013000",
    "GB82WEST12345698765432",
    "NL91ABNA0417164300",
    "FR1420041010050500013M02606",
]


def landing(tmp_path: Path, columns: dict[str, list[object]]) -> Path:
    n = len(next(iter(columns.values())))
    table = pa.table(
        {
            "_record_no": list(range(1, n + 1)),
            "_source_pos": [f"line {i}" for i in range(n)],
            **columns,
        }
    )
    path = tmp_path / "landing.parquet"
    pq.write_table(table, path)
    return path


def reference_date_share(values: list[str | None], label: str) -> float:
    fmt, shape = DATE_FORMATS[label]
    filled = [v for v in values if v is not None]
    ok = 0
    for v in filled:
        t = v.strip()
        if re.fullmatch(shape.replace(r"\d", "[0-9]"), t):
            try:
                datetime.strptime(t, fmt)
                ok += 1
            except ValueError:
                pass
    return ok / len(filled)


def test_statistics_match_a_python_reference(tmp_path: Path) -> None:
    births = [
        "12.03.1987",
        "05.11.1990",
        "1990-11-05",
        None,
        "31.02.1990",
        " ",
        "2001-01-01",
        "12.03.1987",
    ]
    mails = [
        "a.toktogulova@registry.example.kg",
        "x",
        None,
        "b@tax.example.kg",
        "",
        "c@d.kg",
        "no@",
        "e@f.org",
    ]
    path = landing(tmp_path, {"birth": births, "mail": mails, "n": [1, 2, 3, None, 5, 6, 7, 8]})
    prof = profile_parquet(path, "people", files=PLAIN)
    birth, mail, n = prof.fields
    assert prof.rows == 8
    assert (birth.nulls, birth.empty, birth.distinct, birth.distinct_exact) == (1, 1, 6, True)
    assert (birth.min_length, birth.max_length) == (1, 10)
    filled = [v for v in births if v is not None]
    assert birth.min == min(filled) and birth.max == max(filled)
    shares = dict(birth.date_formats)
    assert shares["DD.MM.YYYY"] == pytest.approx(reference_date_share(births, "DD.MM.YYYY"))
    assert shares["YYYY-MM-DD"] == pytest.approx(reference_date_share(births, "YYYY-MM-DD"))
    assert shares["DD.MM.YYYY"] == pytest.approx(3 / 7)  # 31.02 is not a date
    assert mail.email_share == pytest.approx(
        sum(bool(m and re.fullmatch(EMAIL_RE, m)) for m in mails) / 7
    )
    assert birth.top_values[0] == ("12.03.1987", 2)
    assert dict(birth.patterns)["99.99.9999"] == pytest.approx(4 / 7)
    assert n.logical_type == "integer" and (n.min, n.max) == ("1", "8")


def test_patterns_collapse_letters_of_any_script(tmp_path: Path) -> None:
    path = landing(
        tmp_path, {"addr": ["ул. Киевская 96", "пр. Чуй 12", "Kievskaya St 9", "ул. Ленина 1"]}
    )
    (addr,) = profile_parquet(path, "a", files=PLAIN).fields
    assert dict(addr.patterns) == {"A. A 99": 0.5, "A. A 9": 0.25, "A A 9": 0.25}


def test_distinct_counts_are_exact_under_the_bound_and_labelled_approximate_above(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    values = [f"v{i % 500}" for i in range(5000)]
    path = landing(tmp_path, {"code": values})
    (exact,) = profile_parquet(path, "d", files=PLAIN).fields
    assert (exact.distinct, exact.distinct_exact) == (500, True)
    monkeypatch.setattr(profiler, "EXACT_DISTINCT_BOUND", 100)
    (approx,) = profile_parquet(path, "d", files=PLAIN).fields
    assert approx.distinct_exact is False
    assert 400 < approx.distinct < 600


def test_detectors_find_ibans_phones_and_country_codes(tmp_path: Path) -> None:
    ibans = [IBANS[i % 4] for i in range(98)] + ["DE00000000000000000000", "not an iban"]
    phones = ["+996 555 123 456", "+996 312 62 45 67", "0555 123 456", "n/a"] * 25
    countries = ["KG", "KZ", "RU", "UZ"] * 24 + ["XX"] * 4
    path = landing(tmp_path, {"iban": ibans, "phone": phones, "country": countries})
    iban, phone, country = profile_parquet(path, "d", files=PLAIN, country="KG").fields
    found = {d.detector: d for d in iban.detections}
    assert found["stdnum:iban"].share == pytest.approx(0.98)  # weighted by occurrences
    assert iban.logical_type == "identifier:iban"
    assert [d.detector for d in phone.detections] == ["phonenumbers"]
    assert phone.detections[0].share == pytest.approx(0.75)
    assert country.detections[0].detector == "pycountry:alpha_2"
    assert country.logical_type == "country_code"
    assert country.code_candidate


def test_a_clean_iban_column_is_typed_as_iban() -> None:
    found = detect([(v, 10) for v in IBANS], country=None)
    assert found[0].detector == "stdnum:iban"
    assert found[0].share == 1.0


def test_regex_and_date_work_runs_on_grouped_values_not_rows() -> None:
    fields = [FieldRef("a b", 0, True), FieldRef("n", 1, False, True), FieldRef("x", 2, False)]
    first = pass1("landing", fields).sql("duckdb")
    assert first.count("FROM") == 1 and '"a b"' in first
    assert "REGEXP" not in first.upper() and "STRPTIME" not in first.upper()
    grouped = grouped_values("landing", fields, {1}, 1000, 7).sql("duckdb")
    # The fields over all rows unpivoted in one scan, the sampled one on its own.
    assert grouped.count("UNION ALL") == 1 and grouped.count("UNPIVOT") == 1
    assert 'IN ("0", "2")' in grouped
    assert "USING SAMPLE RESERVOIR (1000 ROWS) REPEATABLE (7)" in grouped.upper()
    stats = value_stats({0: [0, 1], 1: [5]}, [2]).sql("duckdb")
    assert "profile_values" in stats and "IN (0)" in stats and "IN (0, 1)" not in stats
    assert date_candidates(["99.99.9999", "9999-99-99", "A"]) == [0, 1]
    assert date_candidates(["99999999"]) == [5]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=12)), min_size=1, max_size=40))
def test_profiles_never_crash_and_counts_add_up(values: list[str | None]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        clean = [v.replace("\x00", "") if v is not None else None for v in values]
        (f,) = profile_parquet(landing(Path(tmp), {"v": clean}), "h", files=PLAIN).fields
    filled = [v for v in clean if v is not None]
    assert f.nulls == len(clean) - len(filled)
    assert f.distinct == len(set(filled))
    assert sum(n for _, n in f.top_values) <= len(filled)
    assert (
        Counter(filled).most_common(1)[0][1] == f.top_values[0][1] if filled else f.top_values == []
    )


def test_the_narrowest_scheme_names_a_us_column(tmp_path: Path) -> None:
    """us.atin (any nine digits) and us.tin (any US tax number) also validate social
    security and employer numbers; the declared breadth puts the narrow scheme first."""
    import random

    from stdnum.us import atin, ein, ssn, tin

    rng = random.Random(16)
    ssns = [
        f"{rng.randrange(1, 900):03d}-{rng.randrange(1, 100):02d}-{rng.randrange(1, 10000):04d}"
    ]
    while len(ssns) < 200:
        v = f"{rng.randrange(1, 900):03d}-{rng.randrange(1, 100):02d}-{rng.randrange(1, 10000):04d}"
        if ssn.is_valid(v):
            ssns.append(v)
    eins = []
    while len(eins) < 200:
        v = f"{rng.randrange(10, 100):02d}-{rng.randrange(0, 10**7):07d}"
        if ein.is_valid(v):
            eins.append(v)
    assert all(atin.is_valid(v) and tin.is_valid(v) for v in ssns[1:])
    ssns[0] = "666-12-3456"  # not an SSN, still nine digits: atin and tin score higher
    path = landing(tmp_path, {"ssn": ssns, "ein": eins})
    ssn_field, ein_field = profile_parquet(path, "d", files=PLAIN, country="US").fields
    assert ssn_field.logical_type == "identifier:us.ssn"
    assert ein_field.logical_type == "identifier:us.ein"
    shares = {d.detector: d.share for d in ssn_field.detections}
    assert shares["stdnum:us.atin"] > shares["stdnum:us.ssn"] >= 0.9
