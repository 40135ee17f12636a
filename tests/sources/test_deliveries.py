"""Deliveries: every run's landing is kept; the current state is made from them, never lost."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from seamline.crypto.parquet import PLAIN
from seamline.errors import SourceError
from seamline.plugins import Registry, default_registry
from seamline.sources.base import Batch, ReadContext, Reader, SourceOptions, with_bookkeeping
from seamline.sources.deliveries import Delivered, current_state, deliver, delivery_rows
from seamline.store import Store


def csv_options(**extra: Any) -> SourceOptions:
    model = default_registry().connector("csv").options_model
    return model.model_validate({"kind": "csv", "path": "drop/people.csv", **extra})


def drop(root: Path, rows: list[tuple[str, str]], *, bad: int = 0) -> None:
    """A new file dropped where the source reads it (header, rows, then ``bad`` broken lines)."""
    folder = root / "drop"
    folder.mkdir(exist_ok=True)
    lines = ["pin,name", *[f"{p},{n}" for p, n in rows], *["only-one-field"] * bad]
    (folder / "people.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def run(store: Store, root: Path, options: SourceOptions, **kw: Any) -> Delivered:
    return deliver(
        store,
        "people",
        options,
        root / "data",
        ReadContext(root, "people"),
        run_id=None,
        max_quarantine_share=0.2,
        **kw,
        files=PLAIN,
    )


def state(root: Path) -> list[dict[str, Any]]:
    path = current_state(root / "data", "people")
    assert path is not None
    rows: list[dict[str, Any]] = pq.read_table(path).to_pylist()
    return rows


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path}/store.db") as s:
        yield s


def test_snapshot_the_latest_good_delivery_is_the_state_and_earlier_ones_are_kept(
    tmp_path: Path, store: Store
) -> None:
    options = csv_options()
    drop(tmp_path, [("1", "Aigul"), ("2", "Bakyt")])
    first = run(store, tmp_path, options)
    assert (first.mode, first.status, first.state_changed, first.state_rows) == (
        "snapshot",
        "ok",
        True,
        2,
    )
    drop(tmp_path, [("1", "Aigul"), ("2", "Bakyt"), ("3", "Nurzhan")])
    second = run(store, tmp_path, options)
    assert second.state_rows == 3
    # record ids of a full extract stay those of the source: re-reading gives the same
    assert [r["_record_no"] for r in state(tmp_path)] == [1, 2, 3]

    drop(tmp_path, [])  # an empty extract: nothing read, the state stays
    empty = run(store, tmp_path, options)
    assert (empty.status, empty.state_changed, empty.state_rows) == ("empty", False, 3)

    drop(tmp_path, [("9", "Emil")], bad=4)  # over the quarantine threshold: fails, state stays
    failed = run(store, tmp_path, options)
    assert failed.status == "failed" and not failed.landing.ok
    assert not failed.state_changed and failed.state_rows == 3
    assert [r["name"] for r in state(tmp_path)] == ["Aigul", "Bakyt", "Nurzhan"]

    kept = store.deliveries("people")
    assert [(d.status, d.in_state, d.read, d.landed, d.quarantined) for d in kept] == [
        ("ok", False, 2, 2, 0),
        ("ok", True, 3, 3, 0),
        ("empty", False, 0, 0, 0),
        ("failed", False, 5, 1, 4),
    ]
    assert pq.read_table(kept[0].path or "").num_rows == 2  # the earlier delivery is kept
    assert pq.read_table(kept[3].quarantine_path or "").num_rows == 4
    rows = delivery_rows(store, "people")
    assert [r["in state"] for r in rows] == ["no", "no", "yes", "no"]
    assert rows[0]["status"] == "failed" and rows[1]["file"] == "none"


def test_append_drops_of_new_files_replay_every_record_once_by_key(
    tmp_path: Path, store: Store
) -> None:
    """A folder where each run finds a new file: the state is all of them, latest per key."""
    options = csv_options(state="append", key=["pin"])
    drops: list[list[tuple[str, str]]] = [
        [("1", "Aigul"), ("2", "Bakyt")],
        [],  # an idle run: nothing new
        [("3", "Nurzhan"), ("2", "Bakyt Sadykov")],  # 2 corrected in a later file
        [("4", "Emil")],
        [],
        [("1", "Aigul Toktogulova"), ("5", "Zhyldyz")],
    ]
    results = []
    for rows in drops:
        drop(tmp_path, rows)
        results.append(run(store, tmp_path, options))
    assert [r.status for r in results] == ["ok", "empty", "ok", "ok", "empty", "ok"]
    got = {r["pin"]: r["name"] for r in state(tmp_path)}
    assert got == {
        "1": "Aigul Toktogulova",
        "2": "Bakyt Sadykov",
        "3": "Nurzhan",
        "4": "Emil",
        "5": "Zhyldyz",
    }
    ids = [r["_record_no"] for r in state(tmp_path)]
    assert len(ids) == len(set(ids)) == 5  # unique across deliveries
    kept = store.deliveries("people")
    assert sum(d.read for d in kept) == sum(len(r) for r in drops) == 7
    assert all(d.in_state for d in kept if d.status == "ok")
    # the numbers continue from delivery to delivery: each record has its own id
    firsts = [(d.first_record_no, d.read) for d in kept if d.read]
    assert firsts == [(1, 2), (3, 2), (5, 1), (6, 2)]
    # an earlier record keeps its id: pin 4 landed in the fourth delivery as record 5
    assert {r["pin"]: r["_record_no"] for r in state(tmp_path)}["4"] == 5


def test_append_over_the_threshold_fails_but_keeps_its_good_rows(
    tmp_path: Path, store: Store
) -> None:
    options = csv_options(state="append", key=["pin"])
    drop(tmp_path, [("1", "Aigul")])
    run(store, tmp_path, options)
    drop(tmp_path, [("2", "Bakyt")], bad=3)
    failed = run(store, tmp_path, options)
    assert failed.status == "failed" and failed.landing.committed
    assert failed.state_changed and failed.state_rows == 2
    assert sorted(r["pin"] for r in state(tmp_path)) == ["1", "2"]


def test_append_without_a_key_keeps_every_record(tmp_path: Path, store: Store) -> None:
    options = csv_options(state="append")
    for _ in range(3):
        drop(tmp_path, [("1", "Aigul")])
        run(store, tmp_path, options)
    assert [r["_record_no"] for r in state(tmp_path)] == [1, 2, 3]


def test_a_key_that_is_not_read_fails_before_anything_is_acknowledged(
    tmp_path: Path, store: Store
) -> None:
    drop(tmp_path, [("1", "Aigul")])
    with pytest.raises(SourceError, match=r"key columns \['pni'\] are not among") as info:
        run(store, tmp_path, csv_options(state="append", key=["pni"]))
    assert "pin, name" in str(info.value)
    assert current_state(tmp_path / "data", "people") is None
    assert [d.status for d in store.deliveries("people")] == ["failed"]


def test_keep_deletes_old_delivery_files_but_never_the_state(tmp_path: Path, store: Store) -> None:
    options = csv_options(keep=2)
    for n in range(4):
        drop(tmp_path, [(str(i), "x") for i in range(n + 1)])
        run(store, tmp_path, options)
    kept = store.deliveries("people")
    assert [d.kept for d in kept] == [False, False, True, True]
    assert not Path(kept[0].path or "").exists()
    assert len(state(tmp_path)) == 4

    # a failed newer delivery does not push the state's own file out
    opts1 = csv_options(keep=1)
    drop(tmp_path, [("1", "x")], bad=5)
    run(store, tmp_path, opts1)
    kept = store.deliveries("people")
    assert kept[3].in_state and kept[3].kept and Path(kept[3].path or "").exists()
    assert len(state(tmp_path)) == 4


def test_keep_takes_an_iso_duration() -> None:
    import datetime as dt

    assert csv_options(keep="P90D").keep == dt.timedelta(days=90)
    with pytest.raises(ValueError, match="keep"):
        csv_options(keep="ninety days")


# --- accounting: the record numbers must be exactly 1..read ---------------------------


class SkipOptions(SourceOptions):
    kind: Literal["skipping"] = "skipping"
    skip: int = 0
    claim: int | None = None


class SkippingReader(Reader):
    """Numbers five records but drops record ``skip`` (as a careless reader would)."""

    kind = "skipping"
    options_model = SkipOptions

    def batches(self) -> Iterator[Batch]:
        opts = self.options
        assert isinstance(opts, SkipOptions)
        numbers = [n for n in range(1, 6) if n != opts.skip]
        data = with_bookkeeping(
            pa.table({"v": [str(n) for n in numbers]}),
            pa.array(numbers),
            pa.array([f"line {n}" for n in numbers]),
        )
        yield Batch(data, consumed=opts.claim)


def test_a_reader_that_skips_a_record_fails_the_delivery(tmp_path: Path, store: Store) -> None:
    registry = Registry()
    registry.register_connector(SkippingReader)
    with pytest.raises(SourceError, match="did not account for every record") as info:
        run(store, tmp_path, SkipOptions(skip=3), registry=registry)
    assert "numbered 4; missing: 3" in str(info.value)
    assert current_state(tmp_path / "data", "people") is None
    # a reader that numbers 1..4 but says it read 5 is caught too
    with pytest.raises(SourceError, match="reported 5 records read but numbered 4; missing: 5"):
        run(store, tmp_path, SkipOptions(skip=5, claim=5), registry=registry)
    assert run(store, tmp_path, SkipOptions(), registry=registry).state_rows == 5


class DriftOptions(SourceOptions):
    kind: Literal["drifting"] = "drifting"
    as_object: bool = False


class DriftingReader(Reader):
    """One record whose ``v`` is a number, or (``as_object``) an object."""

    kind = "drifting"
    options_model = DriftOptions

    def batches(self) -> Iterator[Batch]:
        opts = self.options
        assert isinstance(opts, DriftOptions)
        value = pa.array([{"n": 11}]) if opts.as_object else pa.array([11])
        yield Batch(with_bookkeeping(pa.table({"v": value}), pa.array([1]), pa.array(["m 1"])))


def test_a_delivery_that_cannot_be_merged_fails_but_is_kept_for_the_next_run(
    tmp_path: Path, store: Store
) -> None:
    registry = Registry()
    registry.register_connector(DriftingReader)
    run(store, tmp_path, DriftOptions(state="append"), registry=registry)
    bad = run(store, tmp_path, DriftOptions(state="append", as_object=True), registry=registry)
    assert bad.landing.failed is not None and "could not be merged" in bad.landing.failed
    assert bad.landing.committed and not bad.state_changed and bad.state_rows == 1
    pending = store.deliveries("people")[-1]
    assert pending.kept and not pending.in_state and Path(pending.path or "").exists()
    assert "\n" not in bad.landing.failed and "BIGINT" in bad.landing.failed
    assert pending.message == bad.landing.failed


def test_a_delivery_with_every_record_quarantined_does_not_replace_the_state(
    tmp_path: Path, store: Store
) -> None:
    drop(tmp_path, [("1", "Aigul")])
    run(store, tmp_path, csv_options())
    drop(tmp_path, [], bad=2)
    done = deliver(
        store, "people", csv_options(), tmp_path / "data", ReadContext(tmp_path, "people"),
        run_id=None, max_quarantine_share=1.0,
        files=PLAIN,
    )  # fmt: skip
    assert (done.status, done.landing.quarantined, done.state_changed) == ("ok", 2, False)
    assert [r["name"] for r in state(tmp_path)] == ["Aigul"]
