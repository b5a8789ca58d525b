"""Nothing of the project cites a retired requirement id.

A retired id stays in the catalogue (other projects' CI may cite it), but the suite, its cases,
the specification's narrative, the validator and the project's own tests cite the requirements
that replaced it. Only the catalogue and the review's record of decisions (the history of each
merge) name retired ids, and the tests of the retirement itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from ivoa_eb_spec.requirements import load_retired

REPO = Path(__file__).resolve().parents[2]
#: What is read: the suite (checks, cases, the Node.js runner's cases), the spec's files and
#: library (validator included), the narrative and how-tos, the broker, client, command line,
#: examples, scripts and tests.
ROOTS = (
    "conformance",
    "spec",
    "docs",
    "reference",
    "client",
    "cli",
    "examples",
    "scripts",
    "tests",
    "README.md",
    "ARCHITECTURE.md",
)
#: Where retired ids belong.
ALLOWED = {
    "spec/requirements/requirements.yaml",
    "docs/review",
    "tests/spec/test_requirements.py",
    "tests/spec/test_retired_ids.py",
}
SUFFIXES = {".py", ".yaml", ".yml", ".md", ".json", ".mjs", ".js", ".toml", ".html", ".xsd", ".sh"}
SKIPPED_DIRS = {".venv", "node_modules", "__pycache__", "build", "site"}


def _allowed(relative: str) -> bool:
    return any(relative == a or relative.startswith(a + "/") for a in ALLOWED)


def files() -> Iterator[Path]:
    for root in ROOTS:
        path = REPO / root
        candidates = [path] if path.is_file() else path.rglob("*")
        for item in candidates:
            relative = item.relative_to(REPO).as_posix()
            if (
                item.is_file()
                and item.suffix in SUFFIXES
                and not SKIPPED_DIRS & set(item.relative_to(REPO).parts)
                and not _allowed(relative)
            ):
                yield item


def citations(pattern: re.Pattern[str]) -> list[str]:
    found = []
    for path in files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            for match in pattern.finditer(line):
                found.append(f"{path.relative_to(REPO).as_posix()}:{number}: {match.group(0)}")
    return found


def _pattern(ids: list[str]) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, ids)) + r")(?![\w-])")


@pytest.fixture(scope="module")
def retired() -> dict[str, tuple[str, ...]]:
    return {item.id: item.replaced_by for item in load_retired()}


def test_nothing_cites_a_retired_id(retired: dict[str, tuple[str, ...]]) -> None:
    found = citations(_pattern(sorted(retired)))
    hints = {f"{i} -> {', '.join(retired[i])}" for i in (c.rsplit(" ", 1)[1] for c in found)}
    assert found == [], "cite the successors instead:\n" + "\n".join([*found, *sorted(hints)])


def test_the_scan_reads_the_suite_the_cases_and_the_narrative() -> None:
    """Guards the scan: the places the rule is about are read, the history is not."""
    read = {p.relative_to(REPO).as_posix() for p in files()}
    for must in (
        "conformance/ivoa_eb_conformance/cases/lifecycle.yaml",
        "conformance/ivoa_eb_conformance/checks/service.py",
        "conformance/node-runner/cases.json",
        "conformance/README.md",
        "docs/spec/lifecycle.md",
        "spec/ivoa_eb_spec/validate/codes.py",
    ):
        assert must in read, must
    assert not any(p.startswith("docs/review/") for p in read)
    assert "spec/requirements/requirements.yaml" not in read


def test_the_scan_finds_a_citation(tmp_path: Path) -> None:
    """The matcher sees an id in a list, in prose and in brackets, and not inside a longer id."""
    pattern = _pattern(["SVC-07"])
    assert pattern.findall("verifies: [ERR-05, SVC-07]") == ["SVC-07"]
    assert pattern.findall("MUST be refused [SVC-07].") == ["SVC-07"]
    assert pattern.findall("SVC-070 XSVC-07 SVC-07-x") == []
