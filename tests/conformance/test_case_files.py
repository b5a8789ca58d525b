"""The scenario files are data with a published format; the documents they send are valid."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ivoa_eb_conformance import probe, spec
from ivoa_eb_conformance.scenario import ACTIONS, EXPECTATIONS
from jsonschema import Draft202012Validator

SCHEMA = yaml.safe_load((probe.CASES / "cases.schema.yaml").read_text())
FILES = sorted(
    p for p in probe.CASES.glob("*.yaml") if p.name not in ("documents.yaml", "cases.schema.yaml")
)


def test_the_format_is_a_valid_schema_that_matches_the_interpreter() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$defs"]["step"]["properties"]["do"]["enum"] == list(ACTIONS)
    assert set(SCHEMA["$defs"]["expect"]["properties"]) == set(EXPECTATIONS)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_each_case_file_follows_the_format(path: Path) -> None:
    errors = list(Draft202012Validator(SCHEMA).iter_errors(yaml.safe_load(path.read_text())))
    assert [f"{list(e.absolute_path)}: {e.message}" for e in errors] == []


def test_case_ids_are_unique_across_files() -> None:
    ids = [c["id"] for p in FILES for c in yaml.safe_load(p.read_text())["cases"]]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("name", probe.document_names())
def test_each_named_document_is_a_valid_request(name: str) -> None:
    assert spec.schema_errors(probe.document(name), "request") == []


def test_templates_are_filled_with_instants() -> None:
    rendered = probe.render({"a": ["{{now}}/PT1H", "{{ now+PT1H }}", "{{now-PT5M}}"]})
    for text in rendered["a"]:
        assert "{{" not in text and "T" in text and text[:4].isdigit()
