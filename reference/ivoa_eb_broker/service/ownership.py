"""Who owns what, and who may see and change it (requirements SEC-05..SEC-09).

Every offer set and session records the identity that created it (``None`` when created by
an anonymous caller, as on a broker without authentication). The rules, pure and small:

- the owner sees and changes its own; an operator sees everything and may cancel it;
- anything owned by somebody else is, for anyone else, as if it did not exist (404, the
  answer for an unknown uuid), so that a uuid's existence is never disclosed;
- rows made anonymously stay readable by every caller; once a deployment enables
  authentication only operators (and anonymous callers, where authentication is optional)
  change them;
- a session shows only the options its reader may use (SEC-03).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

CANCELLED = "CANCELLED"


@dataclass(frozen=True)
class Identity:
    """An authenticated caller: ``name`` is stored as the owner and sent back in
    ``X-VO-Authenticated``; ``method`` says how it was established (``basic``, ``bearer``,
    ``proxy``); ``operator`` may read and cancel everything."""

    name: str
    method: str
    operator: bool = False


def owner_name(caller: Identity | None) -> str | None:
    """What to record as the owner of what ``caller`` creates."""
    return caller.name if caller is not None else None


def visible(owner: str | None, caller: Identity | None) -> bool:
    """Whether ``caller`` may know that a thing owned by ``owner`` exists."""
    if owner is None:
        return True
    return caller is not None and (caller.operator or caller.name == owner)


def permitted(owner: str | None, caller: Identity | None, values: Iterable[str]) -> list[str]:
    """The phase values among ``values`` that ``caller`` may set on a session of ``owner``."""
    values = list(values)
    name = caller.name if caller is not None else None
    if owner == name:  # the owner; or anonymous on anonymous (a broker without authentication)
        return values
    if caller is not None and caller.operator:
        return [v for v in values if v == CANCELLED]
    return []
