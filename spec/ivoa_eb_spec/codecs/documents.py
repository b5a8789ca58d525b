"""Bodies to models and back, in any of the three media types of the interface."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar, overload

from pydantic import BaseModel, TypeAdapter, ValidationError

from ivoa_eb_spec.model import (
    ErrorResponse,
    ExecutionRequest,
    ExecutionSession,
    OfferSetResponse,
    SessionBase,
    SessionList,
    UnknownSession,
    UnknownUpdate,
    Update,
)
from ivoa_eb_spec.model.updates import (
    EnumValueUpdate,
    IntegerDeltaUpdate,
    IntegerValueUpdate,
    StringValueUpdate,
)

from .errors import DecodeError, problems_from_validation
from .json_codec import dump_json, load_json
from .xml_codec import dump_xml, load_xml
from .yaml_codec import dump_yaml, load_yaml

__all__ = ["MediaType", "decode", "dump_document", "encode", "load_document", "root_for"]

T = TypeVar("T")


class MediaType(StrEnum):
    """The media types every body of the interface exists in; YAML is the default."""

    YAML = "application/yaml"
    JSON = "application/json"
    XML = "application/xml"


# XML root element of each message class (ARCHITECTURE.md, XML mapping, rule 1).
_ROOTS: tuple[tuple[Any, str], ...] = (
    (ExecutionRequest, "offers-request"),
    (OfferSetResponse, "offers-response"),
    (ExecutionSession, "execution"),
    (SessionBase, "execution"),
    (UnknownSession, "execution"),
    (Update, "update"),
    (StringValueUpdate, "update"),
    (EnumValueUpdate, "update"),
    (IntegerValueUpdate, "update"),
    (IntegerDeltaUpdate, "update"),
    (UnknownUpdate, "update"),
    (ErrorResponse, "error"),
    (SessionList, "session-list"),
)


def root_for(model: Any) -> str:
    """The XML root element of a message class, or of the ``ExecutionSession``/``Update`` union."""
    for known, root in _ROOTS:
        if model is known or (
            isinstance(model, type) and isinstance(known, type) and issubclass(model, known)
        ):
            return root
    raise ValueError(f"{model!r} is not a message: it has no XML root element")


def load_document(body: bytes, media_type: MediaType) -> tuple[dict[str, Any], str | None]:
    """The document (a JSON object) of a body, and its XML root element (None for JSON and YAML)."""
    root: str | None = None
    if media_type is MediaType.XML:
        root, document = load_xml(body)
    elif media_type is MediaType.JSON:
        document = load_json(body)
    else:
        document = load_yaml(body)
    if not isinstance(document, dict):
        raise DecodeError(
            [("", f"the document must be an object (a mapping), not {_json_type(document)}")]
        )
    return document, root


def dump_document(
    document: dict[str, Any], media_type: MediaType, root: str | None = None
) -> bytes:
    """The body of a document; XML needs the root element name."""
    if media_type is MediaType.XML:
        if root is None:
            raise ValueError("an XML body needs a root element name")
        return dump_xml(document, root)
    if media_type is MediaType.JSON:
        return dump_json(document)
    return dump_yaml(document)


_ADAPTERS: dict[int, tuple[Any, TypeAdapter[Any]]] = {}


def _adapter(model: Any) -> TypeAdapter[Any]:
    # Keyed by identity: the Annotated unions are not reliably hashable.
    entry = _ADAPTERS.get(id(model))
    if entry is None or entry[0] is not model:
        entry = (model, TypeAdapter(model))
        _ADAPTERS[id(model)] = entry
    return entry[1]


@overload
def decode(body: bytes, media_type: MediaType, model: type[T]) -> T: ...
@overload
def decode(body: bytes, media_type: MediaType, model: Any) -> Any: ...
def decode(body: bytes, media_type: MediaType, model: Any) -> Any:
    """The model object of a body; :class:`DecodeError` lists every fault with its JSON Pointer.

    ``model`` is a message class, or a union such as ``ExecutionSession`` or ``Update``. An
    XML body must have the model's root element.
    """
    document, root = load_document(body, media_type)
    if root is not None:
        expected = root_for(model)
        if root != expected:
            raise DecodeError([("", f"the root element is {root!r}, expected {expected!r}")])
    try:
        if isinstance(model, type) and issubclass(model, BaseModel):
            return model.model_validate(document)
        return _adapter(model).validate_python(document)
    except ValidationError as error:
        raise DecodeError(problems_from_validation(error, document)) from None


def encode(obj: BaseModel, media_type: MediaType) -> bytes:
    """The body of a model object, with only the fields that were set, by their wire names."""
    document = obj.model_dump(mode="json", by_alias=True, exclude_unset=True)
    root = root_for(type(obj)) if media_type is MediaType.XML else None
    return dump_document(document, media_type, root)


def _json_type(value: Any) -> str:
    names = {
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
    }
    return "null" if value is None else names.get(type(value), type(value).__name__)
