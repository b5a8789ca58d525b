"""The broker's description of itself in the VO's terms: VOSI availability and capabilities,
and the VOResource record for the Registry (IVOA VOSI 1.1, VOResource 1.2).

The documents are built here from the broker's own parts (its platforms, their kinds and
health, the config's ``[registry]`` table); :mod:`ivoa_eb_broker.http.vosi` serves the first two and
``ivoa-eb-broker registry-record`` prints the third. ``ivoa_eb_spec.vosi`` holds the
namespaces, the proposed standardID and the schemas they are valid against.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ivoa_eb_spec.vocabulary import load_kinds
from ivoa_eb_spec.vosi import (
    AVAILABILITY_NS,
    CAPABILITIES_NS,
    EB_NS,
    RI_NS,
    STANDARD_ID,
    VOSI_AVAILABILITY_ID,
    VOSI_CAPABILITIES_ID,
    VR_NS,
    XSI_NS,
)
from lxml import etree

from ..platforms import Health
from ..registry_config import Registry
from .fleet import Fleet

#: The families listed in a capability, in the order of the extension schema.
FAMILIES = ("executable", "compute", "volume", "storage", "data", "cost", "metric")
#: Families a platform supports only when it says so (nothing is reported by default).
_DECLARED_ONLY = ("cost", "metric")
#: The media types of the broker's messages, the default first.
MEDIA_TYPES = ("application/yaml", "application/json", "application/xml")
#: Seconds one platform may take to answer a health check before it counts as down.
HEALTH_TIMEOUT = 5.0

_NSMAP = {"vr": VR_NS, "eb": EB_NS, "xsi": XSI_NS}
_XSI_TYPE = f"{{{XSI_NS}}}type"


@dataclass(frozen=True)
class PlatformHealth:
    """One platform's answer to the health check, under its name in this broker."""

    name: str
    health: Health


async def check_health(fleet: Fleet, timeout: float = HEALTH_TIMEOUT) -> list[PlatformHealth]:
    """Ask every platform at once; one that overruns ``timeout`` counts as down."""

    async def one(name: str, platform_health: asyncio.Task[Health]) -> PlatformHealth:
        try:
            return PlatformHealth(name, await asyncio.wait_for(platform_health, timeout))
        except TimeoutError:
            return PlatformHealth(name, Health(False, f"no answer within {timeout:g} s"))
        except Exception as problem:  # a platform's bug must not break /availability
            return PlatformHealth(name, Health(False, f"health check failed: {problem!r}"))

    tasks = [(m.name, asyncio.ensure_future(m.platform.health())) for m in fleet]
    return list(await asyncio.gather(*(one(name, task) for name, task in tasks)))


def availability(results: Sequence[PlatformHealth], up_since: datetime) -> bytes:
    """VOSI availability: available when every platform is healthy; a note per platform."""
    root = etree.Element(f"{{{AVAILABILITY_NS}}}availability", nsmap={"vosi": AVAILABILITY_NS})
    up = all(result.health.ok for result in results)
    etree.SubElement(root, f"{{{AVAILABILITY_NS}}}available").text = "true" if up else "false"
    if up:
        etree.SubElement(root, f"{{{AVAILABILITY_NS}}}upSince").text = _timestamp(up_since)
    for result in results:
        if result.health.ok:
            text = f"platform {result.name}: available"
        else:
            text = f"platform {result.name}: unavailable: {result.health.note or 'down'}"
        etree.SubElement(root, f"{{{AVAILABILITY_NS}}}note").text = text
    return _serialise(root)


def capabilities(fleet: Fleet, base_url: str, registry: Registry,
                 head: str | None = None) -> bytes:
    """VOSI capabilities: the ExecutionBroker capability and the two VOSI ones; ``head``:
    this broker's ``EB-Via`` id when it fronts other brokers."""
    root = etree.Element(f"{{{CAPABILITIES_NS}}}capabilities",
                         nsmap={"vosi": CAPABILITIES_NS, **_NSMAP})
    for capability in capability_elements(fleet, base_url, registry, head):
        root.append(capability)
    return _serialise(root)


def record(fleet: Fleet, base_url: str, registry: Registry, now: datetime | None = None) -> bytes:
    """A VOResource record (``ri:Resource`` of type ``vr:Service``) for the Registry.

    ``ValueError`` naming the missing config keys when the record would be incomplete.
    """
    missing = registry.missing() + ([] if base_url else ["[server] public_url"])
    if missing:
        raise ValueError("a Registry record needs " + ", ".join(missing))
    stamp = _timestamp(now or datetime.now(UTC))
    root = etree.Element(f"{{{RI_NS}}}Resource", nsmap={"ri": RI_NS, **_NSMAP})
    root.set(_XSI_TYPE, "vr:Service")
    root.set("created", registry.created or stamp)
    root.set("updated", stamp)
    root.set("status", "active")
    _text(root, "title", registry.title)
    if registry.short_name:
        _text(root, "shortName", registry.short_name)
    _text(root, "identifier", registry.identifier)
    curation = etree.SubElement(root, "curation")
    _text(curation, "publisher", registry.publisher)
    contact = etree.SubElement(curation, "contact")
    _text(contact, "name", registry.contact_name)
    if registry.contact_email:
        _text(contact, "email", registry.contact_email)
    content = etree.SubElement(root, "content")
    for subject in registry.subjects:
        _text(content, "subject", subject)
    _text(content, "description", registry.description)
    _text(content, "referenceURL", registry.reference_url)
    _text(content, "type", "Other")
    for capability in capability_elements(fleet, base_url, registry):
        root.append(capability)
    return _serialise(root)


def capability_elements(fleet: Fleet, base_url: str, registry: Registry,
                        head: str | None = None) -> list[etree._Element]:
    """``capability`` elements: the broker's (with what it supports, behind the configured
    authentication; a head names its ``EB-Via`` id, FED-14), then VOSI's own two (always
    anonymous: anyone may ask what a service is and whether it is up)."""
    base = base_url.rstrip("/")
    broker = etree.Element("capability", nsmap=_NSMAP)
    broker.set("standardID", STANDARD_ID)
    broker.set(_XSI_TYPE, "eb:ExecutionBrokerCapability")
    _interfaces(broker, f"{base}/", registry.security_methods, version="1.0",
                openapi=f"{base}/openapi.yaml")
    by_member = {member.name: supported(fleet, member.name) for member in fleet}
    _kinds(broker, {family: sorted(set().union(*(kinds[family] for kinds in by_member.values())))
                    for family in FAMILIES})
    for media_type in MEDIA_TYPES:
        _text(broker, "mediaType", media_type)
    for member in fleet:
        platform = etree.SubElement(broker, "platform", name=member.name,
                                    type=member.platform.name)
        own = by_member[member.name]
        _kinds(platform, {family: sorted(kinds) for family, kinds in own.items()})
    if head is not None:
        etree.SubElement(broker, "head", id=head)
    found = [broker]
    for standard, path in ((VOSI_CAPABILITIES_ID, "capabilities"),
                           (VOSI_AVAILABILITY_ID, "availability")):
        vosi = etree.Element("capability", nsmap=_NSMAP, standardID=standard)
        _interfaces(vosi, f"{base}/{path}")  # anonymous, as VOSI recommends
        found.append(vosi)
    return found


def supported(fleet: Fleet, name: str) -> dict[str, frozenset[str]]:
    """The kind URIs of each family the platform ``name`` is offered for. A platform that
    takes any known kind of a family (it judges each request itself) lists every kind of
    the vocabulary in that family; cost and metric kinds only when declared."""
    member = fleet.get(name)
    assert member is not None
    vocabulary: dict[str, set[str]] = {}
    for kind in load_kinds():
        vocabulary.setdefault(kind.family, set()).add(kind.uri)
    found: dict[str, frozenset[str]] = {}
    for family in FAMILIES:
        declared = member.declared(family)
        if declared is None:
            declared = frozenset() if family in _DECLARED_ONLY else frozenset(
                vocabulary.get(family, ()))
        found[family] = declared
    return found


def _interfaces(capability: etree._Element, url: str, methods: Sequence[str] = (),
                version: str | None = None, openapi: str | None = None) -> None:
    """One interface per authentication method (VOResource allows one securityMethod per
    interface); a single one without securityMethod, meaning anonymous, when none is set."""
    for method in methods or (None,):
        interface = etree.SubElement(capability, "interface", role="std")
        interface.set(_XSI_TYPE, "eb:HTTPInterface")
        if version:
            interface.set("version", version)
        access = _text(interface, "accessURL", url)
        access.set("use", "base" if url.endswith("/") else "full")
        if method is not None:
            etree.SubElement(interface, "securityMethod", standardID=method)
        if openapi:
            _text(interface, "openapi", openapi)


def _kinds(parent: etree._Element, kinds: dict[str, Iterable[str]]) -> None:
    for family in FAMILIES:
        for uri in kinds.get(family, ()):
            _text(parent, f"{family}Kind", uri)


def _text(parent: etree._Element, name: str, text: str) -> etree._Element:
    element = etree.SubElement(parent, name)
    element.text = text
    return element


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
