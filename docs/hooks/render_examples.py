"""The use-case gallery: each example with its note, the request in three serialisations, and
the reference broker's answer as captured when the site was built.

The JSON and XML forms are read from ``examples/json/<stem>.json`` and
``examples/xml/<stem>.xml`` when they have been generated; otherwise they are derived here from
the YAML source, with ``json`` and the project's XML codec (``ivoa_eb_spec.xmlcodec``), which
implement the same mapping. The answers are written by ``scripts/docs/capture_answers.py``
(``make docs``) into ``build/answers/<stem>.yaml``; a build without them says so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import render_federation
import yaml
from ivoa_eb_spec import JsonDataLoader
from mdutil import fenced, table


def tab(title: str, body: str) -> str:
    indented = "\n".join(("    " + line) if line else "" for line in body.rstrip().splitlines())
    return f'=== "{title}"\n\n{indented}\n'


def json_form(folder: Path, stem: str, document: Any) -> str:
    path = folder / "json" / f"{stem}.json"
    if path.is_file():
        return path.read_text(encoding="utf-8")
    return json.dumps(document, indent=2, ensure_ascii=False)


def xml_form(folder: Path, stem: str, document: Any) -> str:
    path = folder / "xml" / f"{stem}.xml"
    if path.is_file():
        return path.read_text(encoding="utf-8")
    from ivoa_eb_spec.xmlcodec import to_xml
    from lxml import etree

    element = etree.fromstring(to_xml(document, "offers-request"))
    return etree.tostring(
        element, pretty_print=True, xml_declaration=True, encoding="UTF-8"
    ).decode("utf-8")


def read_answer(answers: Path, stem: str) -> tuple[str, Any] | None:
    """The captured answer's text and its parsed document, or None when not captured."""
    path = answers / f"{stem}.yaml"
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    try:
        return text, yaml.load(text, Loader=JsonDataLoader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError:
        return text, None


def outcome(answer: Any) -> str:
    """What the broker said, in a word or two: YES/NO, a session's phase, an error status."""
    if not isinstance(answer, dict):
        return "?"
    if "result" in answer:
        return str(answer["result"])
    if "phase" in answer:
        return f"session {answer['phase']}"
    if "status" in answer:
        return f"error {answer['status']}"
    return "?"


def answer_tab(captured: tuple[str, Any] | None, entry: dict[str, Any]) -> str:
    if captured is None:
        body = (
            "*Not captured in this build*: the reference broker's answers are recorded by "
            "`make docs` (`scripts/docs/capture_answers.py`)."
        )
        return tab("Answer", body + "\n")
    text, answer = captured
    lines = []
    got = answer.get("result") if isinstance(answer, dict) else None
    if got and got != entry["expect"]:
        lines += [
            f'!!! warning "The broker answered {got}, the catalogue expects {entry["expect"]}"',
            "",
        ]
    lines.append(fenced(text, "yaml"))
    return tab("Answer", "\n".join(lines))


def page(folder: Path, answers: Path) -> str:
    catalogue = yaml.safe_load((folder / "examples.yaml").read_text(encoding="utf-8"))
    entries = catalogue["examples"]
    parts = [
        "# Use cases",
        "",
        "Each use case is an execution request in `examples/`, validated against the JSON "
        "Schema, the XML Schema and the upstream v1.0 schema, and sent to the reference broker "
        "in the tests. The request is shown in its three serialisations; the answer is the one "
        "the reference broker gave, on its simulated platform with its clock set to "
        f"{catalogue.get('as_of', 'the catalogue date')}, when this site was built.",
        "",
    ]
    captured = {
        entry["id"]: read_answer(answers, Path(entry["file"]).stem) for entry in entries
    }
    if not any(captured.values()):
        parts += [
            '!!! note "Answers not captured in this build"',
            "    The reference broker's answers are recorded by `make docs`; this build has none.",
            "",
        ]
    parts.append(
        table(
            ("use case", "endpoint", "expected", "the reference broker answered"),
            [
                (
                    f"[{entry['title']}](#{entry['id']})",
                    f"`{entry['endpoint']}`",
                    entry["expect"],
                    outcome(captured[entry["id"]][1]) if captured[entry["id"]] else "not captured",
                )
                for entry in entries
            ],
        )
    )
    parts += [
        f"One more use case runs across brokers: [{render_federation.TITLE}]"
        f"(#{render_federation.ANCHOR}), a real run of three site brokers and a head.",
        "",
    ]
    for entry in entries:
        stem = Path(entry["file"]).stem
        source = (folder / entry["file"]).read_text(encoding="utf-8")
        document = yaml.load(source, Loader=JsonDataLoader)  # noqa: S506 - a SafeLoader
        parts += [f"## {entry['title']} {{#{entry['id']}}}", "", entry["note"].strip(), ""]
        facts = f"`examples/{entry['file']}`, sent to `{entry['endpoint']}`; "
        facts += f"expected answer **{entry['expect']}**."
        if entry.get("deviates_from_upstream"):
            facts += f" Relies on a documented fix: {entry['deviates_from_upstream']}."
        parts += [facts, ""]
        parts.append(tab("YAML", fenced(source, "yaml")))
        parts.append(tab("JSON", fenced(json_form(folder, stem, document), "json")))
        parts.append(tab("XML", fenced(xml_form(folder, stem, document), "xml")))
        parts.append(answer_tab(captured[entry["id"]], entry))
        parts.append("")
    parts.append(render_federation.section(answers / "federation"))
    return "\n".join(parts) + "\n"
