"""Links -> entities, with entity ids that stay the same from run to run.

Union-find is written here rather than taken from Splink's clustering because the
links come from three places (deterministic ids, Splink scores, steward decisions)
and merging has two guards Splink does not know: a rejected link is never re-made
through another record, and two groups holding different validated identifiers are
not merged by a probabilistic link (a record without an id cannot glue two people).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seamline.crypto.parquet import ParquetFiles

LinkKind = str  # "decision" | "deterministic" | "probabilistic"


@dataclass(frozen=True)
class Link:
    left: int
    right: int
    kind: LinkKind
    probability: float = 1.0


class _Groups:
    """Union-find over group labels, each group with its validated ids (the exact path)."""

    def __init__(self, ids: dict[int, set[str]], sizes: dict[int, int]) -> None:
        self.parent: dict[int, int] = {}
        self.ids = ids
        self.size = sizes

    def find(self, x: int) -> int:
        root = x
        while (up := self.parent.get(root, root)) != root:
            root = up
        while (up := self.parent.get(x, x)) != root:
            self.parent[x], x = root, up
        return root

    def union(self, ra: int, rb: int) -> None:
        if self.size.get(ra, 1) < self.size.get(rb, 1):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] = self.size.get(ra, 1) + self.size.get(rb, 1)
        self.ids[ra] = self.ids.get(ra, set()) | self.ids.pop(rb, set())


_RANK = {"decision": 0, "deterministic": 1, "probabilistic": 2}


def cluster(
    n: int,
    links: Iterable[Link],
    validated_ids: Sequence[str | None],
    rejected: Iterable[tuple[int, int]] = (),
) -> list[int]:
    """A cluster number per record (the smallest record index of its cluster).

    Links are applied strongest first: decisions, deterministic, then probabilistic by
    falling probability. A probabilistic link is skipped when the two groups hold
    different validated identifiers; any link is skipped when it would join a pair a
    steward rejected. (:func:`cluster_arrays` on lists of links.)
    """
    ordered = sorted(links, key=lambda li: (_RANK.get(li.kind, 3), -li.probability))
    strong = [li for li in ordered if li.kind != "probabilistic"]
    weak = [li for li in ordered if li.kind == "probabilistic"]
    ids = pa.array(list(validated_ids), pa.string())
    out = cluster_arrays(
        n,
        (_ends(strong, "left"), _ends(strong, "right")),
        (_ends(weak, "left"), _ends(weak, "right")),
        ids,
        rejected,
    )
    return [int(c) for c in out]


def _ends(links: list[Link], side: str) -> Ints:
    return np.array([getattr(li, side) for li in links], np.int64)


Ints = np.ndarray[Any, np.dtype[np.int64]]


def cluster_arrays(
    n: int,
    strong: tuple[Ints, Ints],
    weak: tuple[Ints, Ints],
    validated_ids: pa.Array[Any],
    rejected: Iterable[tuple[int, int]] = (),
) -> Ints:
    """:func:`cluster` on arrays: the smallest record index of each record's cluster.

    ``strong`` (decisions, then deterministic links, in that order) are applied whatever
    the identifiers say; ``weak`` (probabilistic links, strongest first) only join groups
    whose validated identifiers do not differ. The strong links make connected
    components at once (vectorized); only components holding a steward-rejected pair are
    replayed link by link, and the weak links (a few per hundred records) are applied
    one by one over the components.
    """
    apart = {(min(a, b), max(a, b)) for a, b in rejected}
    labels = _components(n, strong)
    if apart:
        labels = _replay_rejected(n, labels, strong, apart)
    wl, wr = labels[weak[0]], labels[weak[1]]
    touched = np.unique(np.concatenate([wl, wr]))
    groups = _Groups(_ids_of(labels, touched, validated_ids), _sizes(labels, touched))
    ends = [(labels[a], labels[b]) for a, b in apart]
    for a, b in zip(wl.tolist(), wr.tolist(), strict=True):
        ra, rb = groups.find(a), groups.find(b)
        if ra == rb:
            continue
        ids_a, ids_b = groups.ids.get(ra), groups.ids.get(rb)
        if ids_a and ids_b and ids_a != ids_b:
            continue
        if ends and _splits(groups, ra, rb, ends):
            continue
        groups.union(ra, rb)
    final = labels.copy()
    if len(touched):
        roots = np.array([groups.find(t) for t in touched.tolist()], np.int64)
        lookup = np.arange(int(labels.max()) + 1, dtype=np.int64)
        lookup[touched] = roots
        final = lookup[labels]
    return _smallest_member(final)


def _components(n: int, strong: tuple[Ints, Ints]) -> Ints:
    """Connected components of the strong links: per record, its component's smallest index.

    Vectorized union-find: every round hooks each link's larger root under the smaller
    one, then pointer jumping flattens the trees; identifier groups (stars around their
    first record) settle in one or two rounds.
    """
    left, right = strong
    labels = np.arange(n, dtype=np.int64)
    while len(left):
        a, b = labels[left], labels[right]
        differ = a != b
        if not differ.any():
            break
        a, b = a[differ], b[differ]
        low = np.minimum(a, b)
        np.minimum.at(labels, a, low)
        np.minimum.at(labels, b, low)
        while True:
            jumped = labels[labels]
            if np.array_equal(jumped, labels):
                break
            labels = jumped
    return labels


def _replay_rejected(
    n: int, labels: Ints, strong: tuple[Ints, Ints], apart: set[tuple[int, int]]
) -> Ints:
    """Redo, link by link, the components that would hold a rejected pair.

    A strong link is skipped there when it would put a rejected pair into one group
    (a steward's rejection outranks even a shared identifier).
    """
    bad = {int(labels[a]) for a, b in apart if labels[a] == labels[b]}
    if not bad:
        return labels
    out = labels.copy()
    members = np.flatnonzero(np.isin(labels, list(bad)))
    fresh = int(labels.max()) + 1
    out[members] = fresh + members  # every record of those components on its own
    left, right = strong
    keep = np.isin(labels[left], list(bad))
    groups = _Groups({}, {})
    ends = [(int(out[a]), int(out[b])) for a, b in apart]
    for a, b in zip(out[left[keep]].tolist(), out[right[keep]].tolist(), strict=True):
        if (min(a, b) - fresh, max(a, b) - fresh) in apart:
            continue
        ra, rb = groups.find(a), groups.find(b)
        if ra != rb and not _splits(groups, ra, rb, ends):
            groups.union(ra, rb)
    out[members] = [groups.find(int(x)) for x in out[members].tolist()]
    return out


def _splits(groups: _Groups, ra: int, rb: int, ends: list[tuple[int, int]]) -> bool:
    """Would joining groups ``ra`` and ``rb`` put a rejected pair (by label) together?"""
    for x, y in ends:
        fx, fy = groups.find(x), groups.find(y)
        if (fx == ra and fy == rb) or (fx == rb and fy == ra):
            return True
    return False


def _ids_of(labels: Ints, touched: Ints, ids: pa.Array[Any]) -> dict[int, set[str]]:
    """The validated ids held by each touched component."""
    valid = pc.and_(pc.is_valid(ids), pc.not_equal(ids, pa.scalar(""))).fill_null(False)
    mask = np.isin(labels, touched) & valid.to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(mask)
    out: dict[int, set[str]] = {}
    values: list[Any] = ids.take(rows).to_pylist()
    for label, value in zip(labels[rows].tolist(), values, strict=True):
        out.setdefault(label, set()).add(value)
    return out


def _sizes(labels: Ints, touched: Ints) -> dict[int, int]:
    counts = np.bincount(labels)
    return dict(zip(touched.tolist(), counts[touched].tolist(), strict=True))


def _smallest_member(labels: Ints) -> Ints:
    """Per record, the smallest record index sharing its label."""
    uniq, first = np.unique(labels, return_index=True)
    lookup = np.zeros(int(uniq.max()) + 1 if len(uniq) else 0, np.int64)
    lookup[uniq] = first
    return lookup[labels]


def _hash_id(prefix: str, text: str) -> str:
    return f"{prefix}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:12]}"


def assign_ids(
    clusters: Sequence[int], uids: Sequence[str], previous: dict[str, str], prefix: str
) -> list[str]:
    """:func:`entity_ids` on lists (uid -> entity id from the last run as a dict)."""
    prev = pa.table(
        {
            "uid": pa.array(list(previous), pa.string()),
            "entity_id": pa.array(list(previous.values()), pa.string()),
        }
    )
    out: list[Any] = entity_ids(
        np.asarray(clusters, np.int64), pa.array(list(uids), pa.string()), prev, prefix
    ).to_pylist()
    return out


def entity_ids(
    clusters: Ints, uids: pa.Array[Any], previous: pa.Table, prefix: str
) -> pa.Array[Any]:
    """An entity id per record, stable across runs.

    A cluster keeps the id most of its members had last time (a cluster that split
    keeps it for its largest part, on a tie the part with the smallest source key); a
    new cluster is named by the hash of its smallest source key, so the same data
    always gives the same ids. ``previous``: ``uid``, ``entity_id`` of the last run.
    """
    values, inverse = np.unique(clusters, return_inverse=True)
    k = len(values)
    recs = pa.table({"c": pa.array(inverse.astype(np.int64)), "uid": uids})
    seeds = recs.group_by("c").aggregate([("uid", "min")]).sort_by("c").column("uid_min")
    names = np.full(k, None, dtype=object)
    named = np.zeros(k, dtype=bool)
    if previous.num_rows:
        _claim(recs, seeds, previous, names, named)
    new = np.flatnonzero(~named)
    if len(new):
        taken = set(names[named].tolist()) | set(previous.column("entity_id").to_pylist())
        new_seeds = seeds.take(new)
        order = pc.sort_indices(new_seeds).to_numpy()
        for c, seed in zip(new[order].tolist(), new_seeds.take(order).to_pylist(), strict=True):
            eid, salt = _hash_id(prefix, str(seed)), 0
            while eid in taken:
                salt += 1
                eid = _hash_id(prefix, f"{seed}#{salt}")
            names[c] = eid
            taken.add(eid)
    return pa.array(names, pa.string()).take(inverse)


def _claim(
    recs: pa.Table,
    seeds: pa.ChunkedArray[Any],
    previous: pa.Table,
    names: np.ndarray[Any, Any],
    named: np.ndarray[Any, Any],
) -> None:
    """Clusters take last run's ids: most members first, then the smallest member's id.

    Claims ``(cluster, id, members holding it)`` are granted greedily in the order
    (most members, the smallest member's own id, id, cluster). When every cluster's best
    claim names a different id, greedy grants exactly those (vectorized); otherwise the
    claims are granted one by one.
    """
    held = recs.join(previous, "uid", join_type="inner")
    counts = held.group_by(["c", "entity_id"]).aggregate([([], "count_all")])
    firsts = pa.table({"c": pa.array(np.arange(len(seeds))), "uid": seeds}).join(
        previous, "uid", join_type="inner"
    )
    claims = counts.join(
        firsts.select(["c", "entity_id"]).rename_columns(["c", "first"]),
        "c",
        join_type="left outer",
    )
    differs: Any = pc.not_equal(claims.column("entity_id"), claims.column("first"))
    not_first: Any = pc.cast(pc.fill_null(differs, pa.scalar(True)), pa.int8())
    claims = claims.append_column("not_first", not_first).sort_by(
        [
            ("count_all", "descending"),
            ("not_first", "ascending"),
            ("entity_id", "ascending"),
            ("c", "ascending"),
        ]
    )
    c_sorted = claims.column("c").to_numpy()
    eids = claims.column("entity_id")
    clusters, top = np.unique(c_sorted, return_index=True)
    best = eids.take(top)
    if pc.count_distinct(best).as_py() == len(best):
        names[clusters] = best.to_numpy(zero_copy_only=False)
        named[clusters] = True
        return
    taken: set[Any] = set()
    for c, eid in zip(c_sorted.tolist(), eids.to_pylist(), strict=True):
        if not named[c] and eid not in taken:
            names[c] = eid
            named[c] = True
            taken.add(eid)


MAP_FILE = "entity_ids.parquet"


def read_mapping(files: ParquetFiles, path: Path, spec_id: str) -> dict[str, str]:
    """uid -> entity id from the last run of this spec (empty when there was none)."""
    t = read_previous(files, path, spec_id)
    uids: list[Any] = t.column("uid").to_pylist()
    ids: list[Any] = t.column("entity_id").to_pylist()
    return dict(zip(uids, ids, strict=True))


def read_previous(files: ParquetFiles, path: Path, spec_id: str) -> pa.Table:
    """``uid``, ``entity_id`` of this spec's last run (no rows when there was none)."""
    if not path.exists():
        return pa.table({"uid": pa.array([], pa.string()), "entity_id": pa.array([], pa.string())})
    t = files.read_table(path)
    mine = t.filter(pc.equal(t.column("spec"), pa.scalar(spec_id))).select(["uid", "entity_id"])
    return pa.table({c: pc.cast(mine.column(c), pa.string()) for c in ("uid", "entity_id")})


def write_mapping(
    files: ParquetFiles,
    path: Path,
    spec_id: str,
    uids: Sequence[str] | pa.Array[Any],
    ids: Sequence[str] | pa.Array[Any],
) -> None:
    """Replace this spec's rows of the mapping table, keeping other specs' rows."""
    uid_arr = uids if isinstance(uids, pa.Array) else pa.array(list(uids), pa.string())
    id_arr = ids if isinstance(ids, pa.Array) else pa.array(list(ids), pa.string())
    mine = pa.table(
        {
            "spec": pa.array(np.full(len(uid_arr), spec_id, dtype=object), pa.string()),
            "uid": uid_arr,
            "entity_id": id_arr,
        }
    )
    parts = [mine]
    if path.exists():
        t = files.read_table(path)
        others = t.filter(pc.not_equal(t.column("spec"), pa.scalar(spec_id)))
        parts.insert(
            0, pa.table({c: pc.cast(others.column(c), pa.string()) for c in mine.column_names})
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    files.write_table(pa.concat_tables(parts), tmp)
    tmp.replace(path)
