"""Content negotiation: which format a request body is in, which format to answer in.

Bodies are read by ``Content-Type`` (an undeclared body is YAML, as the standard says);
answers are chosen by ``Accept`` with q-values honoured (RFC 9110 §12.5.1: the most
specific matching range gives a type its q). No ``Accept``, ``*/*`` or a tie answers YAML.
Each problem raises :class:`~ivoa_eb_broker.service.errors.Problem` with its status
(415, 406) and a message naming the header.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ivoa_eb_spec.codecs import MediaType

from ..service.errors import Problem
from ..service.messages import error

YAML: Final = MediaType.YAML
JSON: Final = MediaType.JSON
XML: Final = MediaType.XML

#: Media types read in request bodies, and the format each names.
BODY_TYPES: Final[dict[str, MediaType]] = {
    "application/yaml": YAML,
    "application/x-yaml": YAML,
    "text/yaml": YAML,
    "application/json": JSON,
    "application/xml": XML,
    "text/xml": XML,
}

#: Media types an answer can have, best first: ties go to the earlier one.
ANSWER_TYPES: Final[tuple[tuple[str, MediaType], ...]] = (
    ("application/yaml", YAML),
    ("application/json", JSON),
    ("application/xml", XML),
    ("application/x-yaml", YAML),
    ("text/yaml", YAML),
    ("text/xml", XML),
)

DEFAULT_ANSWER: Final = ("application/yaml", YAML)


@dataclass(frozen=True)
class Answer:
    """The chosen answer: the media type sent in ``Content-Type`` and the format to write."""

    media_type: str
    format: MediaType


def body_format(content_type: str | None) -> MediaType:
    """The format of a request body declared as ``content_type``; YAML when undeclared."""
    if content_type is None or not content_type.strip():
        return YAML
    main, _, parameters = content_type.partition(";")
    media = main.strip().lower()
    found = BODY_TYPES.get(media)
    if found is None:
        raise Problem(
            415,
            "Unsupported Media Type",
            [
                error(
                    "The request body's type {type} is not supported: send one of {supported}",
                    path="",
                    type=media or content_type,
                    supported=", ".join(BODY_TYPES),
                )
            ],
        )
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
            if charset not in ("utf-8", "utf8"):
                raise Problem(
                    415,
                    "Unsupported Media Type",
                    [
                        error(
                            "The request body's charset {charset} is not supported: "
                            "send UTF-8",
                            path="",
                            charset=charset,
                        )
                    ],
                )
    return found


def _ranges(accept: str) -> list[tuple[str, str, float]]:
    """``(type, subtype, q)`` for each well-formed range of an ``Accept`` header."""
    found = []
    for item in accept.split(","):
        main, *parameters = item.split(";")
        media = main.strip().lower()
        if not media:
            continue
        kind, slash, subtype = media.partition("/")
        if not slash or not kind or not subtype or (kind == "*" and subtype != "*"):
            continue
        q = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = -1.0
        if 0.0 <= q <= 1.0:
            found.append((kind, subtype, q))
    return found


def _quality(media_type: str, ranges: list[tuple[str, str, float]]) -> float:
    kind, _, subtype = media_type.partition("/")
    best_specificity, best_q = -1, 0.0
    for r_kind, r_subtype, q in ranges:
        if (r_kind, r_subtype) == (kind, subtype):
            specificity = 2
        elif r_kind == kind and r_subtype == "*":
            specificity = 1
        elif (r_kind, r_subtype) == ("*", "*"):
            specificity = 0
        else:
            continue
        if specificity > best_specificity:
            best_specificity, best_q = specificity, q
    return best_q


def answer_format(accept: str | None) -> Answer:
    """The answer's media type for ``accept``; raises a 406 problem if none is acceptable."""
    if accept is None or not accept.strip():
        return Answer(*DEFAULT_ANSWER)
    ranges = _ranges(accept)
    if not ranges:
        return Answer(*DEFAULT_ANSWER)
    best: tuple[str, MediaType] | None = None
    best_q = 0.0
    for media_type, fmt in ANSWER_TYPES:
        q = _quality(media_type, ranges)
        if q > best_q:
            best, best_q = (media_type, fmt), q
    if best is None:
        raise Problem(
            406,
            "Not Acceptable",
            [
                error(
                    "None of the types in Accept ({accept}) can be sent: "
                    "accept one of {supported}",
                    path="",
                    accept=accept[:200],
                    supported=", ".join(t for t, _ in ANSWER_TYPES),
                )
            ],
        )
    return Answer(*best)
