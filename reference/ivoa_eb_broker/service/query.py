"""Query parameters of the UWS-style reads, parsed or refused with a 400 naming them."""

from __future__ import annotations

from ..core import Phase
from .errors import bad_request
from .messages import error

INT64_MAX = 2**63 - 1
"""The OpenAPI bounds every integer parameter by ``int64``; a larger value is refused."""
PHASES = tuple(str(p) for p in Phase)


def refuse(parameter: str, value: str, reason: str) -> Exception:
    """A 400 naming the query parameter and (the start of) its value."""
    return bad_request([error(
        "The query parameter {parameter}={value} is not valid: {reason}", path="",
        parameter=parameter, value=value[:100], reason=reason)])


def whole_number(parameter: str, text: str, minimum: int, reason: str) -> int:
    """``text`` as an integer from ``minimum`` to :data:`INT64_MAX`, else a 400 with ``reason``.

    The digit count is checked before ``int()``, which refuses very long strings itself."""
    digits = text[1:] if text.startswith("-") else text
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 19):
        raise refuse(parameter, text, reason)
    value = int(text)
    if not minimum <= value <= INT64_MAX:
        raise refuse(parameter, text, reason)
    return value


def phase(parameter: str, text: str) -> str:
    """``text`` if it names a phase, else a 400 listing the phases."""
    if text not in PHASES:
        raise refuse(parameter, text, "expected one of " + ", ".join(PHASES))
    return text
