"""The validator's finding codes: stable names, each with its level and requirement.

A code reads like taplint's: ``LEVEL-AREA-LABEL``, e.g. ``E-TIME-BADDUR``. The level letter is
``E`` (error: the document breaks a MUST), ``W`` (warning: it breaks a SHOULD or uses a
tolerated form) or ``I`` (information). Codes are stable: a code once published keeps its
meaning; a withdrawn one is not reused. Tools and CI filters may match on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

__all__ = ["CODES", "Code", "Level", "code"]


class Level(IntEnum):
    """Severity of a finding; the order is used for ``--fail-on`` and the exit status."""

    INFO = 0
    WARNING = 1
    ERROR = 2

    @property
    def letter(self) -> str:
        return self.name[0]


@dataclass(frozen=True)
class Code:
    """One kind of finding: its code, its level, the requirement it judges and what it means."""

    code: str
    requirement: str
    summary: str

    @property
    def level(self) -> Level:
        return {"E": Level.ERROR, "W": Level.WARNING, "I": Level.INFO}[self.code[0]]

    @property
    def area(self) -> str:
        return self.code.split("-")[1]


CODES: dict[str, Code] = {
    item.code: item
    for item in (
        Code("E-DOC-SYNTAX", "DOC-01", "the file is not well-formed YAML, JSON or XML"),
        Code(
            "E-DOC-TYPE", "DOC-01", "the file is not a request, offer set, session, update or error"
        ),
        Code(
            "I-DOC-SKIPPED", "DOC-01", "a file found in a folder is not an ExecutionBroker document"
        ),
        Code("E-XML-ROOT", "XML-03", "the XML root element is not one of the five message roots"),
        Code("E-XML-SCHEMA", "XML-03", "the XML document breaks the XML Schema"),
        Code("E-SCHEMA-TYPE", "DOC-01", "a value of the wrong JSON type"),
        Code("E-SCHEMA-REQUIRED", "DOC-01", "a required property is missing"),
        Code("W-SCHEMA-IGNORED", "EXT-02",
             "a property this kind does not have: a broker ignores it (EXT-01), often a typo"),
        Code("E-SCHEMA-ENUM", "DOC-01", "a value outside the allowed values"),
        Code("E-SCHEMA-PATTERN", "DOC-01", "a string that does not match its pattern"),
        Code("E-SCHEMA-BOUNDS", "DOC-01", "a number, string or array outside its bounds"),
        Code(
            "E-SCHEMA-FORMAT", "DOC-01", "a string that is not of its format (date-time, uuid, uri)"
        ),
        Code("E-SCHEMA-OTHER", "DOC-01", "any other JSON Schema rule broken"),
        Code("E-TIME-BADINSTANT", "TIME-05", "not an ISO 8601 instant with a time zone"),
        Code("E-TIME-BADDUR", "TIME-06", "not a positive, fixed-length ISO 8601 duration"),
        Code("E-TIME-BADSTART", "TIME-04", "not an instant, start/end or start/duration in order"),
        Code("E-RANGE-MINMAX", "DOC-02", "a min/max pair with min greater than max"),
        Code("E-REF-DUPNAME", "REF-01", "a storage or data name used twice"),
        Code("E-REF-VOLUME", "REF-02", "a volume mounts a resource the request does not have"),
        Code("E-REF-DATA", "REF-03", "a storage resource lists data the request does not have"),
        Code("E-REF-STORAGE", "REF-03", "a data resource names storage the request does not have"),
        Code(
            "W-KIND-ALIAS",
            "KIND-02",
            "an older spelling of a kind URI: the canonical one is suggested",
        ),
        Code("I-KIND-UNKNOWN", "OFF-07", "a kind this version of the standard does not define"),
    )
}
"""Every code, by name."""


def code(name: str) -> Code:
    """The code of this name; a KeyError for a name that is not in :data:`CODES`."""
    return CODES[name]
