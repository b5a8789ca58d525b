"""The broker's configuration: embedded defaults, a TOML file over them, options over both.

The defaults (``defaults.toml``, shipped in the package) make ``ivoa-eb-broker serve``
work with no file at all. A config file only needs the keys it changes; an unknown key is
an error, because a misspelt key silently ignored is a setting the operator thinks they
have and do not.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import platformdirs

from .auth.settings import AuthConfigError, AuthSettings, parse_auth
from .core.quotes import Rates
from .federation.settings import Federation, FederationConfigError
from .federation.settings import read as read_federation
from .registry_config import Registry, registry_of


class ConfigError(ValueError):
    """The configuration is not usable; the message names the key."""


#: The families of kinds a platform declares it supports (``kinds`` of a platform table).
ROUTED_FAMILIES = ("executable", "compute", "volume", "storage", "data")


@dataclass(frozen=True)
class PlatformConfig:
    """One platform of the broker: its unique ``name`` (in logs, messages and the store), the
    engine that runs it (``type``: a registered platform or ``package.module:factory``), the
    kind URIs it is offered for (``None``: the platform's own list) and its settings table."""

    name: str
    type: str
    kinds: frozenset[str] | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    #: Cost rates per core-hour and metric values the platform quotes on its offers.
    rates: Rates = field(default_factory=Rates)


@dataclass(frozen=True)
class Config:
    """Every setting the broker reads, flat and typed (see ``defaults.toml`` for meaning)."""

    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = ""
    body_limit: int = 1_048_576
    body_timeout: float = 30.0
    header_timeout: float = 10.0
    keep_alive_timeout: int = 5
    max_connections: int = 1000
    header_limit: int = 16384
    database_url: str = ""
    sqlite_synchronous: str = "FULL"
    offer_count: int = 3
    offer_lifetime: float = 300.0
    sweep_interval: float = 1.0
    default_duration: str = "PT1H"
    scheduler_interval: float = 0.2
    log_format: str = "console"
    log_level: str = "info"
    platform: str = "simulated"
    platform_settings: Mapping[str, Any] = field(default_factory=dict)
    #: ``[platform.costs]`` and ``[platform.metrics]``: the one platform's quotes.
    platform_rates: Rates = field(default_factory=Rates)
    #: The ``[[platforms]]`` tables; empty: the one platform of ``[platform]``.
    platforms: tuple[PlatformConfig, ...] = ()
    #: The ``[registry]`` table: the broker's VO Registry metadata (:mod:`.registry_config`).
    registry: Registry = field(default_factory=Registry)
    #: ``[federation]`` and ``[[children]]``: a head broker (``ivoa_eb_broker.federation``).
    federation: Federation = field(default_factory=Federation)
    #: The ``[auth]`` table: who may ask (none by default, for a broker on loopback).
    auth: AuthSettings = field(default_factory=AuthSettings)

    def platform_configs(self) -> tuple[PlatformConfig, ...]:
        """Every platform the broker fronts, in config order (the first is the default for
        sessions stored before there were several)."""
        if self.platforms:
            return self.platforms
        return (PlatformConfig(self.platform, self.platform, None, dict(self.platform_settings),
                               self.platform_rates),)

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
    ("server", "body_timeout"): ("body_timeout", (int, float)),
    ("server", "header_timeout"): ("header_timeout", (int, float)),
    ("server", "keep_alive_timeout"): ("keep_alive_timeout", int),
    ("server", "max_connections"): ("max_connections", int),
    ("server", "header_limit"): ("header_limit", int),
    ("database", "url"): ("database_url", str),
    ("database", "sqlite_synchronous"): ("sqlite_synchronous", str),
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
        if section in ("platform", "platforms", "registry", "federation", "children", "auth"):
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
    # The single form's quotes, as on a [[platforms]] table (no engine is named so).
    rates = Rates(_figures("[platform]", platform.get("costs", {}), "costs", "cost"),
                  _figures("[platform]", platform.get("metrics", {}), "metrics", "metric"))
    several = platforms_of(tables.get("platforms", []))
    try:
        registry = registry_of(tables.get("registry", {}))
    except ValueError as problem:
        raise ConfigError(str(problem)) from None
    try:
        federation = read_federation(tables.get("federation"), tables.get("children"))
    except FederationConfigError as problem:
        raise ConfigError(str(problem)) from None
    try:
        auth = parse_auth(tables.get("auth"))
    except AuthConfigError as problem:
        raise ConfigError(str(problem)) from None
    config = Config(**values, platform_settings=dict(settings), platform_rates=rates,
                    platforms=several, registry=registry, federation=federation, auth=auth)
    _check(config)
    return config


def platforms_of(tables: Any) -> tuple[PlatformConfig, ...]:
    """The ``[[platforms]]`` array of tables, checked: a clear error naming the key."""
    if not isinstance(tables, list) or not all(isinstance(t, Mapping) for t in tables):
        raise ConfigError("[[platforms]]: expected an array of tables ([[platforms]] ...)")
    found: list[PlatformConfig] = []
    for index, table in enumerate(tables, start=1):
        where = f"[[platforms]] #{index}"
        unknown = sorted(set(table) - {"name", "type", "kinds", "settings", "costs", "metrics"})
        if unknown:
            raise ConfigError(f"{where} {unknown[0]}: unknown setting "
                              "(known: name, type, kinds, settings, costs, metrics)")
        name = table.get("name")
        if not isinstance(name, str) or not _PLATFORM_NAME.fullmatch(name):
            raise ConfigError(f"{where} name: expected a name of letters, digits, '.', '_', "
                              f"'-' or ':' (at most 64), got {name!r}")
        where = f"[[platforms]] #{index} ({name})"
        if any(p.name == name for p in found):
            raise ConfigError(f"{where} name: {name!r} is used by another platform")
        engine = table.get("type", name)
        if not isinstance(engine, str) or not engine:
            raise ConfigError(f"{where} type: expected a platform name, got {engine!r}")
        _check_type(where, engine)
        kinds = None
        if "kinds" in table:
            kinds = _kinds(where, table["kinds"])
        settings = table.get("settings", {})
        if not isinstance(settings, Mapping):
            raise ConfigError(f"{where} settings: expected a table ([platforms.settings])")
        rates = Rates(_figures(where, table.get("costs", {}), "costs", "cost"),
                      _figures(where, table.get("metrics", {}), "metrics", "metric"))
        found.append(PlatformConfig(name, engine, kinds, dict(settings), rates))
    return tuple(found)


_PLATFORM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


def _check_type(where: str, engine: str) -> None:
    from .platforms import known

    if ":" not in engine and engine not in known():
        raise ConfigError(f"{where} type: unknown platform {engine!r}; known: "
                          f"{', '.join(sorted(known()))} (or package.module:factory)")


def _kinds(where: str, value: Any) -> frozenset[str]:
    from ivoa_eb_spec.vocabulary import canonical_kind, load_kinds

    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} kinds: expected a non-empty list of kind URIs")
    families = {kind.uri: kind.family for kind in load_kinds()}
    kinds = set()
    for uri in value:
        canonical = canonical_kind(uri)
        if canonical is None:
            raise ConfigError(f"{where} kinds: {uri!r} is not a kind URI of the vocabulary "
                              "(spec/vocabulary/kinds.yaml)")
        if families[canonical] not in ROUTED_FAMILIES:
            raise ConfigError(f"{where} kinds: {uri!r} is a {families[canonical]} kind; a "
                              f"platform declares {', '.join(ROUTED_FAMILIES)} kinds")
        kinds.add(canonical)
    return frozenset(kinds)


def _figures(where: str, table: Any, key: str, family: str) -> tuple[tuple[str, float], ...]:
    """``costs`` (type URN = rate per core-hour) or ``metrics`` (type URN = value), checked
    against the vocabulary of cost and metric types."""
    from ivoa_eb_spec.cost_types import canonical_type, load_cost_types

    if not isinstance(table, Mapping):
        raise ConfigError(f"{where} {key}: expected a table of type URN = number")
    families = {t.uri: t.family for t in load_cost_types()}
    found = []
    for uri, value in table.items():
        canonical = canonical_type(uri)
        if canonical is None or families[canonical] != family:
            raise ConfigError(f"{where} {key}: {uri!r} is not a {family} type of "
                              "spec/vocabulary/cost-metric-types.yaml")
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ConfigError(f"{where} {key}: {uri!r} expects a number >= 0, got {value!r}")
        found.append((canonical, float(value)))
    return tuple(found)


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
    for name in ("body_timeout", "header_timeout", "keep_alive_timeout"):
        if getattr(config, name) <= 0:
            raise ConfigError(f"[server] {name}: must be more than 0 seconds")
    if config.max_connections < 1:
        raise ConfigError("[server] max_connections: must be at least 1")
    if config.header_limit < 1024:
        raise ConfigError("[server] header_limit: must be at least 1024 bytes")
    if config.sqlite_synchronous not in ("FULL", "EXTRA", "NORMAL"):
        raise ConfigError("[database] sqlite_synchronous: 'FULL', 'EXTRA' or 'NORMAL'")
    if config.offer_count < 1:
        raise ConfigError("[offers] count: must be at least 1")
    if config.offer_lifetime <= 0:
        raise ConfigError("[offers] lifetime: must be more than 0 seconds")
    if config.log_format not in ("console", "json"):
        raise ConfigError("[logging] format: 'console' or 'json'")
    names = [p.name for p in config.platform_configs()]
    if len(set(names)) != len(names):
        raise ConfigError("[[platforms]] name: every platform needs its own name")


def load(path: str | os.PathLike[str] | None = None, **overrides: Any) -> Config:
    """Defaults, then the file at ``path`` (if any), then ``overrides`` (Config field names,
    ``None`` meaning "not given")."""
    tables = defaults()
    if path is not None:
        try:
            with open(path, "rb") as stream:
                read = tomllib.load(stream)
        except OSError as error:
            raise ConfigError(f"cannot read config file {path}: {error.strerror}") from error
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"config file {path}: {error}") from error
        if "platforms" in read and "platform" in read:
            raise ConfigError("[platform]: give either [platform] (one platform) or "
                              "[[platforms]] tables (several), not both")
        tables = merge(tables, read)
    given = {key: value for key, value in overrides.items() if value is not None}
    if "platform" in given:  # the platform's own table follows its name
        chosen = given.pop("platform")
        listed = tables.get("platforms")
        if isinstance(listed, list) and any(
                isinstance(t, Mapping) and t.get("name") == chosen for t in listed):
            # --platform NAME with [[platforms]]: only the platform of that name.
            tables = {**tables, "platforms": [t for t in listed if t.get("name") == chosen]}
        else:
            tables = {k: v for k, v in tables.items() if k != "platforms"}
            tables = merge(tables, {"platform": {"name": chosen}})
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
