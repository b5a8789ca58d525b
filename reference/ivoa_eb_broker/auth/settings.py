"""The ``[auth]`` table of the broker's configuration, checked into typed settings.

No table, or ``methods = []``, is a broker without authentication: every request is
anonymous. A misspelt key is an error naming it, as everywhere in the configuration.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

METHODS = ("basic", "bearer", "proxy")
#: Asymmetric JWS algorithms a bearer token may be signed with; ``none`` and the HMAC family
#: are never accepted (a public key must never serve as a shared secret).
ASYMMETRIC = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
              "EdDSA")


class AuthConfigError(ValueError):
    """The ``[auth]`` table is not usable; the message names the key."""


@dataclass(frozen=True)
class BasicSettings:
    """HTTP Basic against ``password_file``: lines ``name:<argon2 or bcrypt hash>``."""

    password_file: str


@dataclass(frozen=True)
class BearerSettings:
    """OIDC bearer tokens from ``issuer`` for ``audience``."""

    issuer: str
    audience: str
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    leeway: float = 30.0
    #: Least seconds between two fetches of the key set caused by an unknown ``kid``.
    refresh_interval: float = 60.0
    #: The claim that names the caller.
    name_claim: str = "sub"


@dataclass(frozen=True)
class ProxySettings:
    """An identity header set by a TLS-terminating proxy from a client certificate, believed
    only from the ``trusted`` networks."""

    header: str = "X-Client-DN"
    trusted: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    #: Optional AuthVO ``ivoa_x509`` challenge parameters: where and how to get a certificate.
    access_url: str = ""
    standard_id: str = "ivo://ivoa.net/sso#BasicAA"


@dataclass(frozen=True)
class AuthSettings:
    """Every authentication setting; ``methods`` empty means no authentication."""

    methods: tuple[str, ...] = ()
    #: True: an anonymous request to an operation is refused with 401 (mandatory
    #: authentication); False: anonymous requests are served (optional authentication).
    required: bool = True
    realm: str = "ivoa-execution-broker"
    operators: frozenset[str] = frozenset()
    #: Most OFFERED sessions (live offers) one identity may hold; 0: no limit.
    max_live_offers: int = 0
    #: Most active sessions (accepted, not yet ended) one identity may have; 0: no limit.
    max_active_sessions: int = 0
    basic: BasicSettings | None = None
    bearer: BearerSettings | None = None
    proxy: ProxySettings | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.methods)


def _expect(where: str, value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    if isinstance(value, bool) and kind is not bool:
        raise AuthConfigError(f"{where}: expected {what}, got {value!r}")
    if not isinstance(value, kind):
        raise AuthConfigError(f"{where}: expected {what}, got {value!r}")
    return value


def _known(where: str, table: Mapping[str, Any], keys: set[str]) -> None:
    unknown = sorted(set(table) - keys)
    if unknown:
        raise AuthConfigError(f"{where} {unknown[0]}: unknown setting (known: "
                              f"{', '.join(sorted(keys))})")


def _strings(where: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise AuthConfigError(f"{where}: expected a list of strings")
    return tuple(value)


def parse_auth(table: Any) -> AuthSettings:
    """The ``[auth]`` table (already merged over the defaults) as :class:`AuthSettings`."""
    if table is None:
        return AuthSettings()
    if not isinstance(table, Mapping):
        raise AuthConfigError("[auth]: expected a table")
    _known("[auth]", table, {"methods", "required", "realm", "operators", "max_live_offers",
                             "max_active_sessions", "basic", "bearer", "proxy"})
    methods = _strings("[auth] methods", table.get("methods", []))
    for method in methods:
        if method not in METHODS:
            raise AuthConfigError(f"[auth] methods: unknown method {method!r}; known: "
                                  f"{', '.join(METHODS)}")
    limits = {}
    for key in ("max_live_offers", "max_active_sessions"):
        value = _expect(f"[auth] {key}", table.get(key, 0), int, "an integer")
        if value < 0:
            raise AuthConfigError(f"[auth] {key}: must be 0 (no limit) or more")
        limits[key] = value
    settings = AuthSettings(
        methods=methods,
        required=_expect("[auth] required", table.get("required", True), bool, "true or false"),
        realm=_expect("[auth] realm", table.get("realm", AuthSettings.realm), str, "a string"),
        operators=frozenset(_strings("[auth] operators", table.get("operators", []))),
        **limits,
        basic=_basic(table.get("basic")) if "basic" in methods else None,
        bearer=_bearer(table.get("bearer")) if "bearer" in methods else None,
        proxy=_proxy(table.get("proxy", {})) if "proxy" in methods else None,
    )
    if '"' in settings.realm or "\\" in settings.realm:
        raise AuthConfigError("[auth] realm: must not contain quotes or backslashes")
    return settings


def _basic(table: Any) -> BasicSettings:
    if not isinstance(table, Mapping) or "password_file" not in table:
        raise AuthConfigError("[auth.basic] password_file: required with method 'basic'")
    _known("[auth.basic]", table, {"password_file"})
    return BasicSettings(_expect("[auth.basic] password_file", table["password_file"], str,
                                 "a file path"))


def _bearer(table: Any) -> BearerSettings:
    if not isinstance(table, Mapping):
        raise AuthConfigError("[auth.bearer]: a table with issuer and audience is required "
                              "with method 'bearer'")
    _known("[auth.bearer]", table, {"issuer", "audience", "algorithms", "leeway",
                                    "refresh_interval", "name_claim"})
    for key in ("issuer", "audience"):
        if not isinstance(table.get(key), str) or not table[key]:
            raise AuthConfigError(f"[auth.bearer] {key}: required, a non-empty string")
    algorithms = _strings("[auth.bearer] algorithms",
                          table.get("algorithms", list(BearerSettings.algorithms)))
    for algorithm in algorithms:
        if algorithm not in ASYMMETRIC:
            raise AuthConfigError(f"[auth.bearer] algorithms: {algorithm!r} is not allowed; "
                                  f"only asymmetric algorithms: {', '.join(ASYMMETRIC)}")
    leeway = _expect("[auth.bearer] leeway", table.get("leeway", 30), (int, float), "seconds")
    refresh = _expect("[auth.bearer] refresh_interval", table.get("refresh_interval", 60),
                      (int, float), "seconds")
    if leeway < 0 or refresh < 0:
        raise AuthConfigError("[auth.bearer] leeway and refresh_interval: 0 or more seconds")
    return BearerSettings(
        issuer=table["issuer"].rstrip("/"),
        audience=table["audience"],
        algorithms=algorithms,
        leeway=float(leeway),
        refresh_interval=float(refresh),
        name_claim=_expect("[auth.bearer] name_claim", table.get("name_claim", "sub"), str,
                           "a claim name"),
    )


def _proxy(table: Any) -> ProxySettings:
    if not isinstance(table, Mapping):
        raise AuthConfigError("[auth.proxy]: expected a table")
    _known("[auth.proxy]", table, {"header", "trusted", "access_url", "standard_id"})
    networks = []
    for text in _strings("[auth.proxy] trusted", table.get("trusted", ["127.0.0.1/32", "::1/128"])):
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise AuthConfigError(f"[auth.proxy] trusted: {text!r} is not a network") from None
    header = _expect("[auth.proxy] header", table.get("header", "X-Client-DN"), str, "a name")
    return ProxySettings(
        header=header,
        trusted=tuple(networks),
        access_url=_expect("[auth.proxy] access_url", table.get("access_url", ""), str, "a URL"),
        standard_id=_expect("[auth.proxy] standard_id",
                            table.get("standard_id", ProxySettings.standard_id), str, "a URI"),
    )
