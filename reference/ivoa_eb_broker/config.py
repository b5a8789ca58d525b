"""The broker's configuration: embedded defaults, a TOML file over them, options over both.

The defaults (``defaults.toml``, shipped in the package) make ``ivoa-eb-broker serve``
work with no file at all. A config file only needs the keys it changes; an unknown key is
an error, because a misspelt key silently ignored is a setting the operator thinks they
have and do not.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import platformdirs


class ConfigError(ValueError):
    """The configuration is not usable; the message names the key."""


@dataclass(frozen=True)
class Config:
    """Every setting the broker reads, flat and typed (see ``defaults.toml`` for meaning)."""

    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = ""
    body_limit: int = 1_048_576
    database_url: str = ""
    offer_count: int = 3
    offer_lifetime: float = 300.0
    sweep_interval: float = 1.0
    default_duration: str = "PT1H"
    scheduler_interval: float = 0.2
    log_format: str = "console"
    log_level: str = "info"
    platform: str = "simulated"
    platform_settings: Mapping[str, Any] = field(default_factory=dict)

    def database(self) -> str:
        """The database URL, defaulting to a SQLite file in the user data directory."""
        if self.database_url:
            return self.database_url
        folder = Path(platformdirs.user_data_dir("ivoa-eb-broker"))
        folder.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{folder / 'broker.sqlite'}"


_KEYS: dict[tuple[str, str], tuple[str, type | tuple[type, ...]]] = {
    ("server", "host"): ("host", str),
    ("server", "port"): ("port", int),
    ("server", "public_url"): ("public_url", str),
    ("server", "body_limit"): ("body_limit", int),
    ("database", "url"): ("database_url", str),
    ("offers", "count"): ("offer_count", int),
    ("offers", "lifetime"): ("offer_lifetime", (int, float)),
    ("offers", "sweep_interval"): ("sweep_interval", (int, float)),
    ("offers", "default_duration"): ("default_duration", str),
    ("scheduler", "interval"): ("scheduler_interval", (int, float)),
    ("logging", "format"): ("log_format", str),
    ("logging", "level"): ("log_level", str),
    ("platform", "name"): ("platform", str),
}


def defaults() -> dict[str, Any]:
    """The embedded defaults as parsed TOML."""
    text = resources.files("ivoa_eb_broker").joinpath("defaults.toml").read_text("utf-8")
    return tomllib.loads(text)


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` on top of ``base``, tables merged key by key."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def from_tables(tables: Mapping[str, Any]) -> Config:
    """Build a :class:`Config` from parsed TOML, checking every key and type."""
    values: dict[str, Any] = {}
    for section, table in tables.items():
        if section == "platform":
            continue
        if not isinstance(table, Mapping):
            raise ConfigError(f"[{section}]: expected a table")
        for key, value in table.items():
            _take(values, section, key, value)
    platform = tables.get("platform", {})
    if not isinstance(platform, Mapping):
        raise ConfigError("[platform]: expected a table")
    for key, value in platform.items():
        if isinstance(value, Mapping):
            continue
        _take(values, "platform", key, value)
    name = values.get("platform", "simulated")
    settings = platform.get(name, {})
    config = Config(**values, platform_settings=dict(settings))
    _check(config)
    return config


def _take(values: dict[str, Any], section: str, key: str, value: Any) -> None:
    try:
        attribute, kind = _KEYS[(section, key)]
    except KeyError:
        raise ConfigError(f"[{section}] {key}: unknown setting") from None
    if isinstance(value, bool) or not isinstance(value, kind):
        raise ConfigError(f"[{section}] {key}: expected {_name(kind)}, got {value!r}")
    values[attribute] = float(value) if kind == (int, float) else value


def _name(kind: type | tuple[type, ...]) -> str:
    return "a number" if isinstance(kind, tuple) else {int: "an integer", str: "a string"}[kind]


def _check(config: Config) -> None:
    if not 0 < config.port < 65536 and config.port != 0:
        raise ConfigError(f"[server] port: {config.port} is not a TCP port")
    if config.body_limit < 1:
        raise ConfigError("[server] body_limit: must be at least 1 byte")
    if config.offer_count < 1:
        raise ConfigError("[offers] count: must be at least 1")
    if config.offer_lifetime <= 0:
        raise ConfigError("[offers] lifetime: must be more than 0 seconds")
    if config.log_format not in ("console", "json"):
        raise ConfigError("[logging] format: 'console' or 'json'")


def load(path: str | os.PathLike[str] | None = None, **overrides: Any) -> Config:
    """Defaults, then the file at ``path`` (if any), then ``overrides`` (Config field names,
    ``None`` meaning "not given")."""
    tables = defaults()
    if path is not None:
        try:
            with open(path, "rb") as stream:
                tables = merge(tables, tomllib.load(stream))
        except OSError as error:
            raise ConfigError(f"cannot read config file {path}: {error.strerror}") from error
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"config file {path}: {error}") from error
    given = {key: value for key, value in overrides.items() if value is not None}
    if "platform" in given:  # the platform's own table follows its name
        tables = merge(tables, {"platform": {"name": given.pop("platform")}})
    config = from_tables(tables)
    if given:
        fields = {**config.__dict__, **given}
        config = Config(**fields)
        _check(config)
    return config


def configure_logging(log_format: str = "console", level: str = "info") -> None:
    """Structured logs (structlog): key=value lines for people, or JSON lines for machines."""
    import logging

    import structlog

    processors: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if log_format == "json"
        else structlog.processors.LogfmtRenderer(key_order=["timestamp", "level", "event"])
    )
    structlog.configure(
        processors=[*processors, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        cache_logger_on_first_use=True,
    )
