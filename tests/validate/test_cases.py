"""The validator against its table of documents and expected findings (tests/validate/cases)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from ivoa_eb_spec.validate import CODES, DocumentType, Syntax, validate_body

CASES = Path(__file__).parent / "cases"


def _cases() -> list[Any]:
    found = []
    for path in sorted(CASES.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
            found.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return found


def _body(case: dict[str, Any]) -> bytes:
    if "body" in case:
        return case["body"].encode("utf-8")
    if case.get("syntax") == "json":
        return json.dumps(case["document"]).encode("utf-8")
    return yaml.safe_dump(case["document"], sort_keys=False).encode("utf-8")


@pytest.mark.parametrize("case", _cases())
def test_case(case: dict[str, Any]) -> None:
    syntax = Syntax(case.get("syntax", "yaml"))
    as_type = DocumentType(case["as"]) if "as" in case else None
    result = validate_body(_body(case), f"case.{syntax.value}", syntax=syntax, as_type=as_type)
    found = sorted((f.code, f.path) for f in result.findings)
    assert found == sorted((e["code"], e["path"]) for e in case["expect"]), result.findings
    for expected in case["expect"]:
        if "requirement" in expected:
            match = next(
                f
                for f in result.findings
                if (f.code, f.path) == (expected["code"], expected["path"])
            )
            assert match.requirement == expected["requirement"]


def test_every_code_is_exercised_by_a_case() -> None:
    used = {e["code"] for case in _cases() for e in case.values[0]["expect"]}
    # A skipped file is only ever met in a folder walk (see test_cli.py).
    assert (
        set(CODES)
        - used
        - {"I-DOC-SKIPPED", "E-SCHEMA-PATTERN", "E-SCHEMA-FORMAT", "E-SCHEMA-OTHER"}
        == set()
    )
