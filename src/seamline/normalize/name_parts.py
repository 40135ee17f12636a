"""Parse one person's name, as written, into family, given, middle, patronymic and suffix.

Written by hand, not with a library: the parsers on PyPI (nameparser, probablepeople)
are trained on or written for English names only, and do not know patronymics, name
orders or Cyrillic. This one works on words and a few declared word lists:

* a comma means the family name comes first, whatever ``order`` says:
  ``DE LA CRUZ, JOSE A`` -> family ``De la Cruz``, given ``Jose``, middle ``A``;
* particles (de la, van der, von, bin, ibn...) belong to the family name that follows;
* generational suffixes (Jr, Sr, II, III, IV) are taken off the end of either part;
* the words after the given name are a patronymic where they look like one (an
  ending such as -ovich/-ovna/-ич/-ична, or a closing ``kyzy``/``uulu``/``ogly``), or
  where the workspace's country writes patronymics; otherwise they are middle names.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

Case = Literal["none", "upper", "lower", "title"]
Order = Literal["family_first", "given_first"]
Patronymics = Literal["auto", "always", "never"]

PARTICLES = frozenset(
    [
        "de",
        "del",
        "della",
        "dei",
        "degli",
        "der",
        "den",
        "di",
        "da",
        "das",
        "do",
        "dos",
        "du",
        "la",
        "le",
        "les",
        "las",
        "los",
        "lo",
        "van",
        "vander",
        "von",
        "vom",
        "zu",
        "zum",
        "zur",
        "ten",
        "ter",
        "te",
        "op",
        "bin",
        "binti",
        "bint",
        "ibn",
        "ben",
        "ba",
        "bat",
        "al",
        "el",
        "abu",
        "ap",
    ]
)
"""Lower-case words that begin a family name (Dutch, German, Romance, Arabic, Welsh)."""

SUFFIXES = {"jr": "Jr", "sr": "Sr", "ii": "II", "iii": "III", "iv": "IV"}
"""Generational suffixes, as written in the result. ``V`` is left out: it is far more
often an initial than a fifth generation."""

MARKERS = frozenset(
    [
        "кызы",
        "уулу",
        "улы",
        "ұлы",
        "қызы",
        "оглы",
        "кизи",
        "kyzy",
        "uulu",
        "uly",
        "ogly",
        "oglu",
        "oğlu",
        "qizi",
        "gizi",
    ]
)
"""Second word of a two-word patronymic ("Асан кызы" = daughter of Asan)."""

PATRONYMIC_ENDING = re.compile(
    r"(?:[oe]vi?tch|[oe]v[iy]ch|[oe]vna|[iy]vna|ichna|ович|евич|ьич|овна|евна|ична|івна|йович|йовна)$",
    re.IGNORECASE,
)
"""Endings of a one-word patronymic, Latin and Cyrillic (Asanovich, Nurlanovna, Ильич)."""

PATRONYMIC_COUNTRIES = frozenset(
    ["AM", "AZ", "BG", "BY", "GE", "IS", "KG", "KZ", "MD", "MN", "RU", "TJ", "TM", "UA", "UZ"]
)
"""Countries whose names carry a patronymic (ISO 3166-1 alpha-2): there, the word after
the given name is one even without a telling ending."""

LEADING_HONORIFICS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "prof",
        "sir",
        "madam",
        "г-н",
        "г-жа",
        "гр",
        "гр-н",
        "гр-ка",
        "д-р",
        "проф",
        "господин",
        "госпожа",
        "тов",
        "товарищ",
    ]
)
"""Honorifics written before a name (English and Russian, with or without a dot)."""
TRAILING_HONORIFICS = frozenset(
    [
        "мырза",
        "айым",
        "байке",
        "эже",
        "эжеке",
        "агай",
        "myrza",
        "aiym",
        "ayim",
        "baike",
        "eje",
        "ejeke",
        "agai",
    ]
)
"""Kyrgyz honorifics, written after the name ("Бакыт мырза", "Айгүл айым")."""

_SPACES = re.compile(r"[\s;_]+")
_MC = re.compile(r"^(Mc)(\w)")
_MAC = re.compile(r"^Mac[A-Z]")
_GLUED_HONORIFIC = re.compile(r"^([^\W\d_]{2,})\.(?=\w)")


@dataclass(frozen=True)
class NameParts:
    """A name split into its parts, as words; each part is None where the name lacks it.

    The parts are put in the wanted case only when read, so a step that wants one part
    cases only that one.
    """

    case: Case
    words: dict[str, tuple[str, ...]]
    """family, given, middle, patronymic, suffix and written (the whole name) as words."""
    one_word: bool = False
    """A name of one word: it is both the family and the given name asked for."""

    def part(self, name: str) -> str | None:
        """One part in the wanted case, or None."""
        if name == "suffix":
            return " ".join(self.words["suffix"]) or None
        return _cased(self.words[name], self.case)

    @property
    def family(self) -> str | None:
        return self.part("family")

    @property
    def given(self) -> str | None:
        return self.part("given")

    @property
    def middle(self) -> str | None:
        return self.part("middle")

    @property
    def patronymic(self) -> str | None:
        return self.part("patronymic")

    @property
    def suffix(self) -> str | None:
        return self.part("suffix")

    @property
    def cleaned(self) -> str | None:
        """The whole name cleaned, in the order written, without commas."""
        return self.part("written")

    @property
    def empty(self) -> bool:
        return not self.words["written"]

    @property
    def given_or_middle(self) -> bool:
        """Whether the words after the first given name include a whole word, not an
        initial: ``MARY ANN`` may be a double given name or a given and a middle name,
        while in ``KENNETH T`` the ``T`` is a middle initial."""
        return any(sum(c.isalpha() for c in w) > 1 for w in self.words["middle"])

    def full(self) -> str | None:
        """FAMILY GIVEN MIDDLE PATRONYMIC SUFFIX."""
        if self.one_word:
            return self.cleaned
        names = ("family", "given", "middle", "patronymic", "suffix")
        return " ".join(p for p in (self.part(n) for n in names) if p) or None


@lru_cache(maxsize=1 << 14)
def _bare(word: str) -> str:
    return word.rstrip(".").casefold()


def _strip_honorifics(words: list[str], leading: bool, trailing: bool) -> list[str]:
    """Honorifics off either end; a lone word is kept (it is a name: "Айым")."""
    if leading:
        while len(words) > 1 and _bare(words[0]) in LEADING_HONORIFICS:
            words = words[1:]
        if len(words) == 1 and _bare(words[0]) in LEADING_HONORIFICS and words[0].endswith("."):
            words = []  # "Mr." alone: no name at all
    if trailing:
        while len(words) > 1 and _bare(words[-1]) in TRAILING_HONORIFICS:
            words = words[:-1]
    return words


def _split_glued(word: str) -> list[str]:
    """``Dr.Sadykov`` -> ``Dr.``, ``Sadykov`` (an honorific glued to the name)."""
    m = _GLUED_HONORIFIC.match(word)
    if m and m.group(1).casefold() in LEADING_HONORIFICS:
        return [word[: m.end()], word[m.end() :]]
    return [word]


def _words(text: str) -> list[str]:
    return [w for part in _SPACES.split(text) if part for w in _split_glued(part) if w]


def _take_suffixes(words: list[str]) -> tuple[list[str], list[str]]:
    found: list[str] = []
    while len(words) > 1 and _bare(words[-1]) in SUFFIXES:
        found.insert(0, SUFFIXES[_bare(words[-1])])
        words = words[:-1]
    return words, found


def _family_unit_end(words: list[str]) -> int:
    """How many leading words form the family name: particles and the word after them."""
    n = 0
    while n < len(words) - 2 and _bare(words[n]) in PARTICLES:
        n += 1
    return n + 1


def _family_unit_start(words: list[str]) -> int:
    """Where the trailing family name starts: its last word and the particles before it."""
    start = len(words) - 1
    while start > 1 and _bare(words[start - 1]) in PARTICLES:
        start -= 1
    return start


def _is_patronymic(words: list[str], patronymics: Patronymics, country: str | None) -> bool:
    if not words or patronymics == "never":
        return False
    if patronymics == "always":
        return True
    last = _bare(words[-1])
    if last in MARKERS:
        return True
    if PATRONYMIC_ENDING.search(last):
        return True
    return country is not None and country.upper() in PATRONYMIC_COUNTRIES


def _after_given(
    rest: list[str], patronymics: Patronymics, country: str | None
) -> tuple[list[str], list[str]]:
    """The words after the given name as (middle, patronymic)."""
    if not rest or not _is_patronymic(rest, patronymics, country):
        return rest, []
    if patronymics == "always" or (country or "").upper() in PATRONYMIC_COUNTRIES:
        return [], rest
    # only the telling words are the patronymic; names before them are middle names
    width = 2 if _bare(rest[-1]) in MARKERS else 1
    return rest[:-width], rest[-width:]


@lru_cache(maxsize=1 << 14)  # names share their words: most calls are lookups
def case_word(word: str, case: Case, *, particle_lower: bool = False) -> str:
    """One word in the wanted case. Title case capitalizes after hyphens and
    apostrophes (O'Neil-Smith), writes McDonald, keeps MacLeod when written so, writes
    particles inside a family name in lower case (De la Cruz) and markers (kyzy)."""
    if case == "upper":
        return word.upper()
    if case == "lower":
        return word.lower()
    if case == "none":
        return word
    bare = _bare(word)
    if (particle_lower and bare in PARTICLES) or bare in MARKERS:
        return word.lower()
    if bare in SUFFIXES:
        return SUFFIXES[bare] + word[len(word.rstrip(".")) :]
    out = word.title()
    if out.startswith("Mac") and _MAC.match(word) is not None and not word.isupper():
        out = "Mac" + word[3] + out[4:]
    if out.startswith("Mc"):
        out = _MC.sub(lambda m: m.group(1) + m.group(2).upper(), out)
    return out


def _cased(words: tuple[str, ...], case: Case) -> str | None:
    """Words in the wanted case; a particle is lower case unless it starts the part."""
    if not words:
        return None
    return " ".join(case_word(w, case, particle_lower=i > 0) for i, w in enumerate(words))


def parse_name(
    text: str,
    *,
    order: Order = "family_first",
    case: Case = "title",
    honorifics: bool = True,
    patronymics: Patronymics = "auto",
    country: str | None = None,
) -> NameParts:
    """The parts of one name. A value without letters or words gives empty parts."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    segments = [_words(s) for s in text.split(",")]
    comma = len(segments) > 1 and bool(segments[0]) and any(segments[1:])
    if comma:
        family_words = segments[0]
        given_words = [w for s in segments[1:] for w in s]
        if honorifics:
            family_words = _strip_honorifics(family_words, True, False)
            given_words = _strip_honorifics(given_words, True, True)
        family_words, suffix_a = _take_suffixes(family_words)
        given_words, suffix_b = _take_suffixes(given_words)
        written = family_words + given_words + suffix_a + suffix_b
        given, rest = given_words[:1], given_words[1:]
        family, suffixes = family_words, suffix_a + suffix_b
    else:
        words = [w for s in segments for w in s]
        if honorifics:
            words = _strip_honorifics(words, True, True)
        words, suffixes = _take_suffixes(words)
        written = words + suffixes
        if len(words) <= 1:  # one word is whichever part was asked for
            if not suffixes and words and _bare(words[0]) in SUFFIXES:
                # a column of suffixes only ('JR'): the word is a suffix, not a name
                suffixes, words = [SUFFIXES[_bare(words[0])]], []
            one = tuple(words)
            found = {"family": one, "given": one, "middle": (), "patronymic": ()}
            found |= {"suffix": tuple(suffixes), "written": tuple(written)}
            return NameParts(case, found, one_word=True)
        if order == "family_first":
            end = _family_unit_end(words)
            family, given, rest = words[:end], words[end : end + 1], words[end + 1 :]
        elif _bare(words[-1]) in MARKERS and len(words) >= 3:
            # "Aigul Asan kyzy": the patronymic closes the name, there is no family name
            family, given, rest = [], words[:1], words[1:]
        else:
            start = _family_unit_start(words)
            family, given, rest = words[start:], words[:1], words[1:start]
    middle, patronymic = _after_given(rest, patronymics, country)
    found = {
        "family": tuple(family),
        "given": tuple(given),
        "middle": tuple(middle),
        "patronymic": tuple(patronymic),
        "suffix": tuple(suffixes),
        "written": tuple(written),
    }
    return NameParts(case, found)
