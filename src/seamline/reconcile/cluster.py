"""Links -> entities, with entity ids that stay the same from run to run.

Union-find is written here rather than taken from Splink's clustering because the
links come from three places (deterministic ids, Splink scores, steward decisions)
and merging has two guards Splink does not know: a rejected link is never re-made
through another record, and two groups holding different validated identifiers are
not merged by a probabilistic link (a record without an id cannot glue two people).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

LinkKind = str  # "decision" | "deterministic" | "probabilistic"


@dataclass(frozen=True)
class Link:
    left: int
    right: int
    kind: LinkKind
    probability: float = 1.0


class _Groups:
    def __init__(self, ids: Sequence[str | None]) -> None:
        self.parent = list(range(len(ids)))
        self.size = [1] * len(ids)
        self.ids: list[set[str]] = [{i} if i else set() for i in ids]
        self.members: list[list[int]] = [[i] for i in range(len(ids))]

    def find(self, x: int) -> int:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        self.ids[ra] |= self.ids[rb]
        self.members[ra].extend(self.members[rb])
        self.ids[rb], self.members[rb] = set(), []


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
    steward rejected.
    """
    groups = _Groups(validated_ids)
    apart = {(min(a, b), max(a, b)) for a, b in rejected}
    rank = {"decision": 0, "deterministic": 1, "probabilistic": 2}
    ordered = sorted(links, key=lambda li: (rank.get(li.kind, 3), -li.probability))
    for link in ordered:
        if (min(link.left, link.right), max(link.left, link.right)) in apart:
            continue
        ra, rb = groups.find(link.left), groups.find(link.right)
        if ra == rb:
            continue
        ids_a, ids_b = groups.ids[ra], groups.ids[rb]
        if link.kind == "probabilistic" and ids_a and ids_b and ids_a != ids_b:
            continue
        if apart and _splits(groups, ra, rb, apart):
            continue
        groups.union(ra, rb)
    roots = [groups.find(i) for i in range(n)]
    smallest: dict[int, int] = {}
    for i, r in enumerate(roots):
        smallest.setdefault(r, i)
    return [smallest[r] for r in roots]


def _splits(groups: _Groups, ra: int, rb: int, apart: set[tuple[int, int]]) -> bool:
    a, b = set(groups.members[ra]), set(groups.members[rb])
    return any((x in a and y in b) or (x in b and y in a) for x, y in apart)


def _hash_id(prefix: str, text: str) -> str:
    return f"{prefix}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:12]}"


def assign_ids(
    clusters: Sequence[int], uids: Sequence[str], previous: dict[str, str], prefix: str
) -> list[str]:
    """An entity id per record, stable across runs.

    A cluster keeps the id most of its members had last time (a cluster that split
    keeps it for its largest part, on a tie the part with the smallest source key); a
    new cluster is named by the hash of its smallest
    source key, so the same data always gives the same ids.
    """
    members: dict[int, list[int]] = {}
    for i, c in enumerate(clusters):
        members.setdefault(c, []).append(i)
    claims: list[tuple[int, int, str, int]] = []
    for c, rows in members.items():
        counts = Counter(previous[uids[i]] for i in rows if uids[i] in previous)
        first = previous.get(min(uids[i] for i in rows))
        # Ties go to the id of the smallest member, as for a new cluster.
        claims.extend((-count, eid != first, eid, c) for eid, count in counts.items())
    claims.sort()
    named: dict[int, str] = {}
    taken: set[str] = set()
    for _, _, eid, c in claims:
        if c not in named and eid not in taken:
            named[c] = eid
            taken.add(eid)
    reserved = set(previous.values())
    for c in sorted(members, key=lambda c: min(uids[i] for i in members[c])):
        if c in named:
            continue
        seed = min(uids[i] for i in members[c])
        eid, salt = _hash_id(prefix, seed), 0
        while eid in taken or eid in reserved:
            salt += 1
            eid = _hash_id(prefix, f"{seed}#{salt}")
        named[c] = eid
        taken.add(eid)
    return [named[c] for c in clusters]


MAP_FILE = "entity_ids.parquet"


def read_mapping(path: Path, spec_id: str) -> dict[str, str]:
    """uid -> entity id from the last run of this spec (empty when there was none)."""
    if not path.exists():
        return {}
    return {uid: eid for s, uid, eid in _rows(path) if s == spec_id}


def _rows(path: Path) -> list[tuple[str, str, str]]:
    t = pq.read_table(path)
    cols = [[str(v) for v in t.column(c).to_pylist()] for c in ("spec", "uid", "entity_id")]
    return list(zip(*cols, strict=True))


def write_mapping(path: Path, spec_id: str, uids: Sequence[str], ids: Sequence[str]) -> None:
    """Replace this spec's rows of the mapping table, keeping other specs' rows."""
    rows: dict[str, list[str]] = {"spec": [], "uid": [], "entity_id": []}
    if path.exists():
        for s, uid, eid in _rows(path):
            if s != spec_id:
                rows["spec"].append(s)
                rows["uid"].append(uid)
                rows["entity_id"].append(eid)
    rows["spec"].extend([spec_id] * len(uids))
    rows["uid"].extend(uids)
    rows["entity_id"].extend(ids)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    pq.write_table(pa.table(rows), tmp)
    tmp.replace(path)
