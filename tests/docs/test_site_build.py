"""The site builds with ``mkdocs build --strict``, and its generated reference is complete:
every kind URI, requirement id, class, field and enumeration value, API operation and XML
Schema component, and every use case in its three serialisations."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
import xmlschema
import yaml
from ivoa_eb_spec import files, load_yaml
from ivoa_eb_spec.requirements import load_requirements
from ivoa_eb_spec.vocabulary import load_kinds

from .conftest import ROOT, WRITTEN_ELSEWHERE, missing_pages, page

pytestmark = pytest.mark.slow

OPERATIONS = [
    ("POST", "/requests"),
    ("POST", "/direct"),
    ("GET", "/offersets/{uuid}"),
    ("GET", "/sessions"),
    ("GET", "/sessions/{uuid}"),
    ("POST", "/sessions/{uuid}"),
    ("GET", "/availability"),
    ("GET", "/capabilities"),
]
CATALOGUE = yaml.safe_load((ROOT / "examples" / "examples.yaml").read_text(encoding="utf-8"))


def text_of(site: Path, path: str) -> str:
    """A page's HTML with entities decoded, so that URIs and braces compare as written."""
    return html.unescape(page(site, path))


def schema_names() -> list[tuple[str, dict[str, Any]]]:
    root = files() / "schema"
    return [
        (p.relative_to(root).as_posix(), load_yaml(f"schema/{p.relative_to(root).as_posix()}"))
        for p in sorted(root.rglob("*.yaml"))
    ]


def walk(node: Any, found: dict[str, set[str]]) -> None:
    """Every property name and enumeration value of a schema, nested ones included; the
    ``not`` branches (the known kinds an unknown kind must not be) are left out."""
    if not isinstance(node, dict):
        return
    for name, child in (node.get("properties") or {}).items():
        found["fields"].add(name)
        walk(child, found)
    found["enums"].update(str(value) for value in node.get("enum") or [])
    for key in ("items", "additionalProperties"):
        walk(node.get(key), found)
    for key in ("oneOf", "anyOf", "allOf"):
        for branch in node.get(key) or []:
            walk(branch, found)
    for child in (node.get("$defs") or {}).values():
        walk(child, found)


def test_every_kind_uri(site: Path) -> None:
    text = text_of(site, "reference/kinds")
    kinds = load_kinds()
    assert kinds
    absent = [k.uri for k in kinds if k.uri not in text]
    absent += [alias for k in kinds for alias in k.aliases if alias not in text]
    assert not absent, absent


def test_every_requirement_id(site: Path) -> None:
    text = text_of(site, "reference/requirements")
    requirements = load_requirements()
    assert requirements
    absent = [r.id for r in requirements if f"id=\"{r.id}\"" not in text
              and f"id='{r.id}'" not in text]
    assert not absent, absent
    # Each requirement's statement is there too, not only its id.
    absent = [r.id for r in requirements if " ".join(r.title.split()) not in text]
    assert not absent, absent


def test_every_class_field_and_enum(site: Path) -> None:
    text = text_of(site, "reference/classes")
    found: dict[str, set[str]] = {"fields": set(), "enums": set()}
    titles = []
    for _, document in schema_names():
        walk(document, found)
        if "title" in document and ("properties" in document or "oneOf" in document
                                    or "type" in document):
            titles.append(document["title"])
        titles += [d.get("title") or key for key, d in (document.get("$defs") or {}).items()]
    assert titles and found["fields"] and found["enums"]
    assert not [t for t in titles if f">{t}" not in text], "classes missing"
    assert not [f for f in found["fields"] if f"<code>{f}</code>" not in text]
    assert not [e for e in found["enums"] if f"<code>{e}</code>" not in text]


def test_api_operations(site: Path) -> None:
    text = text_of(site, "reference/api")
    document = load_yaml("bundled/openapi.yaml")
    listed = [(m.upper(), p) for p, item in document["paths"].items() for m in item
              if m in {"get", "post", "put", "patch", "delete"}]
    assert sorted(listed) == sorted(OPERATIONS)
    for method, path in OPERATIONS:
        assert re.search(rf"<h2[^>]*>{method} <code>{re.escape(path)}</code>", text), path
    # Every status code of every operation, with its meaning (the $refs are resolved).
    for item in document["paths"].values():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for status in operation["responses"]:
                assert f"<code>{status}</code>" in text
    assert "The request is malformed" in text  # from components/responses/BadRequest
    assert "unpkg.com" not in text and "cdn." not in text


def test_xml_schema_components(site: Path) -> None:
    text = text_of(site, "reference/xml-schema")
    schema = xmlschema.XMLSchema11(str(files() / "xml" / "execution-broker.xsd"))
    names = list(schema.elements)
    names += [t.local_name for t in schema.types.values() if t.is_complex()]
    assert names
    assert not [n for n in names if f"<code>{n}</code>" not in text]


def test_use_cases(site: Path) -> None:
    text = page(site, "examples")
    for entry in CATALOGUE["examples"]:
        section = text.split(f'id="{entry["id"]}"', 1)[1]
        section = section.split("<h2", 1)[0]
        labels = re.findall(r"<label[^>]*>([^<]+)</label>", section)
        assert labels == ["YAML", "JSON", "XML", "Answer"], (entry["id"], labels)
        words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", section)).split())
        assert " ".join(entry["note"].replace("`", "").split()[:8]) in words, entry["id"]
        assert entry["file"] in words
    answers = ROOT / "build" / "answers"
    if answers.is_dir() and any(answers.glob("*.yaml")):
        assert "Answers not captured" not in text
        assert "answered by ivoa-eb-broker" in text


def test_conformance_verdicts_when_recorded(site: Path) -> None:
    text = text_of(site, "reference/requirements")
    if (ROOT / "build" / "conformance.json").is_file():
        assert "Verdicts not captured" not in text
        assert "<code>svc.post-requests</code>: " in text
    else:
        assert "Verdicts not captured" in text


def test_builds_without_recorded_answers_and_verdicts(bare_site: Path) -> None:
    requirements = text_of(bare_site, "reference/requirements")
    assert "Verdicts not captured in this build" in requirements
    assert all(r.id in requirements for r in load_requirements())
    examples = text_of(bare_site, "examples")
    assert "Answers not captured in this build" in examples
    assert "answered by ivoa-eb-broker" not in examples


def test_no_page_reaches_a_cdn(site: Path) -> None:
    pattern = re.compile(r"""<script[^>]+src=["'](https?:)?//""")
    offenders = [p for p in site.rglob("*.html") if pattern.search(p.read_text("utf-8"))]
    assert not offenders, offenders
    assert (site / "assets" / "mermaid-init.js").is_file()


def test_hooks_are_not_published(site: Path) -> None:
    assert not (site / "hooks").exists()


def test_pages_written_elsewhere() -> None:
    """The nav names these pages; the build above used placeholders for the missing ones."""
    assert not missing_pages(), (
        f"missing from docs/: {missing_pages()} (of {list(WRITTEN_ELSEWHERE)}); "
        "`mkdocs build --strict` of the real tree fails until they exist"
    )
