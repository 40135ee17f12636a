"""The address register (CSV reference data) and the ways other agencies write addresses."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# (region, weight, [(district, [localities], post code)]) — place names are public
# geography; house numbers and post codes are invented.
REGIONS: tuple[tuple[str, float, tuple[tuple[str, tuple[str, ...], int], ...]], ...] = (
    ("г. Бишкек", 0.20, (
        ("Ленинский район", ("Бишкек",), 720040),
        ("Октябрьский район", ("Бишкек",), 720065),
        ("Первомайский район", ("Бишкек",), 720017),
        ("Свердловский район", ("Бишкек",), 720011),
    )),
    ("г. Ош", 0.06, (("г. Ош", ("Ош",), 723500),)),
    ("Чуйская область", 0.17, (
        ("Аламудунский район", ("Лебединовка", "Аламедин", "Васильевка"), 724300),
        ("Сокулукский район", ("Сокулук", "Шопоков"), 724800),
        ("Московский район", ("Беловодское", "Петровка"), 725000),
    )),
    ("Ошская область", 0.15, (
        ("Араванский район", ("Араван", "Кеней"), 714200),
        ("Кара-Суйский район", ("Кара-Суу", "Нариман"), 714100),
        ("Узгенский район", ("Узген", "Мырза-Аке"), 714500),
    )),
    ("Джалал-Абадская область", 0.14, (
        ("Сузакский район", ("Сузак", "Кок-Жангак"), 715600),
        ("Базар-Коргонский район", ("Базар-Коргон",), 715500),
        ("Ноокенский район", ("Масы", "Кочкор-Ата"), 715800),
    )),
    ("Иссык-Кульская область", 0.08, (
        ("Иссык-Кульский район", ("Чолпон-Ата", "Бостери"), 722100),
        ("Ак-Суйский район", ("Теплоключенка",), 722200),
        ("Тюпский район", ("Тюп",), 722300),
    )),
    ("Нарынская область", 0.05, (
        ("Нарынский район", ("Нарын",), 722600),
        ("Кочкорский район", ("Кочкор",), 722900),
    )),
    ("Таласская область", 0.05, (
        ("Таласский район", ("Талас",), 724200),
        ("Бакай-Атинский район", ("Бакай-Ата",), 724400),
    )),
    ("Баткенская область", 0.05, (
        ("Баткенский район", ("Баткен",), 720100),
        ("Лейлекский район", ("Исфана",), 720300),
    )),
)  # fmt: skip

STREETS: tuple[str, ...] = (
    "ул. Манаса", "ул. Токтогула", "пр. Чуй", "ул. Ибраимова", "ул. Киевская",
    "ул. Ахунбаева", "ул. Байтик Баатыра", "пр. Жибек Жолу", "ул. Ленина",
    "ул. Курманжан Датка", "ул. Молодая Гвардия", "ул. Советская", "ул. Абдымомунова",
    "ул. Фрунзе", "ул. Шопокова", "ул. Садовая", "ул. Центральная", "ул. Мира",
    "ул. Школьная", "ул. Масалиева", "ул. Жукеева-Пудовкина", "мкр. Джал",
)  # fmt: skip

COLUMNS = ("address_id", "region", "district", "locality", "street", "house", "post_code")


@dataclass(frozen=True)
class Addresses:
    """The address register as parallel columns (index = row)."""

    address_id: list[str]
    region: list[str]
    district: list[str]
    locality: list[str]
    street: list[str]
    house: list[str]
    post_code: list[str]

    def __len__(self) -> int:
        return len(self.address_id)


def make_addresses(rng: np.random.Generator, count: int) -> Addresses:
    """``count`` distinct addresses spread over the regions by population weight."""
    districts = [(r, d, locs, pc) for r, _, ds in REGIONS for d, locs, pc in ds]
    weights = np.array([w / len(ds) for _, w, ds in REGIONS for _ in ds])
    pick = rng.choice(len(districts), size=count, p=weights / weights.sum())
    loc_pick = rng.integers(0, 1 << 30, size=count)
    street_pick = rng.integers(0, len(STREETS), size=count)
    house_no = rng.integers(1, 180, size=count)
    letter = rng.random(count) < 0.06
    flat = rng.random(count) < 0.35
    flat_no = rng.integers(1, 120, size=count)
    region, district, locality, post = [], [], [], []
    for i in range(count):
        r, d, locs, pc = districts[pick[i]]
        region.append(r)
        district.append(d)
        locality.append(locs[loc_pick[i] % len(locs)])
        post.append(str(pc + int(loc_pick[i] % 7) * 3))
    house = [
        f"{h}{'А' if a else ''}" + (f", кв. {f}" if fl else "")
        for h, a, fl, f in zip(
            house_no.tolist(), letter.tolist(), flat.tolist(), flat_no.tolist(), strict=True
        )
    ]
    ids = [f"AD{n:07d}" for n in (np.arange(count) * 7 + 100_003).tolist()]
    streets = [STREETS[s] for s in street_pick.tolist()]
    return Addresses(ids, region, district, locality, streets, house, post)


def write_addresses(path: Path, addresses: Addresses) -> int:
    """Write the register as UTF-8 CSV; return the number of data rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(
            zip(
                addresses.address_id,
                addresses.region,
                addresses.district,
                addresses.locality,
                addresses.street,
                addresses.house,
                addresses.post_code,
                strict=True,
            )
        )
    return len(addresses)


def free_text(addresses: Addresses, i: int, style: int) -> str:
    """One address as a tax inspector would type it, in one of four styles."""
    loc, street, house = addresses.locality[i], addresses.street[i], addresses.house[i]
    if style == 0:
        return f"{addresses.post_code[i]}, {addresses.region[i]}, {loc}, {street}, д. {house}"
    if style == 1:
        return f"{loc}, {street} {house}"
    if style == 2:
        return f"{addresses.district[i]}, с. {loc}, {street.removeprefix('ул. ')} {house}"
    return f"{loc} {street} {house}".upper()
