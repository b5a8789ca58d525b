"""The normative OpenAPI files, and a browsable API page that works offline.

``/openapi.yaml`` and ``/openapi.json`` are the spec's bundled files byte for byte (from
``ivoa_eb_spec.files()``; generated in memory by ``ivoa_eb_spec.bundle`` when a source tree
has not been bundled yet). ``/`` is an HTML page rendered here from the OpenAPI document:
no script, no CDN. ``/docs`` is Swagger UI served from the ``swagger-ui-bundle-v2`` package
when it is installed (its files are local too); without it, ``/docs`` shows the same page
as ``/``.
"""

from __future__ import annotations

import html
import json
from functools import cache
from pathlib import Path
from typing import Any

from ivoa_eb_spec import files
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

METHODS = ("get", "post", "put", "patch", "delete")


@cache
def spec_text(name: str) -> str:
    """The text of ``bundled/openapi.yaml`` or ``bundled/openapi.json``."""
    path = files() / "bundled" / name
    if path.is_file():
        return path.read_text("utf-8")
    from ivoa_eb_spec.bundle import bundle_texts

    return bundle_texts()[name]


@cache
def spec_document() -> dict[str, Any]:
    return json.loads(spec_text("openapi.json"))


async def openapi_yaml(request: Request) -> Response:
    return Response(spec_text("openapi.yaml"), media_type="application/yaml")


async def openapi_json(request: Request) -> Response:
    return Response(spec_text("openapi.json"), media_type="application/json")


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


@cache
def page() -> str:
    """The API as one HTML page: every operation, its bodies, answers and a schema index."""
    spec = spec_document()
    info = spec.get("info", {})
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{_e(info.get('title', 'API'))}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;"
        "padding:0 1rem;line-height:1.45}code,pre{background:#f4f4f4;padding:.1rem .3rem}"
        ".op{border:1px solid #ccc;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}"
        ".m{font-weight:bold;text-transform:uppercase;margin-right:.5rem}"
        "table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2rem .5rem}"
        "</style></head><body>",
        f"<h1>{_e(info.get('title', 'API'))} <small>{_e(info.get('version', ''))}</small></h1>",
        f"<p>{_e(info.get('description', ''))}</p>",
        "<p>Machine-readable: <a href='openapi.yaml'>openapi.yaml</a> · "
        "<a href='openapi.json'>openapi.json</a> · interactive: <a href='docs'>docs</a></p>",
        "<h2>Operations</h2>",
    ]
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            parts.append("<div class='op'>")
            parts.append(f"<p><span class='m'>{method}</span><code>{_e(path)}</code> "
                         f"— {_e(operation.get('summary', ''))}</p>")
            if operation.get("description"):
                parts.append(f"<p>{_e(operation['description'])}</p>")
            body = operation.get("requestBody")
            if isinstance(body, dict):
                parts.append(f"<p>Request body: {_e(_reference(body, spec))}</p>")
            parts.append("<table><tr><th>status</th><th>meaning</th></tr>")
            for status, response in operation.get("responses", {}).items():
                text = _resolve(response, spec).get("description", "")
                parts.append(f"<tr><td>{_e(status)}</td><td>{_e(text)}</td></tr>")
            parts.append("</table></div>")
    schemas = spec.get("components", {}).get("schemas", {})
    parts.append("<h2>Schemas</h2><ul>")
    for name in sorted(schemas):
        schema = schemas[name]
        description = schema.get("description", "") if isinstance(schema, dict) else ""
        parts.append(f"<li><b>{_e(name)}</b>: {_e(description)}</li>")
    parts.append("</ul></body></html>")
    return "".join(parts)


def _resolve(node: Any, spec: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref") if isinstance(node, dict) else None
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = spec
        for token in ref[2:].split("/"):
            target = target.get(token, {}) if isinstance(target, dict) else {}
        return target if isinstance(target, dict) else {}
    return node if isinstance(node, dict) else {}


def _reference(body: dict[str, Any], spec: dict[str, Any]) -> str:
    resolved = _resolve(body, spec)
    names = set()
    for media in resolved.get("content", {}).values():
        ref = media.get("schema", {}).get("$ref", "")
        if ref:
            names.add(ref.rsplit("/", 1)[-1])
    return ", ".join(sorted(names)) or resolved.get("description", "")


async def index(request: Request) -> Response:
    return HTMLResponse(page())


def swagger_folder() -> Path | None:
    """The folder of Swagger UI's files, when the package that ships them is installed."""
    try:
        import swagger_ui_bundle
    except ImportError:
        return None
    return Path(swagger_ui_bundle.swagger_ui_path)


SWAGGER_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{title}</title><link rel="stylesheet" href="docs/static/swagger-ui.css"></head>
<body><div id="swagger-ui"></div><script src="docs/static/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({{url: "openapi.json", dom_id: "#swagger-ui",
validatorUrl: null}});</script>
</body></html>"""


async def swagger(request: Request) -> Response:
    if swagger_folder() is None:
        return HTMLResponse(page())
    title = spec_document().get("info", {}).get("title", "API")
    return HTMLResponse(SWAGGER_PAGE.format(title=_e(title)))

