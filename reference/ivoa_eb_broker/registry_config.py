"""The ``[registry]`` table of the config: how the broker describes itself to the VO Registry.

Read by ``ivoa-eb-broker registry-record`` (a VOResource record) and by ``/capabilities``
(the interface's security methods). Kept apart from :mod:`.config` because only these two
read it; a bad key raises ``ValueError`` naming it, which the config turns into its error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class Registry:
    """The curation metadata of the broker's Registry record (VOResource 1.2 names)."""

    #: The IVOA identifier of this service, ``ivo://AUTHORITY/PATH``; required for a record.
    identifier: str = ""
    title: str = "IVOA ExecutionBroker"
    short_name: str = ""
    #: The organisation that runs the service; required for a record.
    publisher: str = ""
    #: Who answers questions about the service; ``contact_name`` is required for a record.
    contact_name: str = ""
    contact_email: str = ""
    description: str = (
        "An IVOA ExecutionBroker: ask where and when an executable (a container, a notebook) "
        "can run with the compute, storage and data it needs, accept an offer, follow it."
    )
    #: A page for people about the service; required for a record.
    reference_url: str = ""
    #: Subjects, preferably terms of the Unified Astronomy Thesaurus.
    subjects: tuple[str, ...] = ("virtual-observatories",)
    #: When the record was first made (UTC, ``YYYY-MM-DDThh:mm:ssZ``); empty: now.
    created: str = ""
    #: standardIDs of the authentication methods in front of the broker (IVOA SSO, such as
    #: ``ivo://ivoa.net/sso#token``); empty: anonymous access.
    security_methods: tuple[str, ...] = ()

    def missing(self) -> list[str]:
        """The keys a Registry record needs that are not set, as ``[registry] key``."""
        needed = ("identifier", "publisher", "contact_name", "reference_url")
        return [f"[registry] {key}" for key in needed if not getattr(self, key)]


_IDENTIFIER = re.compile(r"ivo://[\w\d][\w\d\-_.!~*'()+=]{2,}(/[\w\d\-_.!~*'()+=]+(/[^?#]*)?)?")
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
_LISTS = {"subjects", "security_methods"}


def registry_of(table: Any) -> Registry:
    """The ``[registry]`` table, checked; ``ValueError`` naming the offending key."""
    if not isinstance(table, Mapping):
        raise ValueError("[registry]: expected a table")
    known = {f.name for f in fields(Registry)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in known:
            listed = ", ".join(sorted(known))
            raise ValueError(f"[registry] {key}: unknown setting (known: {listed})")
        if key in _LISTS:
            if not isinstance(value, list) or not all(v and isinstance(v, str) for v in value):
                raise ValueError(f"[registry] {key}: expected a list of strings, got {value!r}")
            values[key] = tuple(value)
        elif not isinstance(value, str):
            raise ValueError(f"[registry] {key}: expected a string, got {value!r}")
        else:
            values[key] = value
    registry = Registry(**values)
    if registry.identifier and not _IDENTIFIER.fullmatch(registry.identifier):
        raise ValueError(f"[registry] identifier: expected ivo://AUTHORITY/PATH, got "
                         f"{registry.identifier!r}")
    if registry.created and not _TIMESTAMP.fullmatch(registry.created):
        raise ValueError(f"[registry] created: expected YYYY-MM-DDThh:mm:ssZ, got "
                         f"{registry.created!r}")
    if not registry.subjects:
        raise ValueError("[registry] subjects: at least one subject")
    return registry
