"""Group commit: phase changes ready at the same time share one transaction, and one bad step
fails only itself.

:class:`GroupCommit` is tested with an ``apply`` that records its batches (no database), and
:meth:`Sessions.advance_many` on a real SQLite store, with a step that cannot be written.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ivoa_eb_broker.core import Event, Phase
from ivoa_eb_broker.platforms.simulated import SimulatedPlatform, SimulatedSettings
from ivoa_eb_broker.service.broker import Broker, Received, Settings
from ivoa_eb_broker.service.group_commit import GroupCommit
from ivoa_eb_broker.service.sessions import ENUM_UPDATE, Step
from ivoa_eb_broker.store import migrate, open_engine, transaction
from ivoa_eb_broker.store import repository as repo

from .conftest import request_document

Outcome = Phase | None | Exception


class Recorder:
    """An ``apply`` that records each batch and answers each step from ``answers`` (by uuid;
    RUNNING when not named); it raises ``fail_with`` for a batch holding ``fail_on``."""

    def __init__(self, answers: dict[str, Outcome] | None = None,
                 fail_on: str | None = None) -> None:
        self.batches: list[list[str]] = []
        self.answers = answers or {}
        self.fail_on = fail_on
        self.gate: threading.Event | None = None

    def __call__(self, steps: Sequence[Step]) -> list[Outcome]:
        self.batches.append([step.uuid for step in steps])
        if self.gate is not None:
            self.gate.wait(5)
        if self.fail_on in self.batches[-1]:
            raise OSError("disk full")
        return [self.answers.get(step.uuid, Phase.RUNNING) for step in steps]


def step(uuid: str) -> Step:
    return Step(uuid, Event.START)


async def submit_all(commits: GroupCommit, uuids: Sequence[str]) -> list[Outcome]:
    """Submit every step in the same turn of the event loop; each caller's own outcome."""
    return await asyncio.gather(*(commits.submit(step(u)) for u in uuids),
                                return_exceptions=True)


def test_steps_ready_together_are_written_in_one_batch() -> None:
    recorder = Recorder({"b": Phase.COMPLETED, "c": None})
    outcomes = asyncio.run(submit_all(GroupCommit(recorder), ["a", "b", "c"]))
    assert recorder.batches == [["a", "b", "c"]]
    assert outcomes == [Phase.RUNNING, Phase.COMPLETED, None]


def test_a_batch_holds_at_most_the_limit_in_submission_order() -> None:
    recorder = Recorder()
    uuids = [f"s{i}" for i in range(7)]
    outcomes = asyncio.run(submit_all(GroupCommit(recorder, most=3), uuids))
    assert recorder.batches == [uuids[0:3], uuids[3:6], uuids[6:7]]
    assert outcomes == [Phase.RUNNING] * 7


def test_steps_submitted_while_a_batch_is_written_go_together_in_the_next() -> None:
    recorder = Recorder()
    recorder.gate = threading.Event()

    async def scenario() -> list[Outcome]:
        commits = GroupCommit(recorder)
        first = asyncio.ensure_future(commits.submit(step("first")))
        while not recorder.batches:  # the writer is inside apply, held by the gate
            await asyncio.sleep(0.005)
        later = [asyncio.ensure_future(commits.submit(step(u))) for u in ("x", "y", "z")]
        await asyncio.sleep(0.05)
        recorder.gate.set()
        return [await first, *[await f for f in later]]

    outcomes = asyncio.run(scenario())
    assert recorder.batches == [["first"], ["x", "y", "z"]]
    assert outcomes == [Phase.RUNNING] * 4


def test_an_exception_for_one_step_reaches_only_its_caller() -> None:
    problem = ValueError("no such session")
    recorder = Recorder({"bad": problem})
    outcomes = asyncio.run(submit_all(GroupCommit(recorder), ["a", "bad", "c"]))
    assert outcomes == [Phase.RUNNING, problem, Phase.RUNNING]


def test_a_failed_write_reaches_the_callers_of_its_batch_and_the_next_batch_is_written() -> None:
    recorder = Recorder(fail_on="s1")
    uuids = ["s0", "s1", "s2", "s3"]
    outcomes = asyncio.run(submit_all(GroupCommit(recorder, most=2), uuids))
    assert recorder.batches == [["s0", "s1"], ["s2", "s3"]]
    assert [type(o) for o in outcomes[:2]] == [OSError, OSError]
    assert outcomes[2:] == [Phase.RUNNING, Phase.RUNNING]


def test_stop_cancels_the_steps_still_pending() -> None:
    recorder = Recorder()
    recorder.gate = threading.Event()

    async def scenario() -> tuple[bool, bool]:
        commits = GroupCommit(recorder)
        first = asyncio.ensure_future(commits.submit(step("first")))
        while not recorder.batches:
            await asyncio.sleep(0.005)
        queued = asyncio.ensure_future(commits.submit(step("queued")))
        await asyncio.sleep(0)
        stopping = asyncio.ensure_future(commits.stop())
        await asyncio.sleep(0.01)
        recorder.gate.set()  # let the worker thread end, so asyncio.run can close
        await stopping
        await asyncio.sleep(0)
        return first.cancelled(), queued.cancelled()

    assert asyncio.run(scenario()) == (True, True)
    assert recorder.batches == [["first"]]


# Sessions.advance_many on a real store ---------------------------------------------------


@pytest.fixture()
def broker(tmp_path: Path) -> Broker:
    engine = open_engine(f"sqlite:///{tmp_path / 'broker.sqlite'}")
    migrate(engine)
    platform = SimulatedPlatform(SimulatedSettings(cores=16, memory=64, storage=100,
                                                   preparing=0, releasing=0))
    start = datetime(2031, 1, 1, tzinfo=UTC)
    return Broker(engine, platform, Settings(offer_lifetime=timedelta(minutes=5)),
                  clock=lambda: start)


def accepted(broker: Broker, count: int) -> list[str]:
    """``count`` sessions, each the accepted offer of a request of its own."""
    uuids = []
    for _ in range(count):
        written = asyncio.run(broker.offers.make(
            Received(request_document(), [], "application/yaml", "")))
        uuid = written.sessions[0]["uuid"]
        asyncio.run(broker.update(uuid, {"path": "phase", "kind": ENUM_UPDATE,
                                         "value": "ACCEPTED"}))
        uuids.append(uuid)
    return uuids


def phases(broker: Broker, uuids: Sequence[str]) -> list[str]:
    with transaction(broker.engine) as connection:
        return [repo.get_session(connection, u)["phase"] for u in uuids]  # type: ignore[index]


def test_advance_many_applies_each_step_as_if_alone(broker: Broker) -> None:
    a, b = accepted(broker, 2)
    outcomes = broker.advance_many([
        Step(a, Event.SCHEDULE),
        Step(b, Event.START),  # not allowed from ACCEPTED: nothing changes
        Step("no-such-session", Event.SCHEDULE),
    ])
    assert outcomes == [Phase.WAITING, None, None]
    assert phases(broker, [a, b]) == ["WAITING", "ACCEPTED"]


def test_a_step_that_cannot_be_written_fails_only_itself(broker: Broker) -> None:
    good, bad, other = accepted(broker, 3)
    unwritable = {"type": "error", "time": "not a time", "text": "cannot be stored"}
    outcomes = broker.advance_many([
        Step(good, Event.SCHEDULE),
        Step(bad, Event.SCHEDULE, message=unwritable),
        Step(other, Event.FAIL, release=True),
    ])
    assert outcomes[0] == Phase.WAITING
    assert isinstance(outcomes[1], Exception)
    assert outcomes[2] == Phase.FAILED
    # the bad step's own transaction rolled back: its phase is as it was
    assert phases(broker, [good, bad, other]) == ["WAITING", "ACCEPTED", "FAILED"]
    with transaction(broker.engine) as connection:
        assert repo.booking_of(connection, other)["state"] == "RELEASED"  # type: ignore[index]
        assert repo.booking_of(connection, bad)["state"] == "COMMITTED"  # type: ignore[index]
