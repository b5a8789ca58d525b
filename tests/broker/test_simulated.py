"""The simulated platform honours its contract: timings, failure injection, handles that
survive a restart, connectors, idempotent cancel and release."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from ivoa_eb_broker import platforms
from ivoa_eb_broker.platforms import Job, PlatformError, RunState
from ivoa_eb_broker.platforms.simulated import NOTEBOOK, SimulatedPlatform, SimulatedSettings

from .conftest import DOCKER


def job(environment: dict[str, str] | None = None, **executable: object) -> Job:
    document = {"executable": {"kind": DOCKER, **executable}}
    if environment is not None:
        document["executable"]["environment"] = environment
    return Job("u-1", document, 1, 1, 0, datetime.now(UTC), 60.0)


def run(coroutine: object) -> object:
    return asyncio.run(coroutine)  # type: ignore[arg-type]


def fast(**settings: object) -> SimulatedPlatform:
    return SimulatedPlatform(SimulatedSettings(preparing=0, running=0.05, releasing=0,
                                               **settings))  # type: ignore[arg-type]


def test_created_from_config() -> None:
    platform = platforms.create("simulated", {"cores": 4, "kinds": [DOCKER]})
    assert platform.capacity().cores == 4
    assert platform.supported_kinds() == frozenset({DOCKER})
    plugin = platforms.create("ivoa_eb_broker.platforms:_simulated", {"cores": 2})
    assert plugin.capacity().cores == 2
    with pytest.raises(ValueError, match="cannot load"):
        platforms.create("no.such.module:factory", {})
    with pytest.raises(ValueError, match="unknown platform"):
        platforms.create("mainframe", {})
    with pytest.raises(ValueError, match="colour"):
        platforms.create("simulated", {"colour": "red"})
    with pytest.raises(ValueError, match="fail"):
        platforms.create("simulated", {"fail": "explode"})


def test_a_job_runs_and_succeeds() -> None:
    async def scenario() -> None:
        platform = fast()
        await platform.prepare(job())
        handle = await platform.start(job())
        assert (await platform.poll(handle)).state is RunState.RUNNING
        await asyncio.sleep(0.1)
        status = await platform.poll(handle)
        assert status.state is RunState.SUCCEEDED and status.exit_code == 0
        # A new platform object (a restarted broker) reads the same handle.
        assert (await fast().poll(handle)).state is RunState.SUCCEEDED
        await platform.release(job())
        await platform.release(job())  # idempotent

    run(scenario())


@pytest.mark.parametrize("step", ["prepare", "start", "release"])
def test_failure_injection_by_environment(step: str) -> None:
    async def scenario() -> None:
        platform = fast()
        target = job({"EB_SIMULATE_FAIL": step})
        with pytest.raises(PlatformError, match="simulated failure"):
            if step == "prepare":
                await platform.prepare(target)
            elif step == "start":
                await platform.start(target)
            else:
                await platform.release(target)

    run(scenario())


def test_failure_injection_while_running_and_by_config() -> None:
    async def scenario() -> None:
        handle = await fast().start(job({"EB_SIMULATE_FAIL": "run"}))
        await asyncio.sleep(0.1)
        status = await fast().poll(handle)
        assert status.state is RunState.FAILED and status.exit_code == 1
        with pytest.raises(PlatformError):
            await fast(fail="prepare").prepare(job())

    run(scenario())


def test_cancel_and_unknown_handles() -> None:
    async def scenario() -> None:
        platform = fast()
        handle = await platform.start(job())
        await platform.cancel(handle)
        await platform.cancel(handle)
        assert (await platform.poll(handle)).state is RunState.CANCELLED
        with pytest.raises(PlatformError):
            await platform.poll("docker:abc")

    run(scenario())


def test_connectors_for_notebooks_and_ports() -> None:
    async def scenario() -> None:
        platform = fast()
        notebook = Job("nb", {"executable": {"kind": NOTEBOOK, "location": "x"}}, 1, 1, 0,
                       datetime.now(UTC), 60)
        handle = await platform.start(notebook)
        (connector,) = (await platform.poll(handle)).connectors
        assert connector.protocol == "HTTP" and "nb" in connector.location
        ports = {"ports": [{"access": True, "internal": {"port": 8080}, "protocol": "HTTP"},
                           {"access": False, "internal": {"port": 22}}]}
        handle = await platform.start(job(network=ports))
        (connector,) = (await platform.poll(handle)).connectors
        assert connector.location.endswith(":8080")

    run(scenario())


def test_unreachable_data_is_reported_with_its_path() -> None:
    request = {"data": [{"location": "https://example.org/a.fits"},
                        {"location": "https://archive.invalid/b.fits"}]}
    reasons = run(fast().check(request))
    assert [r.path for r in reasons] == ["/data/1"]  # type: ignore[attr-defined]
