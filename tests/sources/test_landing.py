"""The connect stage's landing zone: every record accounted for, nothing half-written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar, Literal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from seamline.crypto.parquet import PLAIN
from seamline.errors import SourceError
from seamline.plugins import Registry
from seamline.sources.base import (
    Batch,
    QuarantineRecord,
    ReadContext,
    Reader,
    SourceOptions,
    with_bookkeeping,
)
from seamline.sources.landing import land


class CountingOptions(SourceOptions):
    kind: Literal["counting"] = "counting"
    batches: int = 3
    per_batch: int = 100
    bad_every: int = 0
    fail_after: int | None = None
    change_schema: bool = False


class CountingReader(Reader):
    """A small real reader: numbers, with every n-th record undecodable."""

    kind = "counting"
    options_model = CountingOptions
    committed: ClassVar[list[str]] = []

    def batches(self) -> Iterator[Batch]:
        opts = self.options
        assert isinstance(opts, CountingOptions)
        record_no = 0
        for b in range(opts.batches):
            if opts.fail_after is not None and b >= opts.fail_after:
                raise OSError("the network share went away")
            ok_no: list[int] = []
            values: list[int] = []
            bad: list[QuarantineRecord] = []
            for _ in range(opts.per_batch):
                record_no += 1
                if opts.bad_every and record_no % opts.bad_every == 0:
                    bad.append(
                        QuarantineRecord(
                            record_no,
                            f"byte {record_no * 10}",
                            f"byte {record_no * 10}: bad packed-decimal nibble",
                            b"\x0f",
                        )
                    )
                else:
                    ok_no.append(record_no)
                    values.append(record_no * 2)
            typ = pa.string() if opts.change_schema and b == 1 else pa.int64()
            table = pa.table({"value": pa.array(values).cast(typ)})
            data = with_bookkeeping(
                table, pa.array(ok_no), pa.array([f"byte {n * 10}" for n in ok_no])
            )
            yield Batch(data, bad)

    def commit(self) -> None:
        self.committed.append(self.context.dataset)


@pytest.fixture
def registry() -> Registry:
    reg = Registry()
    reg.register_connector(CountingReader)
    CountingReader.committed.clear()
    return reg


def test_counts_add_up_and_files_are_written(tmp_path: Path, registry: Registry) -> None:
    opts = CountingOptions(bad_every=7)
    result = land(
        "people", opts, tmp_path, ReadContext(tmp_path, "people"), registry=registry, files=PLAIN
    )
    assert result.read == 300
    assert result.quarantined == 300 // 7
    assert result.landed + result.quarantined == result.read
    landed = pq.read_table(tmp_path / "landing" / "people.parquet")
    assert landed.num_rows == result.landed
    assert landed.column_names == ["_record_no", "_source_pos", "value"]
    quarantine = pq.read_table(tmp_path / "quarantine" / "people.parquet").to_pylist()
    assert len(quarantine) == result.quarantined
    assert quarantine[0]["_record_no"] == 7
    assert quarantine[0]["reason"].startswith("byte 70: bad packed-decimal")
    assert set(landed.column("_record_no").to_pylist()) | {
        q["_record_no"] for q in quarantine
    } == set(range(1, 301))
    assert result.reasons == {"bad packed-decimal nibble": result.quarantined}
    assert CountingReader.committed == ["people"]


def test_a_failure_part_way_leaves_nothing_half_written_and_commits_nothing(
    tmp_path: Path, registry: Registry
) -> None:
    land(
        "people",
        CountingOptions(),
        tmp_path,
        ReadContext(tmp_path, "people"),
        registry=registry,
        files=PLAIN,
    )
    before = pq.read_table(tmp_path / "landing" / "people.parquet").num_rows
    CountingReader.committed.clear()
    with pytest.raises(SourceError, match="network share went away"):
        land(
            "people",
            CountingOptions(batches=5, fail_after=2),
            tmp_path,
            ReadContext(tmp_path, "people"),
            registry=registry,
            files=PLAIN,
        )
    assert not list((tmp_path / "landing").glob("*.partial"))
    assert (
        pq.read_table(tmp_path / "landing" / "people.parquet").num_rows == before
    )  # previous landing intact
    assert CountingReader.committed == []


def test_too_much_quarantined_fails_without_commit(tmp_path: Path, registry: Registry) -> None:
    result = land(
        "people",
        CountingOptions(bad_every=2),
        tmp_path,
        ReadContext(tmp_path, "people"),
        max_quarantine_share=0.05,
        registry=registry,
        files=PLAIN,
    )
    assert not result.ok
    assert (
        result.failed is not None and "150 of 300 records (50.0%) were quarantined" in result.failed
    )
    # Problem, then where to look, as two sentences.
    assert "more than the allowed 5.0%. The records and their reasons are in " in result.failed
    assert CountingReader.committed == []


def test_columns_changing_part_way_is_a_clear_error(tmp_path: Path, registry: Registry) -> None:
    # a string column that cannot be cast back is reported, with the dataset named
    class Weird(CountingReader):
        kind = "weird"

        def batches(self) -> Iterator[Batch]:
            yield Batch(with_bookkeeping(pa.table({"a": [1]}), pa.array([1]), pa.array(["line 1"])))
            yield Batch(with_bookkeeping(pa.table({"b": [1]}), pa.array([2]), pa.array(["line 2"])))

    registry.register_connector(Weird)

    class WeirdOptions(CountingOptions):
        kind: Literal["weird"] = "weird"  # type: ignore[assignment]

    with pytest.raises(
        SourceError, match=r"columns changed part-way: added \['b'\], missing \['a'\]"
    ):
        land(
            "w",
            WeirdOptions(),
            tmp_path,
            ReadContext(tmp_path, "w"),
            registry=registry,
            files=PLAIN,
        )
