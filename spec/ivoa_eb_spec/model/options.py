"""Options: what a client may change on a component now, as the broker offers it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Tag

from . import kinds as K
from .base import UNKNOWN_TAG, Int, KnownModel, OpenModel, Str, kind_discriminator
from .formats import NonEmpty

__all__ = [
    "EnumValueOption",
    "IntegerDeltaOption",
    "IntegerValueOption",
    "Option",
    "StringValueOption",
    "UnknownOption",
]


class StringValueOption(KnownModel):
    """The client may set the string at ``path``, matching ``pattern`` if given."""

    kind: Literal[K.STRING_VALUE_OPTION]
    path: NonEmpty
    pattern: Str | None = None


class EnumValueOption(KnownModel):
    """The client may set the value at ``path`` to one of ``values``."""

    kind: Literal[K.ENUM_VALUE_OPTION]
    path: NonEmpty
    values: list[Str]


class IntegerValueOption(KnownModel):
    """The client may set the integer at ``path`` within ``min`` .. ``max``."""

    kind: Literal[K.INTEGER_VALUE_OPTION]
    path: NonEmpty
    min: Int | None = None
    max: Int | None = None
    units: Str | None = None


class IntegerDeltaOption(KnownModel):
    """The client may change the integer at ``path`` by a delta within ``min`` .. ``max``."""

    kind: Literal[K.INTEGER_DELTA_OPTION]
    path: NonEmpty
    min: Int | None = None
    max: Int | None = None
    units: Str | None = None


class UnknownOption(OpenModel):
    """An option of a kind this model does not know, kept whole."""

    family = "option"


Option = Annotated[
    Annotated[StringValueOption, Tag(K.STRING_VALUE_OPTION)]
    | Annotated[EnumValueOption, Tag(K.ENUM_VALUE_OPTION)]
    | Annotated[IntegerValueOption, Tag(K.INTEGER_VALUE_OPTION)]
    | Annotated[IntegerDeltaOption, Tag(K.INTEGER_DELTA_OPTION)]
    | Annotated[UnknownOption, Tag(UNKNOWN_TAG)],
    kind_discriminator(K.FAMILIES["option"]),
]
