"""Text folding for comparing code labels across languages and scripts.

A small Cyrillic -> Latin table (Russian and Kyrgyz letters) lives here on purpose: the
suggester only needs "do these two spellings sound alike", not a standard
romanisation, and it must not depend on the normalisation package.
"""

from __future__ import annotations

import re
import unicodedata

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya", "ң": "ng", "ө": "o", "ү": "u", "і": "i", "ә": "a", "ғ": "g", "қ": "k",
    "ұ": "u", "һ": "h",
}  # fmt: skip
_TABLE = str.maketrans(_CYRILLIC)
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def fold(text: str) -> str:
    """Casefolded, accents removed, punctuation collapsed to single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    # Keep Cyrillic letters whole: NFKD splits й/ё into base + combining mark.
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = unicodedata.normalize("NFC", plain)
    return _NON_WORD.sub(" ", plain).strip()


def latin(text: str) -> str:
    """:func:`fold`, then Cyrillic letters spelt in Latin ones."""
    return fold(text).translate(_TABLE)


def has_cyrillic(text: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in text)


def alternatives(label: str) -> list[str]:
    """A label split where it lists alternatives: ``"Вдовец / вдова"`` -> both words."""
    parts = [p.strip() for p in re.split(r"[/;,()|]", label)]
    out = [label.strip()]
    out.extend(p for p in parts if p and p != out[0])
    return out


def words(text: str) -> list[str]:
    return [w for w in fold(text).split() if w]


GENERIC = frozenset(
    {
        "oblast", "oblasty", "oblysy", "region", "province", "district", "rayon", "raion",
        "raiony", "shaary", "shaar", "city", "gorod", "g", "obl", "respublika", "republic",
        "of", "the", "krai", "kray", "okrug", "avtonomnyi", "autonomous", "state", "county",
    }
)  # fmt: skip
"""Administrative-type words (Latin spelling) that say nothing about which place is meant."""
_ADJECTIVE_ENDINGS = ("skaia", "skaya", "skogo", "skii", "skiy", "skoi", "skoy", "skoe", "skai")


def core(text: str) -> str:
    """:func:`latin` without generic administrative words and Russian adjective endings.

    ``Чуйская область`` and ``Chüy`` both become ``chui``/``chuy``; ``Bishkek Shaary``
    becomes ``bishkek``.
    """
    out = []
    for word in latin(text).split():
        if word in GENERIC:
            continue
        for ending in _ADJECTIVE_ENDINGS:
            if word.endswith(ending) and len(word) - len(ending) >= 3:
                word = word[: -len(ending)]
                break
        out.append(word)
    return " ".join(out)
