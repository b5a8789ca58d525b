"""Must-ignore at intake (EXT-01, EXT-02): drop what the interface does not define, and say so.

Called by :mod:`.intake` after the JSON Schema check, so that only a valid document is
searched. The finding itself is pure code in the spec library (``ivoa_eb_spec.unknown``),
shared with clients; this module turns it into the WARN messages of the answer.
"""

from __future__ import annotations

from typing import Any

from ivoa_eb_spec.legacy import normalise
from ivoa_eb_spec.unknown import ignored_properties, without

from .messages import warn

IGNORED = "{name} is not part of the interface and was ignored"
IGNORED_CLOSE = "`{name}` ignored; did you mean `{suggestion}`?"


def ignore_unknown(document: Any, root: str) -> tuple[Any, list[dict[str, Any]]]:
    """The document without its unknown properties, and one WARN message for each."""
    ignored = ignored_properties(document, root)
    if not ignored:
        return document, []
    messages = [
        warn(IGNORED_CLOSE, path=i.pointer, name=i.name, suggestion=i.suggestion)
        if i.suggestion
        else warn(IGNORED, path=i.pointer, name=i.name)
        for i in ignored
    ]
    return without(document, ignored), messages


LEGACY = "{form}: an older form of the prototype, read as {canonical}; send the v1.0 form"


def understand_legacy(document: Any, root: str) -> tuple[Any, list[dict[str, Any]]]:
    """The document in v1.0 spelling (EXT-03), and a WARN message for each older form."""
    document, forms = normalise(document, root)
    return document, [
        warn(LEGACY, path=f.pointer, form=f.form, canonical=f.canonical) for f in forms
    ]
