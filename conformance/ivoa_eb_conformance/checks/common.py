"""Preparatory traffic several checks share (memoised per run), and small judging helpers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import probe, spec
from ..codec import DecodeError
from ..context import Context
from ..http import Answer
from ..runner import BrokerProtocolError


@dataclass(frozen=True)
class OfferSet:
    """A request the suite sent, the broker's answer, and the offer set read from it."""

    request: dict[str, Any]
    first: Answer
    answer: Answer
    doc: dict[str, Any]

    @property
    def offers(self) -> list[dict[str, Any]]:
        return probe.offers(self.doc)

    @property
    def result(self) -> Any:
        return self.doc.get("result")


def offer_set(ctx: Context, name: str = "baseline") -> OfferSet:
    """POST the named document once per run (JSON both ways) and keep what came back."""

    def make() -> OfferSet:
        request = probe.document(name)
        first, answer = probe.post_request(ctx, request)
        if answer.status != 200:
            raise BrokerProtocolError(
                f"POST /requests with the {name!r} document answered {first.status}"
                + (f" then {answer.status}" if answer is not first else ""),
                answer.evidence,
            )
        try:
            doc = answer.document
        except DecodeError as error:
            raise BrokerProtocolError(str(error), answer.evidence) from error
        if not isinstance(doc, dict):
            raise BrokerProtocolError("the offer set is not an object", answer.evidence)
        return OfferSet(request, first, answer, doc)

    return ctx.memo(f"offer-set:{name}", make)


def yes_offer_set(ctx: Context, name: str = "baseline") -> OfferSet | None:
    """The memoised offer set, or None when the broker said NO (checks then skip)."""
    found = offer_set(ctx, name)
    return found if found.result == "YES" and found.offers else None


def schema_problems(answer: Answer, which: str) -> list[str]:
    return spec.schema_errors(answer.document, which)
