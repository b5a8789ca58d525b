"""One finding of the validator: what, where, which requirement, and why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .codes import Level, code

__all__ = ["Finding"]


@dataclass(frozen=True)
class Finding:
    """A problem (or a remark) about one document, at a JSON Pointer into it.

    ``requirement`` is the code's own unless a check names a more precise one (an alias kind
    in an answer judges KIND-01, in a request KIND-02).
    """

    code: str
    path: str
    message: str
    requirement: str = ""

    def __post_init__(self) -> None:
        if not self.requirement:
            object.__setattr__(self, "requirement", code(self.code).requirement)

    @property
    def level(self) -> Level:
        return code(self.code).level

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "level": self.level.name,
            "path": self.path,
            "requirement": self.requirement,
            "message": self.message,
        }
