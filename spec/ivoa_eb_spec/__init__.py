"""The normative artefacts of the IVOA ExecutionBroker v1.0 interface, and how to read them.

The files live at the top of the source tree's ``spec/`` folder; an installed wheel carries
them inside this package. :func:`files` finds them in either place, so that every user of
the spec (the reference broker, the conformance suite, the docs) reads the same bytes.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

__all__ = ["JsonDataLoader", "files", "load_yaml"]


#: libyaml's parser when PyYAML was built with it (ten times faster), else PyYAML's own.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class JsonDataLoader(_SafeLoader):  # type: ignore[misc,valid-type]
    """Safe YAML loading that yields JSON data: unquoted dates and times stay strings.

    The spec's files are JSON data written as YAML; YAML 1.1 would turn an unquoted
    ``2026-03-01T09:30:00Z`` into a datetime, which JSON has not. The files are the
    project's own, so libyaml's parser reads them (a broker's first request no longer
    waits a second for the schemas to be parsed in pure Python).
    """


JsonDataLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@cache
def files() -> Path:
    """The folder of the spec files: ``openapi/``, ``schema/``, ``xml/`` and the rest."""
    packaged = Path(__file__).parent / "files"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent


def load_yaml(relative: str) -> Any:
    """Parse one YAML (or JSON) file of the spec, named by its path below :func:`files`."""
    with (files() / relative).open(encoding="utf-8") as stream:
        return yaml.load(stream, Loader=JsonDataLoader)  # noqa: S506 - a safe loader
