"""Invented Kyrgyz-flavoured names and the two transliterations the agencies use.

The civil registry writes Latin capitals (its EBCDIC code page has no Cyrillic), the
social fund's case system sometimes stores a different Latin spelling typed by clerks.
Both tables are written out here because the point of the demo is to show two
agencies disagreeing on the spelling of the same person; a library would pick one.
"""

from __future__ import annotations

from functools import lru_cache

MALE_GIVEN: tuple[str, ...] = (
    "Бакыт", "Азамат", "Нурлан", "Эрлан", "Таалайбек", "Алмазбек", "Жыргалбек", "Мирлан",
    "Улан", "Канат", "Темир", "Эмил", "Айбек", "Бекжан", "Чыңгыз", "Данияр", "Руслан",
    "Тилек", "Марат", "Самат", "Нурбек", "Асылбек", "Үмүт", "Эркин", "Жоомарт", "Кубаныч",
    "Өмүрбек", "Медер", "Адилет", "Санжар",
)  # fmt: skip

FEMALE_GIVEN: tuple[str, ...] = (
    "Айгүл", "Гүлнара", "Жылдыз", "Нургүл", "Асел", "Айпери", "Бермет", "Чолпон", "Динара",
    "Мээрим", "Назира", "Айжан", "Толгонай", "Бурул", "Алтынай", "Гүлзат", "Элмира",
    "Канышай", "Айдана", "Нуриза", "Жазгүл", "Саадат", "Акылай", "Үмүтай", "Эльвира",
    "Айсулуу", "Зарина", "Роза", "Венера", "Мөлмөл",
)  # fmt: skip

# Male forms; the female form adds "а" (Садыков -> Садыкова).
FAMILY_MALE: tuple[str, ...] = (
    "Токтогулов", "Садыков", "Абдырахманов", "Осмонов", "Жумабаев", "Асанов", "Үсөнов",
    "Бакиров", "Мамытов", "Токтосунов", "Сатыбалдиев", "Иманалиев", "Турдубаев", "Кадыров",
    "Мукашев", "Эсенов", "Шаршеев", "Бейшеев", "Таштанов", "Момунов", "Сулайманов",
    "Акматов", "Жээнбеков", "Орозбаев", "Кененбаев", "Алымкулов", "Ниязов", "Дөөлөтов",
    "Бообеков", "Чыныбаев", "Өмүров", "Эргешов", "Кулматов", "Сыдыков", "Абдыкалыков",
    "Жусупов", "Исаков", "Ташиев", "Калыбеков", "Мырзакматов",
)  # fmt: skip

# Patronymics are formed Russian-style from the father's name (all end in a consonant).
PATRONYMIC_SUFFIX = {1: "ович", 2: "овна"}

_COMMON = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "з": "z", "и": "i",
    "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s",
    "т": "t", "у": "u", "ф": "f", "ц": "ts", "ш": "sh", "щ": "shch", "ъ": "", "ь": "",
    "э": "e", "ы": "y",
}  # fmt: skip

# Civil registry: passport-style, plain ASCII capitals.
CIVIL_TABLE: dict[str, str] = {
    **_COMMON,
    "ё": "yo", "ж": "zh", "й": "y", "ң": "ng", "ө": "o", "ү": "u", "х": "kh", "ч": "ch",
    "ю": "yu", "я": "ya",
}  # fmt: skip

# Social fund clerks: Kyrgyz-Latin habits (j, ö, ü), typed in mixed case.
CLERK_TABLE: dict[str, str] = {
    **_COMMON,
    "ё": "io", "ж": "j", "й": "i", "ң": "ñ", "ө": "ö", "ү": "ü", "х": "h", "ч": "ch",
    "ю": "iu", "я": "ia",
}  # fmt: skip


def _translate_table(table: dict[str, str]) -> dict[int, str]:
    full: dict[int, str] = {}
    for cyr, lat in table.items():
        full[ord(cyr)] = lat
        full[ord(cyr.upper())] = lat.capitalize()
    return full


_CIVIL = _translate_table(CIVIL_TABLE)
_CLERK = _translate_table(CLERK_TABLE)


@lru_cache(maxsize=4096)
def civil_latin(text: str) -> str:
    """The civil registry's spelling: ``Жылдыз`` -> ``ZHYLDYZ``."""
    return text.translate(_CIVIL).upper()


@lru_cache(maxsize=4096)
def clerk_latin(text: str) -> str:
    """The social fund clerks' spelling: ``Жылдыз`` -> ``Jyldyz``."""
    return text.translate(_CLERK)


def patronymic(father: str, sex: int) -> str:
    """``Бакыт`` + sex 1 -> ``Бакытович``; sex 2 -> ``Бакытовна``."""
    return father + PATRONYMIC_SUFFIX[sex]


def family_form(male: str, sex: int) -> str:
    """The family name for a man (1) or a woman (2)."""
    return male if sex == 1 else male + "а"
