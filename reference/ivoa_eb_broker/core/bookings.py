"""The booking ledger: which resources are held by whom, when, against the platform capacity.

The upstream prototype overbooked freely because its bookings never constrained anything.
Here every booking goes through :meth:`Ledger.hold`, which refuses (:class:`Overbooked`)
anything that would take the resources booked at some instant above the capacity at that
instant, for any resource. Live offers hold resources (state ``HELD``, with an expiry);
an accepted offer's booking is ``COMMITTED``.

The ledger is pure data: no clock (``now`` is passed in), no I/O, no locks. The service
serialises access to it and persists it through :meth:`Ledger.to_data` /
:meth:`Ledger.from_data`.

Time model: a booking occupies the half-open interval ``[start, end)``; all datetimes are
timezone-aware. The resources booked over time form a step function whose breakpoints are
booking starts and ends; capacity is a step function too (a base value and optional changes).
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

__all__ = [
    "Booking",
    "BookingExpired",
    "BookingState",
    "Capacity",
    "DuplicateBooking",
    "Ledger",
    "LedgerError",
    "Overbooked",
    "Resources",
    "ScratchLedger",
    "Segment",
    "UnknownBooking",
]


def _aware(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")
    return value


def _interval(start: datetime, end: datetime) -> None:
    _aware(start, "start")
    _aware(end, "end")
    if not start < end:
        raise ValueError(f"an interval needs start < end, got [{start}, {end})")


@dataclass(frozen=True)
class Resources:
    """An amount of each resource the broker books: cores, memory (GiB), storage (GiB)."""

    cores: int = 0
    memory_gib: int = 0
    storage_gib: int = 0

    def __post_init__(self) -> None:
        for name in ("cores", "memory_gib", "storage_gib"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name} must be an int, got {value!r}")

    def as_tuple(self) -> tuple[int, int, int]:
        return (self.cores, self.memory_gib, self.storage_gib)

    def fits_in(self, other: Resources) -> bool:
        """True if every amount here is at most the same amount in ``other``."""
        return (
            self.cores <= other.cores
            and self.memory_gib <= other.memory_gib
            and self.storage_gib <= other.storage_gib
        )

    def __add__(self, other: Resources) -> Resources:
        return Resources(
            self.cores + other.cores,
            self.memory_gib + other.memory_gib,
            self.storage_gib + other.storage_gib,
        )

    def __sub__(self, other: Resources) -> Resources:
        return Resources(
            self.cores - other.cores,
            self.memory_gib - other.memory_gib,
            self.storage_gib - other.storage_gib,
        )

    def elementwise_min(self, other: Resources) -> Resources:
        return Resources(
            min(self.cores, other.cores),
            min(self.memory_gib, other.memory_gib),
            min(self.storage_gib, other.storage_gib),
        )

    def elementwise_max(self, other: Resources) -> Resources:
        return Resources(
            max(self.cores, other.cores),
            max(self.memory_gib, other.memory_gib),
            max(self.storage_gib, other.storage_gib),
        )

    def is_non_negative(self) -> bool:
        return self.cores >= 0 and self.memory_gib >= 0 and self.storage_gib >= 0

    def __str__(self) -> str:
        return f"{self.cores} cores, {self.memory_gib} GiB memory, {self.storage_gib} GiB storage"

    def to_dict(self) -> dict[str, int]:
        return {"cores": self.cores, "memory_gib": self.memory_gib, "storage_gib": self.storage_gib}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Resources:
        return cls(int(data["cores"]), int(data["memory_gib"]), int(data["storage_gib"]))


@dataclass(frozen=True)
class Capacity:
    """What the platform has: ``base`` until the first change, then each change from its instant.

    A constant capacity is ``Capacity(Resources(...))``. ``changes`` are ``(instant, amount)``
    pairs with strictly increasing instants; each amount applies from its instant on.
    """

    base: Resources
    changes: tuple[tuple[datetime, Resources], ...] = ()
    _times: tuple[datetime, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.base.is_non_negative():
            raise ValueError(f"capacity must not be negative: {self.base}")
        changes = tuple((t, r) for t, r in self.changes)
        times = tuple(_aware(t, "capacity change instant") for t, _ in changes)
        if any(not a < b for a, b in zip(times, times[1:], strict=False)):
            raise ValueError("capacity changes must have strictly increasing instants")
        for _, amount in changes:
            if not amount.is_non_negative():
                raise ValueError(f"capacity must not be negative: {amount}")
        object.__setattr__(self, "changes", changes)
        object.__setattr__(self, "_times", times)

    @classmethod
    def constant(cls, cores: int, memory_gib: int, storage_gib: int) -> Capacity:
        return cls(Resources(cores, memory_gib, storage_gib))

    def at(self, instant: datetime) -> Resources:
        """The capacity at ``instant``. O(log c) for c changes."""
        i = bisect.bisect_right(self._times, instant)
        return self.base if i == 0 else self.changes[i - 1][1]

    def change_times(self, start: datetime, end: datetime) -> list[datetime]:
        """The change instants strictly inside ``(start, end)``."""
        lo = bisect.bisect_right(self._times, start)
        hi = bisect.bisect_left(self._times, end)
        return list(self._times[lo:hi])

    def peak(self, start: datetime, end: datetime) -> Resources:
        """The most of each resource the platform has at some instant of ``[start, end)``."""
        result = self.at(start)
        for t in self.change_times(start, end):
            result = result.elementwise_max(self.at(t))
        return result

    def to_dict(self) -> dict[str, Any]:
        return {
            "base": self.base.to_dict(),
            "changes": [{"at": t.isoformat(), **r.to_dict()} for t, r in self.changes],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Capacity:
        return cls(
            Resources.from_dict(data["base"]),
            tuple(
                (datetime.fromisoformat(c["at"]), Resources.from_dict(c))
                for c in data.get("changes", ())
            ),
        )


class BookingState(StrEnum):
    HELD = "HELD"
    """Held for a live offer; released when the offer expires, is rejected or loses to a sibling."""
    COMMITTED = "COMMITTED"
    """Held for an accepted session until the service releases it."""


@dataclass(frozen=True)
class Booking:
    """One holding of resources over ``[start, end)``: a plain, serialisable record."""

    id: str
    owner: str
    """The session id the booking is for."""
    group: str
    """The offer set id: the sibling offers of one request share it."""
    resources: Resources
    start: datetime
    end: datetime
    state: BookingState = BookingState.HELD
    expires: datetime | None = None
    """When a ``HELD`` booking lapses (the offer's ``expires``); ``None`` for never."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "owner": self.owner,
            "group": self.group,
            "resources": self.resources.to_dict(),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "state": str(self.state),
            "expires": None if self.expires is None else self.expires.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Booking:
        expires = data.get("expires")
        return cls(
            id=str(data["id"]),
            owner=str(data["owner"]),
            group=str(data["group"]),
            resources=Resources.from_dict(data["resources"]),
            start=datetime.fromisoformat(data["start"]),
            end=datetime.fromisoformat(data["end"]),
            state=BookingState(data["state"]),
            expires=None if expires is None else datetime.fromisoformat(expires),
        )


@dataclass(frozen=True)
class Segment:
    """A piece of the step function: over ``[start, end)`` ``used`` is booked of ``capacity``."""

    start: datetime
    end: datetime
    used: Resources
    capacity: Resources

    @property
    def free(self) -> Resources:
        return self.capacity - self.used


class LedgerError(Exception):
    """Base of the ledger's errors."""


class Overbooked(LedgerError):
    """Holding ``requested`` over ``[start, end)`` would exceed the capacity at some instant."""

    def __init__(
        self, requested: Resources, free: Resources, start: datetime, end: datetime
    ) -> None:
        self.requested = requested
        self.free = free
        self.start = start
        self.end = end
        super().__init__(
            f"cannot hold {requested} over [{start.isoformat()}, {end.isoformat()}): "
            f"at some instant only {free} are free"
        )


class UnknownBooking(LedgerError, KeyError):
    def __str__(self) -> str:
        return f"no booking with id {self.args[0]!r}"


class DuplicateBooking(LedgerError, ValueError):
    pass


class BookingExpired(LedgerError):
    pass


_Piece = tuple[datetime, datetime, tuple[int, int, int], tuple[int, int, int], tuple[int, int, int]]


class _Queries:
    """Queries over the step function, shared by :class:`Ledger` and :class:`ScratchLedger`.

    With k the number of bookings that overlap the queried interval, every query costs
    O(k log k) plus the cost of finding them (see :meth:`Ledger._overlapping`).
    """

    capacity: Capacity

    def _overlapping(self, start: datetime, end: datetime) -> list[Booking]:
        raise NotImplementedError

    def _pieces(self, start: datetime, end: datetime) -> list[_Piece]:
        """The step function over ``[start, end)`` as raw ``(from, to, free, used, cap)`` tuples.

        Plain tuples, not :class:`Segment` objects: this is the inner loop of every query.
        """
        deltas: dict[datetime, list[int]] = {start: [0, 0, 0]}
        for b in self._overlapping(start, end):
            r = b.resources
            d = deltas.setdefault(b.start if b.start > start else start, [0, 0, 0])
            d[0] += r.cores
            d[1] += r.memory_gib
            d[2] += r.storage_gib
            if b.end < end:
                d = deltas.setdefault(b.end, [0, 0, 0])
                d[0] -= r.cores
                d[1] -= r.memory_gib
                d[2] -= r.storage_gib
        for t in self.capacity.change_times(start, end):
            deltas.setdefault(t, [0, 0, 0])
        times = sorted(deltas)
        pieces: list[_Piece] = []
        at = self.capacity.at
        constant = None if self.capacity.changes else self.capacity.base.as_tuple()
        c = m = s = 0
        last = len(times) - 1
        for i, t in enumerate(times):
            d = deltas[t]
            c += d[0]
            m += d[1]
            s += d[2]
            cap = constant or at(t).as_tuple()
            used = (c, m, s)
            free = (cap[0] - c, cap[1] - m, cap[2] - s)
            pieces.append((t, times[i + 1] if i < last else end, free, used, cap))
        return pieces

    def profile(self, start: datetime, end: datetime) -> list[Segment]:
        """The step function over ``[start, end)``: maximal pieces of constant use and capacity."""
        _interval(start, end)
        segments: list[Segment] = []
        for t0, t1, _, used, cap in self._pieces(start, end):
            if (
                segments
                and segments[-1].used.as_tuple() == used
                and (segments[-1].capacity.as_tuple() == cap)
            ):
                segments[-1] = replace(segments[-1], end=t1)
            else:
                segments.append(Segment(t0, t1, Resources(*used), Resources(*cap)))
        return segments

    def free(self, start: datetime, end: datetime) -> Resources:
        """The least free amount of each resource at any instant of ``[start, end)``.

        The minimum is taken per resource, so the amounts may come from different instants:
        exactly what :meth:`can_hold` needs.
        """
        _interval(start, end)
        pieces = self._pieces(start, end)
        c, m, s = pieces[0][2]
        for _, _, free, _, _ in pieces:
            c = min(c, free[0])
            m = min(m, free[1])
            s = min(s, free[2])
        return Resources(c, m, s)

    def can_hold(self, resources: Resources, start: datetime, end: datetime) -> bool:
        """True if ``resources`` can be held over ``[start, end)`` without overbooking."""
        return resources.fits_in(self.free(start, end))

    def earliest_start(
        self,
        resources: Resources,
        duration: timedelta,
        not_before: datetime,
        not_after: datetime,
    ) -> datetime | None:
        """The earliest ``t`` in ``[not_before, not_after]`` where ``resources`` fit over
        ``[t, t + duration)``, or ``None``.

        The answer is always ``not_before``, the end of a booking or a capacity change: the
        earliest feasible start is either the lower bound or the end of a piece where the
        resources do not fit. The sweep looks at a stretch of four durations after the current
        candidate and doubles it while nothing fits, so an early answer costs O(k log k) for
        the k bookings near it, and a whole window no more than about twice one sweep of it.
        """
        _aware(not_before, "not_before")
        _aware(not_after, "not_after")
        if duration <= timedelta(0):
            raise ValueError(f"duration must be positive, got {duration}")
        if not_after < not_before:
            return None
        need_c, need_m, need_s = resources.as_tuple()
        limit = not_after + duration
        t = not_before
        span = 4 * duration
        while True:
            stretch_end = min(t + span, limit)
            for t0, t1, free, _, _ in self._pieces(t, stretch_end):
                if free[0] >= need_c and free[1] >= need_m and free[2] >= need_s:
                    continue
                if t0 >= t + duration:
                    return t
                t = t1
                if t > not_after:
                    return None
            if t + duration <= stretch_end:
                return t
            span *= 2


class Ledger(_Queries):
    """Bookings against a :class:`Capacity`, never above it at any instant.

    Bookings are indexed by start in a sorted list, and the longest booking duration is
    tracked, so the bookings that overlap ``[start, end)`` are found by bisecting for starts in
    ``[start - longest, end)``: O(log n + k') where k' counts the bookings starting in that
    range. A few very long bookings among short ones widen the range; fine at 10^5 bookings of
    similar lengths. Holding and releasing cost O(n) for the list insertion (a memmove) plus a
    query.
    """

    def __init__(self, capacity: Capacity) -> None:
        self.capacity = capacity
        self._bookings: dict[str, Booking] = {}
        self._by_start: list[tuple[datetime, str]] = []
        self._durations: Counter[timedelta] = Counter()
        self._longest = timedelta(0)
        self._held: set[str] = set()

    # -- reading --------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._bookings)

    def __contains__(self, booking_id: object) -> bool:
        return booking_id in self._bookings

    def __iter__(self) -> Iterator[Booking]:
        """The bookings in order of start."""
        return (self._bookings[i] for _, i in self._by_start)

    def get(self, booking_id: str) -> Booking:
        try:
            return self._bookings[booking_id]
        except KeyError:
            raise UnknownBooking(booking_id) from None

    def group(self, group: str) -> list[Booking]:
        """The bookings of one offer set. O(n)."""
        return [b for b in self if b.group == group]

    def _overlapping(self, start: datetime, end: datetime) -> list[Booking]:
        lo = bisect.bisect_left(self._by_start, (start - self._longest,))
        hi = bisect.bisect_left(self._by_start, (end,))
        found = []
        for _, booking_id in self._by_start[lo:hi]:
            b = self._bookings[booking_id]
            if b.end > start:
                found.append(b)
        return found

    def scratch(self) -> ScratchLedger:
        """A scratch overlay: holds there are checked against this ledger but never change it."""
        return ScratchLedger(self)

    # -- changing -------------------------------------------------------------------------

    def hold(
        self,
        booking_id: str,
        owner: str,
        group: str,
        resources: Resources,
        start: datetime,
        end: datetime,
        *,
        expires: datetime | None = None,
        state: BookingState = BookingState.HELD,
    ) -> Booking:
        """Book ``resources`` over ``[start, end)``; raises :class:`Overbooked` if they do not fit.

        ``expires`` bounds a ``HELD`` booking's life (see :meth:`expire`).
        """
        if booking_id in self._bookings:
            raise DuplicateBooking(f"a booking with id {booking_id!r} exists")
        _interval(start, end)
        if expires is not None:
            _aware(expires, "expires")
        if not resources.is_non_negative():
            raise ValueError(f"cannot hold negative resources: {resources}")
        state = BookingState(state)
        free = self.free(start, end)
        if not resources.fits_in(free):
            raise Overbooked(resources, free, start, end)
        booking = Booking(
            booking_id,
            owner,
            group,
            resources,
            start,
            end,
            state,
            expires if state is BookingState.HELD else None,
        )
        self._insert(booking)
        return booking

    def commit(self, booking_id: str, *, now: datetime | None = None) -> Booking:
        """Turn a held booking into a committed one (its offer was accepted).

        With ``now``, refuses (:class:`BookingExpired`) a booking whose ``expires`` has passed:
        an expired offer cannot be accepted. Committing a committed booking changes nothing.
        """
        booking = self.get(booking_id)
        if booking.state is BookingState.COMMITTED:
            return booking
        if now is not None and booking.expires is not None and now >= booking.expires:
            raise BookingExpired(f"booking {booking_id!r} expired at {booking.expires}")
        booking = replace(booking, state=BookingState.COMMITTED, expires=None)
        self._bookings[booking_id] = booking
        self._held.discard(booking_id)
        return booking

    def release(self, booking_id: str) -> Booking:
        """Remove a booking; its resources are free again."""
        booking = self.get(booking_id)
        self._remove(booking)
        return booking

    def release_group(self, group: str, keep: str | None = None) -> list[Booking]:
        """Release every booking of ``group`` but ``keep``: the siblings of an accepted offer."""
        released = [b for b in self.group(group) if b.id != keep]
        for b in released:
            self._remove(b)
        return released

    def release_owner(self, owner: str) -> list[Booking]:
        """Release every booking of one session (cancel, failure, completion). O(n)."""
        released = [b for b in self if b.owner == owner]
        for b in released:
            self._remove(b)
        return released

    def expire(self, now: datetime) -> list[Booking]:
        """Release every held booking whose ``expires`` is at or before ``now``. O(h) for h held."""
        _aware(now, "now")
        lapsed = [
            self._bookings[i]
            for i in sorted(self._held)
            if (exp := self._bookings[i].expires) is not None and exp <= now
        ]
        for b in lapsed:
            self._remove(b)
        return lapsed

    # -- persistence ----------------------------------------------------------------------

    def to_data(self) -> dict[str, Any]:
        """Plain data (str, int, list, dict, None) for storage."""
        return {
            "capacity": self.capacity.to_dict(),
            "bookings": [b.to_dict() for b in self],
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Ledger:
        """Rebuild a ledger; raises :class:`Overbooked` if the records break the invariant."""
        return cls.from_bookings(
            Capacity.from_dict(data["capacity"]),
            (Booking.from_dict(b) for b in data.get("bookings", ())),
        )

    @classmethod
    def from_bookings(cls, capacity: Capacity, bookings: Iterable[Booking]) -> Ledger:
        """A ledger holding ``bookings``, checked once as a whole: O(n log n)."""
        ledger = cls(capacity)
        for b in bookings:
            if b.id in ledger._bookings:
                raise DuplicateBooking(f"a booking with id {b.id!r} exists")
            _interval(b.start, b.end)
            ledger._insert(b, keep_sorted=False)
        ledger._by_start.sort()
        if ledger._by_start:
            first = ledger._by_start[0][0]
            last = max(b.end for b in ledger._bookings.values())
            for t0, t1, free, used, cap in ledger._pieces(first, last):
                if not all(u <= c for u, c in zip(used, cap, strict=True)):
                    raise Overbooked(Resources(), Resources(*free), t0, t1)
        return ledger

    def copy(self) -> Ledger:
        return Ledger.from_bookings(self.capacity, self)

    # -- internals ------------------------------------------------------------------------

    def _insert(self, booking: Booking, keep_sorted: bool = True) -> None:
        self._bookings[booking.id] = booking
        if keep_sorted:
            bisect.insort(self._by_start, (booking.start, booking.id))
        else:
            self._by_start.append((booking.start, booking.id))
        duration = booking.end - booking.start
        self._durations[duration] += 1
        if duration > self._longest:
            self._longest = duration
        if booking.state is BookingState.HELD:
            self._held.add(booking.id)

    def _remove(self, booking: Booking) -> None:
        del self._bookings[booking.id]
        i = bisect.bisect_left(self._by_start, (booking.start, booking.id))
        del self._by_start[i]
        duration = booking.end - booking.start
        self._durations[duration] -= 1
        if not self._durations[duration]:
            del self._durations[duration]
            if duration == self._longest:
                self._longest = max(self._durations, default=timedelta(0))
        self._held.discard(booking.id)


class ScratchLedger(_Queries):
    """A what-if overlay on a ledger: tentative holds checked against base plus earlier holds.

    The planner uses it to make sure that its offers can all be held together, without
    touching the real ledger (it gets a read-only view).
    """

    def __init__(self, base: Ledger) -> None:
        self.base = base
        self.capacity = base.capacity
        self._extra: list[Booking] = []

    @property
    def holds(self) -> Sequence[Booking]:
        return tuple(self._extra)

    def _overlapping(self, start: datetime, end: datetime) -> list[Booking]:
        found = self.base._overlapping(start, end)
        found.extend(b for b in self._extra if b.start < end and b.end > start)
        return found

    def hold(self, resources: Resources, start: datetime, end: datetime) -> Booking:
        """Tentatively hold ``resources``; raises :class:`Overbooked` if they do not fit."""
        _interval(start, end)
        free = self.free(start, end)
        if not resources.fits_in(free):
            raise Overbooked(resources, free, start, end)
        booking = Booking(f"scratch-{len(self._extra)}", "", "", resources, start, end)
        self._extra.append(booking)
        return booking
