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
from datetime import UTC, datetime, timedelta
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
_Amounts = tuple[int, int, int]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_BEFORE_ALL = -(1 << 62)
"""Before every instant a datetime can hold (in microseconds since the epoch)."""
_AFTER_ALL = 1 << 62


def _us(instant: datetime) -> int:
    """Microseconds since the epoch: the ledger's inner loops compare ints, not datetimes."""
    return (instant - _EPOCH) // _MICROSECOND


def _instant(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _deltas(bookings: Iterable[Booking], edges: Counter[int] | None = None
            ) -> dict[int, list[int]]:
    """How much of each resource is taken (+) and given back (-) at each instant where a
    booking starts or ends; ``edges`` counts those instants."""
    deltas: dict[int, list[int]] = {}
    for b in bookings:
        r = b.resources
        for at, sign in ((_us(b.start), 1), (_us(b.end), -1)):
            d = deltas.setdefault(at, [0, 0, 0])
            d[0] += sign * r.cores
            d[1] += sign * r.memory_gib
            d[2] += sign * r.storage_gib
            if edges is not None:
                edges[at] += 1
    return deltas


class _Steps:
    """The free amount of each resource over time, kept up to date as bookings come and go.

    ``times`` are the breakpoints (``times[0]`` lies before every instant); piece ``i``
    covers ``[times[i], times[i + 1])`` and has ``free[r][i]`` of resource ``r`` free. A
    breakpoint stays while some booking starts or ends there (or the capacity changes), so
    released bookings leave nothing behind. The amounts are three flat lists so that the
    least amount over a span is a slice and a ``min``, at C speed.
    """

    __slots__ = ("times", "free", "_edges")

    def __init__(self, capacity: Capacity) -> None:
        self.times = [_BEFORE_ALL, *(_us(t) for t, _ in capacity.changes)]
        amounts = [capacity.base, *(r for _, r in capacity.changes)]
        self.free = (
            [a.cores for a in amounts],
            [a.memory_gib for a in amounts],
            [a.storage_gib for a in amounts],
        )
        self._edges: Counter[int] = Counter(self.times)  # the capacity's own, never released

    @classmethod
    def build(cls, capacity: Capacity, bookings: Iterable[Booking]) -> _Steps:
        """The step function of many bookings at once: one sort, one running sum."""
        steps = cls(capacity)
        deltas = _deltas(bookings, steps._edges)
        capacity_at = dict(zip(steps.times, zip(*steps.free, strict=True), strict=True))
        times = sorted(set(steps.times) | set(deltas))
        cap: _Amounts = (0, 0, 0)
        used = [0, 0, 0]
        columns: tuple[list[int], list[int], list[int]] = ([], [], [])
        for t in times:
            cap = capacity_at.get(t, cap)
            d = deltas.get(t)
            if d is not None:
                used[0] += d[0]
                used[1] += d[1]
                used[2] += d[2]
            for column, c, u in zip(columns, cap, used, strict=True):
                column.append(c - u)
        steps.times = times
        steps.free = columns
        return steps

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The indices ``[i, j)`` of the pieces that overlap ``[start, end)``."""
        return bisect.bisect_right(self.times, start) - 1, bisect.bisect_left(self.times, end)

    def end_of(self, i: int) -> int:
        return self.times[i + 1] if i + 1 < len(self.times) else _AFTER_ALL

    def least(self, start: int, end: int) -> _Amounts:
        """The least free amount of each resource at any instant of ``[start, end)``."""
        i, j = self.span(start, end)
        fc, fm, fs = self.free
        return min(fc[i:j]), min(fm[i:j]), min(fs[i:j])

    def last_misfit_end(self, need: _Amounts, start: int, end: int) -> int | None:
        """The end of the last piece of ``[start, end)`` where ``need`` does not fit, or
        ``None`` if it fits throughout (checked first, with three ``min`` calls)."""
        i, j = self.span(start, end)
        fc, fm, fs = self.free
        nc, nm, ns = need
        if min(fc[i:j]) >= nc and min(fm[i:j]) >= nm and min(fs[i:j]) >= ns:
            return None
        for k in range(j - 1, i - 1, -1):
            if fc[k] < nc or fm[k] < nm or fs[k] < ns:
                return self.end_of(k)
        raise AssertionError("a misfit seen by min() was not found")  # pragma: no cover

    def take(self, start: int, end: int, amounts: _Amounts) -> None:
        """Book ``amounts`` over ``[start, end)`` (negative amounts give them back)."""
        i = self._split(start)
        j = self._split(end)
        for column, amount in zip(self.free, amounts, strict=True):
            if amount:
                column[i:j] = [x - amount for x in column[i:j]]

    def hold(self, start: int, end: int, amounts: _Amounts) -> None:
        self.take(start, end, amounts)
        self._edges[start] += 1
        self._edges[end] += 1

    def release(self, start: int, end: int, amounts: _Amounts) -> None:
        self.take(start, end, (-amounts[0], -amounts[1], -amounts[2]))
        for at in (start, end):
            self._edges[at] -= 1
            if not self._edges[at]:
                del self._edges[at]
                self._merge(at)

    def _split(self, at: int) -> int:
        """The index of the piece starting at ``at``, splitting the piece around it if needed."""
        i = bisect.bisect_right(self.times, at) - 1
        if self.times[i] == at:
            return i
        i += 1
        self.times.insert(i, at)
        for column in self.free:
            column.insert(i, column[i - 1])
        return i

    def _merge(self, at: int) -> None:
        """Drop the breakpoint ``at``: nothing starts or ends there, so both sides are equal."""
        i = bisect.bisect_left(self.times, at)
        del self.times[i]
        for column in self.free:
            del column[i]


class _Queries:
    """Queries over the step function, shared by :class:`Ledger` and :class:`ScratchLedger`.

    Each query bisects for the pieces of the queried interval and takes the least free
    amount over them with ``min`` on slices: O(log p + k) for k pieces, k at C speed.
    """

    capacity: Capacity

    def _least(self, start: int, end: int) -> _Amounts:
        raise NotImplementedError

    def _last_misfit_end(self, need: _Amounts, start: int, end: int) -> int | None:
        raise NotImplementedError

    def _pieces(self, start: datetime, end: datetime) -> list[_Piece]:
        """The step function over ``[start, end)`` as ``(from, to, free, used, cap)`` tuples."""
        raise NotImplementedError

    def _cap_piece(
        self, t0: datetime, t1: datetime, free: _Amounts
    ) -> _Piece:
        cap = self.capacity.at(t0).as_tuple()
        used = (cap[0] - free[0], cap[1] - free[1], cap[2] - free[2])
        return (t0, t1, free, used, cap)

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
        return Resources(*self._least(_us(start), _us(end)))

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

        The answer is always ``not_before``, the end of a booking or a capacity change. From a
        candidate ``t`` that does not fit, no start before the end of the last piece of
        ``[t, t + duration)`` that is too full can fit either, so the next candidate is that
        end: each step jumps past at least one piece.
        """
        _aware(not_before, "not_before")
        _aware(not_after, "not_after")
        if duration <= timedelta(0):
            raise ValueError(f"duration must be positive, got {duration}")
        if not_after < not_before:
            return None
        need = resources.as_tuple()
        length = duration // _MICROSECOND
        first = t = _us(not_before)
        last = _us(not_after)
        while t <= last:
            blocked = self._last_misfit_end(need, t, t + length)
            if blocked is None:
                return not_before if t == first else _instant(t)
            t = blocked
        return None


class Ledger(_Queries):
    """Bookings against a :class:`Capacity`, never above it at any instant.

    The free amounts over time are kept as a step function (:class:`_Steps`) updated by every
    hold and release, so a query never visits the bookings themselves. Holding costs a query
    plus O(p) for the list insertions (memmoves) and O(k) for the pieces the booking spans;
    bookings are also indexed by offer set and by session, so releasing a group or an owner
    does not scan the ledger.
    """

    def __init__(self, capacity: Capacity) -> None:
        self.capacity = capacity
        self._bookings: dict[str, Booking] = {}
        self._by_start: list[tuple[datetime, str]] = []
        self._groups: dict[str, set[str]] = {}
        self._owners: dict[str, set[str]] = {}
        self._held: set[str] = set()
        self._steps = _Steps(capacity)

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
        """The bookings of one offer set, in order of start."""
        return self._in_order(self._groups.get(group, ()))

    def _in_order(self, ids: Iterable[str]) -> list[Booking]:
        found = [self._bookings[i] for i in ids]
        found.sort(key=lambda b: (b.start, b.id))
        return found

    def _least(self, start: int, end: int) -> _Amounts:
        return self._steps.least(start, end)

    def _last_misfit_end(self, need: _Amounts, start: int, end: int) -> int | None:
        return self._steps.last_misfit_end(need, start, end)

    def _pieces(self, start: datetime, end: datetime) -> list[_Piece]:
        steps = self._steps
        i, j = steps.span(_us(start), _us(end))
        pieces = []
        for k in range(i, j):
            t0 = start if k == i else _instant(steps.times[k])
            t1 = end if k == j - 1 else _instant(steps.times[k + 1])
            pieces.append(self._cap_piece(t0, t1, (steps.free[0][k], steps.free[1][k],
                                                   steps.free[2][k])))
        return pieces

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
        self._steps.hold(_us(start), _us(end), resources.as_tuple())
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
        """Release every booking of one session (cancel, failure, completion)."""
        released = self._in_order(self._owners.get(owner, ()))
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
        ledger._steps = steps = _Steps.build(capacity, ledger._bookings.values())
        for k, free in enumerate(zip(*steps.free, strict=True)):
            if min(free) < 0:
                # Never the first or the last piece: no booking is there.
                t0, t1 = _instant(steps.times[k]), _instant(steps.end_of(k))
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
        self._groups.setdefault(booking.group, set()).add(booking.id)
        self._owners.setdefault(booking.owner, set()).add(booking.id)
        if booking.state is BookingState.HELD:
            self._held.add(booking.id)

    def _remove(self, booking: Booking) -> None:
        del self._bookings[booking.id]
        i = bisect.bisect_left(self._by_start, (booking.start, booking.id))
        del self._by_start[i]
        for index, key in ((self._groups, booking.group), (self._owners, booking.owner)):
            ids = index[key]
            ids.discard(booking.id)
            if not ids:
                del index[key]
        self._held.discard(booking.id)
        self._steps.release(_us(booking.start), _us(booking.end), booking.resources.as_tuple())


class ScratchLedger(_Queries):
    """A what-if overlay on a ledger: tentative holds checked against base plus earlier holds.

    The planner uses it to make sure that its offers can all be held together, without
    touching the real ledger (it gets a read-only view). The holds are few, so they form a
    small step function of their own; a query asks the base ledger once per piece of it.
    """

    def __init__(self, base: Ledger) -> None:
        self.base = base
        self.capacity = base.capacity
        self._extra: list[Booking] = []
        self._overlay: list[tuple[int, int, _Amounts]] = [(_BEFORE_ALL, _AFTER_ALL, (0, 0, 0))]

    @property
    def holds(self) -> Sequence[Booking]:
        return tuple(self._extra)

    def _parts(self, start: int, end: int) -> Iterator[tuple[int, int, _Amounts]]:
        """The overlay's pieces clipped to ``[start, end)``, each with the amount held there."""
        for t0, t1, used in self._overlay:
            if t1 > start and t0 < end:
                yield max(t0, start), min(t1, end), used

    def _least(self, start: int, end: int) -> _Amounts:
        least: list[int] | None = None
        for t0, t1, used in self._parts(start, end):
            free = self.base._least(t0, t1)
            here = [free[0] - used[0], free[1] - used[1], free[2] - used[2]]
            least = here if least is None else [min(a, b) for a, b in zip(least, here, strict=True)]
        assert least is not None
        return (least[0], least[1], least[2])

    def _last_misfit_end(self, need: _Amounts, start: int, end: int) -> int | None:
        for t0, t1, used in reversed(list(self._parts(start, end))):
            wanted = (need[0] + used[0], need[1] + used[1], need[2] + used[2])
            blocked = self.base._last_misfit_end(wanted, t0, t1)
            if blocked is not None:
                return min(blocked, t1)
        return None

    def _pieces(self, start: datetime, end: datetime) -> list[_Piece]:
        pieces: list[_Piece] = []
        for t0, t1, used in self._parts(_us(start), _us(end)):
            for b0, b1, free, _, _ in self.base._pieces(_instant(t0), _instant(t1)):
                less = (free[0] - used[0], free[1] - used[1], free[2] - used[2])
                pieces.append(self._cap_piece(b0, b1, less))
        return pieces

    def hold(self, resources: Resources, start: datetime, end: datetime) -> Booking:
        """Tentatively hold ``resources``; raises :class:`Overbooked` if they do not fit."""
        _interval(start, end)
        free = self.free(start, end)
        if not resources.fits_in(free):
            raise Overbooked(resources, free, start, end)
        booking = Booking(f"scratch-{len(self._extra)}", "", "", resources, start, end)
        self._extra.append(booking)
        self._overlay = self._rebuild_overlay()
        return booking

    def _rebuild_overlay(self) -> list[tuple[int, int, _Amounts]]:
        deltas = _deltas(self._extra)
        overlay: list[tuple[int, int, _Amounts]] = []
        used = (0, 0, 0)
        t = _BEFORE_ALL
        for at in sorted(deltas):
            overlay.append((t, at, used))
            d = deltas[at]
            used = (used[0] + d[0], used[1] + d[1], used[2] + d[2])
            t = at
        overlay.append((t, _AFTER_ALL, used))
        return overlay
