"""The booking ledger: unit tests of each operation, and a stateful model-based test.

The stateful test drives the ledger with random sequences of hold, commit, release,
release_group, expire, scratch holds and offers planned with preparing and releasing steps,
on a minute grid, and checks after every step that the bookings never exceed the capacity at
any instant (an offer counted over every step its schedule publishes: preparing, available,
releasing), and that ``free`` and ``earliest_start`` agree with a brute-force computation
over the grid.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from ivoa_eb_broker.core.bookings import (
    Booking,
    BookingExpired,
    BookingState,
    Capacity,
    DuplicateBooking,
    Ledger,
    Overbooked,
    Resources,
    UnknownBooking,
)
from ivoa_eb_broker.core.planning import PlannerSettings, PlanRequest, plan

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def m(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def R(c: int, mem: int = 0, s: int = 0) -> Resources:
    return Resources(c, mem, s)


@pytest.fixture
def ledger() -> Ledger:
    return Ledger(Capacity.constant(8, 32, 100))


# --- Resources and Capacity ------------------------------------------------------------------


def test_resources_arithmetic():
    a, b = R(1, 2, 3), R(3, 2, 1)
    assert a + b == R(4, 4, 4)
    assert a - b == R(-2, 0, 2)
    assert a.elementwise_min(b) == R(1, 2, 1)
    assert a.elementwise_max(b) == R(3, 2, 3)
    assert a.fits_in(R(1, 2, 3)) and not a.fits_in(R(1, 2, 2))
    assert not (a - b).is_non_negative()
    with pytest.raises(TypeError):
        Resources(1.5, 0, 0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Resources(True, 0, 0)


def test_capacity_steps():
    cap = Capacity(R(4, 8, 8), ((m(10), R(2, 8, 8)), (m(20), R(6, 4, 8))))
    assert cap.at(m(0)) == R(4, 8, 8)
    assert cap.at(m(10)) == R(2, 8, 8)
    assert cap.at(m(19)) == R(2, 8, 8)
    assert cap.at(m(25)) == R(6, 4, 8)
    assert cap.change_times(m(10), m(20)) == []
    assert cap.change_times(m(9), m(21)) == [m(10), m(20)]
    assert cap.peak(m(0), m(30)) == R(6, 8, 8)
    assert cap.peak(m(10), m(20)) == R(2, 8, 8)
    assert Capacity.from_dict(json.loads(json.dumps(cap.to_dict()))) == cap


def test_capacity_rejects_bad_input():
    with pytest.raises(ValueError):
        Capacity(R(-1, 0, 0))
    with pytest.raises(ValueError):
        Capacity(R(1, 1, 1), ((m(10), R(1, 1, 1)), (m(10), R(2, 2, 2))))
    with pytest.raises(ValueError):
        Capacity(R(1, 1, 1), ((datetime(2026, 1, 1), R(1, 1, 1)),))


# --- hold, free, can_hold --------------------------------------------------------------------


def test_hold_until_full_then_overbooked(ledger: Ledger):
    ledger.hold("a", "s1", "g1", R(6, 16), m(0), m(60))
    assert ledger.free(m(0), m(60)) == R(2, 16, 100)
    assert ledger.free(m(60), m(120)) == R(8, 32, 100)
    assert ledger.can_hold(R(2, 16), m(30), m(90))
    assert not ledger.can_hold(R(3), m(59), m(90))
    with pytest.raises(Overbooked) as caught:
        ledger.hold("b", "s2", "g2", R(3), m(59), m(90))
    assert caught.value.requested == R(3)
    assert caught.value.free == R(2, 16, 100)
    assert "3 cores" in str(caught.value)
    assert "b" not in ledger
    ledger.hold("b", "s2", "g2", R(3), m(60), m(90))  # half-open: no overlap at 60
    assert len(ledger) == 2


def test_each_resource_counts_on_its_own(ledger: Ledger):
    ledger.hold("a", "s", "g", R(1, 30, 0), m(0), m(10))
    with pytest.raises(Overbooked):
        ledger.hold("b", "s", "g", R(1, 3, 0), m(5), m(15))
    ledger.hold("c", "s", "g", R(0, 0, 100), m(0), m(10))
    with pytest.raises(Overbooked):
        ledger.hold("d", "s", "g", R(0, 0, 1), m(9), m(15))


def test_free_is_the_minimum_per_resource_over_the_interval(ledger: Ledger):
    ledger.hold("a", "s", "g", R(6, 0), m(0), m(10))
    ledger.hold("b", "s", "g", R(0, 30), m(10), m(20))
    assert ledger.free(m(0), m(20)) == R(2, 2, 100)
    assert ledger.free(m(5), m(10)) == R(2, 32, 100)


def test_hold_rejects_bad_arguments(ledger: Ledger):
    with pytest.raises(ValueError):
        ledger.hold("a", "s", "g", R(1), m(10), m(10))
    with pytest.raises(ValueError):
        ledger.hold("a", "s", "g", R(1), datetime(2026, 1, 1), datetime(2026, 1, 2))
    with pytest.raises(ValueError):
        ledger.hold("a", "s", "g", R(-1), m(0), m(10))
    ledger.hold("a", "s", "g", R(1), m(0), m(10))
    with pytest.raises(DuplicateBooking):
        ledger.hold("a", "s", "g", R(1), m(20), m(30))


def test_other_timezones_compare_by_instant(ledger: Ledger):
    plus2 = timezone(timedelta(hours=2))
    ledger.hold("a", "s", "g", R(8), m(0), m(60))
    with pytest.raises(Overbooked):
        ledger.hold("b", "s", "g", R(1), m(30).astimezone(plus2), m(90).astimezone(plus2))


def test_capacity_changes_constrain_holds():
    ledger = Ledger(Capacity(R(8, 8, 8), ((m(30), R(2, 8, 8)), (m(60), R(8, 8, 8)))))
    ledger.hold("a", "s", "g", R(8), m(0), m(30))
    with pytest.raises(Overbooked):
        ledger.hold("b", "s", "g", R(3), m(50), m(70))
    ledger.hold("b", "s", "g", R(2), m(30), m(60))
    assert ledger.earliest_start(R(3), timedelta(minutes=10), m(0), m(100)) == m(60)


# --- commit, release, expire -----------------------------------------------------------------


def test_commit_and_expiry(ledger: Ledger):
    ledger.hold("a", "s1", "g", R(4), m(0), m(60), expires=m(5))
    ledger.hold("b", "s2", "g", R(4), m(0), m(60), expires=m(5))
    with pytest.raises(BookingExpired):
        ledger.commit("a", now=m(5))
    committed = ledger.commit("a", now=m(4))
    assert committed.state is BookingState.COMMITTED and committed.expires is None
    assert ledger.commit("a") == committed  # idempotent
    assert [b.id for b in ledger.expire(m(4))] == []
    assert [b.id for b in ledger.expire(m(5))] == ["b"]
    assert [b.id for b in ledger] == ["a"]
    assert ledger.expire(m(1000)) == []  # committed bookings never lapse


def test_held_without_expiry_never_lapses(ledger: Ledger):
    ledger.hold("a", "s", "g", R(1), m(0), m(10))
    assert ledger.expire(m(10**6)) == []


def test_hold_committed_directly(ledger: Ledger):
    b = ledger.hold("a", "s", "g", R(1), m(0), m(10), expires=m(1), state=BookingState.COMMITTED)
    assert b.state is BookingState.COMMITTED and b.expires is None
    assert ledger.expire(m(2)) == []


def test_release_group_keeps_the_accepted_offer(ledger: Ledger):
    for i in range(3):
        ledger.hold(f"o{i}", f"s{i}", "set", R(2), m(0), m(60))
    ledger.hold("x", "sx", "other", R(2), m(0), m(60))
    released = ledger.release_group("set", keep="o1")
    assert sorted(b.id for b in released) == ["o0", "o2"]
    assert sorted(b.id for b in ledger) == ["o1", "x"]
    assert ledger.free(m(0), m(60)) == R(4, 32, 100)
    assert ledger.release_group("set", keep="o1") == []


def test_release_and_release_owner(ledger: Ledger):
    ledger.hold("a", "s1", "g", R(8), m(0), m(60))
    ledger.hold("b", "s2", "g", R(0, 1), m(0), m(60))
    ledger.hold("c", "s2", "g", R(0, 1), m(60), m(120))
    assert ledger.release("a").id == "a"
    assert ledger.can_hold(R(8), m(0), m(60))
    assert sorted(b.id for b in ledger.release_owner("s2")) == ["b", "c"]
    assert len(ledger) == 0
    with pytest.raises(UnknownBooking, match="'a'"):
        ledger.release("a")
    with pytest.raises(KeyError):
        ledger.get("a")


def test_release_leaves_no_breakpoints_behind(ledger: Ledger):
    ledger.hold("long", "s", "g", R(1), m(0), m(1000))
    ledger.hold("short", "s", "g", R(1), m(500), m(510))
    ledger.release("long")
    assert ledger.free(m(505), m(506)) == R(7, 32, 100)
    assert [(s.start, s.end) for s in ledger.profile(m(0), m(1000))] == [
        (m(0), m(500)), (m(500), m(510)), (m(510), m(1000))]
    ledger.release("short")
    assert len(ledger._steps.times) == 1  # only the piece before every instant


# --- earliest_start --------------------------------------------------------------------------


def test_earliest_start_after_bookings_end(ledger: Ledger):
    ledger.hold("a", "s", "g", R(6), m(0), m(30))
    ledger.hold("b", "s", "g", R(6), m(40), m(60))
    ten, eleven = timedelta(minutes=10), timedelta(minutes=11)
    assert ledger.earliest_start(R(2), eleven, m(0), m(100)) == m(0)
    assert ledger.earliest_start(R(3), ten, m(0), m(100)) == m(30)  # the gap fits exactly
    assert ledger.earliest_start(R(3), eleven, m(0), m(100)) == m(60)
    assert ledger.earliest_start(R(3), ten, m(31), m(100)) == m(60)
    assert ledger.earliest_start(R(3), eleven, m(0), m(59)) is None
    assert ledger.earliest_start(R(3), eleven, m(0), m(60)) == m(60)
    assert ledger.earliest_start(R(3), eleven, m(70), m(70)) == m(70)
    assert ledger.earliest_start(R(9), ten, m(0), m(1000)) is None
    assert ledger.earliest_start(R(1), ten, m(10), m(5)) is None
    with pytest.raises(ValueError):
        ledger.earliest_start(R(1), timedelta(0), m(0), m(10))


# --- persistence -----------------------------------------------------------------------------


def test_round_trip_through_json(ledger: Ledger):
    ledger.hold("a", "s1", "g", R(4, 4, 4), m(0), m(60), expires=m(5))
    ledger.hold("b", "s2", "g", R(4, 4, 4), m(30), m(90))
    ledger.commit("b")
    data = json.loads(json.dumps(ledger.to_data()))
    again = Ledger.from_data(data)
    assert list(again) == list(ledger)
    assert again.capacity == ledger.capacity
    assert again.expire(m(5))[0].id == "a"


def test_from_data_refuses_overbooked_records():
    bookings = [
        Booking("a", "s", "g", R(5), m(0), m(10)),
        Booking("b", "s", "g", R(5), m(5), m(15)),
    ]
    with pytest.raises(Overbooked):
        Ledger.from_bookings(Capacity.constant(8, 8, 8), bookings)
    with pytest.raises(DuplicateBooking):
        Ledger.from_bookings(Capacity.constant(8, 8, 8), [bookings[0], bookings[0]])


def test_scratch_does_not_touch_the_base(ledger: Ledger):
    ledger.hold("a", "s", "g", R(4), m(0), m(60))
    scratch = ledger.scratch()
    scratch.hold(R(4), m(0), m(60))
    assert not scratch.can_hold(R(1), m(0), m(10))
    with pytest.raises(Overbooked):
        scratch.hold(R(1), m(59), m(61))
    assert ledger.can_hold(R(4), m(0), m(60))
    assert len(ledger) == 1 and len(scratch.holds) == 1


def test_copy_is_independent(ledger: Ledger):
    ledger.hold("a", "s", "g", R(4), m(0), m(60))
    other = ledger.copy()
    other.release("a")
    assert "a" in ledger


def test_many_bookings_stay_correct():
    ledger = Ledger(Capacity.constant(4, 4, 4))
    for i in range(2000):
        ledger.hold(f"b{i}", "s", "g", R(1, 1, 1), m(i), m(i + 4))
    assert ledger.free(m(100), m(101)) == R(0, 0, 0)
    assert ledger.free(m(2002), m(2003)) == R(3, 3, 3)
    assert ledger.free(m(2003), m(2004)) == R(4, 4, 4)
    assert ledger.earliest_start(R(2, 1, 1), timedelta(minutes=3), m(0), m(5000)) == m(2001)


# --- stateful model-based test ---------------------------------------------------------------

HORIZON = 24  # minutes of the grid: small, so that boundaries often coincide


@dataclass
class Rec:
    id: str
    group: str
    res: Resources
    start: int
    end: int
    committed: bool
    expires: int | None


class LedgerMachine(RuleBasedStateMachine):
    """The ledger against a list of records and brute-force sums on a minute grid."""

    def __init__(self) -> None:
        super().__init__()
        self.counter = 0
        self.model: dict[str, Rec] = {}

    @initialize(
        base=st.tuples(*[st.integers(2, 6)] * 3),
        changes=st.lists(
            st.tuples(st.integers(1, HORIZON), st.tuples(*[st.integers(1, 6)] * 3)),
            max_size=3,
            unique_by=lambda c: c[0],
        ),
    )
    def setup(self, base, changes):
        changes = sorted(changes)
        self.cap_base = R(*base)
        self.cap_changes = [(t, R(*r)) for t, r in changes]
        self.ledger = Ledger(Capacity(self.cap_base, tuple((m(t), r) for t, r in self.cap_changes)))

    # brute force

    def cap_at(self, minute: int) -> Resources:
        result = self.cap_base
        for t, r in self.cap_changes:
            if t <= minute:
                result = r
        return result

    def used_at(self, minute: int, extra: list[Rec] = ()) -> Resources:
        total = R(0)
        for rec in [*self.model.values(), *extra]:
            if rec.start <= minute < rec.end:
                total = total + rec.res
        return total

    def brute_free(self, start: int, end: int, extra: list[Rec] = ()) -> Resources:
        result = None
        for minute in range(start, end):
            free = self.cap_at(minute) - self.used_at(minute, extra)
            result = free if result is None else result.elementwise_min(free)
        assert result is not None
        return result

    def brute_fits(self, res: Resources, start: int, end: int, extra: list[Rec] = ()) -> bool:
        return res.fits_in(self.brute_free(start, end, extra))

    # rules

    resources = st.builds(R, st.integers(0, 3), st.integers(0, 3), st.integers(0, 3))

    @rule(
        res=resources,
        start=st.integers(0, HORIZON),
        length=st.integers(1, 8),
        group=st.sampled_from(["g1", "g2", "g3"]),
        expires=st.none() | st.integers(0, 12),
        committed=st.booleans(),
    )
    def hold(self, res, start, length, group, expires, committed):
        self.counter += 1
        bid = f"b{self.counter}"
        end = start + length
        fits = self.brute_fits(res, start, end)
        state = BookingState.COMMITTED if committed else BookingState.HELD
        exp = None if expires is None else m(expires)
        if fits:
            b = self.ledger.hold(
                bid, "owner", group, res, m(start), m(end), expires=exp, state=state
            )
            assert b.state is state
            self.model[bid] = Rec(
                bid, group, res, start, end, committed, None if committed else expires
            )
        else:
            with pytest.raises(Overbooked):
                self.ledger.hold(
                    bid, "owner", group, res, m(start), m(end), expires=exp, state=state
                )

    @rule(
        res=resources,
        length=st.integers(1, 6),
        preparing=st.integers(0, 3),
        releasing=st.integers(0, 3),
        committed=st.booleans(),
    )
    def plan_and_hold(self, res, length, preparing, releasing, committed):
        """Plan an offer as the service does and hold it; the model records the span its
        schedule publishes, from the start of preparing to the end of releasing."""
        planner = PlannerSettings(
            max_offers=1,
            horizon=timedelta(minutes=HORIZON),
            preparing=timedelta(minutes=preparing),
            releasing=timedelta(minutes=releasing),
        )
        wanted = PlanRequest(res.cores, res.cores, res.memory_gib, res.memory_gib,
                             res.storage_gib, res.storage_gib, timedelta(minutes=length))
        result = plan(wanted, self.ledger, T0, planner)
        if not result.offers:
            return
        offer = result.offers[0]
        start = int((offer.start - T0) / timedelta(minutes=1)) - preparing
        end = int((offer.end - T0) / timedelta(minutes=1)) + releasing
        assert 0 <= start and end <= HORIZON
        assert self.brute_fits(res, start, end)  # every published step fits, not only the middle
        self.counter += 1
        bid = f"b{self.counter}"
        state = BookingState.COMMITTED if committed else BookingState.HELD
        self.ledger.hold(bid, "owner", "plans", res, offer.booked_start, offer.booked_end,
                         state=state)
        self.model[bid] = Rec(bid, "plans", res, start, end, committed, None)

    @rule(data=st.data(), with_now=st.booleans())
    def commit(self, data, with_now):
        if not self.model:
            return
        bid = data.draw(st.sampled_from(sorted(self.model)))
        rec = self.model[bid]
        now = None
        if with_now:
            own = [] if rec.expires is None else [rec.expires - 1, rec.expires]
            now = data.draw(st.sampled_from(own)) if own and data.draw(st.booleans()) else None
            now = self.draw_now(data) if now is None or now < 0 else now
        lapsed = (
            not rec.committed and now is not None and rec.expires is not None and now >= rec.expires
        )
        if lapsed:
            with pytest.raises(BookingExpired):
                self.ledger.commit(bid, now=m(now))
        else:
            self.ledger.commit(bid, now=None if now is None else m(now))
            rec.committed, rec.expires = True, None

    @rule(data=st.data())
    def release(self, data):
        if not self.model:
            return
        bid = data.draw(st.sampled_from(sorted(self.model)))
        assert self.ledger.release(bid).id == bid
        del self.model[bid]

    @rule(data=st.data(), group=st.sampled_from(["g1", "g2", "g3"]))
    def release_group(self, data, group):
        members = sorted(b for b, r in self.model.items() if r.group == group)
        keep = data.draw(st.none() | st.sampled_from(members)) if members else None
        released = self.ledger.release_group(group, keep=keep)
        expected = [b for b in members if b != keep]
        assert sorted(b.id for b in released) == expected
        for b in expected:
            del self.model[b]

    def draw_now(self, data) -> int:
        """A time, often exactly some booking's expiry: the boundary that matters."""
        expiries = sorted({r.expires for r in self.model.values() if r.expires is not None})
        choices = st.integers(0, 8)
        if expiries:
            choices = st.sampled_from(expiries) | choices
        return data.draw(choices)

    @rule(data=st.data())
    def expire(self, data):
        now = self.draw_now(data)
        expected = sorted(
            b
            for b, r in self.model.items()
            if not r.committed and r.expires is not None and r.expires <= now
        )
        assert sorted(b.id for b in self.ledger.expire(m(now))) == expected
        for b in expected:
            del self.model[b]

    @rule(start=st.integers(0, HORIZON + 8), length=st.integers(1, 12))
    def check_free(self, start, length):
        assert self.ledger.free(m(start), m(start + length)) == self.brute_free(
            start, start + length
        )

    @rule(
        res=resources,
        length=st.integers(1, 8),
        not_before=st.integers(0, HORIZON),
        span=st.integers(0, HORIZON),
    )
    def check_earliest_start(self, res, length, not_before, span):
        not_after = not_before + span
        got = self.ledger.earliest_start(
            res, timedelta(minutes=length), m(not_before), m(not_after)
        )
        # Every boundary is on the grid, so the earliest feasible start is a grid minute.
        expected = next(
            (t for t in range(not_before, not_after + 1) if self.brute_fits(res, t, t + length)),
            None,
        )
        assert got == (None if expected is None else m(expected))
        if expected is not None:
            ends = {r.end for r in self.model.values()} | {t for t, _ in self.cap_changes}
            assert expected == not_before or expected in ends

    @rule(
        holds=st.lists(st.tuples(resources, st.integers(0, HORIZON), st.integers(1, 8)), max_size=4)
    )
    def scratch_holds(self, holds):
        scratch = self.ledger.scratch()
        extra: list[Rec] = []
        for res, start, length in holds:
            end = start + length
            if self.brute_fits(res, start, end, extra):
                scratch.hold(res, m(start), m(end))
                extra.append(Rec("x", "", res, start, end, False, None))
            else:
                with pytest.raises(Overbooked):
                    scratch.hold(res, m(start), m(end))
        assert len(self.ledger) == len(self.model)
        # The overlay's queries see the base and the tentative holds together.
        for start, length in ((0, 1), (0, HORIZON + 8), (HORIZON // 2, 5)):
            assert scratch.free(m(start), m(start + length)) == self.brute_free(
                start, start + length, extra)
        for res, _, length in holds:
            got = scratch.earliest_start(res, timedelta(minutes=length), m(0), m(HORIZON))
            expected = next((t for t in range(HORIZON + 1)
                             if self.brute_fits(res, t, t + length, extra)), None)
            assert got == (None if expected is None else m(expected))
        for seg in scratch.profile(m(0), m(HORIZON + 8)):
            for minute in range(int((seg.start - T0) / timedelta(minutes=1)),
                                int((seg.end - T0) / timedelta(minutes=1))):
                assert seg.used == self.used_at(minute, extra)

    @rule()
    def round_trip(self):
        again = Ledger.from_data(json.loads(json.dumps(self.ledger.to_data())))
        assert list(again) == list(self.ledger)
        self.ledger = again

    # invariants

    @invariant()
    def never_above_capacity(self):
        for minute in range(0, HORIZON + 20):
            assert self.used_at(minute).fits_in(self.cap_at(minute)), minute
        for seg in self.ledger.profile(m(0), m(HORIZON + 20)):
            assert seg.used.fits_in(seg.capacity)
            assert seg.used.is_non_negative()

    @invariant()
    def profile_matches_the_records(self):
        for seg in self.ledger.profile(m(0), m(HORIZON + 20)):
            first = int((seg.start - T0) / timedelta(minutes=1))
            last = int((seg.end - T0) / timedelta(minutes=1))
            for minute in range(first, last):
                assert seg.used == self.used_at(minute)
                assert seg.capacity == self.cap_at(minute)

    @invariant()
    def same_bookings(self):
        got = {b.id: b for b in self.ledger}
        assert set(got) == set(self.model)
        for bid, rec in self.model.items():
            b = got[bid]
            assert (b.resources, b.start, b.end, b.group) == (
                rec.res,
                m(rec.start),
                m(rec.end),
                rec.group,
            )
            assert (b.state is BookingState.COMMITTED) == rec.committed


LedgerMachine.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestLedgerMachine = LedgerMachine.TestCase
