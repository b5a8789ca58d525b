"""The scenario interpreter, against the in-memory fake broker of ``fakes.py``."""

from __future__ import annotations

from typing import Any

import pytest
from ivoa_eb_conformance.context import Context, Options
from ivoa_eb_conformance.http import BrokerClient
from ivoa_eb_conformance.model import Status
from ivoa_eb_conformance.scenario import Case, Interpreter, apply_pointer, load_cases

from .fakes import FakeBroker


def run_case(
    broker: FakeBroker, steps: list[dict[str, Any]], requirements: tuple[str, ...]
) -> dict[str, Any]:
    ctx = Context(
        Options(url=broker.base, time_budget=30),
        BrokerClient(broker.base, transport=broker.transport()),
    )
    outcomes = Interpreter(ctx, Case("t", "test", requirements, tuple(steps))).run()
    return {rid: o for o in outcomes for rid in o.requirements}


REJECT = [
    {"do": "request", "document": "baseline", "expect": {"status": 200, "result": "YES"}},
    {
        "do": "get-session",
        "offer": 0,
        "expect": {"options": ["ACCEPTED", "REJECTED"], "options_path": "/phase"},
        "verifies": ["LIFE-13"],
    },
    {
        "do": "update",
        "offer": 0,
        "phase": "REJECTED",
        "expect": {"status": 200, "phase": "REJECTED", "then_phase": "REJECTED"},
        "verifies": ["LIFE-06"],
    },
    {
        "do": "update",
        "offer": 0,
        "phase": "ACCEPTED",
        "expect": {"status": 409, "error_path": "any"},
        "verifies": ["ERR-04"],
    },
]


def test_a_conforming_broker_passes_every_step() -> None:
    found = run_case(FakeBroker(), REJECT, ("LIFE-13", "LIFE-06", "ERR-04"))
    assert {rid: o.status for rid, o in found.items()} == {
        "LIFE-13": Status.PASS,
        "LIFE-06": Status.PASS,
        "ERR-04": Status.PASS,
    }


def test_a_failed_expectation_fails_its_requirements_with_evidence_and_skips_the_rest() -> None:
    broker = FakeBroker(status_for_bad_update=200, ignore_options=True)
    steps = (
        REJECT[:1]
        + [
            {
                "do": "update",
                "offer": 0,
                "phase": "CANCELLED",
                "expect": {"status": 422},
                "verifies": ["ERR-05"],
            }
        ]
        + REJECT[2:3]
    )
    found = run_case(broker, steps, ("ERR-05", "LIFE-06"))
    assert found["ERR-05"].status is Status.FAIL
    assert "expected status 422, got 200" in found["ERR-05"].message
    assert (
        found["ERR-05"].evidence[-1].method == "POST" and found["ERR-05"].evidence[-1].status == 200
    )
    assert found["LIFE-06"].status is Status.SKIPPED


def test_a_failed_set_up_step_skips_the_case() -> None:
    steps = [
        {
            "do": "request",
            "document": "baseline",
            "set": {"/executable/kind": "x:no-such-kind"},
            "expect": {"result": "YES"},
        }
    ] + REJECT[1:2]
    found = run_case(FakeBroker(), steps, ("LIFE-13",))
    assert found["LIFE-13"].status is Status.SKIPPED
    assert "precondition failed" in found["LIFE-13"].message


def test_too_few_offers_skips_with_the_reason() -> None:
    steps = REJECT[:1] + [
        {"do": "require", "offers": 2},
        {"do": "check", "expect": {}, "verifies": ["LIFE-11"]},
    ]
    found = run_case(FakeBroker(offers_per_request=1), steps, ("LIFE-11",))
    assert found["LIFE-11"].status is Status.SKIPPED and "1 offer(s)" in found["LIFE-11"].message


def test_otherwise_not_applicable_turns_a_refusal_into_not_applicable() -> None:
    steps = REJECT[:1] + [
        {
            "do": "update",
            "offer": 0,
            "body": {"update": {"path": "phase", "value": "REJECTED"}},
            "expect": {"status": 200},
            "verifies": ["KIND-03"],
            "otherwise": "not-applicable",
        }
    ]
    found = run_case(FakeBroker(), steps, ("KIND-03",))
    assert found["KIND-03"].status is Status.NOT_APPLICABLE


def test_unknown_uuid_and_no_answers() -> None:
    steps = [
        {
            "do": "get-session",
            "uuid": "random",
            "expect": {"status": 404, "error_path": ""},
            "verifies": ["ERR-01"],
        },
        {
            "do": "request",
            "document": "baseline",
            "set": {"/executable/kind": "x:no-such-kind"},
            "expect": {
                "result": "NO",
                "messages_min": 1,
                "offers_max": 0,
                "message_contains": "x:no-such-kind",
            },
            "verifies": ["OFF-06"],
        },
    ]
    found = run_case(FakeBroker(), steps, ("ERR-01", "OFF-06"))
    assert {rid: o.status for rid, o in found.items()} == {
        "ERR-01": Status.PASS,
        "OFF-06": Status.PASS,
    }


def test_an_unknown_expectation_is_a_defect_of_the_case_not_of_the_broker() -> None:
    with pytest.raises(ValueError, match="unknown expectation"):
        run_case(
            FakeBroker(),
            [{"do": "request", "document": "baseline", "expect": {"colour": "blue"}}],
            (),
        )


def test_json_pointers_set_and_remove() -> None:
    doc = {"a": {"b": [1, 2]}}
    apply_pointer(doc, "/a/b/1", 5)
    apply_pointer(doc, "/a/c~1d", "x")
    apply_pointer(doc, "/a/b/0", remove=True)
    assert doc == {"a": {"b": [5], "c/d": "x"}}


def test_every_shipped_case_uses_only_known_actions_documents_and_expectations() -> None:
    from ivoa_eb_conformance import probe
    from ivoa_eb_conformance.scenario import ACTIONS, EXPECTATIONS

    documents = set(probe.document_names())
    cases = load_cases()
    assert len(cases) >= 20
    for case in cases:
        for step in case.steps:
            assert step["do"] in ACTIONS, case.id
            assert set(step.get("expect", {})) <= set(EXPECTATIONS), case.id
            assert step.get("document", "baseline") in documents, case.id


def test_a_pause_until_expiry_beyond_the_budget_skips_instead_of_sleeping() -> None:
    steps = [
        {"do": "request", "document": "baseline", "expect": {"status": 200, "result": "YES"}},
        {"do": "pause", "offer": 0, "within": "expires"},
        {
            "do": "update",
            "offer": 0,
            "phase": "ACCEPTED",
            "expect": {"status": 409},
            "verifies": ["LIFE-09"],
        },
    ]
    found = run_case(FakeBroker(), steps, ("LIFE-09",))
    assert found["LIFE-09"].status is Status.SKIPPED
    assert "beyond the remaining time budget" in found["LIFE-09"].message


ACCEPT_AND_WAIT = [
    {"do": "request", "document": "baseline", "expect": {"status": 200, "result": "YES"}},
    {"do": "update", "offer": 0, "phase": "ACCEPTED", "expect": {"status": 200}},
    {"do": "wait", "offer": 0, "until": ["ACCEPTED"], "within": "schedule",
     "verifies": ["LIFE-20"]},
]


def test_a_wait_within_a_slot_ending_beyond_the_budget_still_waits() -> None:
    # The slot starts now and ends in an hour, beyond the 30 s budget: the goal may come
    # (here it has come) long before the slot's end, so the step waits instead of skipping.
    found = run_case(FakeBroker(slot=(0, 60)), ACCEPT_AND_WAIT, ("LIFE-20",))
    assert found["LIFE-20"].status is Status.PASS, found["LIFE-20"].message


def test_a_wait_within_a_slot_starting_beyond_the_budget_skips_at_once() -> None:
    found = run_case(FakeBroker(slot=(600, 60)), ACCEPT_AND_WAIT, ("LIFE-20",))
    assert found["LIFE-20"].status is Status.SKIPPED
    assert "takes at least" in found["LIFE-20"].message
