"""The narrative's citations of requirement ids become links to the requirements page."""

from __future__ import annotations

import importlib.util
from pathlib import Path

HOOK = Path(__file__).resolve().parents[2] / "docs" / "hooks" / "requirement_ids.py"


def _hook():
    spec = importlib.util.spec_from_file_location("requirement_ids", HOOK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_citation_becomes_a_link() -> None:
    linked = _hook().link_citations("A broker MUST answer [SVC-01].", "../r.md")
    assert linked == "A broker MUST answer [SVC-01](../r.md#SVC-01)."


def test_links_code_and_other_brackets_stay_as_they_are() -> None:
    text = "[SVC-01](x.md) `[SVC-02]` [not-an-id]\n```\n[SVC-03]\n```"
    assert _hook().link_citations(text, "../r.md") == text
