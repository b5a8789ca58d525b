"""The XML Schema reference: roots, type alternatives and complex types of the published XSD."""

from __future__ import annotations

from typing import Any

import xmlschema
from ivoa_eb_spec import files
from mdutil import fenced, table

XSD = "xml/execution-broker.xsd"


def documentation(component: Any) -> str:
    annotation = getattr(component, "annotation", None)
    if annotation is None or not annotation.documentation:
        return ""
    return " ".join((doc.text or "").strip() for doc in annotation.documentation)


def occurs(particle: Any) -> str:
    low = particle.min_occurs
    high = "∞" if particle.max_occurs is None else particle.max_occurs
    return f"{low}..{high}"


def type_label(xsd_type: Any) -> str:
    name = xsd_type.local_name if xsd_type.name else None
    if name:
        return f"`{name}`"
    if xsd_type.is_simple():
        base = xsd_type.base_type
        return f"`{base.local_name}` (restricted)" if base is not None and base.name else "simple"
    return "anonymous complex type"


def render_type(xsd_type: Any) -> str:
    lines = [f"### `{xsd_type.local_name}`", ""]
    if documentation(xsd_type):
        lines += [documentation(xsd_type), ""]
    rows = []
    for attribute in getattr(xsd_type, "attributes", {}).values():
        if getattr(attribute, "local_name", None):
            use = "required" if attribute.use == "required" else "optional"
            rows.append((f"`@{attribute.local_name}`", use, type_label(attribute.type)))
    content = getattr(xsd_type, "content", None)
    if content is not None and hasattr(content, "iter_elements"):
        for element in content.iter_elements():
            if getattr(element, "local_name", None):
                rows.append((f"`{element.local_name}`", occurs(element), type_label(element.type)))
    if rows:
        lines.append(table(("attribute / element", "occurs", "type"), rows))
    return "\n".join(lines)


def page() -> str:
    path = files() / XSD
    schema = xmlschema.XMLSchema11(str(path))
    parts = [
        "# XML Schema",
        "",
        f"Generated from `spec/{XSD}` (XML Schema 1.1, target namespace "
        f"`{schema.target_namespace}`), which is itself generated from the JSON Schema so that "
        "the three serialisations cannot drift apart. The mapping rules are explained in "
        "[Serialisation](../spec/serialisation.md).",
        "",
        "## Root elements",
        "",
    ]
    parts.append(
        table(
            ("element", "type", "description"),
            [
                (f"`{e.local_name}`", type_label(e.type), documentation(e))
                for e in schema.elements.values()
            ],
        )
    )
    alternatives = [
        (element, alternative)
        for component in schema.iter_components()
        if isinstance(component, xmlschema.validators.XsdElement)
        for element, alternative in (
            (component, a) for a in getattr(component, "alternatives", ()) or ()
        )
    ]
    if alternatives:
        parts += [
            "## Type alternatives",
            "",
            "Polymorphic elements select their type from the `kind` attribute:",
            "",
        ]
        parts.append(
            table(
                ("element", "test", "type"),
                [
                    (f"`{e.local_name}`", f"`{a.path or 'default'}`", type_label(a.type))
                    for e, a in alternatives
                ],
            )
        )
    parts += ["## Types", ""]
    for xsd_type in sorted(
        (t for t in schema.types.values() if t.is_complex()), key=lambda t: t.local_name
    ):
        parts.append(render_type(xsd_type))
    parts += ["## The schema", "", f'??? note "spec/{XSD}"', ""]
    parts.append("    " + fenced(path.read_text(encoding="utf-8"), "xml").replace("\n", "\n    "))
    return "\n".join(parts) + "\n"
