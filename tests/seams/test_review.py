"""Review packets and approvals on the demo workspace, through the command line."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from seamline.seams.odcs import export_odcs, import_odcs
from seamline.seams.review import SECTIONS
from seamline.workspace import load_workspace
from seamline.workspace.models import ApprovalsSpec

SEAMS = ("addresses-to-social", "civil-to-social", "civil-to-tax")
SECTION_IDS = [s for s, _ in SECTIONS]


def seamline(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SEAMLINE_STORE"}
    env["COLUMNS"] = "250"
    return subprocess.run(
        [sys.executable, "-m", "seamline", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def ok(*args: str) -> str:
    result = seamline(*args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("review") / "demo"
    ok("demo", str(root), "--people", "300")
    ok("run", str(root))
    return root


def personal_values(root: Path) -> set[str]:
    """The demo's identifiers and names, from the generator's ground truth."""
    columns = ("pin", "tin", "family_name", "given_name", "patronymic", "family_name_latin",
               "given_name_latin", "address_id")  # fmt: skip
    with (root / "_truth" / "people.csv").open(encoding="utf-8") as f:
        return {row[c] for row in csv.DictReader(f) for c in columns if len(row[c] or "") >= 3}


def words(html: str) -> set[str]:
    return set(re.findall(r"\w+", re.sub(r"<[^>]+>", " ", html)))


@pytest.mark.parametrize("seam", SEAMS)
def test_every_demo_seam_has_a_complete_packet_without_personal_values(
    root: Path, tmp_path: Path, seam: str
) -> None:
    out = tmp_path / f"{seam}.html"
    printed = ok("seams", "review", seam, "-w", str(root), "-o", str(out))
    html = out.read_text(encoding="utf-8")
    ids = re.findall(r'<section id="([a-z-]+)">', html)
    assert ids == SECTION_IDS
    ws = load_workspace(root, env={})
    spec = ws.seams[seam]
    flows = html.split('<section id="flows">')[1].split("</section>")[0]
    for attribute in spec.agreement.attributes:
        assert f"<td>{attribute}</td>" in flows
    if "national_id" in spec.agreement.attributes:
        row = flows.split("<td>national_id</td>")[1].split("</tr>")[0]
        assert 'class="pii-direct_identifier"' in row and "mapped to Person.national_id" in row
    assert spec.agreement.legal_basis in html and spec.agreement.reference in html
    assert "not encrypted" in html and "not enforced" in html
    contract = html.split('<section id="contract">')[1].split("</section>")[0]
    assert "Latest check on real data (run" in contract
    assert len(re.findall(r'class="(good|bad)">(pass|fail|error)<', contract)) >= len(
        spec.contract.rules
    )
    digest = re.search(r"Digest: ([0-9a-f]{64})", printed)
    assert digest and f'id="digest">{digest.group(1)}<' in html
    leaked = words(html) & personal_values(root)
    assert not leaked, f"personal values in the packet: {sorted(leaked)[:5]}"


def test_pdf_is_refused_with_a_reason(root: Path, tmp_path: Path) -> None:
    result = seamline("seams", "review", "civil-to-tax", "-w", str(root), "-o",
                      str(tmp_path / "p.pdf"))  # fmt: skip
    assert result.returncode == 2
    assert ".html" in result.stderr + result.stdout and "Traceback" not in result.stderr
    assert not (tmp_path / "p.pdf").exists()


def test_unknown_seam_names_the_seams(root: Path, tmp_path: Path) -> None:
    result = seamline("seams", "review", "nope", "-w", str(root), "-o", str(tmp_path / "p.html"))
    assert result.returncode == 2
    assert "civil-to-tax" in result.stderr + result.stdout


def test_approval_flag_stale_and_reapproval(root: Path, tmp_path: Path) -> None:
    before = ok("seams", str(root))
    assert "NEEDS APPROVAL" not in before and "not required" in before

    project = root / "seamline.yaml"
    original = project.read_text(encoding="utf-8")
    project.write_text(original + "approvals: {required: [owner, security]}\n", "utf-8")
    try:
        check_approvals(root, tmp_path)
    finally:
        project.write_text(original, encoding="utf-8")


def check_approvals(root: Path, tmp_path: Path) -> None:
    flagged = ok("seams", str(root))
    assert flagged.count("NEEDS APPROVAL") == len(SEAMS)
    assert "owner missing" in flagged and "security missing" in flagged

    printed = ok("seams", "review", "civil-to-tax", "-w", str(root), "-o", str(tmp_path / "a.html"))
    digest = re.search(r"Digest: ([0-9a-f]{64})", printed)
    assert digest
    wrong = seamline("seams", "approve", "civil-to-tax", "--as", "auditor", "--by", "A. Reviewer",
                     "-w", str(root))  # fmt: skip
    assert wrong.returncode == 2 and "owner, security" in wrong.stderr + wrong.stdout
    ok("seams", "approve", "civil-to-tax", "--as", "owner", "--by", "Bakyt Sadykov",
       "--note", "purpose matches the law", "--digest", digest.group(1), "-w", str(root))  # fmt: skip
    half = ok("seams", str(root))
    row = next(line for line in half.splitlines() if "civil-to-tax" in line)
    assert (
        "security missing" in row
        and "owner" not in row.split("NEEDS APPROVAL")[1].split("security")[0]
    )
    ok("seams", "approve", "civil-to-tax", "--as", "security", "--by", "Dana Security",
       "--digest", digest.group(1), "-w", str(root))  # fmt: skip
    approved = ok("seams", str(root))
    row = next(line for line in approved.splitlines() if "civil-to-tax" in line)
    assert "approved (owner, security)" in row
    assert approved.count("NEEDS APPROVAL") == len(SEAMS) - 1

    # The contract changes: the packet's digest changes, the approvals are stale.
    seam_file = root / "seams" / "civil-to-tax.yaml"
    original = seam_file.read_text(encoding="utf-8")
    seam_file.write_text(original.replace("tolerance: 0.001", "tolerance: 0.002", 1), "utf-8")
    assert seam_file.read_text(encoding="utf-8") != original
    stale = ok("seams", str(root))
    row = next(line for line in stale.splitlines() if "civil-to-tax" in line)
    assert "owner stale" in row and "security stale" in row
    again = ok("seams", "review", "civil-to-tax", "-w", str(root), "-o", str(tmp_path / "b.html"))
    assert digest.group(1) not in again
    old = seamline("seams", "approve", "civil-to-tax", "--as", "owner", "--by", "Bakyt Sadykov",
                   "--digest", digest.group(1), "-w", str(root))  # fmt: skip
    assert old.returncode == 2 and "not the current packet" in old.stderr + old.stdout
    html = (tmp_path / "b.html").read_text(encoding="utf-8")
    assert html.count(">stale<") == 2 and "Bakyt Sadykov" in html
    seam_file.write_text(original, encoding="utf-8")
    restored = ok("seams", str(root))
    row = next(line for line in restored.splitlines() if "civil-to-tax" in line)
    assert "approved (owner, security)" in row


def test_bad_approvals_spec_names_file_and_line(root: Path, tmp_path: Path) -> None:
    project = root / "seamline.yaml"
    original = project.read_text(encoding="utf-8")
    try:
        project.write_text(original + "approvals: {required: [Owner, owner, owner]}\n", "utf-8")
        result = seamline("validate", str(root))
        assert result.returncode == 2
        text = result.stdout + result.stderr
        line = len(original.splitlines()) + 1
        assert re.search(rf"seamline\.yaml:{line}:\d+", text), text
    finally:
        project.write_text(original, encoding="utf-8")


def test_a_seams_own_approvals_survive_an_odcs_round_trip(root: Path) -> None:
    ws = load_workspace(root, env={})
    rules = ApprovalsSpec(required=["owner", "privacy"], enforce=False)
    seam = ws.seams["civil-to-tax"].model_copy(update={"approvals": rules})
    one = replace(ws, seams={**ws.seams, seam.id: seam})
    assert import_odcs(export_odcs(one, seam.id)).seam().approvals == rules
    assert import_odcs(export_odcs(ws, seam.id)).seam().approvals is None
