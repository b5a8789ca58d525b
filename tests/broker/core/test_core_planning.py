"""Offer planning: a unit test per rule and per reason, and properties over random ledgers."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ivoa_eb_broker.core.bookings import Capacity, Ledger, Overbooked, Resources
from ivoa_eb_broker.core.planning import (
    OfferPlan,
    Plan,
    PlannerSettings,
    PlanRequest,
    Reason,
    iso_duration,
    plan,
)

T0 = datetime(2026, 5, 1, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)


def m(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def R(c: int, mem: int = 0, s: int = 0) -> Resources:
    return Resources(c, mem, s)


def empty(cores: int = 16, memory: int = 64, storage: int = 1000) -> Ledger:
    return Ledger(Capacity.constant(cores, memory, storage))


def codes(p: Plan) -> list[str]:
    return [r.code for r in p.reasons]


def hold_all(ledger: Ledger, offers: tuple[OfferPlan, ...]) -> Ledger:
    """Hold every offer in a copy of ``ledger``, as the service does (from the start of
    preparing to the end of releasing); raises if it overbooks."""
    copy = ledger.copy()
    for i, o in enumerate(offers):
        copy.hold(f"offer-{i}", f"s{i}", "set", o.resources, o.booked_start, o.booked_end,
                  expires=o.expires)
    return copy


# --- YES ---------------------------------------------------------------------------------------


def test_minimum_first_at_now_on_an_empty_platform():
    p = plan(PlanRequest(cores_min=2, memory_min=4, storage_min=10), empty(), T0)
    assert p.result == "YES"
    first = p.offers[0]
    assert (first.cores, first.memory_gib, first.storage_gib) == (2, 4, 10)
    assert first.start == T0
    assert first.duration == HOUR  # the default
    assert first.expires == T0 + timedelta(seconds=300)
    assert 1 <= len(p.offers) <= 3
    hold_all(empty(), p.offers)


def test_offers_vary_more_resources_more_time_later_start():
    p = plan(PlanRequest(cores_min=2, memory_min=4, duration=HOUR), empty(), T0)
    assert len(p.offers) == 3
    a, b, c = p.offers
    assert a.resources == R(2, 4, 0) and a.duration == HOUR
    assert b.resources == R(4, 8, 0) and b.start == T0  # growth 2, room for both at once
    assert c.resources == R(2, 4, 0) and c.duration == 2 * HOUR
    assert len(set(p.offers)) == 3


def test_the_requested_maximum_is_never_exceeded():
    p = plan(PlanRequest(cores_min=2, cores_max=3, memory_min=4, memory_max=4), empty(), T0)
    for o in p.offers:
        assert 2 <= o.cores <= 3
        assert o.memory_gib == 4
    assert any(o.cores == 3 for o in p.offers)


def test_the_generous_offer_is_bounded_by_capacity():
    p = plan(PlanRequest(cores_min=10, cores_max=100, memory_min=1), empty(16), T0)
    assert max(o.cores for o in p.offers) == 16
    hold_all(empty(16), p.offers)


def test_minimum_equal_to_maximum_gives_distinct_offers_only():
    request = PlanRequest(cores_min=4, cores_max=4, memory_min=8, memory_max=8, storage_max=0)
    p = plan(request, empty(), T0, PlannerSettings(max_offers=5, duration_growth=1))
    assert len(set(p.offers)) == len(p.offers)
    assert all(o.resources == R(4, 8, 0) for o in p.offers)
    assert p.offers[1].start >= p.offers[0].start + timedelta(hours=1)


def test_max_offers_is_respected():
    p = plan(PlanRequest(), empty(), T0, PlannerSettings(max_offers=1))
    assert len(p.offers) == 1
    p = plan(PlanRequest(), empty(), T0, PlannerSettings(max_offers=5))
    assert len(p.offers) == 5


def test_start_within_the_requested_window():
    request = PlanRequest(earliest=m(30), latest=m(45), duration=HOUR)
    p = plan(request, empty(), T0)
    for o in p.offers:
        assert m(30) <= o.start <= m(45)


def test_a_bare_instant_pins_every_start():
    p = plan(PlanRequest(earliest=m(30), latest=m(30)), empty(), T0)
    assert {o.start for o in p.offers} == {m(30)}


def test_earliest_only_and_latest_only():
    p = plan(PlanRequest(earliest=m(90)), empty(), T0)
    assert p.offers[0].start == m(90)
    assert all(o.start >= m(90) for o in p.offers)
    p = plan(PlanRequest(latest=m(20)), empty(), T0, PlannerSettings(later_step=HOUR))
    assert all(T0 <= o.start <= m(20) for o in p.offers)


def test_a_window_begun_in_the_past_starts_now():
    p = plan(PlanRequest(earliest=m(-30), latest=m(30)), empty(), T0)
    assert p.offers[0].start == T0


def test_lead_time_delays_the_first_start():
    s = PlannerSettings(min_lead_time=timedelta(minutes=5))
    p = plan(PlanRequest(), empty(), T0, s)
    assert all(o.start >= m(5) for o in p.offers)
    assert p.offers[0].start == m(5)


STEPS = PlannerSettings(preparing=timedelta(minutes=5), releasing=timedelta(minutes=3))


def test_the_booking_covers_preparing_and_releasing():
    p = plan(PlanRequest(cores_min=4, cores_max=4), empty(cores=4), T0, STEPS)
    first = p.offers[0]
    assert first.start == m(5)  # preparing starts now, the session is available after it
    assert (first.booked_start, first.booked_end) == (T0, m(5 + 60 + 3))


def test_back_to_back_sessions_do_not_share_their_steps():
    """A full platform: the next session starts preparing when the last one has released."""
    ledger = empty(cores=4)
    first = plan(PlanRequest(cores_min=4, cores_max=4), ledger, T0, STEPS).offers[0]
    ledger.hold("a", "a", "g", first.resources, first.booked_start, first.booked_end)
    second = plan(PlanRequest(cores_min=4, cores_max=4), ledger, T0, STEPS).offers[0]
    assert second.booked_start == first.booked_end
    assert second.start == first.end + timedelta(minutes=3 + 5)


def test_steps_count_against_the_horizon_and_the_lead_time():
    s = PlannerSettings(horizon=timedelta(minutes=68), preparing=timedelta(minutes=5),
                        releasing=timedelta(minutes=3), min_lead_time=timedelta(minutes=1))
    assert codes(plan(PlanRequest(), empty(), T0, s)) == ["duration-beyond-horizon"]
    s = PlannerSettings(horizon=timedelta(minutes=69), preparing=timedelta(minutes=5),
                        releasing=timedelta(minutes=3), min_lead_time=timedelta(minutes=1))
    tight = plan(PlanRequest(), empty(), T0, s).offers
    assert {(o.booked_start, o.booked_end) for o in tight} == {(m(1), m(69))}
    s = PlannerSettings(preparing=timedelta(minutes=5))
    assert codes(plan(PlanRequest(latest=m(4)), empty(), T0, s)) == ["window-too-soon"]


def test_a_busy_platform_offers_the_first_free_slot():
    ledger = empty(8)
    ledger.hold("x", "other", "g", R(6), m(0), m(90))
    p = plan(PlanRequest(cores_min=4, cores_max=8, memory_min=1), ledger, T0)
    assert p.offers[0].start == m(90)
    assert p.offers[0].cores == 4
    hold_all(ledger, p.offers)


def test_what_fits_now_is_offered_now_even_if_the_target_is_later():
    ledger = empty(8)
    ledger.hold("x", "other", "g", R(3), m(0), m(60))
    request = PlanRequest(cores_min=2, cores_max=8, memory_min=1, duration=HOUR)
    p = plan(request, ledger, T0, PlannerSettings(max_offers=5))
    now_offers = [o for o in p.offers if o.start == T0]
    assert {o.cores for o in now_offers} >= {2, 3}  # the minimum, and what is left (5 - 2)
    assert any(o.cores == 8 for o in p.offers)
    hold_all(ledger, p.offers)


def test_offers_respect_capacity_changes():
    capacity = Capacity(R(8, 8, 8), ((m(0), R(2, 8, 8)), (m(120), R(8, 8, 8))))
    p = plan(PlanRequest(cores_min=4, memory_min=1), Ledger(capacity), T0)
    assert p.offers[0].start == m(120)
    hold_all(Ledger(capacity), p.offers)


def test_the_planner_does_not_change_the_ledger():
    ledger = empty()
    ledger.hold("x", "other", "g", R(1), m(0), m(60))
    before = ledger.to_data()
    plan(PlanRequest(), ledger, T0)
    assert ledger.to_data() == before


def test_lapsed_holds_are_the_services_to_expire():
    ledger = empty(4)
    ledger.hold("x", "other", "g", R(4), m(0), m(60), expires=m(-1))
    assert plan(PlanRequest(cores_min=4), ledger, T0).offers[0].start == m(60)
    ledger.expire(T0)
    assert plan(PlanRequest(cores_min=4), ledger, T0).offers[0].start == T0


def test_offers_end_within_the_horizon():
    s = PlannerSettings(horizon=timedelta(hours=3))
    p = plan(PlanRequest(duration=2 * HOUR), empty(), T0, s)
    for o in p.offers:
        assert o.end <= T0 + timedelta(hours=3)


# --- NO, one reason per cause -----------------------------------------------------------------


def test_minimum_above_capacity_names_each_resource():
    p = plan(PlanRequest(cores_min=17, memory_min=65, storage_min=1000), empty(), T0)
    assert p.result == "NO" and p.offers == ()
    assert codes(p) == ["insufficient-capacity", "insufficient-capacity"]
    assert [r.values["resource"] for r in p.reasons] == ["cores", "memory"]
    assert (
        p.reasons[0].message == "The platform has at most 16 cores; the request needs at least 17."
    )


def test_min_above_max():
    p = plan(PlanRequest(cores_min=4, cores_max=2, storage_min=5, storage_max=1), empty(), T0)
    assert codes(p) == ["min-above-max", "min-above-max"]
    assert p.reasons[0].values == {"resource": "cores", "min": "4", "max": "2", "unit": "cores"}


def test_negative_minimum():
    assert codes(plan(PlanRequest(memory_min=-1), empty(), T0)) == ["negative-minimum"]


def test_window_in_the_past():
    p = plan(PlanRequest(earliest=m(-60), latest=m(-1)), empty(), T0)
    assert codes(p) == ["window-in-past"]
    assert m(-1).isoformat() in p.reasons[0].message


def test_window_ending_before_the_lead_time():
    s = PlannerSettings(min_lead_time=timedelta(minutes=10))
    p = plan(PlanRequest(latest=m(5)), empty(), T0, s)
    assert codes(p) == ["window-too-soon"]
    assert p.reasons[0].values["soonest"] == m(10).isoformat()


def test_window_beyond_the_horizon():
    s = PlannerSettings(horizon=timedelta(days=1))
    p = plan(PlanRequest(earliest=T0 + timedelta(days=1)), empty(), T0, s)
    assert codes(p) == ["window-beyond-horizon"]
    p = plan(PlanRequest(earliest=T0 + timedelta(days=1) - HOUR), empty(), T0, s)
    assert p.result == "YES"  # ends exactly at the horizon


def test_duration_beyond_the_horizon_has_a_message():
    s = PlannerSettings(horizon=timedelta(days=7))
    p = plan(PlanRequest(duration=timedelta(days=8)), empty(), T0, s)
    assert codes(p) == ["duration-beyond-horizon"]
    assert "P8D" in p.reasons[0].message and "P7D" in p.reasons[0].message
    p = plan(PlanRequest(duration=timedelta(days=7)), empty(), T0, s)
    assert p.result == "YES"


def test_duration_and_lead_time_together_beyond_the_horizon():
    s = PlannerSettings(horizon=timedelta(days=1), min_lead_time=HOUR)
    assert codes(plan(PlanRequest(duration=timedelta(days=1)), empty(), T0, s)) == [
        "duration-beyond-horizon"
    ]


def test_duration_not_positive():
    assert codes(plan(PlanRequest(duration=timedelta(0)), empty(), T0)) == ["duration-not-positive"]


def test_empty_window():
    assert codes(plan(PlanRequest(earliest=m(20), latest=m(10)), empty(), T0)) == ["window-empty"]


def test_no_free_slot():
    ledger = empty(8)
    ledger.hold("x", "other", "g", R(8), m(0), m(120))
    p = plan(PlanRequest(cores_min=1, latest=m(60)), ledger, T0)
    assert codes(p) == ["no-free-slot"]
    assert p.reasons[0].values["cores"] == "1"
    assert p.reasons[0].values["to"] == m(60).isoformat()


def test_several_causes_give_several_reasons():
    p = plan(
        PlanRequest(cores_min=100, memory_min=5, memory_max=2, latest=m(-5)),
        empty(),
        T0,
    )
    assert sorted(codes(p)) == ["insufficient-capacity", "min-above-max", "window-in-past"]


def test_every_reason_renders_completely():
    causes = [
        PlanRequest(cores_min=100),
        PlanRequest(cores_min=3, cores_max=2),
        PlanRequest(memory_min=-1),
        PlanRequest(latest=m(-1)),
        PlanRequest(earliest=m(5), latest=m(1)),
        PlanRequest(earliest=T0 + timedelta(days=60)),
        PlanRequest(duration=timedelta(days=60)),
        PlanRequest(duration=-HOUR),
    ]
    s = PlannerSettings(min_lead_time=timedelta(minutes=1))
    for request in [*causes, PlanRequest(latest=T0 + timedelta(seconds=30))]:
        p = plan(request, empty(), T0, s)
        assert p.result == "NO"
        for reason in p.reasons:
            assert all(isinstance(v, str) for v in reason.values.values())
            assert set(re.findall(r"\{(\w+)\}", reason.template)) <= set(reason.values)
            assert "{" not in reason.message
            assert reason.message.endswith(".")


# --- the data classes --------------------------------------------------------------------------


def test_plan_has_offers_or_reasons():
    with pytest.raises(ValueError):
        Plan()
    offer = OfferPlan(T0, HOUR, 1, 1, 0, T0)
    with pytest.raises(ValueError):
        Plan(offers=(offer,), reasons=(Reason("x", "y"),))
    assert offer.end == T0 + HOUR and offer.resources == R(1, 1, 0)


def test_settings_are_checked():
    for bad in (
        {"max_offers": 0},
        {"offer_lifetime": timedelta(0)},
        {"default_duration": timedelta(0)},
        {"horizon": -HOUR},
        {"later_step": timedelta(0)},
        {"min_lead_time": -HOUR},
        {"preparing": -HOUR},
        {"releasing": -HOUR},
        {"growth": 0},
    ):
        with pytest.raises(ValueError):
            PlannerSettings(**bad)


def test_now_must_be_aware():
    with pytest.raises(ValueError):
        plan(PlanRequest(), empty(), datetime(2026, 1, 1))


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(0), "PT0S"),
        (HOUR, "PT1H"),
        (timedelta(days=2, minutes=5), "P2DT5M"),
        (timedelta(seconds=1.25), "PT1.25S"),
        (-timedelta(minutes=90), "-PT1H30M"),
    ],
)
def test_iso_duration(value: timedelta, text: str):
    assert iso_duration(value) == text


# --- properties --------------------------------------------------------------------------------

amount = st.integers(0, 8)


@st.composite
def scenarios(draw):
    base = Resources(draw(st.integers(1, 8)), draw(st.integers(1, 8)), draw(st.integers(0, 8)))
    changes = draw(
        st.lists(
            st.tuples(st.integers(1, 180), st.tuples(amount, amount, amount)),
            max_size=2,
            unique_by=lambda c: c[0],
        )
    )
    capacity = Capacity(base, tuple((m(t), Resources(*r)) for t, r in sorted(changes)))
    ledger = Ledger(capacity)
    for i, (c, mem, s, start, length) in enumerate(
        draw(
            st.lists(
                st.tuples(amount, amount, amount, st.integers(-30, 180), st.integers(1, 90)),
                max_size=12,
            )
        )
    ):
        try:
            ledger.hold(f"b{i}", "other", "g", Resources(c, mem, s), m(start), m(start + length))
        except Overbooked:
            pass

    def low_high(top: int):
        low = draw(st.integers(0, top))
        high = draw(st.none() | st.integers(0, top + 2))
        return low, high

    cores, memory, storage = low_high(9), low_high(9), low_high(9)
    earliest = draw(st.none() | st.integers(-60, 200))
    latest = draw(st.none() | st.integers(-60, 240))
    request = PlanRequest(
        cores_min=cores[0],
        cores_max=cores[1],
        memory_min=memory[0],
        memory_max=memory[1],
        storage_min=storage[0],
        storage_max=storage[1],
        duration=draw(st.none() | st.integers(1, 120).map(lambda n: timedelta(minutes=n))),
        earliest=None if earliest is None else m(earliest),
        latest=None if latest is None else m(latest),
    )
    planner = PlannerSettings(
        max_offers=draw(st.integers(1, 5)),
        default_duration=timedelta(minutes=draw(st.integers(1, 60))),
        horizon=timedelta(minutes=draw(st.integers(30, 300))),
        min_lead_time=timedelta(minutes=draw(st.integers(0, 10))),
        preparing=timedelta(minutes=draw(st.integers(0, 15))),
        releasing=timedelta(minutes=draw(st.integers(0, 15))),
        later_step=timedelta(minutes=draw(st.integers(1, 60))),
        growth=draw(st.integers(1, 3)),
        duration_growth=draw(st.integers(1, 3)),
    )
    return ledger, request, planner


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_properties_of_every_plan(scenario):
    ledger, request, s = scenario
    before = ledger.to_data()
    p = plan(request, ledger, T0, s)
    assert ledger.to_data() == before
    duration = request.duration or s.default_duration
    if p.result == "NO":
        assert p.offers == () and len(p.reasons) >= 1
        for reason in p.reasons:
            assert "{" not in reason.message
        if codes(p) == ["no-free-slot"]:
            # Every grid minute of the usable window is really taken, steps included.
            minimum = Resources(request.cores_min, request.memory_min, request.storage_min)
            lo = max(request.earliest or T0, T0 + s.min_lead_time + s.preparing)
            hi = min(request.latest or T0 + s.horizon,
                     T0 + s.horizon - s.releasing - duration)
            t = lo
            while t <= hi:
                assert not ledger.can_hold(minimum, t - s.preparing, t + duration + s.releasing)
                t += timedelta(minutes=1)
        return
    assert 1 <= len(p.offers) <= s.max_offers
    assert len(set(p.offers)) == len(p.offers)
    for o in p.offers:
        assert o.cores >= request.cores_min
        assert o.memory_gib >= request.memory_min
        assert o.storage_gib >= request.storage_min
        for value, high in (
            (o.cores, request.cores_max),
            (o.memory_gib, request.memory_max),
            (o.storage_gib, request.storage_max),
        ):
            assert high is None or value <= high
        assert o.resources.fits_in(ledger.capacity.peak(o.booked_start, o.booked_end))
        assert o.duration >= duration
        assert (o.preparing, o.releasing) == (s.preparing, s.releasing)
        assert o.booked_start == o.start - s.preparing
        assert o.booked_end == o.end + s.releasing
        assert o.booked_start >= T0 + s.min_lead_time
        assert request.earliest is None or o.start >= request.earliest
        assert request.latest is None or o.start <= request.latest
        assert o.booked_end <= T0 + s.horizon
        assert o.expires == T0 + s.offer_lifetime
    first = p.offers[0]
    assert (first.cores, first.memory_gib, first.storage_gib) == (
        request.cores_min,
        request.memory_min,
        request.storage_min,
    )
    assert first.duration == duration
    # As soon as possible: no earlier grid minute of the window fits the minimum.
    t = max(request.earliest or T0, T0 + s.min_lead_time + s.preparing)
    while t < first.start:
        assert not ledger.can_hold(first.resources, t - s.preparing,
                                   t + duration + s.releasing)
        t += timedelta(minutes=1)
    hold_all(ledger, p.offers)  # all offers together never overbook
