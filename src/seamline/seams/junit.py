"""JUnit XML of a check report: one testsuite per seam, one testcase per rule.

Any CI system renders JUnit, so seams show up as tests next to the code's own
("test the integrations first, not last"). Written with the standard library's
ElementTree: the format is a handful of elements and needs no dependency.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from seamline.seams.report import CheckReport


def junit_tree(report: CheckReport) -> ET.Element:
    rows_by_seam = {s.id: report.for_seam(s.id) for s in report.seams}
    root = ET.Element(
        "testsuites",
        name="seamline check",
        tests=str(len(report.rows)),
        failures=str(sum(1 for r in report.rows if r.status == "fail")),
        errors=str(sum(1 for r in report.rows if r.status == "error")),
        time=f"{report.seconds:.3f}",
    )
    for seam in report.seams:
        rows = rows_by_seam[seam.id]
        suite = ET.SubElement(
            root,
            "testsuite",
            name=seam.id,
            tests=str(len(rows)),
            failures=str(sum(1 for r in rows if r.status == "fail")),
            errors=str(sum(1 for r in rows if r.status == "error")),
            skipped="0",
        )
        props = ET.SubElement(suite, "properties")
        for name, value in (
            ("owner", seam.owner),
            ("owner_email", seam.owner_email or ""),
            ("provider", seam.provider),
            ("consumer", seam.consumer),
        ):
            ET.SubElement(props, "property", name=name, value=value)
        for r in rows:
            case = ET.SubElement(suite, "testcase", classname=f"seams.{seam.id}", name=r.rule)
            if r.status == "pass":
                continue
            text = f"observed {r.observed_text}, expected {r.expected}"
            element = ET.SubElement(
                case,
                "failure" if r.status == "fail" else "error",
                message=text,
                type="contract.failed" if r.status == "fail" else "contract.error",
            )
            element.text = "\n".join(p for p in (text, r.message, f"owner: {r.owner}") if p)
    return root


def write_junit(report: CheckReport, path: Path) -> Path:
    """Write the report as JUnit XML to ``path`` (folders are created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tree = ET.ElementTree(junit_tree(report))
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
    return path
