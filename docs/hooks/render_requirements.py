"""The requirements catalogue, with the conformance checks of each requirement and their latest
verdicts against the reference broker.

The verdicts come from the conformance suite's JSON report (``ivoa-eb-conformance run --json``),
which ``make docs`` writes to ``build/conformance.json``: a ``requirements`` list with, for each
requirement, its ``verdict``, the ``reason``, the ``checks`` that spoke about it and their
``outcomes`` (``check``, ``status``, ``message``). Which checks verify a requirement is also
taken from the suite itself (``ivoa_eb_conformance.checks.all_checks``) when it is installed, so
that the table names the checks even in a build without a report.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Any

from ivoa_eb_spec.requirements import (
    Requirement,
    RetiredRequirement,
    load_requirements,
    load_retired,
)
from mdutil import cell, table

#: How each status reads in the table (plain words: no emoji font needed to read the page).
BADGES = {
    "pass": "pass",
    "fail": "**FAIL**",
    "skipped": "skipped",
    "not-applicable": "not applicable",
    "not-testable": "not testable",
    "not run": "not run",
}

#: The suite's aggregation order: the first status present among a check's outcomes wins.
PRECEDENCE = ("fail", "pass", "skipped", "not-applicable", "not-testable")

GROUPS = {
    "SVC": "Service interaction",
    "NEG": "Content negotiation",
    "XML": "XML serialisation",
    "OFF": "Offers",
    "TIME": "Scheduling and time",
    "LIFE": "Lifecycle",
    "ERR": "Errors",
    "REF": "References within a request",
    "KIND": "Kinds and aliases",
    "FED": "Federation",
    "SEC": "Security",
    "DOC": "Documents",
    "VOSI": "VOSI and the Registry",
    "EXT": "Extensibility",
    "UWS": "UWS parity",
}


@dataclass
class Report:
    """What the build knows of the suite's latest run against the reference broker."""

    started: str = ""
    finished: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    checks_run: set[str] = field(default_factory=set)
    suite_errors: list[Any] = field(default_factory=list)
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)


def load_report(path: Path) -> Report | None:
    """The report at ``path``, or None when the build did not produce one."""
    if not path.is_file():
        return None
    document = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(document, list):  # a bare list of requirement entries
        document = {"requirements": document}
    entries = {entry["id"]: entry for entry in document.get("requirements", [])}
    checks_run = set(document.get("checks_run") or [])
    for entry in entries.values():
        checks_run.update(check_id(c) for c in entry.get("checks") or [])
    return Report(
        started=document.get("started", ""),
        finished=document.get("finished", ""),
        counts=dict(document.get("counts") or {}),
        checks_run=checks_run,
        suite_errors=list(document.get("suite_errors") or []),
        entries=entries,
    )


def check_id(check: Any) -> str:
    return str(check.get("id") or check.get("check")) if isinstance(check, dict) else str(check)


def suite_checks() -> dict[str, list[str]]:
    """Requirement id -> ids of the suite's checks that verify it (empty without the suite)."""
    try:
        from ivoa_eb_conformance.checks import all_checks
    except ImportError:
        return {}
    mapping: dict[str, list[str]] = {}
    for check in all_checks():
        for requirement in check.requirements:
            mapping.setdefault(requirement, []).append(check.id)
    return mapping


def check_status(check: str, entry: dict[str, Any], report: Report) -> str:
    """The latest verdict of one check on one requirement."""
    found = {o.get("status", "") for o in entry.get("outcomes") or [] if o.get("check") == check}
    for status in PRECEDENCE:
        if status in found:
            return status
    if check not in report.checks_run:
        return "not run"
    return entry.get("verdict", "") if check in (entry.get("checks") or []) else "not run"


def checks_cell(ids: Iterable[str], entry: dict[str, Any], report: Report | None) -> str:
    items = []
    for check in ids:
        if report is None:
            items.append(f"`{check}`")
        else:
            status = check_status(check, entry, report)
            items.append(f"`{check}`: {BADGES.get(status, status)}")
    return "<br>".join(items)


def verdict_cell(requirement_id: str, report: Report | None) -> str:
    if report is None:
        return "verdicts not captured"
    entry = report.entries.get(requirement_id)
    if entry is None:
        return "not in the report"
    verdict = entry.get("verdict", "")
    text = BADGES.get(verdict, verdict)
    text = text if text.startswith("**") else f"**{text}**"
    if verdict != "pass" and entry.get("reason"):
        text += f"<br>{entry['reason']}"
    return text


def preamble(report: Report | None, report_path: Path) -> list[str]:
    parts = [
        "# Requirements",
        "",
        "The requirements catalogue (`spec/requirements/requirements.yaml`): each requirement "
        "has a stable id, an RFC 2119 level (and the optional profile it belongs to, if any), "
        "the section of the draft standard (or the project decision) it comes from, and how a "
        "black-box test sees it. The last two columns list the "
        "[conformance suite](../howto/conformance.md)'s checks that verify it, each with its "
        "latest verdict, and the requirement's verdict, from a run of the suite against the "
        "reference broker.",
        "",
    ]
    if report is None:
        parts += [
            '!!! warning "Verdicts not captured in this build"',
            f"    There is no conformance report (`build/{report_path.name}`): the checks are "
            "listed, their verdicts are not. `make docs` runs the suite against the reference "
            "broker and records them.",
            "",
        ]
        return parts
    parts += [
        f"Verdicts: the run of the conformance suite against the reference broker recorded when "
        f"this site was built (`build/{report_path.name}`), started {report.started}, "
        f"finished {report.finished}. The broker ran on its embedded defaults (simulated "
        "platform) but with a short offer lifetime (`OFFER_LIFETIME` in "
        "`scripts/docs/run_conformance.py`), so that the suite could watch an offer expire "
        "within its time budget.",
        "",
    ]
    if report.counts:
        parts.append(
            table(
                ("verdict", "requirements"),
                [(BADGES.get(k, k), v) for k, v in report.counts.items()],
            )
        )
    if report.suite_errors:
        parts += ['!!! failure "Errors of the suite itself in this run"', ""]
        parts += [f"    - {cell(error)}" for error in report.suite_errors]
        parts.append("")
    return parts


def group_of(requirement_id: str) -> str:
    return requirement_id.rsplit("-", 1)[0]


def in_catalogue_order() -> list[Requirement | RetiredRequirement]:
    """The requirements in force and the retired ones together, grouped as the catalogue is
    (groups in their order there, ids in numeric order within a group)."""
    active = load_requirements()
    order = {prefix: n for n, prefix in enumerate(dict.fromkeys(group_of(r.id) for r in active))}
    everything: list[Requirement | RetiredRequirement] = [*active, *load_retired()]
    return sorted(everything, key=lambda r: (order.get(group_of(r.id), len(order)), r.id))


def retired_row(item: RetiredRequirement) -> tuple[str, ...]:
    """A retired id keeps its row and anchor (others may link to it), pointing to its successors."""
    successors = ", ".join(f"[{i}](#{i})" for i in item.replaced_by)
    return (
        f"<span id='{item.id}'></span>**{item.id}**<br>retired",
        f"**Retired in {item.retired_in}: see {successors}.** {item.reason} "
        f"<br>Its last wording: *{item.title}.* {item.statement}",
        "binds nothing",
        "none: the checks cite " + ", ".join(f"`{i}`" for i in item.replaced_by),
        "retired",
    )


def page(report_path: Path) -> str:
    report = load_report(report_path)
    verifying = suite_checks()
    parts = preamble(report, report_path)
    parts += [
        "A requirement withdrawn from the catalogue, most often merged into another, keeps its "
        "row here, marked *retired*, with the requirements that now carry its content: "
        "its id is never reused, so a reference to it elsewhere still lands here.",
        "",
    ]
    header = ("id", "requirement", "black-box test", "checks", "verdict")
    for prefix, members in groupby(in_catalogue_order(), key=lambda r: group_of(r.id)):
        title = GROUPS.get(prefix)
        parts += [f"## {prefix}" + (f": {title}" if title else ""), ""]
        rows = []
        for requirement in members:
            if isinstance(requirement, RetiredRequirement):
                rows.append(retired_row(requirement))
                continue
            entry = report.entries.get(requirement.id, {}) if report else {}
            ids = list(verifying.get(requirement.id, []))
            ids += [c for c in map(check_id, entry.get("checks") or []) if c not in ids]
            level = requirement.level
            if requirement.profile:
                level += f"<br>profile `{requirement.profile}`"
            rows.append(
                (
                    f"<span id='{requirement.id}'></span>**{requirement.id}**<br>{level}",
                    f"**{requirement.title}.** {requirement.statement} "
                    f"<br>Source: `{requirement.source}`.",
                    f"{requirement.blackbox}: {requirement.how}",
                    checks_cell(ids, entry, report),
                    verdict_cell(requirement.id, report),
                )
            )
        parts.append(table(header, rows))
    return "\n".join(parts) + "\n"
