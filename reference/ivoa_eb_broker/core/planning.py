"""Offer planning: from a request's minimums, maximums and start window to offers or reasons.

The planner answers one question, purely: given the platform capacity and what the ledger
already holds, which offers can the broker make now? It fixes what the upstream prototype got
wrong (model.md): every offer meets every minimum, stays within a requested maximum and the
capacity, starts inside the requested window (requirements 9-15); a NO always says why, one
reason per cause, as message templates; several offers vary usefully (the minimum soon; more
resources, more time or a later start next); and all offers can be held together, since the
service holds every live offer in the ledger (requirement 4).

A session holds the platform for longer than it is available: from the start of preparing
to the end of releasing (requirement LIFE-31). Each offer is planned, and held, over that
whole span, so the steps of one session never overlap another's on a full platform.

Not the planner's job: reading documents, checking kinds (an unknown executable or resource
kind gets NO from the service before planning), expiring lapsed holds (the service calls
:meth:`Ledger.expire` first) and holding the offers (the service does, in the same lock).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .bookings import Ledger, Resources

__all__ = [
    "OfferPlan",
    "Plan",
    "PlanRequest",
    "PlannerSettings",
    "Reason",
    "iso_duration",
    "plan",
]


@dataclass(frozen=True)
class PlanRequest:
    """What a request asks for, reduced to numbers by the service.

    ``storage_min``/``storage_max`` are the sums over the request's storage resources.
    ``duration`` ``None`` takes the planner's default. The start window is
    ``earliest <= start <= latest``; ``None`` for ``earliest`` means as soon as possible,
    ``None`` for ``latest`` means any time within the planning horizon. A bare instant in the
    request is ``earliest == latest``.
    """

    cores_min: int = 1
    cores_max: int | None = None
    memory_min: int = 1
    memory_max: int | None = None
    storage_min: int = 0
    storage_max: int | None = None
    duration: timedelta | None = None
    earliest: datetime | None = None
    latest: datetime | None = None


@dataclass(frozen=True)
class PlannerSettings:
    """How the planner makes offers; the service fills these from its configuration."""

    max_offers: int = 3
    offer_lifetime: timedelta = timedelta(seconds=300)
    """An offer's ``expires`` is ``now + offer_lifetime``."""
    default_duration: timedelta = timedelta(hours=1)
    horizon: timedelta = timedelta(days=30)
    """Every offer ends by ``now + horizon``: the broker plans no further ahead."""
    min_lead_time: timedelta = timedelta(0)
    """No offer starts preparing before ``now + min_lead_time``."""
    preparing: timedelta = timedelta(0)
    """How long the platform prepares before a session is available: held too."""
    releasing: timedelta = timedelta(0)
    """How long the platform releases after a session's available time: held too."""
    later_step: timedelta = timedelta(hours=1)
    """The alternative start offer starts at least this long after the first offer."""
    growth: int = 2
    """Without a requested maximum, the generous offer asks ``growth`` times the minimum."""
    duration_growth: int = 2
    """The longer offer lasts ``duration_growth`` times the requested duration."""

    def __post_init__(self) -> None:
        if self.max_offers < 1:
            raise ValueError("max_offers must be at least 1")
        for name in ("offer_lifetime", "default_duration", "horizon", "later_step"):
            if getattr(self, name) <= timedelta(0):
                raise ValueError(f"{name} must be positive")
        for name in ("min_lead_time", "preparing", "releasing"):
            if getattr(self, name) < timedelta(0):
                raise ValueError(f"{name} must not be negative")
        if self.growth < 1 or self.duration_growth < 1:
            raise ValueError("growth factors must be at least 1")


@dataclass(frozen=True)
class OfferPlan:
    """One offer: resources available over ``[start, start + duration)``, valid until
    ``expires``, and held over ``[booked_start, booked_end)``, which adds the platform's
    ``preparing`` before and ``releasing`` after."""

    start: datetime
    duration: timedelta
    cores: int
    memory_gib: int
    storage_gib: int
    expires: datetime
    preparing: timedelta = timedelta(0)
    releasing: timedelta = timedelta(0)

    @property
    def end(self) -> datetime:
        """The end of the available time."""
        return self.start + self.duration

    @property
    def booked_start(self) -> datetime:
        """When preparing starts: the booking holds the platform from here."""
        return self.start - self.preparing

    @property
    def booked_end(self) -> datetime:
        """When releasing ends: the booking holds the platform until here."""
        return self.end + self.releasing

    @property
    def resources(self) -> Resources:
        return Resources(self.cores, self.memory_gib, self.storage_gib)


@dataclass(frozen=True)
class Reason:
    """Why the answer is NO, as a message template (``{name}`` placeholders) and its values."""

    code: str
    template: str
    values: dict[str, str] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The template with its values filled in."""
        return self.template.format(**self.values)


@dataclass(frozen=True)
class Plan:
    """Either offers (YES) or reasons (NO), never both, never neither."""

    offers: tuple[OfferPlan, ...] = ()
    reasons: tuple[Reason, ...] = ()

    def __post_init__(self) -> None:
        if bool(self.offers) == bool(self.reasons):
            raise ValueError("a plan has either offers or reasons")

    @property
    def result(self) -> str:
        """``"YES"`` or ``"NO"``, as in ``OfferSetResponse.result``."""
        return "YES" if self.offers else "NO"


def iso_duration(value: timedelta) -> str:
    """An ISO 8601 duration (``P1DT2H``, ``PT0S``) for messages."""
    micros = (value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds
    sign = "-" if micros < 0 else ""
    whole, fraction = divmod(abs(micros), 1_000_000)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    second_text = f"{seconds}.{fraction:06d}".rstrip("0") if fraction else str(seconds)
    parts = ((str(hours), hours, "H"), (str(minutes), minutes, "M"))
    parts += ((second_text, seconds or fraction, "S"),)
    time = "".join(f"{text}{unit}" for text, n, unit in parts if n)
    text = f"{sign}P{f'{days}D' if days else ''}{'T' + time if time else ''}"
    return text if text not in ("P", "-P") else "PT0S"


_UNITS = {"cores": "cores", "memory": "GiB of memory", "storage": "GiB of storage"}


def _check(
    request: PlanRequest,
    duration: timedelta,
    peak: Resources,
    now: datetime,
    settings: PlannerSettings,
) -> list[Reason]:
    """Every reason that makes the request impossible whatever the ledger holds."""
    reasons: list[Reason] = []
    amounts = (
        ("cores", request.cores_min, request.cores_max, peak.cores),
        ("memory", request.memory_min, request.memory_max, peak.memory_gib),
        ("storage", request.storage_min, request.storage_max, peak.storage_gib),
    )
    for resource, low, high, capacity in amounts:
        unit = _UNITS[resource]
        if low < 0:
            reasons.append(
                Reason(
                    "negative-minimum",
                    "The minimum of {resource} ({min}) is negative.",
                    {"resource": resource, "min": str(low)},
                )
            )
        if high is not None and low > high:
            reasons.append(
                Reason(
                    "min-above-max",
                    "The request asks for at least {min} and at most {max} {unit}.",
                    {"resource": resource, "min": str(low), "max": str(high), "unit": unit},
                )
            )
        if low > capacity:
            reasons.append(
                Reason(
                    "insufficient-capacity",
                    "The platform has at most {capacity} {unit}; the request needs at least {min}.",
                    {
                        "resource": resource,
                        "capacity": str(capacity),
                        "min": str(low),
                        "unit": unit,
                    },
                )
            )

    soonest = now + settings.min_lead_time + settings.preparing
    horizon_end = now + settings.horizon - settings.releasing
    duration_ok = True
    if duration <= timedelta(0):
        duration_ok = False
        reasons.append(
            Reason(
                "duration-not-positive",
                "The requested duration {duration} is not positive.",
                {"duration": iso_duration(duration)},
            )
        )
    elif soonest + duration > horizon_end:
        duration_ok = False
        reasons.append(
            Reason(
                "duration-beyond-horizon",
                "The requested duration {duration} does not fit within the planning horizon: "
                "this broker plans {horizon} ahead, the earliest start is {lead} from now, "
                "and releasing takes {releasing}.",
                {
                    "duration": iso_duration(duration),
                    "horizon": iso_duration(settings.horizon),
                    "lead": iso_duration(soonest - now),
                    "releasing": iso_duration(settings.releasing),
                },
            )
        )

    earliest, latest = request.earliest, request.latest
    if earliest is not None and latest is not None and earliest > latest:
        reasons.append(
            Reason(
                "window-empty",
                "The requested start window ends ({latest}) before it begins ({earliest}).",
                {"earliest": earliest.isoformat(), "latest": latest.isoformat()},
            )
        )
        return reasons
    if latest is not None and latest < now:
        reasons.append(
            Reason(
                "window-in-past",
                "The requested start window ended at {latest}, in the past (now is {now}).",
                {"latest": latest.isoformat(), "now": now.isoformat()},
            )
        )
    elif latest is not None and latest < soonest:
        reasons.append(
            Reason(
                "window-too-soon",
                "The requested start window ends at {latest}, before the earliest start "
                "this broker can offer ({soonest}).",
                {"latest": latest.isoformat(), "soonest": soonest.isoformat()},
            )
        )
    if duration_ok and earliest is not None and earliest + duration > horizon_end:
        reasons.append(
            Reason(
                "window-beyond-horizon",
                "The requested start window begins at {earliest}: a session of {duration} "
                "and its releasing would end after the planning horizon ({horizon_end}).",
                {
                    "earliest": earliest.isoformat(),
                    "duration": iso_duration(duration),
                    "horizon_end": (now + settings.horizon).isoformat(),
                },
            )
        )
    return reasons


def plan(
    request: PlanRequest,
    ledger: Ledger,
    now: datetime,
    settings: PlannerSettings | None = None,
) -> Plan:
    """Plan the offers for ``request`` against ``ledger`` (read only) at ``now``.

    The capacity is the ledger's. Offers, in order, each planned against the ledger with the
    earlier offers held (so all of them can be held together), identical ones dropped, at
    most ``settings.max_offers``:

    Every offer is held from ``preparing`` before its start to ``releasing`` after its end,
    and that whole span lies within ``[now + min_lead_time, now + horizon)``.

    1. the minimum resources for the requested duration at the earliest start;
    2. the generous amount (the requested maximum, else ``growth`` times the minimum, within
       the capacity) at the earliest start where it fits;
    3. the minimum resources for ``duration_growth`` times the duration, earliest start;
    4. as much as fits (up to the generous amount) at the first offer's start;
    5. the minimum resources at the earliest start ``later_step`` after the first offer's,
       and so on, each ``later_step`` after the previous one, until ``max_offers``.
    """
    settings = settings or PlannerSettings()
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    duration = request.duration if request.duration is not None else settings.default_duration
    before, after = settings.preparing, settings.releasing
    soonest = now + settings.min_lead_time + before
    horizon_end = now + settings.horizon - after  # the available time ends by here
    peak = ledger.capacity.peak(now, now + settings.horizon)

    reasons = _check(request, duration, peak, now, settings)
    if reasons:
        return Plan(reasons=tuple(reasons))

    lo = soonest if request.earliest is None else max(request.earliest, soonest)
    window_end = horizon_end if request.latest is None else min(request.latest, horizon_end)
    minimum = Resources(request.cores_min, request.memory_min, request.storage_min)

    def generous(low: int, high: int | None, capacity: int) -> int:
        wanted = high if high is not None else low * settings.growth
        return max(low, min(wanted, capacity))

    target = Resources(
        generous(request.cores_min, request.cores_max, peak.cores),
        generous(request.memory_min, request.memory_max, peak.memory_gib),
        generous(request.storage_min, request.storage_max, peak.storage_gib),
    )
    expires = now + settings.offer_lifetime
    scratch = ledger.scratch()
    offers: list[OfferPlan] = []

    def add(
        resources: Resources, length: timedelta, not_before: datetime, not_after: datetime
    ) -> OfferPlan | None:
        if len(offers) >= settings.max_offers:
            return None
        not_after = min(not_after, window_end, horizon_end - length)
        if not_after < not_before:
            return None
        held = before + length + after
        booked = scratch.earliest_start(resources, held, not_before - before,
                                        not_after - before)
        if booked is None:
            return None
        offer = OfferPlan(
            booked + before,
            length,
            resources.cores,
            resources.memory_gib,
            resources.storage_gib,
            expires,
            before,
            after,
        )
        if offer in offers:
            return offer
        scratch.hold(resources, offer.booked_start, offer.booked_end)
        offers.append(offer)
        return offer

    first = add(minimum, duration, lo, window_end)
    if first is None:
        last_start = min(window_end, horizon_end - duration)
        return Plan(
            reasons=(
                Reason(
                    "no-free-slot",
                    "No slot with {cores} cores, {memory} GiB of memory and {storage} GiB of "
                    "storage is free for {duration} with a start between {from} and {to}.",
                    {
                        "cores": str(minimum.cores),
                        "memory": str(minimum.memory_gib),
                        "storage": str(minimum.storage_gib),
                        "duration": iso_duration(duration),
                        "from": lo.isoformat(),
                        "to": last_start.isoformat(),
                    },
                ),
            )
        )
    if target != minimum:
        add(target, duration, lo, window_end)
    add(minimum, duration * settings.duration_growth, lo, window_end)
    if len(offers) < settings.max_offers:
        free = scratch.free(first.booked_start, first.booked_end)
        if minimum.fits_in(free):
            more = free.elementwise_min(target)
            if more != minimum:
                add(more, duration, first.start, first.start)
    later: OfferPlan | None = first
    while later is not None and len(offers) < settings.max_offers:
        count = len(offers)
        later = add(minimum, duration, later.start + settings.later_step, window_end)
        if len(offers) == count:
            break
    return Plan(offers=tuple(offers))
