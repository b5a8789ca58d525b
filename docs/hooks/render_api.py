"""The HTTP API reference, rendered from the bundled OpenAPI document as static Markdown.

No JavaScript viewer and nothing fetched: every operation, parameter, body, response, header and
link is written out here, with each schema linked to its section of the class reference.
"""

from __future__ import annotations

from typing import Any

from ivoa_eb_spec import files, load_yaml
from mdutil import anchor, fenced, table
from render_schema import schema_files, section_anchor

METHODS = ("get", "put", "post", "delete", "patch")
SHORT = {"application/yaml": "YAML", "application/json": "JSON", "application/xml": "XML"}
BUNDLED = "bundled/openapi.yaml"


def resolve(document: dict[str, Any], node: Any) -> Any:
    """Follow local ``$ref``s (``#/components/...``) until a node without one."""
    seen = set()
    while isinstance(node, dict) and "$ref" in node and node["$ref"].startswith("#/"):
        ref = node["$ref"]
        if ref in seen:
            break
        seen.add(ref)
        target: Any = document
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def component_anchors() -> dict[str, str]:
    """Map each ``components/schemas`` name to its section of the class reference.

    The bundler names a component after its file's root ``title`` or its ``$defs`` key, so the
    same walk over ``spec/schema`` finds the section each name stands for.
    """
    anchors: dict[str, str] = {}
    for name in schema_files():
        document = load_yaml(f"schema/{name}")
        if "type" in document or "oneOf" in document or "properties" in document:
            anchors.setdefault(document.get("title", ""), section_anchor(name, ""))
        for key in document.get("$defs") or {}:
            anchors.setdefault(key, section_anchor(name, f"/$defs/{key}"))
    return anchors


class Renderer:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.anchors = component_anchors()

    def schema(self, schema: dict[str, Any] | None) -> str:
        if not schema:
            return ""
        ref = schema.get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[-1]
            target = self.anchors.get(name)
            return f"[`{name}`](classes.md#{target})" if target else f"`{name}`"
        text = f"`{schema.get('type', 'object')}`"
        if schema.get("format"):
            text += f" ({schema['format']})"
        return text

    def content_rows(self, content: dict[str, Any]) -> list[tuple[str, str]]:
        return [(f"`{media}`", self.schema(item.get("schema"))) for media, item in content.items()]

    def parameters(self, path_item: dict[str, Any], operation: dict[str, Any]) -> list[str]:
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for raw in (path_item.get("parameters") or []) + (operation.get("parameters") or []):
            parameter = resolve(self.document, raw)
            merged[(parameter["name"], parameter.get("in", ""))] = parameter
        if not merged:
            return []
        rows = [
            (
                f"`{p['name']}`",
                p.get("in", ""),
                "yes" if p.get("required") else "",
                self.schema(p.get("schema")),
                p.get("description", ""),
            )
            for p in merged.values()
        ]
        header = ("name", "in", "required", "schema", "description")
        return ["**Parameters**", "", table(header, rows)]

    def request_body(self, operation: dict[str, Any]) -> list[str]:
        body = resolve(self.document, operation.get("requestBody"))
        if not body:
            return []
        lines = ["**Request body**" + (" (required)" if body.get("required") else ""), ""]
        if body.get("description"):
            lines += [body["description"].strip(), ""]
        lines.append(table(("media type", "schema"), self.content_rows(body.get("content", {}))))
        return lines

    def responses(self, operation: dict[str, Any]) -> list[str]:
        rows = []
        notes = []
        for status, raw in operation.get("responses", {}).items():
            response = resolve(self.document, raw)
            content = response.get("content", {})
            schemas = sorted({self.schema(item.get("schema")) for item in content.values()})
            headers = ", ".join(f"`{name}`" for name in response.get("headers", {}))
            rows.append(
                (
                    f"`{status}`",
                    response.get("description", ""),
                    ", ".join(schemas),
                    ", ".join(SHORT.get(media, f"`{media}`") for media in content),
                    headers,
                )
            )
            for name, raw_header in (response.get("headers") or {}).items():
                header = resolve(self.document, raw_header)
                notes.append(
                    f"- Header `{name}` on `{status}`: {header.get('description', '').strip()}"
                )
            for name, raw_link in (response.get("links") or {}).items():
                link = resolve(self.document, raw_link)
                target = link.get("operationId") or link.get("operationRef", "")
                values = ", ".join(
                    f"`{key}` = `{value}`" for key, value in (link.get("parameters") or {}).items()
                )
                text = f"- Link `{name}` on `{status}` to [`{target}`](#{anchor(target)})"
                text += f" with {values}" if values else ""
                text += f": {link['description'].strip()}" if link.get("description") else "."
                notes.append(text)
        header = ("status", "meaning", "body", "media types", "headers")
        lines = ["**Responses**", "", table(header, rows)]
        if notes:
            lines += ["", *notes, ""]
        return lines

    def operation(self, path: str, method: str, path_item: dict[str, Any]) -> str:
        operation = path_item[method]
        operation_id = operation.get("operationId", "")
        heading = f"## {method.upper()} `{path}`"
        if operation_id:
            heading += f" {{#{anchor(operation_id)}}}"
        lines = [heading, ""]
        if operation_id:
            lines += [f"Operation id: `{operation_id}`", ""]
        if operation.get("summary"):
            lines += [f"**{operation['summary'].strip()}**", ""]
        if operation.get("description"):
            lines += [operation["description"].strip(), ""]
        lines += self.parameters(path_item, operation)
        lines += self.request_body(operation)
        lines += self.responses(operation)
        return "\n".join(lines) + "\n"

    def operations(self) -> list[tuple[str, str, dict[str, Any]]]:
        return [
            (path, method, item)
            for path, item in self.document.get("paths", {}).items()
            for method in METHODS
            if method in item
        ]


def page() -> str:
    document = load_yaml(BUNDLED)
    renderer = Renderer(document)
    info = document.get("info", {})
    parts = [
        "# HTTP API",
        "",
        f"Generated from the bundled OpenAPI {document.get('openapi', '')} document "
        "(`spec/bundled/openapi.yaml`, built from `spec/openapi/execution-broker.yaml`), "
        f"version {info.get('version', '')}. A broker serves the same file at `/openapi.yaml` "
        "and `/openapi.json`. Every body exists as YAML (`application/yaml`), JSON "
        "(`application/json`) and XML (`application/xml`); schemas link to the "
        "[class reference](classes.md).",
        "",
    ]
    if info.get("description"):
        parts += [info["description"].strip(), ""]
    operations = renderer.operations()
    parts += ["## Operations", ""]
    parts.append(
        table(
            ("method", "path", "operation", "summary"),
            [
                (
                    method.upper(),
                    f"`{path}`",
                    f"[`{item[method].get('operationId', '')}`]"
                    f"(#{anchor(item[method].get('operationId', ''))})",
                    item[method].get("summary", ""),
                )
                for path, method, item in operations
            ],
        )
    )
    for path, method, item in operations:
        parts.append(renderer.operation(path, method, item))
    parts += ["## Components", "", "Schemas of the bundled document, by name:", ""]
    names = sorted(document.get("components", {}).get("schemas", {}))
    parts.append(", ".join(renderer.schema({"$ref": f"#/components/schemas/{n}"}) for n in names))
    parts += ["", "## The document", "", '??? note "spec/bundled/openapi.yaml"', ""]
    source = (files() / BUNDLED).read_text(encoding="utf-8")
    parts.append("    " + fenced(source, "yaml").replace("\n", "\n    "))
    return "\n".join(parts) + "\n"
