"""Execution platforms behind one small interface (:mod:`.base`), chosen by config.

``[platform] name`` picks the platform; its settings are the ``[platform.NAME]`` table. A
broker fronting several platforms lists ``[[platforms]]`` tables instead, each with a
``name``, the engine as ``type``, optional ``kinds`` and its ``settings`` table (routing by
kind: :mod:`ivoa_eb_broker.service.fleet`).
Engines shipped here register below with :func:`register` (a factory taking that table,
imported only when chosen); a platform from elsewhere is named ``package.module:factory``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from .base import (
    Capability,
    Capacity,
    Connector,
    Job,
    Platform,
    PlatformError,
    Reason,
    RunState,
    Status,
)

__all__ = [
    "Capability",
    "Capacity",
    "Connector",
    "Job",
    "Platform",
    "PlatformError",
    "Reason",
    "RunState",
    "Status",
    "create",
    "known",
    "register",
]

Factory = Callable[[Mapping[str, Any]], Platform]
_factories: dict[str, Factory] = {}


def register(name: str, factory: Factory) -> None:
    """Make a platform available under ``name`` in config."""
    _factories[name] = factory


def _simulated(table: Mapping[str, Any]) -> Platform:
    from .simulated import SimulatedPlatform, SimulatedSettings

    return SimulatedPlatform(SimulatedSettings.from_mapping(table))


def _slurm(table: Mapping[str, Any]) -> Platform:
    from .slurm import SlurmPlatform

    return SlurmPlatform.from_settings(table)


def _docker(table: Mapping[str, Any]) -> Platform:
    from .docker_api import DockerApiPlatform

    return DockerApiPlatform.from_settings(table)


def _skaha(table: Mapping[str, Any]) -> Platform:
    from .skaha import SkahaPlatform

    return SkahaPlatform.from_settings(table)


register("simulated", _simulated)
register("slurm", _slurm)
register("docker", _docker)
register("skaha", _skaha)


def known() -> frozenset[str]:
    """The names of the registered platforms (usable as ``type`` in config)."""
    return frozenset(_factories)


def create(name: str, table: Mapping[str, Any]) -> Platform:
    """The platform named ``name``, built from its config table; a clear error if unknown."""
    if ":" in name and name not in _factories:
        module, _, attribute = name.partition(":")
        try:
            factory = getattr(importlib.import_module(module), attribute)
        except (ImportError, AttributeError) as problem:
            raise ValueError(f"[platform] name: cannot load {name!r}: {problem}") from None
        return factory(table)
    try:
        factory = _factories[name]
    except KeyError:
        known = ", ".join(sorted(_factories))
        raise ValueError(f"[platform] name: unknown platform {name!r}; known: {known}") from None
    return factory(table)
