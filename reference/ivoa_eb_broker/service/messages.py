"""Message items after Message Templates: a template, its values, and the rendered text.

The prototype lost ``values`` and sent raw templates; here every message carries both, so a
client can read the text or pick out a value (``values.path`` is always a JSON Pointer into
the document the message is about).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from ivoa_eb_spec.iso8601 import format_instant
from ivoa_eb_spec.xmltext import xml_safe

_HOLE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def render(template: str, values: dict[str, str]) -> str:
    """Fill ``{name}`` holes from ``values``; a hole without a value stays as it is."""
    return _HOLE.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def item(level: str, template: str, path: str | None = None, **values: Any) -> dict[str, Any]:
    """A MessageItem document; ``path`` goes into ``values`` when given.

    Values may quote a program's output: characters XML cannot carry are replaced, so that
    the message never makes the XML answer impossible."""
    strings = {key: xml_safe(str(value)) for key, value in values.items()}
    if path is not None:
        strings["path"] = xml_safe(path)
    return {
        "time": format_instant(datetime.now(UTC)),
        "level": level,
        "template": template,
        "values": strings,
        "message": render(template, strings),
    }


def error(template: str, path: str | None = None, **values: Any) -> dict[str, Any]:
    return item("ERROR", template, path, **values)


def warn(template: str, path: str | None = None, **values: Any) -> dict[str, Any]:
    return item("WARN", template, path, **values)


def info(template: str, path: str | None = None, **values: Any) -> dict[str, Any]:
    return item("INFO", template, path, **values)


def pointer(parts: tuple[Any, ...] | list[Any]) -> str:
    """The JSON Pointer (RFC 6901) of a path given as keys and indexes."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)
