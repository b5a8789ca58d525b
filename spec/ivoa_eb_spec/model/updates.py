"""Updates: what a client sends to change a session (``POST /sessions/{uuid}``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Tag

from . import kinds as K
from .base import UNKNOWN_TAG, Int, KnownModel, OpenModel, Str, kind_discriminator
from .formats import NonEmpty

__all__ = [
    "EnumValueUpdate",
    "IntegerDeltaUpdate",
    "IntegerValueUpdate",
    "StringValueUpdate",
    "UnknownUpdate",
    "Update",
]


class StringValueUpdate(KnownModel):
    """Set the string at ``path`` to ``value``."""

    kind: Literal[K.STRING_VALUE_UPDATE]
    path: NonEmpty
    value: Str


class EnumValueUpdate(KnownModel):
    """Set the value at ``path`` to ``value``, one of the option's values (e.g. a phase)."""

    kind: Literal[K.ENUM_VALUE_UPDATE]
    path: NonEmpty
    value: Str


class IntegerValueUpdate(KnownModel):
    """Set the integer at ``path`` to ``value``."""

    kind: Literal[K.INTEGER_VALUE_UPDATE]
    path: NonEmpty
    value: Int
    units: Str | None = None


class IntegerDeltaUpdate(KnownModel):
    """Change the integer at ``path`` by ``delta``."""

    kind: Literal[K.INTEGER_DELTA_UPDATE]
    path: NonEmpty
    delta: Int
    units: Str | None = None


class UnknownUpdate(OpenModel):
    """An update of a kind this model does not know, kept whole (the broker refuses it)."""

    family = "update"


Update = Annotated[
    Annotated[StringValueUpdate, Tag(K.STRING_VALUE_UPDATE)]
    | Annotated[EnumValueUpdate, Tag(K.ENUM_VALUE_UPDATE)]
    | Annotated[IntegerValueUpdate, Tag(K.INTEGER_VALUE_UPDATE)]
    | Annotated[IntegerDeltaUpdate, Tag(K.INTEGER_DELTA_UPDATE)]
    | Annotated[UnknownUpdate, Tag(UNKNOWN_TAG)],
    kind_discriminator(K.FAMILIES["update"]),
]
