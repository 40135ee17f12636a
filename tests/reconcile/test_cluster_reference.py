"""The vectorized clustering and id assignment against plain one-link-at-a-time versions.

The reference functions are the definitions (links strongest first, the two guards,
greedy id claims); random link sets with the seed in the test id exercise the
components, the rejected-pair replay and the id claims.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter

import pytest

from seamline.reconcile.cluster import Link, assign_ids, cluster
from seamline.reconcile.deterministic import deterministic_links


def _reference_cluster(
    n: int, links: list[Link], ids: list[str | None], rejected: list[tuple[int, int]]
) -> list[int]:
    parent = list(range(n))
    held = [{i} if i else set() for i in ids]
    members = [[i] for i in range(n)]

    def find(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    apart = {(min(a, b), max(a, b)) for a, b in rejected}
    rank = {"decision": 0, "deterministic": 1, "probabilistic": 2}
    for li in sorted(links, key=lambda li: (rank[li.kind], -li.probability)):
        if (min(li.left, li.right), max(li.left, li.right)) in apart:
            continue
        ra, rb = find(li.left), find(li.right)
        if ra == rb:
            continue
        if li.kind == "probabilistic" and held[ra] and held[rb] and held[ra] != held[rb]:
            continue
        a, b = set(members[ra]), set(members[rb])
        if any((x in a and y in b) or (x in b and y in a) for x, y in apart):
            continue
        parent[rb] = ra
        held[ra] |= held[rb]
        members[ra].extend(members[rb])
    roots = [find(i) for i in range(n)]
    smallest: dict[int, int] = {}
    for i, r in enumerate(roots):
        smallest.setdefault(r, i)
    return [smallest[r] for r in roots]


def _reference_ids(
    clusters: list[int], uids: list[str], previous: dict[str, str], prefix: str
) -> list[str]:
    members: dict[int, list[int]] = {}
    for i, c in enumerate(clusters):
        members.setdefault(c, []).append(i)
    claims = []
    for c, rows in members.items():
        counts = Counter(previous[uids[i]] for i in rows if uids[i] in previous)
        first = previous.get(min(uids[i] for i in rows))
        claims.extend((-count, eid != first, eid, c) for eid, count in counts.items())
    named: dict[int, str] = {}
    taken: set[str] = set()
    for _, _, eid, c in sorted(claims):
        if c not in named and eid not in taken:
            named[c] = eid
            taken.add(eid)
    reserved = set(previous.values())
    for c in sorted(members, key=lambda c: min(uids[i] for i in members[c])):
        if c in named:
            continue
        seed = min(uids[i] for i in members[c])
        text, salt = seed, 0
        while (eid := f"{prefix}-{hashlib.sha256(text.encode()).hexdigest()[:12]}") in (
            taken | reserved
        ):
            salt += 1
            text = f"{seed}#{salt}"
        named[c] = eid
        taken.add(eid)
    return [named[c] for c in clusters]


def _random_links(rng: random.Random, n: int) -> tuple[list[Link], list[str | None]]:
    ids = [rng.choice([None, None, "A", "B", "C", "D", "E", ""]) for _ in range(n)]
    links = deterministic_links(ids)
    for _ in range(rng.randint(0, n)):
        a, b = rng.sample(range(n), 2)
        links.append(Link(a, b, "probabilistic", rng.choice([0.95, 0.97, 0.99, 0.999])))
    for _ in range(rng.randint(0, 2)):
        a, b = rng.sample(range(n), 2)
        links.append(Link(a, b, "decision"))
    return links, ids


@pytest.mark.parametrize("seed", range(60))
def test_cluster_matches_the_reference(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(2, 40)
    links, ids = _random_links(rng, n)
    rejected = [tuple(rng.sample(range(n), 2)) for _ in range(rng.randint(0, 3))]
    pairs = [(a, b) for a, b in rejected]
    assert cluster(n, links, ids, pairs) == _reference_cluster(n, links, ids, pairs)


@pytest.mark.parametrize("seed", range(40))
def test_entity_ids_match_the_reference(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(1, 30)
    uids = [f"d{rng.randint(0, 2)}:{i}" for i in range(n)]
    before = [rng.randint(0, n // 2) for _ in range(n)]
    previous_ids = _reference_ids(
        [min(i for i in range(n) if before[i] == before[j]) for j in range(n)], uids, {}, "p"
    )
    previous = {u: e for u, e in zip(uids, previous_ids, strict=True) if rng.random() < 0.8}
    after = [rng.randint(0, n // 2) for _ in range(n)]
    clusters = [min(i for i in range(n) if after[i] == after[j]) for j in range(n)]
    assert assign_ids(clusters, uids, previous, "p") == _reference_ids(
        clusters, uids, previous, "p"
    )
