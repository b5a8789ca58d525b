"""The identity of a caller, as the broker records and reports it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Identity:
    """An authenticated caller.

    ``name`` is what the broker stores as the owner of what the caller creates and what it
    sends back in ``X-VO-Authenticated``; it is prefixed by nothing, so one person known to
    two methods under the same name is one owner. ``method`` says how it was established
    (``basic``, ``bearer`` or ``proxy``); ``operator`` grants reading and cancelling
    everything.
    """

    name: str
    method: str
    operator: bool = False
