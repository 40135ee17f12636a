"""A delivery keeps what its reader chose: the encoding of a csv, shown by ``seamline deliveries``."""

from __future__ import annotations

from pathlib import Path

from seamline.crypto.parquet import PLAIN
from seamline.sources.base import ReadContext
from seamline.sources.delimited import CsvOptions
from seamline.sources.deliveries import deliver, delivery_rows
from seamline.store import Store


def test_a_delivery_keeps_the_encoding_the_reader_chose(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_bytes("id;name\n1;Zoë Müller\n2;José Núñez\n".encode("cp1252"))
    options = CsvOptions.model_validate({"kind": "csv", "path": "p.csv", "encoding": "auto"})
    with Store.open(f"sqlite:///{tmp_path}/store.db") as store:
        done = deliver(
            store, "people", options, tmp_path / "data", ReadContext(tmp_path, "people"),
            run_id=None,
            files=PLAIN,
        )  # fmt: skip
        (info,) = store.deliveries("people")
        rows = delivery_rows(store, "people")
    assert done.landing.metadata["encoding"] == info.metadata["encoding"]
    assert info.metadata["encoding"] not in ("utf-8", "ascii")
    assert info.metadata["encoding_rule"]
    assert str(rows[0]["source"]).startswith(f"encoding {info.metadata['encoding']} (")
