"""The JSON and XML forms of the examples: generated, current, valid, and the same document.

``examples/json/`` and ``examples/xml/`` are written by ``scripts/examples/generate.py`` from
the YAML sources and checked in. Each JSON form must validate against the JSON Schema of an
ExecutionRequest, each XML form against the published XSD (XML Schema 1.1, with xmlschema),
and the three forms of one example must parse to the same document.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import xmlschema
import yaml
from ivoa_eb_spec import JsonDataLoader, files
from ivoa_eb_spec.registry import validator
from ivoa_eb_spec.xmlcodec import from_xml
from lxml import etree

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
SCRIPT = REPO / "scripts" / "examples" / "generate.py"
NS = "http://www.ivoa.net/xml/ExecutionBroker/v1.0"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("examples_generate", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generate = _generator()
STEMS = [source.stem for source in generate.sources(EXAMPLES)]


@pytest.fixture(scope="module")
def xsd() -> xmlschema.XMLSchema11:
    """The published XSD, loaded as XML Schema 1.1 straight from its file."""
    return xmlschema.XMLSchema11(str(files() / "xml" / "execution-broker.xsd"))


def _yaml(stem: str) -> Any:
    with (EXAMPLES / f"{stem}.yaml").open(encoding="utf-8") as stream:
        return yaml.load(stream, Loader=JsonDataLoader)  # noqa: S506 - a SafeLoader subclass


def _json(stem: str) -> Any:
    return json.loads((EXAMPLES / "json" / f"{stem}.json").read_text(encoding="utf-8"))


def _xml(stem: str) -> bytes:
    return (EXAMPLES / "xml" / f"{stem}.xml").read_bytes()


def test_every_example_has_both_forms_and_nothing_else() -> None:
    assert len(STEMS) >= 12
    assert sorted(p.name for p in (EXAMPLES / "json").iterdir()) == [f"{s}.json" for s in STEMS]
    assert sorted(p.name for p in (EXAMPLES / "xml").iterdir()) == [f"{s}.xml" for s in STEMS]


@pytest.mark.parametrize("stem", STEMS)
def test_json_form_is_a_valid_execution_request(stem: str) -> None:
    document = _json(stem)
    errors = sorted(validator("execution-request.yaml").iter_errors(document), key=str)
    assert not errors, "\n".join(f"{e.json_path}: {e.message}" for e in errors)


@pytest.mark.parametrize("stem", STEMS)
def test_xml_form_is_valid_against_the_xsd(stem: str, xsd: xmlschema.XMLSchema11) -> None:
    data = _xml(stem)
    root = etree.fromstring(data)
    assert etree.QName(root) == etree.QName(NS, "offers-request")
    errors = list(xsd.iter_errors(data))
    assert not errors, "\n".join(str(e.reason) for e in errors)


@pytest.mark.parametrize("stem", STEMS)
def test_the_three_forms_are_the_same_document(stem: str) -> None:
    """YAML, JSON and XML parse to one document (also in the order of its keys, for JSON).

    The XML form keeps the properties of an unknown kind as text; the examples' unknown
    kinds hold strings only, so here too the document is exactly the same.
    """
    source = _yaml(stem)
    as_json = _json(stem)
    root, as_xml = from_xml(_xml(stem))
    assert root == "offers-request"
    assert as_json == source
    assert json.dumps(as_json) == json.dumps(source), "JSON keys are not in the YAML's order"
    assert as_xml == source


@pytest.mark.parametrize("stem", STEMS)
def test_forms_are_pretty_printed(stem: str) -> None:
    text = (EXAMPLES / "json" / f"{stem}.json").read_text(encoding="utf-8")
    assert text == json.dumps(_json(stem), indent=2, ensure_ascii=False) + "\n"
    lines = _xml(stem).decode("utf-8").splitlines()
    assert lines[0] == '<?xml version="1.0" encoding="UTF-8"?>'
    assert lines[1].startswith("<!-- Generated from examples/") and f"{stem}.yaml" in lines[1]
    assert lines[2].startswith("<offers-request ") and lines[-1] == "</offers-request>"
    assert len(lines) > 5, "the XML form is indented, one element per line"


def test_generated_files_are_current() -> None:
    assert generate.stale_files(EXAMPLES) == [], "run: python scripts/examples/generate.py"


def test_generation_is_deterministic() -> None:
    assert generate.expected_files(EXAMPLES) == generate.expected_files(EXAMPLES)


# --- the command line, on a copy of the folder ------------------------------------------------


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A copy of examples/ with its generated forms, to break and repair."""
    target = tmp_path / "examples"
    shutil.copytree(EXAMPLES, target)
    return target


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_check_passes_on_the_source_tree() -> None:
    result = _run("--check")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_check_passes_on_a_fresh_copy(copy: Path) -> None:
    result = _run("--check", "--examples", str(copy))
    assert result.returncode == 0, result.stderr


def test_check_lists_stale_missing_and_orphaned_files(copy: Path) -> None:
    stem = STEMS[0]
    json_file = copy / "json" / f"{stem}.json"
    json_file.write_text(json_file.read_text(encoding="utf-8") + " ", encoding="utf-8")
    (copy / "xml" / f"{STEMS[1]}.xml").unlink()
    (copy / "xml" / "99-gone.xml").write_text("<old/>", encoding="utf-8")
    before = {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()}

    result = _run("--check", "--examples", str(copy))
    assert result.returncode == 1
    listed = {line.removeprefix("stale: ") for line in result.stderr.splitlines()}
    assert {
        f"examples/json/{stem}.json",
        f"examples/xml/{STEMS[1]}.xml",
        "examples/xml/99-gone.xml",
    } <= listed
    after = {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    assert after == before, "--check must not change anything"


def test_check_notices_a_changed_source(copy: Path) -> None:
    source = copy / f"{STEMS[0]}.yaml"
    source.write_text(
        source.read_text(encoding="utf-8").replace("min: 1", "min: 2", 1), encoding="utf-8"
    )
    assert _run("--check", "--examples", str(copy)).returncode == 1


def test_writing_repairs_a_stale_copy(copy: Path) -> None:
    (copy / "json" / f"{STEMS[0]}.json").write_text("{}\n", encoding="utf-8")
    (copy / "xml" / "99-gone.xml").write_text("<old/>", encoding="utf-8")
    result = _run("--examples", str(copy))
    assert result.returncode == 0, result.stderr
    assert f"wrote: examples/json/{STEMS[0]}.json" in result.stdout
    assert "removed: examples/xml/99-gone.xml" in result.stdout
    assert not (copy / "xml" / "99-gone.xml").exists()
    assert _run("--check", "--examples", str(copy)).returncode == 0
    assert (copy / "json" / f"{STEMS[0]}.json").read_bytes() == (
        EXAMPLES / "json" / f"{STEMS[0]}.json"
    ).read_bytes()
