"""The version of the standard these files describe, and of this distribution.

One source each: the standard's version is the OpenAPI document's ``info.version`` (the
normative file a broker serves), the distribution's is its ``pyproject.toml`` (read from the
installed metadata). The broker and the conformance suite state theirs the same way.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, version

from . import load_yaml

__all__ = ["SPEC_VERSION", "distribution_version", "package_version", "spec_version"]


@cache
def spec_version() -> str:
    """The version of the ExecutionBroker standard, e.g. ``1.0``."""
    return str(load_yaml("openapi/execution-broker.yaml")["info"]["version"])


SPEC_VERSION = spec_version()
"""The version of the ExecutionBroker standard the files of this distribution describe."""


def distribution_version(name: str) -> str:
    """The installed version of a distribution, or ``unknown`` when it is not installed."""
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


def package_version() -> str:
    """The version of the ``ivoa-eb-spec`` distribution (which carries ``ivoa-eb-validate``)."""
    return distribution_version("ivoa-eb-spec")
