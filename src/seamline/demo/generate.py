"""``seamline demo``: write the four-agency scenario, its spec and its ground truth."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Literal

import numpy as np

from seamline.demo import truth
from seamline.demo.address import make_addresses, write_addresses
from seamline.demo.billing import write_billing
from seamline.demo.billing.spec import NAME as BILLING_NAME
from seamline.demo.civil import write_civil
from seamline.demo.people import make_population
from seamline.demo.readme import README
from seamline.demo.social import write_social
from seamline.demo.spec import NAME, write_spec
from seamline.demo.tax import write_tax
from seamline.demo.usui import write_usui
from seamline.demo.usui.spec import NAME as USUI_NAME
from seamline.errors import UsageError

MIN_PEOPLE = 10

Scenario = Literal["civil", "us-ui", "billing"]
SCENARIOS: tuple[Scenario, ...] = ("civil", "us-ui", "billing")
"""``civil``: four registers of one country; ``us-ui``: a US unemployment-insurance program;
``billing``: 38 agencies' billing workbooks and a bank statement."""
_NAMES = (NAME, USUI_NAME, BILLING_NAME)


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`generate_demo` wrote."""

    path: Path
    people: int
    records: dict[str, int] = field(default_factory=dict)
    seed: int = 7
    seconds: float = 0.0


def _is_demo(target: Path) -> bool:
    """Whether ``target`` holds a workspace this generator wrote (by its project name)."""
    project = target / "seamline.yaml"
    if not project.is_file():
        return False
    try:
        text = project.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return any(line.strip() in {f"name: {n}" for n in _NAMES} for line in text.splitlines())


def _prepare(target: Path, force: bool) -> None:
    if target.exists() and not target.is_dir():
        raise UsageError(
            f"{target} is a file, not a folder",
            hint="Choose a folder name for the demo workspace.",
        )
    if not target.exists() or not any(target.iterdir()):
        target.mkdir(parents=True, exist_ok=True)
        return
    if not force:
        raise UsageError(
            f"{target} is not empty",
            hint=f"Choose an empty folder, or pass --force to replace an earlier demo in {target}.",
        )
    if not _is_demo(target):
        raise UsageError(
            f"{target} is not empty and is not a demo workspace "
            f"(no seamline.yaml with name: {' or '.join(_NAMES)}); refusing to delete its contents",
            hint="Choose an empty or new folder for the demo.",
        )
    for child in sorted(target.iterdir()):
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def generate_demo(
    target: Path,
    *,
    people: int = 20000,
    seed: int = 7,
    force: bool = False,
    progress: Callable[[int], None] | None = None,
    scenario: Scenario = "civil",
) -> DemoSummary:
    """Write the demo workspace for ``people`` invented people into ``target``.

    ``scenario`` picks the program (:data:`SCENARIOS`); for ``billing``, ``people`` is
    about how many billing lines the year has. The same ``scenario``, ``seed``
    and ``people`` give byte-identical files. ``progress`` is called after each file
    with the number of source records written so far.
    """
    if scenario not in SCENARIOS:
        raise UsageError(
            f"unknown demo scenario {scenario!r}",
            allowed=", ".join(SCENARIOS),
            hint="Pass --scenario civil, us-ui or billing.",
        )
    if people < MIN_PEOPLE:
        raise UsageError(
            f"the demo needs at least {MIN_PEOPLE} people, not {people}",
            hint=f"Pass --people {MIN_PEOPLE} or more.",
        )
    started = time.perf_counter()
    target = Path(target)
    _prepare(target, force)
    written = 0

    def step(count: int) -> None:
        nonlocal written
        written += count
        if progress is not None:
            progress(written)

    if scenario in ("us-ui", "billing"):
        if scenario == "us-ui":
            records = write_usui(target, people=people, seed=seed, step=step)
        else:  # billing: --people sets about how many billing lines the year has
            records = write_billing(target, lines=people, seed=seed, step=step)
        return DemoSummary(
            path=target,
            people=people,
            records=records,
            seed=seed,
            seconds=time.perf_counter() - started,
        )
    rng = np.random.default_rng(seed)
    addresses = make_addresses(rng, max(MIN_PEOPLE, people * 45 // 100))
    pop = make_population(rng, people, len(addresses))
    data = target / "data"
    step(write_addresses(data / "address" / "addresses.csv", addresses))
    civil = write_civil(data / "civil", pop, addresses, rng)
    step(len(civil.keys))
    tax = write_tax(data / "tax" / "tax.sqlite", pop, addresses, rng)
    step(len(tax.keys))
    registered = tax.registered.tolist()
    social = write_social(data / "social" / "beneficiaries.ndjson", pop, addresses, rng, registered)
    step(len(social.keys))

    truth.write_people(target / "_truth" / "people.csv", pop, addresses, registered)
    truth.write_entities(target / "_truth" / "people.csv", target / "_truth" / "entities.csv")
    truth.write_records(
        target / "_truth" / "records.csv",
        pop,
        [
            ("civil_persons", civil.keys, civil.person, civil.defects),
            ("tax_payers", tax.keys, tax.person, tax.defects),
            ("social_cases", social.keys, social.person, social.defects),
        ],
    )
    records = {
        "civil_persons": len(civil.keys),
        "tax_payers": len(tax.keys),
        "social_cases": len(social.keys),
        "addresses": len(addresses),
    }
    write_spec(target, people=people, addresses=len(addresses))
    readme = Template(README).substitute(
        seed=seed,
        people=f"{people:,}",
        civil=f"{records['civil_persons']:,}",
        tax=f"{records['tax_payers']:,}",
        social=f"{records['social_cases']:,}",
        addresses=f"{records['addresses']:,}",
        bad_packed=len(civil.bad_packed),
        malformed=len(social.malformed),
    )
    (target / "README.md").write_text(readme, encoding="utf-8")
    return DemoSummary(
        path=target,
        people=people,
        records=records,
        seed=seed,
        seconds=time.perf_counter() - started,
    )
