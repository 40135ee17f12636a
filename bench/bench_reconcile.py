"""Reconcile two generated person registers end to end: seamline against a plain Splink
script (the anchor), on the same harmonized input, in the same run.

Dataset ``reg_a`` is a civil-registry style extract (Latin capitals, validated PINs,
yyyymmdd dates). Dataset ``reg_b`` holds 78 % of the same people, 20 % others and 2 %
duplicates of its own records, with the demo's kinds of noise: names in Cyrillic or in a
clerk's Latin spelling (``Жылдыз`` / ``Jyldyz``), typos, swapped given and family names,
PINs missing, mistyped (check digit fails) or written with separators, birth dates in
two formats, missing or off by a day. Harmonize transliterates Cyrillic names to Latin
(ICAO), so the anchor is not defeated by the script alone.

The anchor is what a competent Splink user writes: Splink's README quick-start
(``NameComparison`` on the given name, ``JaroAtThresholds`` on the family name,
``DateOfBirthComparison``, a term-frequency adjusted ``ExactMatch`` on sex, the
identifier where the README has the email, here with Splink's FEBRL example's
``DamerauLevenshteinAtThresholds``; the same training calls, predict at 0.9 and cluster at
0.95), plus a ``NameComparison`` on the patronymic and blocking on every identifier the
data has (the PIN; then given name and birth date; family name and birth year). It gets
the same input seamline links: the records ``reconcile.prepare`` makes, with seamline's
name keys, validated identifiers and every attribute. Its time counts its Splink calls;
seamline's linkage counts prepare, Splink and clustering, and its further work (golden
records, discrepancies) is reported apart.
"""

from __future__ import annotations

import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from bench.bench_harmonize import luhn_digit
from bench.harness import measure
from seamline.demo.people import unique_draw

_ROOTS = (
    "Ток", "Сад", "Осм", "Жум", "Ас", "Бак", "Мам", "Тур", "Кад", "Мук", "Эс", "Шар",
    "Бей", "Таш", "Мом", "Сул", "Акм", "Жээн", "Ороз", "Кен", "Алым", "Ний", "Дөө", "Боо",
    "Чын", "Өм", "Эрг", "Кул", "Сыд", "Абд", "Жус", "Ис", "Кал", "Мыр", "Үс", "Ыд",
)  # fmt: skip
_FAMILY_ENDS = (
    "тогулов", "ыков", "монов", "абаев", "анов", "иров", "ытов", "тосунов", "алиев",
    "дубаев", "ашев", "енов", "шеев", "танов", "унов", "айманов", "матов", "беков",
    "ырахманов", "калыков",
)  # fmt: skip
_MALE_ENDS = ("бек", "ат", "ан", "бай", "жан", "тилек", "ылбек")
_FEMALE_ENDS = ("гүл", "ай", "ара", "жан", "ида", "нур", "ым")

LINKAGE = ("prepare", "splink", "model", "cluster")
"""seamline's phases that make the links (what the plain script's time compares with)."""
FURTHER = ("charts", "compare", "store", "evaluate")
"""The report's charts, golden values and discrepancies: work the script does not do."""


def _civil(text: str) -> str:
    """The registry's passport-style capitals (``Жылдыз`` -> ``ZHYLDYZ``)."""
    from seamline.demo.names import civil_latin

    return civil_latin(text)


def _clerk(text: str) -> str:
    """A clerk's Kyrgyz-Latin habits (``Жылдыз`` -> ``Jyldyz``)."""
    from seamline.demo.names import clerk_latin

    return clerk_latin(text)


def _pools() -> dict[str, list[str]]:
    family = [r + e for r in _ROOTS for e in _FAMILY_ENDS]
    return {
        "family_m": family,
        "family_f": [f + "а" for f in family],
        "given_m": [r + e.lower() for r in _ROOTS for e in _MALE_ENDS],
        "given_f": [r + e.lower() for r in _ROOTS for e in _FEMALE_ENDS],
    }


def _zipf(rng: np.random.Generator, size: int, n: int) -> np.ndarray[Any, Any]:
    """Indices 0..size-1 with a long-tailed (Zipf-like) frequency, as real names have."""
    weights = 1.0 / np.arange(1, size + 1) ** 0.8
    order = rng.permutation(size)
    return order[rng.choice(size, n, p=weights / weights.sum())]


def _pick(pool: list[str], idx: np.ndarray[Any, Any]) -> pa.Array[Any]:
    return pa.DictionaryArray.from_arrays(pa.array(idx.astype(np.int32)), pa.array(pool)).cast(
        pa.string()
    )


def _typo(texts: list[str | None], rng: np.random.Generator) -> list[str | None]:
    from seamline.demo.noise import typo

    return [typo(t, rng) if t else t for t in texts]


def generate(folder: Path, people: int, seed: int = 11) -> dict[str, int]:
    """Write ``reg_a.parquet``, ``reg_b.parquet`` and ``truth.parquet`` (uid -> person)."""
    rng = np.random.default_rng(seed)
    pools = _pools()
    n_pop = int(people * 1.2) + 1
    sex = rng.integers(1, 3, n_pop)
    fam_i = _zipf(rng, len(pools["family_m"]), n_pop)
    giv_i = _zipf(rng, len(pools["given_m"]), n_pop)
    giv_f_i = giv_i % len(pools["given_f"])
    father_i = _zipf(rng, len(pools["given_m"]), n_pop)
    birth = np.datetime64("2026-03-01") - rng.integers(1, 90 * 365, n_pop).astype("timedelta64[D]")
    body = unique_draw(rng, 10**12, 10**13 - 1, n_pop)
    pin = pc.cast(pa.array(body * 10 + luhn_digit(body)), pa.string())

    fam_cyr = pc.if_else(
        pa.array(sex == 1), _pick(pools["family_m"], fam_i), _pick(pools["family_f"], fam_i)
    )
    giv_cyr = pc.if_else(
        pa.array(sex == 1), _pick(pools["given_m"], giv_i), _pick(pools["given_f"], giv_f_i)
    )
    father = _pick(pools["given_m"], father_i)
    pat_cyr = pc.binary_join_element_wise(
        father, pc.if_else(pa.array(sex == 1), pa.scalar("ович"), pa.scalar("овна")), ""
    )

    def latin(col: Any, fn: Any) -> pa.Array[Any]:
        distinct = pc.unique(col)
        mapped = pa.array([fn(v) for v in distinct.to_pylist()], pa.string())
        return pc.take(mapped, pc.index_in(col, distinct))

    # reg_a: everyone 0..people-1, civil-registry style.
    a_idx = np.arange(people)
    take_a = pa.array(a_idx)
    a_pin = pc.take(pin, take_a)
    a_pin = pc.if_else(pa.array(rng.random(people) < 0.005), pa.scalar(None, pa.string()), a_pin)
    reg_a = pa.table(
        {
            "rec_id": pa.array(a_idx + 1),
            "pin": a_pin,
            "family_name": latin(pc.take(fam_cyr, take_a), _civil),
            "given_name": latin(pc.take(giv_cyr, take_a), _civil),
            "patronymic": latin(pc.take(pat_cyr, take_a), _civil),
            "sex": pa.array(np.where(sex[a_idx] == 1, "male", "female")),
            "birth": pc.strftime(pa.array(birth[a_idx].astype("datetime64[s]")), format="%Y%m%d"),
        }
    )

    # reg_b: 78 % shared people, 20 % others, 2 % duplicates of its own records.
    shared = rng.choice(people, int(people * 0.78), replace=False)
    others = np.arange(people, people + people - len(shared) - int(people * 0.02))
    base = np.concatenate([shared, others])
    b_idx = np.concatenate([base, rng.choice(base, people - len(base), replace=False)])
    rng.shuffle(b_idx)
    nb = len(b_idx)
    take_b = pa.array(b_idx)
    u = rng.random((nb, 6))
    clerk = pa.array(u[:, 0] < 0.3)
    names: dict[str, pa.Array[Any]] = {}
    for col, source in (("family", fam_cyr), ("given", giv_cyr), ("middle", pat_cyr)):
        cyr = pc.take(source, take_b)
        names[col] = pc.if_else(clerk, latin(cyr, _clerk), cyr)
    typo_mask = u[:, 1] < 0.03
    fam_list = names["family"].to_pylist()
    for i in np.flatnonzero(typo_mask).tolist():
        fam_list[i] = _typo([fam_list[i]], rng)[0]
    swap = pa.array(u[:, 2] < 0.02)
    fam_b = pa.array(fam_list, pa.string())
    b_pin = pc.take(pin, take_b).to_numpy(zero_copy_only=False).astype(object)
    missing = u[:, 3] < 0.08
    mistyped = (u[:, 3] >= 0.08) & (u[:, 3] < 0.12)
    for i in np.flatnonzero(mistyped).tolist():
        p = b_pin[i]
        k = int(rng.integers(1, 14))
        b_pin[i] = p[:k] + str((int(p[k]) + 1 + int(rng.integers(0, 8))) % 10) + p[k + 1 :]
    b_pin[missing] = None
    dashed = u[:, 4] < 0.4
    b_pin[dashed & ~missing] = [
        f"{p[0]}-{p[1:9]}-{p[9:]}" for p in b_pin[dashed & ~missing].tolist()
    ]
    b_birth_days = birth[b_idx].copy()
    b_birth_days[u[:, 5] < 0.01] += np.timedelta64(1, "D")
    b_birth_s = pa.array(b_birth_days.astype("datetime64[s]"))
    b_birth = pc.if_else(
        pa.array(u[:, 5] > 0.7),
        pc.strftime(b_birth_s, format="%Y-%m-%d"),
        pc.strftime(b_birth_s, format="%d.%m.%Y"),
    )
    b_birth = pc.if_else(
        pa.array((u[:, 5] >= 0.01) & (u[:, 5] < 0.02)), pa.scalar(None, pa.string()), b_birth
    )
    reg_b = pa.table(
        {
            "case_id": pa.array(np.arange(1, nb + 1)),
            "pin": pa.array(b_pin.tolist(), pa.string()),
            "last_name": pc.if_else(swap, names["given"], fam_b),
            "first_name": pc.if_else(swap, fam_b, names["given"]),
            "middle_name": names["middle"],
            "birth": b_birth,
        }
    )
    truth = pa.table(
        {
            "uid": pa.concat_arrays(
                [
                    pc.binary_join_element_wise(
                        "reg_a:", pc.cast(reg_a["rec_id"], pa.string()).combine_chunks(), ""
                    ),
                    pc.binary_join_element_wise(
                        "reg_b:", pc.cast(reg_b["case_id"], pa.string()).combine_chunks(), ""
                    ),
                ]
            ),
            "person": pa.array(np.concatenate([a_idx, b_idx])),
        }
    )
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(reg_a, folder / "reg_a.parquet")
    pq.write_table(reg_b, folder / "reg_b.parquet")
    pq.write_table(truth, folder / "truth.parquet")
    return {"reg_a": reg_a.num_rows, "reg_b": reg_b.num_rows}


_SPEC_A = """id: reg_a
title: "Bench civil register"
system: civil-registry-db
owner: civil-registry
entity: Person
authoritative_for: [national_id, family_name, given_name, patronymic, birth_date, sex]
source: {kind: parquet, path: data/reg_a.parquet}
fields:
  - {column: rec_id}
  - {column: pin, attribute: national_id, normalize: [{identifier: {scheme: bench_pin}}]}
  - {column: family_name, attribute: family_name}
  - {column: given_name, attribute: given_name}
  - {column: patronymic, attribute: patronymic}
  - {column: sex, attribute: sex}
  - {column: birth, attribute: birth_date, normalize: [{date: {format: "%Y%m%d"}}]}
"""
_SPEC_B = """id: reg_b
title: "Bench benefit cases"
system: tax-db
owner: tax-service
entity: Person
source: {kind: parquet, path: data/reg_b.parquet}
fields:
  - {column: case_id}
  - {column: pin, attribute: national_id, normalize: [{identifier: {scheme: bench_pin}}]}
  - {column: last_name, attribute: family_name, normalize: [{transliterate: {to: latin, scheme: icao}}]}
  - {column: first_name, attribute: given_name, normalize: [{transliterate: {to: latin, scheme: icao}}]}
  - {column: middle_name, attribute: patronymic, normalize: [{transliterate: {to: latin, scheme: icao}}]}
  - {column: birth, attribute: birth_date, normalize: [{date: {formats: ["DD.MM.YYYY", "YYYY-MM-DD"]}}]}
"""


def _workspace(root: Path, data: Path) -> None:
    import shutil

    from seamline.workspace.template import write_example

    write_example(root)
    for sub in ("datasets", "seams", "codelists"):
        for old in (root / sub).glob("*.yaml"):
            old.unlink()
    (root / "identifiers").mkdir(exist_ok=True)
    (root / "identifiers" / "bench_pin.yaml").write_text(
        'id: bench_pin\ntitle: "Bench PIN"\nlength: 14\npattern: "[0-9]{14}"\ncheck: luhn\n',
        "utf-8",
    )
    (root / "datasets" / "reg_a.yaml").write_text(_SPEC_A, "utf-8")
    (root / "datasets" / "reg_b.yaml").write_text(_SPEC_B, "utf-8")
    (root / "data").mkdir(exist_ok=True)
    for name in ("reg_a", "reg_b"):
        shutil.copy(data / f"{name}.parquet", root / "data" / f"{name}.parquet")


def _cpu_seconds() -> float:
    """CPU time of this process, all threads: a fairer measure than wall time when other
    work shares the machine (DuckDB's threads are counted, waiting for a core is not)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def pairwise_f1(entity: pa.Array[Any], person: pa.Array[Any]) -> dict[str, float]:
    """Pairwise precision, recall and F1 of one labeling against the truth (vectorized)."""
    t = pa.table({"e": entity, "p": person})

    def pairs(keys: list[str]) -> int:
        n = t.group_by(keys).aggregate([([], "count_all")]).column("count_all").to_numpy()
        return int((n * (n - 1) // 2).sum())

    predicted, true, both = pairs(["e"]), pairs(["p"]), pairs(["e", "p"])
    precision = both / predicted if predicted else 1.0
    recall = both / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 5), "recall": round(recall, 5), "f1": round(f1, 5)}


def _score(uids: pa.Array[Any], entity: pa.Array[Any], truth_path: str) -> dict[str, float]:
    truth = pq.read_table(truth_path)
    got = pa.table({"uid": uids, "entity": entity}).join(truth, "uid")
    return pairwise_f1(got["entity"].combine_chunks(), got["person"].combine_chunks())


def seamline_reconcile(data: str, tmp: str) -> dict[str, Any]:
    """Harmonize both registers and reconcile them, as ``seamline run`` would."""
    from seamline.harmonize import harmonize_dataset
    from seamline.reconcile import reconcile
    from seamline.store import Store
    from seamline.workspace import load_workspace

    root = Path(tmp) / "ws"
    _workspace(root, Path(data))
    ws = load_workspace(root, env={})
    from seamline.pipeline import ConnectStage, RunContext

    started = time.perf_counter()
    cpu_started = _cpu_seconds()
    with Store.open(f"sqlite:///{tmp}/store.db") as store:
        run_id = store.start_run("bench", workspace=ws.name)
        connect = ConnectStage().run(RunContext(ws, store, run_id))
        if connect.status != "ok":
            raise RuntimeError(f"landing failed: {connect.messages}")
        t_h = time.perf_counter()
        for name in ("reg_a", "reg_b"):
            harmonize_dataset(ws, name)
        import splink  # imported before the clock starts, as in the contender

        del splink
        t_r = time.perf_counter()
        cpu_r = _cpu_seconds()
        result = reconcile(ws, store, run_id)
        done = time.perf_counter()
        cpu_done = _cpu_seconds()
    mapping = pq.read_table(ws.data_dir / "reference" / "entity_ids.parquet")
    spec = result.specs[0]
    return {
        "scores": _score(
            mapping["uid"].combine_chunks(),
            mapping["entity_id"].combine_chunks(),
            f"{data}/truth.parquet",
        ),
        "seconds_land": round(t_h - started, 2),
        "seconds_harmonize": round(t_r - t_h, 2),
        "seconds_reconcile": round(done - t_r, 2),
        "cpu_seconds_reconcile": round(cpu_done - cpu_r, 2),
        "cpu_seconds_total": round(cpu_done - cpu_started, 2),
        "stages": spec.seconds,
        "cpu_stages": spec.cpu_seconds,
        "entities": spec.entities,
        "links": spec.links,
        "root": str(root),
    }


def splink_anchor(root: str, data: str) -> dict[str, Any]:
    """Splink's README quick-start on seamline's harmonized input (see the module doc)."""
    import logging

    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    from bench.bench_reconcile_public import contender_input

    logging.getLogger("splink").setLevel(logging.ERROR)
    df = contender_input(root)
    started = time.perf_counter()
    cpu_started = _cpu_seconds()
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("given"),
            cl.JaroAtThresholds("family"),
            cl.NameComparison("patronymic"),
            cl.DateOfBirthComparison("birth_date", input_is_string=True),
            cl.ExactMatch("sex").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("national_id", [2]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("national_id"),
            block_on("given", "birth_date"),
            block_on("family", "substr(birth_date, 1, 4)"),
        ],
    )
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(df), settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given", "family")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("given", "family"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("national_id"))
    predictions = linker.inference.predict(threshold_match_probability=0.9)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.95)
    out = clusters.as_pyarrow_table()
    seconds = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_started
    return {
        "scores": _score(
            pc.cast(out["unique_id"], pa.string()).combine_chunks(),
            pc.cast(out["cluster_id"], pa.string()).combine_chunks(),
            f"{data}/truth.parquet",
        ),
        "seconds_splink": round(seconds, 2),
        "cpu_seconds_splink": round(cpu, 2),
    }


def run(scale: float) -> dict[str, Any]:
    people = max(2_000, int(1_000_000 * scale))
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        started = time.perf_counter()
        rows = generate(data, people)
        gen_seconds = time.perf_counter() - started
        seam = measure("seamline reconcile", seamline_reconcile, str(data), tmp)
        anchor = measure("plain Splink script", splink_anchor, seam.result.pop("root"), str(data))
    s, a = seam.result, anchor.result
    st = s["stages"]
    link_seconds = round(sum(st[k] for k in LINKAGE), 2)
    further_seconds = round(sum(st[k] for k in FURTHER), 2)
    print(f"reconcile: {rows['reg_a']:,} + {rows['reg_b']:,} records")
    link_cpu = round(sum(s["cpu_stages"][k] for k in LINKAGE), 2)
    print(
        f"CPU seconds: seamline reconcile {s['cpu_seconds_reconcile']:.1f} (linkage "
        f"{link_cpu:.1f}), plain Splink script {a['cpu_seconds_splink']:.1f}"
    )
    print(f"{'contender':<34}{'seconds':>9}{'peak MB':>9}{'F1':>9}{'precision':>11}{'recall':>9}")
    for name, m, secs in (
        ("seamline (land+harmonize+reconcile)", seam, seam.seconds),
        ("seamline linkage (prepare..cluster)", seam, link_seconds),
        ("seamline golden+discrepancies", seam, further_seconds),
        ("plain Splink script", anchor, a["seconds_splink"]),
    ):
        sc = m.result["scores"]
        print(
            f"{name:<34}{secs:>9.1f}{m.peak_mb:>9.0f}{sc['f1']:>9.4f}"
            f"{sc['precision']:>11.4f}{sc['recall']:>9.4f}"
        )
    return {
        "people_per_dataset": people,
        "records": rows,
        "generate_seconds": round(gen_seconds, 2),
        "seamline": {
            "seconds_total": round(seam.seconds, 2),
            "peak_mb": round(seam.peak_mb),
            **s,
        },
        "splink_anchor": {
            "seconds_total": round(anchor.seconds, 2),
            "peak_mb": round(anchor.peak_mb),
            **a,
        },
        "f1_gain": round(s["scores"]["f1"] - a["scores"]["f1"], 5),
        "seconds_linkage": link_seconds,
        "cpu_seconds_linkage": link_cpu,
        "seconds_golden_and_discrepancies": further_seconds,
        "linkage_time_vs_anchor": round(link_seconds / a["seconds_splink"], 2)
        if a["seconds_splink"]
        else None,
        "linkage_cpu_vs_anchor_cpu": round(link_cpu / a["cpu_seconds_splink"], 2)
        if a["cpu_seconds_splink"]
        else None,
        "reconcile_cpu_vs_anchor_cpu": round(
            s["cpu_seconds_reconcile"] / a["cpu_seconds_splink"], 2
        )
        if a["cpu_seconds_splink"]
        else None,
    }
