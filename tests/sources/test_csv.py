"""The csv source: dialects, encodings, ragged rows and bad bytes, every record accounted for."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from seamline.crypto.parquet import PLAIN
from seamline.errors import SourceError
from seamline.sources.base import ReadContext
from seamline.sources.delimited import CsvOptions, CsvReader
from seamline.sources.landing import land

PEOPLE = [
    ["pin", "family_name", "given_name", "birth_date"],
    ["21203198700123", "Токтогулова", "Айгуль", "12.03.1987"],  # cp1251 lacks the Kyrgyz ү
    ["10511199000456", "Садыков", "Бакыт", "05.11.1990"],
    ["20101200100789", "Осмонова", "Жылдыз", "2001-01-01"],
]


def write(
    tmp_path: Path, rows: list[list[str]], *, sep: str = ",", encoding: str = "utf-8"
) -> Path:
    path = tmp_path / "people.csv"
    path.write_bytes(("\r\n".join(sep.join(r) for r in rows) + "\r\n").encode(encoding))
    return path


def read_all(path: Path, **options: object) -> tuple[pa.Table, list]:
    reader = CsvReader(CsvOptions(path=str(path), **options), ReadContext(base_dir=path.parent))
    batches = list(reader.batches())
    table = pa.Table.from_batches([b.data for b in batches])
    return table, [q for b in batches for q in b.quarantined]


@pytest.mark.parametrize(
    ("sep", "encoding"),
    [(",", "utf-8"), (";", "utf-8-sig"), ("\t", "cp1251"), ("|", "utf-16")],
)
def test_dialect_and_encoding_are_detected(tmp_path: Path, sep: str, encoding: str) -> None:
    table, bad = read_all(write(tmp_path, PEOPLE, sep=sep, encoding=encoding))
    assert bad == []
    assert table.column_names == ["_record_no", "_source_pos", *PEOPLE[0]]
    assert table.column("family_name").to_pylist() == ["Токтогулова", "Садыков", "Осмонова"]
    assert table.column("pin").to_pylist()[0] == "21203198700123"  # text, zeros kept
    assert table.column("_source_pos").to_pylist() == ["line 2", "line 3", "line 4"]


def test_explicit_encoding_overrides_detection(tmp_path: Path) -> None:
    path = write(tmp_path, PEOPLE, encoding="cp1251")
    table, _ = read_all(path, encoding="cp1251", delimiter=",")
    assert table.column("given_name").to_pylist()[1] == "Бакыт"
    # the same bytes read as latin-1 decode without error, but to other letters
    wrong, _ = read_all(path, encoding="latin-1")
    assert wrong.column("given_name").to_pylist()[1] != "Бакыт"


def test_ragged_rows_are_quarantined_with_line_and_reason(tmp_path: Path) -> None:
    rows = [*PEOPLE[:2], ["10511199000456", "Садыков"], PEOPLE[3], [*PEOPLE[3], "extra"]]
    table, bad = read_all(write(tmp_path, rows))
    assert table.num_rows == 2
    assert table.column("_record_no").to_pylist() == [1, 3]
    assert [(q.record_no, q.position) for q in bad] == [(2, "line 3"), (4, "line 5")]
    assert bad[0].reason == "2 fields where the header has 4"
    assert bad[1].reason == "5 fields where the header has 4"
    assert bad[0].raw.decode("utf-8").startswith("10511199000456,Садыков")


def test_quoted_delimiters_and_line_breaks_stay_in_one_record(tmp_path: Path) -> None:
    path = tmp_path / "addr.csv"
    path.write_text(
        'id,address,note\n1,"Бишкек, ул. Киевская 96","two\nlines"\n2,"Ош, ул. Ленина 1",\n',
        encoding="utf-8",
    )
    table, bad = read_all(path)
    assert bad == []
    assert table.column("address").to_pylist() == ["Бишкек, ул. Киевская 96", "Ош, ул. Ленина 1"]
    assert table.column("note").to_pylist() == ["two\nlines", ""]
    assert table.column("_source_pos").to_pylist() == ["line 2", "line 4"]


def test_bytes_invalid_in_the_encoding_quarantine_only_their_record(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    good = "id,name\n1,Айгүл\n".encode()
    path.write_bytes(good + b"2,\xd0\xc0\xff\xfe\n3,Bakyt\n")
    table, bad = read_all(path, encoding="utf-8")
    assert table.column("name").to_pylist() == ["Айгүл", "Bakyt"]
    assert len(bad) == 1 and bad[0].position == "line 3"
    assert bad[0].reason == "byte 23 (0xD0): field 2 has bytes that are not valid utf-8"
    assert bad[0].raw == b"2,\xd0\xc0\xff\xfe\n"


def test_no_header_with_column_names_and_skipped_title_lines(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("Tax export 2026-11-01\n\n1;Садыков\n2;Осмонова\n", encoding="utf-8")
    table, _ = read_all(path, header=False, columns=["tin", "name"], skip_rows=1, delimiter=";")
    assert table.column("tin").to_pylist() == ["1", "2"]
    assert table.column("_source_pos").to_pylist() == ["line 3", "line 4"]


def test_duplicate_and_empty_header_names_are_made_unique(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("name,name,\na,b,c\n", encoding="utf-8")
    table, _ = read_all(path)
    assert table.column_names[2:] == ["name", "name_2", "column_3"]


def test_header_false_without_columns_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="needs columns"):
        read_all(write(tmp_path, PEOPLE), header=False)


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist") as info:
        read_all(tmp_path / "nowhere.csv")
    assert "nowhere.csv" in str(info.value)


def test_unknown_encoding_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="unknown encoding 'cp9999'"):
        read_all(write(tmp_path, PEOPLE), encoding="cp9999")


def test_bad_delimiter_option_is_rejected() -> None:
    with pytest.raises(ValueError, match="one character"):
        CsvOptions(path="x.csv", delimiter=";;")


def test_landing_accounts_for_every_record(tmp_path: Path) -> None:
    rows = [PEOPLE[0]] + [PEOPLE[1 + i % 3] for i in range(1000)] + [["broken"]]
    path = write(tmp_path, rows)
    context = ReadContext(base_dir=tmp_path, dataset="people", batch_size=128)
    result = land(
        "people",
        CsvOptions(path=path.name),
        tmp_path / "data",
        context,
        max_quarantine_share=0.01,
        files=PLAIN,
    )
    assert (result.read, result.landed, result.quarantined) == (1001, 1000, 1)
    landed = pq.read_table(result.landing_path)
    assert landed.column("_record_no").to_pylist() == list(range(1, 1001))
    quarantine = pq.read_table(result.quarantine_path)
    assert quarantine.column("_source_pos").to_pylist() == ["line 1002"]
    assert quarantine.column("reason").to_pylist() == ["1 fields where the header has 4"]


def test_limit_stops_early(tmp_path: Path) -> None:
    path = write(tmp_path, PEOPLE)
    reader = CsvReader(
        CsvOptions(path=path.name), ReadContext(base_dir=tmp_path, limit=2, batch_size=1)
    )
    assert sum(b.read for b in reader.batches()) == 2
