"""Writing answers and errors in the negotiated media type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ivoa_eb_spec.codecs import dump_document
from starlette.responses import Response

from ..service.errors import Problem
from .negotiation import DEFAULT_ANSWER, Answer

#: XML root element of each answer (ARCHITECTURE.md, XML mapping, rule 1).
OFFERSET = "offers-response"
SESSION = "execution"
ERROR = "error"


def answer(
    document: dict[str, Any],
    chosen: Answer,
    root: str,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    body = dump_document(document, chosen.format, root)
    return Response(
        body,
        status_code=status,
        media_type=chosen.media_type,
        headers={"Vary": "Accept", **(headers or {})},
    )


def problem(failure: Problem, chosen: Answer | None) -> Response:
    """An ErrorResponse; in YAML when the failure is that no type was acceptable."""
    return answer(failure.document(), chosen or Answer(*DEFAULT_ANSWER), ERROR, failure.status)
