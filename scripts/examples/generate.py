"""Write the JSON and XML forms of the example requests from their YAML sources.

Each ``examples/<stem>.yaml`` (the catalogue ``examples.yaml`` aside) is an ExecutionRequest;
this writes ``examples/json/<stem>.json`` (the same document, 2-space indented, keys in the
YAML's order) and ``examples/xml/<stem>.xml`` (its XML form, root ``offers-request``, written
by ``ivoa_eb_spec.xmlcodec.to_xml`` and indented). The output depends only on the YAML files
and the spec, byte for byte, so the generated files are checked in and a test fails when one
is stale.

    python scripts/examples/generate.py          # write what is missing or stale
    python scripts/examples/generate.py --check  # list stale files, exit 1 if there are any

Only ``ivoa_eb_spec`` is used, as in the conformance suite: the forms are the spec's, not the
reference broker's.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml
from ivoa_eb_spec import JsonDataLoader
from ivoa_eb_spec.registry import validator
from ivoa_eb_spec.xmlcodec import to_xml
from lxml import etree

__all__ = ["EXAMPLES", "expected_files", "json_text", "main", "stale_files", "write", "xml_text"]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
"""The examples folder of the source tree."""

CATALOGUE = "examples.yaml"
ROOT = "offers-request"
SCHEMA = "execution-request.yaml"
FORMS = ("json", "xml")


def sources(folder: Path) -> list[Path]:
    """The YAML sources in ``folder``, sorted by name: every ``*.yaml`` but the catalogue."""
    return sorted(p for p in folder.glob("*.yaml") if p.name != CATALOGUE)


def load(source: Path) -> dict[str, Any]:
    """A YAML source as JSON data (unquoted dates stay strings), checked against the schema."""
    with source.open(encoding="utf-8") as stream:
        document = yaml.load(stream, Loader=JsonDataLoader)  # noqa: S506 - a SafeLoader subclass
    if not isinstance(document, dict):
        raise ValueError(f"{source.name}: not a mapping")
    errors = sorted(validator(SCHEMA).iter_errors(document), key=lambda e: e.json_path)
    if errors:
        raise ValueError(
            f"{source.name}: not a valid ExecutionRequest: "
            + "; ".join(f"{e.json_path}: {e.message}" for e in errors)
        )
    return document


def json_text(document: dict[str, Any]) -> str:
    """The JSON form: 2-space indent, keys in document order, UTF-8 characters as they are."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def xml_text(document: dict[str, Any], source_name: str) -> bytes:
    """The XML form: the codec's output, indented by two spaces, with a note of its source.

    Indentation only adds whitespace between elements that hold elements, which the XML
    form ignores; the text of leaf elements is left exactly as the codec wrote it.
    """
    root = etree.fromstring(to_xml(document, ROOT))
    root.addprevious(
        etree.Comment(
            f" Generated from examples/{source_name} by scripts/examples/generate.py; do not edit. "
        )
    )
    tree = etree.ElementTree(root)
    etree.indent(tree, space="  ")
    body = etree.tostring(tree, encoding="UTF-8", xml_declaration=False, pretty_print=True)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body


def expected_files(folder: Path = EXAMPLES) -> dict[str, bytes]:
    """Every generated file, by its path below ``folder`` (``json/x.json``, ``xml/x.xml``)."""
    expected: dict[str, bytes] = {}
    for source in sources(folder):
        document = load(source)
        expected[f"json/{source.stem}.json"] = json_text(document).encode("utf-8")
        expected[f"xml/{source.stem}.xml"] = xml_text(document, source.name)
    return expected


def _on_disk(folder: Path) -> set[str]:
    return {
        path.relative_to(folder).as_posix()
        for form in FORMS
        if (folder / form).is_dir()
        for path in (folder / form).rglob("*")
        if path.is_file()
    }


def stale_files(folder: Path = EXAMPLES) -> list[str]:
    """Generated files that are missing, differ, or have no source any more, sorted."""
    expected = expected_files(folder)
    stale = {
        path
        for path, data in expected.items()
        if not (folder / path).is_file() or (folder / path).read_bytes() != data
    }
    stale |= _on_disk(folder) - set(expected)
    return sorted(stale)


def write(folder: Path = EXAMPLES) -> list[str]:
    """Bring the generated files of ``folder`` up to date; return the paths changed."""
    expected = expected_files(folder)
    changed = stale_files(folder)
    for path in changed:
        target = folder / path
        if path in expected:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(expected[path])
        else:
            target.unlink()
    return changed


def main(argv: list[str] | None = None) -> int:
    """Command line: write the forms, or with ``--check`` exit 1 when any is stale."""
    parser = argparse.ArgumentParser(
        prog="python scripts/examples/generate.py",
        description="Write examples/json/*.json and examples/xml/*.xml from examples/*.yaml.",
    )
    parser.add_argument("--check", action="store_true", help="list stale files, change nothing")
    parser.add_argument(
        "--examples",
        type=Path,
        default=EXAMPLES,
        help="the examples folder (default: the source tree's examples/)",
    )
    options = parser.parse_args(argv)
    folder: Path = options.examples
    if options.check:
        stale = stale_files(folder)
        for path in stale:
            print(f"stale: {folder.name}/{path}", file=sys.stderr)
        if stale:
            print("run: python scripts/examples/generate.py", file=sys.stderr)
        return 1 if stale else 0
    for path in write(folder):
        verb = "wrote" if (folder / path).is_file() else "removed"
        print(f"{verb}: {folder.name}/{path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
