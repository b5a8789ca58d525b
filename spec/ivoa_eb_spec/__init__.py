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

__all__ = ["files", "load_yaml"]


@cache
def files() -> Path:
    """The folder holding ``openapi/``, ``schema/``, ``xml/``, ``vocabulary/``, ``requirements/``."""
    packaged = Path(__file__).parent / "files"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent


def load_yaml(relative: str) -> Any:
    """Parse one YAML (or JSON) file of the spec, named by its path below :func:`files`."""
    with (files() / relative).open(encoding="utf-8") as stream:
        return yaml.safe_load(stream)
