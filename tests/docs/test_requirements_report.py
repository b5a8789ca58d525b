"""The requirements page reads the conformance suite's JSON report as the suite writes it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ivoa_eb_spec.requirements import load_requirements

conformance = pytest.importorskip("ivoa_eb_conformance.model")


def report(tmp_path: Path) -> Path:
    """A report in the suite's format, from the suite's own classes."""
    first, second = load_requirements()[:2]
    model = conformance
    outcomes = [
        model.Outcome("svc.post-requests", (first.id,), model.Status.PASS, "offer set received"),
        model.Outcome("schemathesis", (first.id,), model.Status.FAIL, "500 on a generated body"),
    ]
    verdicts = [
        model.Verdict(model.Requirement(first.id, first.level, first.title), model.Status.FAIL,
                      "1 assertion failed", outcomes),
        model.Verdict(model.Requirement(second.id, second.level, second.title),
                      model.Status.SKIPPED, "no time left for it", []),
    ]
    document = {
        "suite": "ivoa-eb-conformance",
        "url": "http://127.0.0.1:1/",
        "level": "must",
        "started": "2030-01-01T00:00:00+00:00",
        "finished": "2030-01-01T00:01:00+00:00",
        "counts": {"pass": 0, "fail": 1, "skipped": 1},
        "exit_code": 1,
        "checks_run": ["svc.post-requests", "schemathesis"],
        "suite_errors": [],
        "requirements": [v.to_dict() for v in verdicts],
    }
    path = tmp_path / "conformance.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def row(text: str, requirement_id: str) -> str:
    return next(line for line in text.splitlines() if f"id='{requirement_id}'" in line)


def test_each_check_with_its_verdict(hooks: None, tmp_path: Path) -> None:
    import render_requirements

    text = render_requirements.page(report(tmp_path))
    first, second = load_requirements()[:2]
    line = row(text, first.id)
    assert "`svc.post-requests`: pass" in line
    assert "`schemathesis`: **FAIL**" in line
    assert "**FAIL**<br>1 assertion failed" in line
    line = row(text, second.id)
    assert "**skipped**<br>no time left for it" in line
    assert "Verdicts not captured" not in text
    assert "started 2030-01-01T00:00:00+00:00" in text


def test_no_report(hooks: None, tmp_path: Path) -> None:
    import render_requirements

    text = render_requirements.page(tmp_path / "absent.json")
    assert "Verdicts not captured in this build" in text
    for requirement in load_requirements():
        assert "verdicts not captured" in row(text, requirement.id)


def test_retired_ids_keep_their_row_and_point_to_their_successors(
    hooks: None, tmp_path: Path
) -> None:
    import render_requirements
    from ivoa_eb_spec.requirements import load_retired

    text = render_requirements.page(tmp_path / "absent.json")
    for item in load_retired():
        line = row(text, item.id)
        assert "retired" in line
        assert all(f"[{i}](#{i})" in line for i in item.replaced_by), item.id
        assert " ".join(item.statement.split()) in line
    # Each in the section of its group, with the requirements in force of that group.
    lines = text.splitlines()
    for item in load_retired():
        group = item.id.rsplit("-", 1)[0]
        start = next(n for n, line in enumerate(lines) if line.startswith(f"## {group}"))
        end = next((n for n, line in enumerate(lines) if n > start and line.startswith("## ")),
                   len(lines))
        assert any(f"id='{item.id}'" in line for line in lines[start:end]), item.id
