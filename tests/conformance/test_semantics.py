"""The pure judgements of offers against requests, on hand-made documents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from ivoa_eb_conformance import semantics

REQUEST = {
    "compute": {"cores": {"min": 2, "max": 4}, "memory": {"min": 8, "max": 16}},
    "storage": [{"meta": {"name": "scratch"}, "size": {"min": 10, "max": 20}}],
    "schedule": {"requested": {"start": "2030-06-01T09:00:00Z/PT8H", "duration": "PT2H"}},
}


def offer(**changes: object) -> dict:
    doc = {
        "phase": "OFFERED",
        "expires": "2030-05-01T00:00:00Z",
        "meta": {"uuid": "0b6f1a38-4d3b-4a43-9d51-9f0e6f3f1c11"},
        "compute": {"cores": {"min": 2, "max": 2}, "memory": {"min": 8, "max": 8}},
        "storage": [{"meta": {"name": "scratch"}, "size": {"min": 10, "max": 10}}],
        "schedule": {"available": {"start": "2030-06-01T10:00:00Z", "duration": "PT2H"}},
    }
    for dotted, value in changes.items():
        target = doc
        keys = dotted.split("__")
        for key in keys[:-1]:
            target = target[key] if not isinstance(target, list) else target[int(key)]
        target[keys[-1]] = value
    return doc


def test_an_offer_meeting_every_minimum_has_no_problem() -> None:
    assert semantics.minimum_problems(REQUEST, offer()) == []
    assert semantics.maximum_problems(REQUEST, offer()) == []
    assert semantics.start_problems(REQUEST, offer()) == []


@pytest.mark.parametrize(
    ("aspect", "changes", "words"),
    [
        ("cores", {"compute__cores": {"min": 1, "max": 1}}, "compute cores"),
        ("memory", {"compute__memory": {"min": 4}}, "memory"),
        (
            "storage",
            {"storage": [{"meta": {"name": "scratch"}, "size": {"min": 5}}]},
            "storage 'scratch'",
        ),
        ("storage", {"storage": []}, "states no amount"),
        ("duration", {"schedule__available__duration": "PT1H59M"}, "duration"),
    ],
)
def test_a_missed_minimum_is_named(aspect: str, changes: dict, words: str) -> None:
    problems = semantics.minimum_problems(REQUEST, offer(**changes), (aspect,))
    assert len(problems) == 1 and words in problems[0]


def test_minimums_are_judged_only_for_the_aspects_asked() -> None:
    bad = offer(compute__cores={"min": 1})
    assert semantics.minimum_problems(REQUEST, bad, ("memory",)) == []


def test_a_range_offer_is_judged_by_its_guaranteed_minimum() -> None:
    assert semantics.minimum_problems(
        REQUEST, offer(compute__cores={"min": 1, "max": 8}), ("cores",)
    )


def test_exceeding_a_maximum_is_reported() -> None:
    problems = semantics.maximum_problems(REQUEST, offer(compute__cores={"min": 2, "max": 6}))
    assert problems == ["compute cores: the request allows at most 4, the offer gives 6"]


@pytest.mark.parametrize(
    "start",
    [
        "2030-06-01T08:59:59Z",  # before the window
        "2030-06-01T17:00:01Z",  # after it
        "2030-06-01T16:00:00Z/2030-06-01T18:00:00Z",  # a window that does not fit
    ],
)
def test_a_start_outside_the_requested_window_is_reported(start: str) -> None:
    assert semantics.start_problems(REQUEST, offer(schedule__available__start=start))


@pytest.mark.parametrize(
    "start", ["2030-06-01T09:00:00Z", "2030-06-01T17:00:00Z", "2030-06-01T09:00:00Z/PT1H"]
)
def test_starts_inside_the_window_pass(start: str) -> None:
    assert semantics.start_problems(REQUEST, offer(schedule__available__start=start)) == []


@pytest.mark.parametrize("start", ["R2/2030-06-01T09:00:00Z/PT1H", "PT1H", "tomorrow"])
def test_a_start_that_is_not_one_slot_is_reported(start: str) -> None:
    problems = semantics.start_problems(REQUEST, offer(schedule__available__start=start))
    assert problems and "not one instant" in problems[0]


def test_expiry_must_be_in_the_future_for_offered_sessions_only() -> None:
    now = datetime(2030, 5, 1, tzinfo=UTC)
    assert semantics.expiry_problems(offer(expires="2030-05-01T00:01:00Z"), now) == []
    assert semantics.expiry_problems(offer(expires="2030-04-30T23:00:00Z"), now)
    assert semantics.expiry_problems(offer(expires="soon"), now)
    missing = offer()
    del missing["expires"]
    assert semantics.expiry_problems(missing, now) == ["an OFFERED session has no expires"]
    assert (
        semantics.expiry_problems(offer(phase="ACCEPTED", expires="2000-01-01T00:00:00Z"), now)
        == []
    )
    assert (
        semantics.expiry_problems(
            offer(expires="2030-04-30T23:59:59Z"), now, skew=timedelta(seconds=7)
        )
        == []
    )


def test_an_offer_must_live_at_least_five_seconds() -> None:
    """OFF-17: an expires 1 ms ahead is no offer a client can act on."""
    now = datetime(2030, 5, 1, tzinfo=UTC)
    assert semantics.expiry_problems(offer(expires="2030-05-01T00:00:00.001Z"), now)
    assert semantics.expiry_problems(offer(expires="2030-05-01T00:00:05Z"), now) == []


def test_uuids_repeated_across_sets_are_reported() -> None:
    first = {"meta": {"uuid": "a"}, "offers": [{"meta": {"uuid": "b"}}, {"meta": {"uuid": "c"}}]}
    second = {"meta": {"uuid": "d"}, "offers": [{"meta": {"uuid": "b"}}]}
    assert semantics.uuid_problems([first]) == []
    assert semantics.uuid_problems([first, second]) == [
        "offer #0 of set #1 reuses uuid b of offer #0 of set #0"
    ]
    assert semantics.uuid_problems([{"offers": []}]) == ["offer set #0 has no meta.uuid"]


@pytest.mark.parametrize(
    ("doc", "ok"),
    [
        ({"result": "YES", "offers": [{"phase": "OFFERED"}]}, True),
        ({"result": "YES", "offers": []}, False),
        ({"result": "YES", "offers": [{"phase": "ACCEPTED"}]}, False),
        ({"result": "NO", "meta": {"messages": [{"message": "no"}]}}, True),
        ({"result": "NO"}, False),
        ({"result": "NO", "offers": [{}], "meta": {"messages": [{}]}}, False),
        ({"result": "MAYBE"}, False),
    ],
)
def test_result_and_offers_agree(doc: dict, ok: bool) -> None:
    assert (semantics.result_problems(doc) == []) is ok


@pytest.mark.parametrize(
    ("phases", "ok"),
    [
        (["OFFERED", "ACCEPTED", "PREPARING", "RUNNING", "COMPLETED"], True),
        (["OFFERED", "COMPLETED"], True),  # polling may miss every phase in between
        (["OFFERED", "OFFERED", "EXPIRED"], True),
        (["REJECTED", "ACCEPTED"], False),  # terminal is final
        (["RUNNING", "PREPARING"], False),  # backwards
        (["OFFERED", "RUNNING"], True),  # via ACCEPTED, unseen
        (["RELEASING", "CANCELLED"], False),
    ],
)
def test_transitions_follow_the_state_machine(phases: list[str], ok: bool) -> None:
    assert (semantics.transition_problems(phases) == []) is ok


def _slot(start: object, uuid: str = "u") -> dict[str, object]:
    return {"meta": {"uuid": uuid}, "schedule": {"available": {"start": start}}}


def test_one_instant_or_one_window_is_one_slot() -> None:
    offers = [_slot("2030-06-01T09:00:00Z", "a"), _slot("2030-06-01T09:00:00Z/PT1H", "b")]
    assert semantics.slot_problems(offers) == []


@pytest.mark.parametrize(
    "start",
    [
        ["2030-06-01T09:00:00Z/PT1H", "2030-06-02T09:00:00Z/PT1H"],
        "R2/2030-06-01T09:00:00Z/PT1H",
        None,
    ],
)
def test_several_slots_or_none_in_one_offer_are_reported(start: object) -> None:
    offer = _slot(start) if start is not None else {"meta": {"uuid": "u"}}
    assert semantics.slot_problems([offer])


def test_two_starts_under_one_uuid_are_two_slots_of_one_session() -> None:
    offers = [_slot("2030-06-01T09:00:00Z", "same"), _slot("2030-06-02T09:00:00Z", "same")]
    assert "two slots of one session" in semantics.slot_problems(offers)[0]
