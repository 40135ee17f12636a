"""Crosswalk suggestions: for local values without a mapping, rank the canonical codes.

Each signal gives a code a score in 0..1 with a reason a reviewer can check:

* the value *is* a code (``active``), or another crosswalk of the same code list maps
  the same local value (``"2"`` -> ``married`` in another dataset);
* label similarity across languages and scripts (``вдова`` ~ ``Вдовец / вдова``,
  ``Zhesir`` ~ ``Жесир``), with rapidfuzz;
* abbreviation: a word's first letters (``W`` -> Widowed, ``div`` -> Divorced) or the
  initials of a multi-word label;
* numeric position: ``1``, ``2``, ``3`` as the code list's order;
* copybook 88-level names (``labels={"W": "MS-WIDOWED"}``), compared like labels.

Signals combine as a noisy-or (two independent weak hints beat one), each kind counted
once per code, so the total stays in 0..1.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from seamline.codes.builtin import builtin_codelists
from seamline.codes.text import alternatives, core, fold, has_cyrillic, latin, words
from seamline.errors import SpecError, did_you_mean
from seamline.workspace.crosswalk import local_codes, match_key, match_mode
from seamline.workspace.loader import Workspace
from seamline.workspace.models import CodeListSpec, CodeSpec

NEGATIONS = frozenset({"not", "never", "no", "non", "without", "не", "без", "эмес"})
"""Words that turn a copybook name's meaning around, so its parts are not compared alone."""
MIN_RATIO = 70.0
"""rapidfuzz similarity (0..100) below which two labels are not called alike."""


@dataclass(frozen=True)
class Candidate:
    """A canonical code proposed for a local value."""

    code: str
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Suggestion:
    """A local value seen in the data without a crosswalk entry, and its candidates."""

    local: str
    count: int
    candidates: tuple[Candidate, ...]

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


@dataclass
class _Hints:
    by_kind: dict[str, dict[str, tuple[float, str]]] = field(default_factory=dict)

    def add(self, kind: str, code: str, score: float, reason: str) -> None:
        table = self.by_kind.setdefault(kind, {})
        if score > table.get(code, (0.0, ""))[0]:
            table[code] = (min(1.0, score), reason)

    def combined(self, codes: Mapping[str, CodeSpec]) -> list[Candidate]:
        scores: dict[str, float] = {}
        reasons: dict[str, list[tuple[float, str]]] = {}
        for table in self.by_kind.values():
            for code, (score, reason) in table.items():
                scores[code] = 1.0 - (1.0 - scores.get(code, 0.0)) * (1.0 - score)
                reasons.setdefault(code, []).append((score, reason))
        out = []
        for code, score in scores.items():
            why = [r for _, r in sorted(reasons[code], key=lambda p: -p[0])]
            if codes[code].deprecated:
                score *= 0.8
                why.append("the code is deprecated")
            out.append(Candidate(code, round(score, 3), tuple(why)))
        return out


@dataclass(frozen=True)
class _Label:
    code: str
    lang: str
    text: str
    folded: str
    latin: str
    core: str


def resolve_codelist(ws: Workspace, codelist_id: str) -> CodeListSpec:
    """The workspace's code list, else a built-in one; a did-you-mean error otherwise."""
    if codelist_id in ws.codelists:
        return ws.codelists[codelist_id]
    builtin = builtin_codelists()
    if codelist_id in builtin:
        return builtin[codelist_id]
    known = sorted(ws.codelists) + sorted(builtin)
    guess = did_you_mean(codelist_id, known)
    raise SpecError(
        f"no code list {codelist_id!r}" + (f" (did you mean {guess!r}?)" if guess else ""),
        where=str(ws.root),
        allowed=", ".join(known),
    )


def suggest(
    ws: Workspace,
    codelist_id: str,
    dataset_id: str,
    column: str,
    values: Iterable[tuple[str, int]],
    labels: Mapping[str, str] | None = None,
    *,
    limit: int = 5,
    min_score: float = 0.3,
    today: dt.date | None = None,
) -> list[Suggestion]:
    """Suggestions for the values of ``dataset_id.column`` that no crosswalk entry maps.

    ``values`` are (value, count) pairs seen in the data; ``labels`` optionally names
    local values (copybook 88-level names). Suggestions come most frequent first, each
    with at most ``limit`` candidates scoring at least ``min_score``. For the built-in
    ``iso3166_2`` list, subdivisions of the project's ``country`` rank first.
    """
    cl = resolve_codelist(ws, codelist_id)
    ws.dataset(dataset_id)  # a did-you-mean error for an unknown dataset
    # the very mapping harmonize uses, so a value it maps is never listed here
    mode = match_mode(cl, dataset_id, column)
    mapped = local_codes(cl, dataset_id, column, today or dt.date.today())
    by_key: dict[str, dict[str, int]] = {}
    for value, count in values:
        if value is None or value.strip() == "":
            continue
        key = match_key(value, mode)
        if key in mapped:
            continue
        spellings = by_key.setdefault(key, {})
        spellings[value] = spellings.get(value, 0) + int(count)
    if not by_key:
        return []
    # one suggestion per value harmonize tells apart, under its most frequent spelling
    counts = {
        max(sp.items(), key=lambda kv: (kv[1], kv[0]))[0]: sum(sp.values())
        for sp in by_key.values()
    }
    locals_ = set(counts) | {e.local for cw in cl.crosswalks for e in cw.map}
    ctx = _Context(cl, dataset_id, column, locals_, labels or {}, ws.project.country)
    out = []
    for value, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        cands = [c for c in ctx.rank(value) if c.score >= min_score]
        out.append(Suggestion(value, count, tuple(cands[:limit])))
    return out


class _Context:
    def __init__(
        self,
        cl: CodeListSpec,
        dataset_id: str,
        column: str,
        locals_: set[str],
        names: Mapping[str, str],
        country: str | None = None,
    ) -> None:
        self.cl = cl
        self.codes = {c.code: c for c in cl.codes}
        self.order = {c.code: i for i, c in enumerate(cl.codes)}
        self.names = names
        self.labels = [
            _Label(c.code, lang, alt, fold(alt), latin(alt), core(alt))
            for c in cl.codes
            for lang, text in [("code", c.code.replace("_", " ")), *c.labels.items()]
            for alt in alternatives(text)
            if fold(alt)
        ]
        self.words: dict[str, set[str]] = {}
        for lab in self.labels:
            for w in {*lab.folded.split(), *lab.latin.split()}:
                self.words.setdefault(w, set()).add(lab.code)
        self.reuse: dict[str, list[tuple[str, str, str]]] = {}
        for cw in cl.crosswalks:
            if cw.dataset == dataset_id and cw.column == column:
                continue
            for e in cw.map:
                self.reuse.setdefault(fold(e.local), []).append(
                    (e.local, e.code, f"{cw.dataset}.{cw.column}")
                )
        self.home = f"{country}-" if country and cl.id == "iso3166_2" else ""
        self.name_prefix = _common_prefix(list(names.values()))
        self.zero_based = "0" in {v.strip() for v in locals_}

    def rank(self, value: str) -> list[Candidate]:
        hints = _Hints()
        v = value.strip()
        self._equal(v, hints)
        self._similar(v, hints, "label", "")
        self._abbreviation(v, hints)
        self._position(v, hints)
        name = self.names.get(value) or self.names.get(v)
        if name:
            self._copybook(name, hints)
        cands = hints.combined(self.codes)
        if self.home:
            cands = [self._home_first(c) for c in cands]
        return sorted(cands, key=lambda c: (-c.score, self.order[c.code]))

    def _home_first(self, c: Candidate) -> Candidate:
        if c.code.startswith(self.home):
            return c
        why = (*c.reasons, f"outside the project's country ({self.home[:-1]})")
        return Candidate(c.code, round(c.score * 0.75, 3), why)

    def _equal(self, v: str, hints: _Hints) -> None:
        for c in self.cl.codes:
            if v == c.code:
                hints.add("equal", c.code, 1.0, f"{v!r} is the code itself")
            elif fold(v) == fold(c.code):
                hints.add("equal", c.code, 0.95, f"{v!r} is the code {c.code!r} in other case")
        for local, code, where in self.reuse.get(fold(v), []):
            if code not in self.codes:
                continue
            score = 0.85 if local == v else 0.75
            hints.add("reuse", code, score, f"{where} maps {local!r} to {code}")

    def _similar(
        self, text: str, hints: _Hints, kind: str, prefix: str, weight: float = 1.0
    ) -> None:
        folded, lat, bare = fold(text), latin(text), core(text)
        if len(lat.replace(" ", "")) < 3:
            return  # one or two letters: a fuzzy ratio says nothing; abbreviations do
        cyr = has_cyrillic(text)
        for lab in self.labels:
            # token_sort, not token_set: a subset match would call "never married" married.
            direct = max(fuzz.ratio(folded, lab.folded), fuzz.token_sort_ratio(folded, lab.folded))
            crossed = has_cyrillic(lab.text) != cyr
            via = fuzz.ratio(lat, lab.latin) if crossed else 0.0
            ratio, how, factor = (
                (direct, "", 0.95) if direct >= via else (via, " (transliterated)", 0.9)
            )
            if len(bare) >= 3 and lab.core and (bare != lat or lab.core != lab.latin):
                # "Чуйская область" vs "Chüy": compare what is left without
                # "oblast"/"shaary" and adjective endings; weaker evidence.
                stripped = fuzz.ratio(bare, lab.core)
                if stripped * 0.85 > ratio * factor:
                    ratio, how, factor = stripped, " (without generic words)", 0.85
            if ratio < MIN_RATIO:
                continue
            score = weight * factor * ratio / 100.0
            where = "the code" if lab.lang == "code" else f"label {lab.lang} {lab.text!r}"
            hints.add(kind, lab.code, score, f"{prefix}{text!r} ~ {where}{how}: {ratio:.0f}%")

    def _abbreviation(self, v: str, hints: _Hints) -> None:
        f, lat = fold(v), latin(v)
        if not f or f.isdigit() or " " in f:
            return
        keys = {f, lat}
        if len(f) == 1:
            for key in keys:
                codes = {c for w, cs in self.words.items() if w.startswith(key) for c in cs}
                for code in codes:
                    hints.add(
                        "abbrev",
                        code,
                        0.7 / len(codes),
                        f"{v!r} is the first letter of a word of {code}"
                        + (f" (shared by {len(codes)} codes)" if len(codes) > 1 else ""),
                    )
            return
        for key in keys:
            for w, codes in self.words.items():
                if w != key and w.startswith(key):
                    score = 0.6 + 0.3 * len(key) / len(w)
                    for code in codes:
                        hints.add("abbrev", code, score, f"{v!r} abbreviates {w!r}")
        for lab in self.labels:
            initials = "".join(w[0] for w in lab.folded.split())
            if len(initials) > 1 and f == initials:
                hints.add("abbrev", lab.code, 0.7, f"{v!r} are the initials of {lab.text!r}")

    def _position(self, v: str, hints: _Hints) -> None:
        if not (v.isascii() and v.isdigit()) or len(v) > 4:  # "²".isdigit() is True
            return
        n = int(v)
        index = n if self.zero_based else n - 1
        if 0 <= index < len(self.cl.codes):
            code = self.cl.codes[index].code
            base = "0-based" if self.zero_based else "1-based"
            hints.add("position", code, 0.45, f"{v!r} is position {n} ({base}) in the code list")

    def _copybook(self, name: str, hints: _Hints) -> None:
        stem = name[len(self.name_prefix) :] or name
        tokens = words(stem)
        negated = any(t in NEGATIONS for t in tokens)
        label = "copybook name " if stem == name else f"copybook name {name!r} as "
        self._similar(stem, hints, "copybook", label, 0.5 if negated else 1.0)
        if negated or len(tokens) < 2:
            return  # a part of "NOT-MARRIED" must not vote for married
        for token in tokens:
            self._similar(token, hints, "copybook", f"copybook name {name!r} part ", 0.6)


def _common_prefix(names: list[str]) -> str:
    """The prefix all copybook names share up to a separator (``MS-`` of ``MS-SINGLE``)."""
    if len(names) < 2:
        return ""
    first, last = min(names), max(names)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    head = first[:n]
    cut = max(head.rfind("-"), head.rfind("_"), head.rfind(" "))
    return head[: cut + 1] if cut >= 0 else ""
