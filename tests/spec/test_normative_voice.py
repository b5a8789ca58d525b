"""The specification speaks with one voice: every RFC 2119 keyword in the narrative cites a
requirement of the catalogue at the same level.

The narrative (``docs/spec/``) explains; the catalogue, the schemas and the OpenAPI are the
normative sources. A sentence of the narrative with MUST, SHOULD or MAY restates a rule, so it
names that rule's id in brackets (``[SVC-01]``) after the keyword, and the rule's level is the
keyword's. A keyword without an id, an id the catalogue lacks, or a level that differs, fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from ivoa_eb_spec.requirements import load_requirements

REPO = Path(__file__).resolve().parents[2]
NARRATIVE = sorted((REPO / "docs" / "spec").glob("*.md"))

#: BCP 14 keywords, longest first so that "MUST NOT" is read as one keyword, and their level.
KEYWORDS = {
    "MUST NOT": "MUST",
    "SHALL NOT": "MUST",
    "SHOULD NOT": "SHOULD",
    "NOT RECOMMENDED": "SHOULD",
    "MUST": "MUST",
    "SHALL": "MUST",
    "REQUIRED": "MUST",
    "SHOULD": "SHOULD",
    "RECOMMENDED": "SHOULD",
    "MAY": "MAY",
    "OPTIONAL": "MAY",
}
KEYWORD = re.compile(r"(?<![\w-])(" + "|".join(KEYWORDS) + r")(?![\w-])")
ID = re.compile(r"\[((?:[A-Z]{2,5})-[0-9]{2})\]")
#: The one paragraph that names the keywords without using them (BCP 14 boilerplate).
BOILERPLATE = "BCP 14"


@dataclass(frozen=True)
class Finding:
    page: str
    line: int
    problem: str

    def __str__(self) -> str:
        return f"docs/spec/{self.page}:{self.line}: {self.problem}"


def blocks(text: str) -> list[tuple[int, str]]:
    """Paragraphs, list items and table rows with their first line, code removed."""
    found: list[tuple[int, str]] = []
    current: list[str] = []
    start = 0
    fenced = False

    def flush() -> None:
        if current:
            found.append((start, " ".join(current)))
            current.clear()

    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith(("```", "~~~")):
            flush()
            fenced = not fenced
            continue
        if fenced:
            continue
        stripped = line.strip()
        new_item = re.match(r"^(\s*[-*+] |\s*[0-9]+\. |\|)", line) is not None
        if not stripped or new_item or stripped.startswith("#"):
            flush()
        if stripped:
            if not current:
                start = number
            current.append(re.sub(r"`[^`]*`", "", stripped))
    flush()
    return found


def findings(page: Path, levels: dict[str, str]) -> list[Finding]:
    """Every keyword without a following id in its block, or cited at another level."""
    out: list[Finding] = []
    for line, block in blocks(page.read_text(encoding="utf-8")):
        if BOILERPLATE in block:
            continue
        for match in ID.finditer(block):
            if match.group(1) not in levels:
                out.append(Finding(page.name, line, f"[{match.group(1)}] is not in the catalogue"))
        for match in KEYWORD.finditer(block):
            keyword = match.group(1)
            cited = ID.search(block, match.end())
            if cited is None:
                out.append(Finding(page.name, line, f"{keyword} cites no requirement id"))
                continue
            level = levels.get(cited.group(1))
            if level is not None and level != KEYWORDS[keyword]:
                out.append(
                    Finding(
                        page.name,
                        line,
                        f"{keyword} cites [{cited.group(1)}], whose level is {level}",
                    )
                )
    return out


@pytest.fixture(scope="module")
def levels() -> dict[str, str]:
    return {r.id: r.level for r in load_requirements()}


def test_the_narrative_exists() -> None:
    assert len(NARRATIVE) >= 8


@pytest.mark.parametrize("page", NARRATIVE, ids=lambda p: p.name)
def test_every_keyword_cites_a_requirement_at_its_level(page: Path, levels: dict[str, str]) -> None:
    problems = findings(page, levels)
    assert problems == [], "\n".join(map(str, problems))


def test_the_narrative_cites_no_code_module_as_normative() -> None:
    cited = [
        f"{page.name}:{n}"
        for page in NARRATIVE
        for n, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"ivoa_eb_\w+|decision [0-9]+ of the brief|project-decision", line)
    ]
    assert cited == []


def test_the_spec_says_which_source_wins() -> None:
    text = (REPO / "docs" / "spec" / "conformance.md").read_text(encoding="utf-8")
    assert "Which source wins" in text


# The checker itself, on small texts: it must catch what it is meant to catch.


def _check(text: str, tmp_path: Path) -> list[str]:
    page = tmp_path / "page.md"
    page.write_text(text, encoding="utf-8")
    return [f.problem for f in findings(page, {"SVC-01": "MUST", "NEG-03": "SHOULD"})]


def test_checker_finds_an_orphan_keyword(tmp_path: Path) -> None:
    assert _check("A broker MUST answer.\n", tmp_path) == ["MUST cites no requirement id"]


def test_checker_finds_a_level_mismatch(tmp_path: Path) -> None:
    assert _check("A broker MUST answer [NEG-03].\n", tmp_path) == [
        "MUST cites [NEG-03], whose level is SHOULD"
    ]


def test_checker_finds_an_unknown_id(tmp_path: Path) -> None:
    assert _check("A broker MUST answer [SVC-99].\n", tmp_path) == [
        "[SVC-99] is not in the catalogue"
    ]


def test_checker_accepts_cited_keywords_and_ignores_code(tmp_path: Path) -> None:
    text = (
        "- A broker MUST NOT fail [SVC-01]; it SHOULD say so [NEG-03].\n"
        "- `MAY` in code is no keyword.\n\n```text\nMUST\n```\n"
    )
    assert _check(text, tmp_path) == []


def test_checker_reads_a_keyword_split_over_lines(tmp_path: Path) -> None:
    assert _check("A broker\nMUST answer\n(at once).\n", tmp_path) == [
        "MUST cites no requirement id"
    ]


def test_every_status_of_the_errors_page_is_in_the_openapi() -> None:
    """The errors page, the catalogue and the OpenAPI name the same status codes."""
    from ivoa_eb_spec import load_yaml

    document = load_yaml("openapi/execution-broker.yaml")
    declared = {
        status
        for item in document["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "responses" in operation
        for status in operation["responses"]
    }
    page = (REPO / "docs" / "spec" / "errors.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([0-9]{3})` \|", page, re.M))
    assert listed and listed <= declared, sorted(listed - declared)
    catalogue = " ".join(r.statement for r in load_requirements())
    assert [s for s in listed if s not in catalogue] == []
