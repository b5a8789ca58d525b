"""The class reference: every schema of ``spec/schema`` rendered as a section with a field table."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ivoa_eb_spec import files, load_yaml
from mdutil import anchor, table

# Reading order: what a client sends and receives first, then the families, the kinds, the blocks.
ORDER = (
    "execution-request.yaml",
    "offer-set-response.yaml",
    "session.yaml",
    "update.yaml",
    "option.yaml",
    "error-response.yaml",
    "session-list.yaml",
    "executable.yaml",
    "compute.yaml",
    "volume.yaml",
    "storage.yaml",
    "data.yaml",
    "cost.yaml",
    "metric.yaml",
)


def schema_files() -> list[str]:
    """Every schema file, as a path below ``spec/schema``, in reading order."""
    root = files() / "schema"
    found = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.yaml"))
    first = [name for name in ORDER if name in found]
    kinds = [name for name in found if name.startswith("kinds/")]
    rest = [name for name in found if name not in first and name not in kinds]
    return first + kinds + rest


def sections() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(file, pointer, schema) for each file's root schema and each of its ``$defs``."""
    for name in schema_files():
        document = load_yaml(f"schema/{name}")
        if "type" in document or "oneOf" in document or "properties" in document:
            yield name, "", document
        for def_name, definition in (document.get("$defs") or {}).items():
            yield name, f"/$defs/{def_name}", definition


def section_anchor(name: str, pointer: str) -> str:
    return anchor(name.removesuffix(".yaml") + pointer.replace("/$defs/", "--"))


def resolve_link(ref: str, current: str) -> tuple[str, str]:
    """The (label, anchor) of the section a ``$ref`` points to, relative to ``current``."""
    target, _, fragment = ref.partition("#")
    if target:
        base = Path(current).parent
        target = (base / target).as_posix()
        parts: list[str] = []
        for part in target.split("/"):
            if part == "..":
                parts.pop()
            elif part != ".":
                parts.append(part)
        target = "/".join(parts)
    else:
        target = current
    label = fragment.rsplit("/", 1)[-1] if fragment else Path(target).stem
    return label, section_anchor(target, fragment)


def type_of(schema: dict[str, Any], current: str) -> str:
    """A short, linked description of a property's type."""
    if "$ref" in schema:
        label, target = resolve_link(schema["$ref"], current)
        return f"[{label}](#{target})"
    if "const" in schema:
        return f"`{schema['const']}`"
    if "enum" in schema:
        return "one of " + ", ".join(f"`{value}`" for value in schema["enum"])
    if "oneOf" in schema:
        return "one of: " + "; ".join(type_of(branch, current) for branch in schema["oneOf"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {type_of(schema.get('items', {}), current)}"
    if kind == "object" and "additionalProperties" in schema and not schema.get("properties"):
        values = schema["additionalProperties"]
        if isinstance(values, dict):
            return f"map of name → {type_of(values, current)}"
    text = f"`{kind}`" if isinstance(kind, str) else ", ".join(f"`{k}`" for k in kind)
    if "format" in schema:
        text += f" ({schema['format']})"
    limits = [f"≥ {schema['minimum']}"] if "minimum" in schema else []
    limits += [f"≤ {schema['maximum']}"] if "maximum" in schema else []
    if "pattern" in schema:
        limits.append(f"pattern `{schema['pattern']}`")
    excluded = schema.get("not", {}).get("enum") if isinstance(schema.get("not"), dict) else None
    if excluded:
        limits.append(
            f"not one of the {len(excluded)} known kind URIs and aliases "
            "(see [Kinds](kinds.md))"
            if all(str(value).startswith(("http", "uri:")) for value in excluded)
            else "not one of " + ", ".join(f"`{value}`" for value in excluded)
        )
    return text + (" " + ", ".join(limits) if limits else "")


def render_section(name: str, pointer: str, schema: dict[str, Any]) -> str:
    title = schema.get("title") or (pointer.rsplit("/", 1)[-1] if pointer else Path(name).stem)
    lines = [f"### {title} {{#{section_anchor(name, pointer)}}}", ""]
    lines.append(f"`spec/schema/{name}{'#' + pointer if pointer else ''}`")
    lines.append("")
    if schema.get("description"):
        lines += [schema["description"].strip(), ""]
    properties = schema.get("properties") or {}
    if properties:
        required = set(schema.get("required", []))
        rows = [
            (
                f"`{field}`",
                "yes" if field in required else "",
                type_of(definition, name),
                definition.get("description", ""),
            )
            for field, definition in properties.items()
        ]
        lines.append(table(("field", "required", "type", "description"), rows))
        if schema.get("additionalProperties") is False:
            lines.append("No other fields are allowed.")
            lines.append("")
    elif "oneOf" in schema:
        lines.append("One of:")
        lines.append("")
        for branch in schema["oneOf"]:
            lines.append(f"- {type_of(branch, name)}")
            if "$ref" not in branch and branch.get("description"):
                lines.append(f"  {branch['description'].strip()}")
        lines.append("")
    elif "type" in schema or "enum" in schema:
        lines.append(f"Type: {type_of(schema, name)}")
        lines.append("")
    return "\n".join(lines)


def page() -> str:
    parts = [
        "# Classes",
        "",
        "Every class of the interface, generated from the JSON Schema files in `spec/schema/` "
        "at build time. Each section names its file; the files are the normative definition.",
        "",
    ]
    current_group = None
    for name, pointer, schema in sections():
        if name.startswith("kinds/"):
            group = "Kinds"
        else:
            group = "Messages and families" if name in ORDER else "Shared blocks"
        if group != current_group:
            parts += [f"## {group}", ""]
            current_group = group
        parts.append(render_section(name, pointer, schema))
    return "\n".join(parts) + "\n"
