"""JUnit XML: one testcase per requirement, so CI systems show requirements, not checks."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..model import Status
from ..runner import RunResult
from .text import evidence_text


def render_junit(result: RunResult) -> str:
    counts = result.counts()
    suite = ET.Element(
        "testsuite",
        {
            "name": "ivoa-eb-conformance",
            "tests": str(len(result.verdicts)),
            "failures": str(counts["fail"]),
            "errors": "0",
            "skipped": str(len(result.verdicts) - counts["fail"] - counts["pass"]),
            "timestamp": result.started.isoformat(),
            "time": f"{(result.finished - result.started).total_seconds():.3f}",
        },
    )
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", {"name": "url", "value": result.url})
    ET.SubElement(properties, "property", {"name": "level", "value": result.options.level})
    if result.versions:
        for name, value in (
            ("suite-version", result.versions.suite),
            ("spec-version", result.versions.spec),
            ("broker-spec-version", result.versions.broker.spec_version or ""),
            ("broker-software", result.versions.broker.software or ""),
        ):
            ET.SubElement(properties, "property", {"name": name, "value": value})
    if result.refused:
        ET.SubElement(properties, "property", {"name": "refused", "value": result.refused})
    for verdict in result.verdicts:
        requirement = verdict.requirement
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": f"requirements.{requirement.id.split('-')[0]}",
                "name": f"{requirement.id} [{requirement.level}] {requirement.title}",
            },
        )
        if verdict.status is Status.FAIL:
            failure = ET.SubElement(
                case, "failure", {"message": verdict.reason[:500], "type": requirement.level}
            )
            failure.text = (
                verdict.reason
                + "\n\n"
                + "\n\n".join(evidence_text(e) for e in verdict.evidence[:5])
            )
        elif verdict.status is not Status.PASS:
            ET.SubElement(case, "skipped", {"message": f"{verdict.status}: {verdict.reason}"[:500]})
        out = ET.SubElement(case, "system-out")
        out.text = "checks: " + ", ".join(verdict.checks)
    ET.indent(suite)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
    )
