"""The errors the service answers with: an HTTP status, a title and messages naming paths.

The HTTP layer turns a :class:`Problem` into an ErrorResponse in the negotiated format;
nothing else about HTTP is known here.
"""

from __future__ import annotations

from typing import Any


class Problem(Exception):
    """A client error: ``status`` (4xx), ``title``, and message items with ``values.path``."""

    def __init__(self, status: int, title: str, messages: list[dict[str, Any]]) -> None:
        self.status = status
        self.title = title
        self.messages = messages
        super().__init__(f"{status} {title}: " + "; ".join(m["message"] for m in messages))

    def document(self) -> dict[str, Any]:
        """The ErrorResponse document."""
        return {"status": self.status, "title": self.title, "messages": self.messages}


def bad_request(messages: list[dict[str, Any]]) -> Problem:
    return Problem(400, "Bad Request", messages)


def not_found(messages: list[dict[str, Any]]) -> Problem:
    return Problem(404, "Not Found", messages)


def forbidden(messages: list[dict[str, Any]]) -> Problem:
    return Problem(403, "Forbidden", messages)


def too_many(messages: list[dict[str, Any]]) -> Problem:
    return Problem(429, "Too Many Requests", messages)


def conflict(messages: list[dict[str, Any]]) -> Problem:
    return Problem(409, "Conflict", messages)


def unprocessable(messages: list[dict[str, Any]]) -> Problem:
    return Problem(422, "Unprocessable Content", messages)
