"""Shared bases of the data model: strict known kinds, open unknown kinds, kind dispatch.

Known kinds ignore unknown fields (must-ignore, requirement EXT-01: the JSON Schemas are
open, so that a newer minor version or an extension still reads; the broker names every
ignored path in a WARN message, see ``ivoa_eb_spec.unknown``, so a typo stays visible). A kind
the model does not know is kept whole in an ``Unknown...`` model (``extra="allow"``), so that
the broker can answer NO to it and name it.

Every optional field defaults to ``None`` and an explicit ``null`` is refused: what was not
sent is not written back (upstream defaults such as ``privileged: false`` are the broker's
business, not the document's), so a read and a write is the identity.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Any, ClassVar, Final, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Strict,
    field_validator,
    model_validator,
)

from ivoa_eb_spec.vocabulary import canonical_kind, known_kinds
from ivoa_eb_spec.xmlschema_gen import LONG_MAX, LONG_MIN

from .formats import NonEmpty

__all__ = [
    "UNKNOWN_TAG",
    "Document",
    "Float",
    "Int",
    "LONG_MAX",
    "LONG_MIN",
    "KnownModel",
    "OpenModel",
    "Str",
    "Bool",
    "discriminator_tags",
    "kind_discriminator",
    "whole_number",
]


def whole_number(value: Any) -> Any:
    """JSON Schema counts 2.0 as an integer: such a number is read as the int it is."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# Strict scalars: the wire types of JSON Schema, no coercion ("1" is not an integer, true is
# not a number). A float field still takes an integer, as JSON Schema's `number` does.
Str = Annotated[str, Strict()]
Int = Annotated[int, BeforeValidator(whole_number), Field(strict=True, ge=LONG_MIN, le=LONG_MAX)]
Float = Annotated[float, Strict()]
Bool = Annotated[bool, Strict()]

#: The tag of the fallback branch of every kind union.
UNKNOWN_TAG: Final = "unknown kind"

_TAGS: set[str] = {UNKNOWN_TAG}

# common.yaml#/$defs/XmlName
_XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


def discriminator_tags() -> frozenset[str]:
    """Every tag a kind union may put into a validation error's location."""
    return frozenset(_TAGS)


class Document(BaseModel):
    """Base of every model: refuses explicit nulls, writes what was set, by the wire names."""

    model_config = ConfigDict(extra="ignore", validate_by_alias=True, validate_by_name=False)

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_null(cls, value: Any) -> Any:
        # JSON Schema has no nullable fields here; leaving a field out is how to say "none".
        if value is None:
            raise ValueError("null is not allowed: leave the field out instead")
        return value

    def to_document(self) -> dict[str, Any]:
        """The JSON-compatible dict of this object, as the JSON Schema names its fields."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class KnownModel(Document):
    """A class the interface defines: unknown fields are ignored (EXT-01)."""


class OpenModel(Document):
    """The fallback for an unknown kind: every field is kept as sent.

    Field names must be XML names, as the JSON Schema's fallback branches require, since
    every document has an XML form.
    """

    model_config = ConfigDict(extra="allow")

    #: The family (as in the kinds vocabulary) this fallback stands in for.
    family: ClassVar[str]

    kind: NonEmpty

    @field_validator("kind")
    @classmethod
    def _not_an_alias(cls, kind: str) -> str:
        # The schemas take canonical URIs only: an older spelling is mapped before validating.
        canonical = canonical_kind(kind)
        if canonical is not None and canonical in known_kinds(cls.family):
            raise ValueError(f"{kind!r} is an older spelling of the kind {canonical!r}; send that")
        return kind

    @model_validator(mode="after")
    def _xml_names(self) -> Self:
        bad = [name for name in self.model_extra or {} if not _XML_NAME.fullmatch(name)]
        if bad:
            raise ValueError(f"field names must be XML names: {', '.join(map(repr, bad))}")
        return self


def kind_discriminator(known: Iterable[str]) -> Discriminator:
    """A discriminator choosing the model of a known kind URI, the fallback otherwise."""
    tags = frozenset(known)
    _TAGS.update(tags)

    def choose(value: Any) -> str:
        kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
        return kind if isinstance(kind, str) and kind in tags else UNKNOWN_TAG

    return Discriminator(choose)
