"""The costs and metrics on a platform's offers, and offers refused for missing a request's
limits: the small hook :mod:`.offers` calls (the rules are :mod:`~ivoa_eb_broker.core.quotes`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..core import OfferPlan
from ..core.quotes import unmet
from .fleet import Member
from .messages import error


def quote(member: Member, offer: OfferPlan) -> dict[str, list[dict[str, Any]]]:
    """The ``costs`` and ``metrics`` of an offer of ``member`` (empty: it states none)."""
    return member.rates.quote(offer.cores, offer.duration.total_seconds() / 3600)


def priced(member: Member, offers: Sequence[OfferPlan], request: Mapping[str, Any]
           ) -> tuple[list[OfferPlan], list[dict[str, Any]]]:
    """The offers whose quotes meet the request's limits, and an ERROR per limit missed."""
    kept: list[OfferPlan] = []
    reasons: dict[str, dict[str, Any]] = {}  # one per limit missed, by its path
    for offer in offers:
        missed = unmet(quote(member, offer), request)
        if not missed:
            kept.append(offer)
        for miss in missed:
            reasons.setdefault(miss.path, error(
                "Platform {platform}: an offer's {type} of {quote} misses the request's "
                "{bound} of {limit}", path=miss.path, platform=member.name, type=miss.type,
                quote=f"{miss.quote:g}", limit=f"{miss.limit:g}",
                bound="maximum" if miss.family == "costs" else "minimum"))
    return kept, list(reasons.values())
