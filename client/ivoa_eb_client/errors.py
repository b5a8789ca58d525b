"""What the client raises and warns: the broker's own messages, never a bare status code."""

from __future__ import annotations

from collections.abc import Sequence

from ivoa_eb_spec.model import MessageItem


class BrokerError(Exception):
    """The broker refused or failed an operation, or could not be reached or understood.

    ``status`` is the HTTP status (``None`` when no answer came: the broker is down or slow);
    ``messages`` are the ErrorResponse's messages, each with its ``values["path"]``, a JSON
    Pointer to the part of the request at fault. ``str()`` quotes them.
    """

    def __init__(
        self,
        status: int | None,
        title: str,
        messages: Sequence[MessageItem] = (),
        url: str = "",
    ) -> None:
        self.status = status
        self.title = title
        self.messages: list[MessageItem] = list(messages)
        self.url = url
        super().__init__(self._text())

    def _text(self) -> str:
        head = f"{self.status} {self.title}" if self.status is not None else self.title
        if self.url:
            head += f" ({self.url})"
        lines = [head]
        for message in self.messages:
            path = (message.values or {}).get("path")
            where = f" [at {path}]" if path else ""
            lines.append(f"  {message.level or 'ERROR'}: {message.message}{where}")
        return "\n".join(lines)


class BrokerWarning(UserWarning):
    """A WARN message of a broker's answer (an alias kind mapped, a site that did not answer).

    The client issues each one once per document through :mod:`warnings`, and keeps them on
    the object (``.warnings``), so a script sees them and a program can read them.
    """
