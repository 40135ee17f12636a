"""Search the catalogue: which datasets mention these words, and where.

A workspace has tens of datasets, not millions, so a scan over a few normalised texts
per dataset answers at once; an index (or a search library) would add a dependency and
a staleness problem for nothing.

Text is compared after NFKC normalisation and ``casefold()``, so ``ФАМИЛИЯ`` finds
``фамилия``, ``Straße`` finds ``STRASSE`` and full-width digits match ASCII ones.
Several words must all match somewhere in the same dataset (a ``"quoted phrase"``
counts as one word). Hits rank by where the words matched: the dataset id or title
first, then its fields (column, attribute, description), then everything else
(description, entity, owner agency, steward, system).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from seamline.errors import UsageError
from seamline.workspace.derived import DerivedSpec, lineage
from seamline.workspace.loader import Workspace
from seamline.workspace.models import DatasetSpec

TITLE, FIELD, OTHER = 100, 10, 1
"""Weights: one word matched in the title outranks any number matched only in fields."""

SNIPPET_WIDTH = 80
MAX_SNIPPETS = 6


@dataclass
class Hit:
    """One dataset that matched, with where each word was found."""

    dataset: str
    title: str
    score: float
    matched: list[str] = field(default_factory=list)
    """Human-readable places, e.g. ``field pin: Personal identification number``."""


@dataclass(frozen=True)
class _Entry:
    weight: int
    label: str
    text: str
    folded: str


def fold(text: str) -> str:
    """Unicode-aware case folding used on both sides of every comparison."""
    return unicodedata.normalize("NFKC", text).casefold()


def query_terms(text: str) -> list[str]:
    """The words of a query: whitespace-separated, ``"quoted phrases"`` kept whole."""
    terms = []
    for phrase, word in re.findall(r'"([^"]*)"|(\S+)', text):
        term = fold(phrase or word).strip()
        if term:
            terms.append(" ".join(term.split()) if phrase else term.strip('"'))
    return [t for t in dict.fromkeys(terms) if t]


def _entries(ws: Workspace, ds: DatasetSpec) -> list[_Entry]:
    raw: list[tuple[int, str, str]] = [
        (TITLE, f"id: {ds.id}", ds.id),
        (TITLE, f"title: {ds.title}", ds.title),
    ]
    for f in ds.mappings():
        label = f"field {f.column}"
        if f.attribute and f.attribute != f.column:
            label += f" ({f.attribute})"
        if f.description:
            label += f": {f.description}"
        raw.append((FIELD, label, " ".join(x for x in (f.column, f.attribute, f.description) if x)))
    if ds.description:
        raw.append((OTHER, "description: {}", ds.description))
    raw.append((OTHER, f"entity: {ds.entity}", ds.entity))
    owner = ws.agencies.get(ds.owner)
    raw.append(
        (OTHER, f"owner: {owner.name if owner else ds.owner}", owner.name if owner else ds.owner)
    )
    if ds.steward:
        raw.append((OTHER, f"steward: {ds.steward}", ds.steward))
    system = ws.systems.get(ds.system)
    if system is not None:
        raw.append((OTHER, f"system: {system.name}", system.name))
    return [_Entry(w, label, text, fold(text)) for w, label, text in raw]


def _derived_entries(ws: Workspace, spec: DerivedSpec) -> list[_Entry]:
    """A derived dataset's texts: id and title, its description, entity, owner and the
    tables it reads."""
    raw: list[tuple[int, str, str]] = [
        (TITLE, f"id: {spec.id}", spec.id),
        (TITLE, f"title: {spec.title}", spec.title),
    ]
    if spec.description:
        raw.append((OTHER, "description: {}", spec.description))
    if spec.entity:
        raw.append((OTHER, f"entity: {spec.entity}", spec.entity))
    owner = ws.agencies.get(spec.owner_agency)
    name = owner.name if owner else spec.owner_agency
    raw.append((OTHER, f"owner: {name}", name))
    reads = lineage(ws, spec.id)
    if reads:
        raw.append((OTHER, f"derived from: {', '.join(reads)}", " ".join(reads)))
    return [_Entry(w, label, text, fold(text)) for w, label, text in raw]


def _excerpt(text: str, folded_term: str) -> str:
    """A window of a long text around the first match of the term."""
    if len(text) <= SNIPPET_WIDTH:
        return text
    # NFKC/casefold can change lengths (ß -> ss), so find the match position
    # approximately, on the folded text, and clamp: a snippet only needs to be near.
    at = max(0, fold(text).find(folded_term))
    start = max(0, min(at - SNIPPET_WIDTH // 3, len(text) - SNIPPET_WIDTH))
    piece = text[start : start + SNIPPET_WIDTH].strip()
    return ("…" if start > 0 else "") + piece + ("…" if start + SNIPPET_WIDTH < len(text) else "")


def _score_dataset(entries: list[_Entry], terms: list[str]) -> tuple[float, list[str]] | None:
    total = 0.0
    hits: dict[str, tuple[int, int]] = {}
    for n, term in enumerate(terms):
        best = 0.0
        for i, entry in enumerate(entries):
            at = entry.folded.find(term)
            if at < 0:
                continue
            # A word that starts a word in the text (``pin`` in ``pin``, not in
            # ``shipping``) counts double, so whole-word matches outrank fragments.
            starts_word = at == 0 or not entry.folded[at - 1].isalnum()
            best = max(best, entry.weight * (2.0 if starts_word else 1.0))
            hits.setdefault(entry.label, (i, n))
        if best == 0:
            return None
        total += best
    matched = []
    for label, (i, n) in sorted(hits.items(), key=lambda kv: kv[1][0])[:MAX_SNIPPETS]:
        entry = entries[i]
        matched.append(label.format(_excerpt(entry.text, terms[n])) if "{}" in label else label)
    # Tie-breaker: more places matched is a slightly better hit.
    return total + min(len(hits), 9) / 10, matched


def search_catalog(ws: Workspace, text: str, *, limit: int = 20) -> list[Hit]:
    """Datasets (and derived datasets) matching every word of ``text``, best first, at
    most ``limit``.

    A blank query lists every dataset (score 0) in id order.
    """
    if limit < 1:
        raise UsageError(
            f"the search limit must be at least 1, not {limit}", hint="Pass --limit 20."
        )
    terms = query_terms(text)
    hits: list[Hit] = []
    for ident in sorted(ws.datasets):
        ds = ws.datasets[ident]
        if not terms:
            hits.append(Hit(ds.id, ds.title, 0.0))
            continue
        result = _score_dataset(_entries(ws, ds), terms)
        if result is not None:
            hits.append(Hit(ds.id, ds.title, result[0], result[1]))
    for ident in sorted(ws.derived):
        spec = ws.derived[ident]
        found = _score_dataset(_derived_entries(ws, spec), terms) if terms else (0.0, [])
        if found is not None:
            hits.append(Hit(spec.id, spec.title, found[0], found[1]))
    hits.sort(key=lambda h: (-h.score, h.dataset))
    return hits[:limit]
