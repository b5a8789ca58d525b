"""The Skaha platform against the Skaha test double (real HTTP on loopback): every call the
adapter makes is checked against the Skaha OpenAPI contract by the double."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from ivoa_eb_broker.platforms import Job, PlatformError, RunState, create
from ivoa_eb_broker.platforms.skaha import (
    DOCKER,
    NOTEBOOK,
    STATES,
    SkahaPlatform,
    SkahaSettings,
    session_name,
)
from ivoa_eb_broker.platforms.skaha_api import gib
from skaha_double import Served, SkahaDouble
from skaha_support import TOKEN

IMAGE = "images.canfar.net/skaha/terminal:1.1.2"
NOTEBOOK_IMAGE = "images.canfar.net/skaha/notebook-scipy:1.0"
UUID = "7d0c8f3e-0a7b-4c59-9a53-1f2e3d4c5b6a"


def platform(served: Served, **settings: Any) -> SkahaPlatform:
    table = {"url": served.url, "token": TOKEN, "notebook_image": NOTEBOOK_IMAGE,
             "backoff": 0.01, **settings}
    made = create("skaha", table)
    assert isinstance(made, SkahaPlatform)
    return made


def job(executable: dict[str, Any], cores: int = 2, memory: int = 4, uuid: str = UUID,
        duration: float = 3600) -> Job:
    return Job(uuid=uuid, document={"executable": executable}, cores=cores, memory=memory,
               storage=0, start=datetime.now(UTC), duration_s=duration)


def notebook() -> dict[str, Any]:
    return {"kind": NOTEBOOK, "location": "https://example.org/notebooks/sqrt.ipynb"}


def container(command: list[str], **extra: Any) -> dict[str, Any]:
    return {"kind": DOCKER, "image": {"locations": [IMAGE]}, "command": command, **extra}


def request(executable: dict[str, Any], cores: int = 1, memory: int = 1) -> dict[str, Any]:
    return {"executable": executable,
            "compute": {"cores": {"min": cores}, "memory": {"min": memory}}}


async def until(platform: SkahaPlatform, handle: str, states: set[RunState],
                timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        status = await platform.poll(handle)
        if status.state in states or time.monotonic() > deadline:
            return status
        await asyncio.sleep(0.1)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_capacity_and_checks_come_from_skahas_statistics(double: Served) -> None:
    async def scenario() -> None:
        p = platform(double)
        assert p.capacity().cores == 0  # nothing offered before Skaha has answered
        assert await p.check(request(notebook())) == []
        capacity, largest = p.capacity(), p.largest()
        assert (capacity.cores, capacity.memory) == (8, 32)  # the cluster
        assert largest is not None and (largest.cores, largest.memory) == (4, 16)
        reasons = await p.check(request(notebook(), cores=6, memory=20))
        assert {r.path for r in reasons} == {"/compute/cores/min", "/compute/memory/min"}
        assert "4 cores" in reasons[0].message
        await p.close()

        limited = platform(double, max_cores=3, max_memory=8)
        await limited.check(request(notebook()))
        assert (limited.capacity().cores, limited.capacity().memory) == (3, 8)
        assert (limited.largest().cores, limited.largest().memory) == (3, 8)
        await limited.close()

    run(scenario())
    assert double.double.calls and double.double.violations == []


def test_kinds_the_platform_refuses_get_reasons(double: Served) -> None:
    async def scenario() -> None:
        p = platform(double, images=["images.canfar.net/"])
        bad = container(["echo", "two words"], privileged=True,
                        network={"ports": [{"internal": {"port": 80}}]})
        bad["image"] = {"locations": ["docker.io/library/busybox"]}
        paths = {r.path for r in await p.check(request(bad))}
        assert paths == {"/executable/image/locations/0", "/executable/privileged",
                         "/executable/network/ports", "/executable/command/1"}
        sif = {"kind": DOCKER.replace("docker-container", "singularity-container"),
               "location": "x.sif"}
        assert "Apptainer" in (await p.check(request(sif)))[0].message
        await p.close()
        plain = platform(double, notebook_image="")
        assert NOTEBOOK not in plain.supported_kinds()
        assert "notebook image" in (await plain.check(request(notebook())))[0].message
        await plain.close()

    run(scenario())


def test_a_notebook_session_is_created_connected_and_deleted(double: Served) -> None:
    async def scenario() -> None:
        p = platform(double)
        the_job = job(notebook(), cores=2, memory=4)
        await p.prepare(the_job)
        handle = await p.start(the_job)
        assert handle == await p.start(the_job)  # found again, not made twice
        [made] = double.double.sessions.values()
        assert (made.type, made.image, made.cores, made.ram, made.name) == (
            "notebook", NOTEBOOK_IMAGE, 2, 4, session_name(UUID))
        assert (await p.poll(handle)).state is RunState.PENDING
        status = await until(p, handle, {RunState.RUNNING})
        [connector] = status.connectors
        assert connector.status == "AVAILABLE" and connector.protocol == "HTTP"
        assert connector.location.startswith(double.root + f"/session/notebook/{made.id}/")
        await p.cancel(handle)
        assert double.double.deleted == [made.id]
        assert (await p.poll(handle)).state is RunState.CANCELLED
        await p.release(the_job)  # idempotent: nothing left to delete
        await p.close()

    run(scenario())
    assert double.double.violations == []


def test_a_notebook_ends_at_its_booked_end(double: Served) -> None:
    async def scenario() -> None:
        p = platform(double)
        the_job = job(notebook(), duration=1.5)
        handle = await p.start(the_job)
        # On a slow machine the session may be Running only after its booked end: the
        # first poll that sees it Running ends it.
        await until(p, handle, {RunState.RUNNING, RunState.SUCCEEDED})
        status = await until(p, handle, {RunState.SUCCEEDED}, timeout=5)
        assert status.state is RunState.SUCCEEDED and "booked time" in status.message
        assert status.connectors[0].status == "FINISHED"
        assert double.double.sessions == {}
        again = await p.poll(handle)  # the deleted session still reads as it ended
        assert again == status
        await p.close()

    run(scenario())
    assert double.double.violations == []


def test_a_container_runs_headless_with_command_and_environment(double: Served) -> None:
    async def scenario() -> None:
        p = platform(double)
        the_job = job(container(["python3", "-c", "print(2**0.5)"],
                                environment={"ANSWER": "42"}))
        fields = p.create_fields(the_job)
        assert ("type", "headless") in fields and ("cmd", "python3") in fields
        assert ("args", "-c print(2**0.5)") in fields and ("env", "ANSWER=42") in fields
        handle = await p.start(the_job)
        status = await until(p, handle, {RunState.SUCCEEDED, RunState.FAILED})
        assert status.state is RunState.SUCCEEDED, status.message
        assert "env ANSWER=42" in status.output and f"started {IMAGE}" in status.output
        await p.release(the_job)
        assert double.double.sessions == {}
        await p.close()

    run(scenario())
    assert double.double.violations == []


def test_a_skaha_error_fails_with_skahas_reason(double: Served) -> None:
    async def scenario() -> None:
        p = platform(double)
        the_job = job(container(["true"]))
        the_job.executable["image"]["locations"][0] = "images.canfar.net/skaha/fail:1"
        handle = await p.start(the_job)
        status = await until(p, handle, {RunState.FAILED, RunState.SUCCEEDED})
        assert status.state is RunState.FAILED
        assert "ended in Error" in status.message
        assert 'Failed to pull image "images.canfar.net/skaha/fail:1"' in status.message
        await p.close()

    run(scenario())
    assert double.double.violations == []


def test_every_documented_skaha_state_is_mapped() -> None:
    documented = {"Pending", "Running", "Terminating", "Succeeded", "Error"}
    assert documented <= set(STATES)
    assert STATES["Error"] is RunState.FAILED and STATES["Succeeded"] is RunState.SUCCEEDED


def test_busy_skaha_is_retried_then_reported(double: Served) -> None:
    async def scenario() -> None:
        p = platform(double, attempts=4, capacity_cache=0)
        double.double.busy = 2
        assert await p.check(request(notebook())) == []
        double.double.busy = 10
        [reason] = await p.check(request(notebook()))
        assert "busy (503" in reason.message and "after 4 attempts" in reason.message
        await p.close()

    run(scenario())
    assert [c.status for c in double.double.calls].count(503) == 6


def test_unknown_session_and_bad_requests_have_clear_messages(double: Served) -> None:
    async def scenario() -> None:
        p = platform(double)
        with pytest.raises(PlatformError, match="no longer knows session s9"):
            await p.poll("skaha:s9:1")
        with pytest.raises(PlatformError, match="not a Skaha session handle"):
            await p.poll("docker:abc")
        with pytest.raises(PlatformError, match=r"refused the request \(400\).*more than"):
            await p.start(job(notebook(), cores=16))
        await p.close()

    run(scenario())


def test_the_token_is_never_shown(double: Served, tmp_path: Path,
                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []

    async def scenario() -> None:
        wrong = platform(double, token="sk-wrong-secret-value")
        texts.extend([repr(wrong), repr(wrong.client), repr(wrong.settings)])
        with pytest.raises(PlatformError) as refused:
            await wrong.prepare(job(notebook()))
        texts.append(str(refused.value))
        assert "401 Not authenticated" in str(refused.value)
        texts.extend(r.message for r in await wrong.check(request(notebook())))
        await wrong.close()
        good = platform(double)
        texts.extend([repr(good), repr(good.settings)])
        await good.close()

    run(scenario())
    texts.append(caplog.text)
    with pytest.raises(ValueError) as bad:
        SkahaSettings.from_mapping({"url": double.url, "token": TOKEN, "token_file": "/x"})
    texts.append(str(bad.value))
    joined = "\n".join(texts)
    assert "sk-wrong-secret-value" not in joined and TOKEN not in joined
    assert "Bearer" not in joined


def test_an_expired_token_is_renewed_from_the_token_file(tmp_path: Path) -> None:
    double = SkahaDouble(tokens={"old-token": time.time() + 3600, "new-token": None})
    token_file = tmp_path / "skaha-token"
    token_file.write_text("old-token\n")
    with Served(double) as served:
        async def scenario() -> None:
            p = platform(served, token="", token_file=str(token_file), capacity_cache=0)
            assert await p.check(request(notebook())) == []
            double.tokens["old-token"] = time.time() - 1  # it expires
            [reason] = await p.check(request(notebook()))
            assert "401" in reason.message and "renew" in reason.message
            token_file.write_text("new-token\n")  # the operator (or a cron job) renews it
            assert await p.check(request(notebook())) == []
            await p.close()

        run(scenario())
    assert double.violations == []


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="exactly one of token"):
        SkahaSettings.from_mapping({"url": "https://ws-uv.canfar.net/skaha"})
    with pytest.raises(ValueError, match="url"):
        SkahaSettings.from_mapping({"url": "ws-uv", "token": "x"})
    with pytest.raises(ValueError, match="unknown keys"):
        SkahaSettings.from_mapping({"url": "https://x/skaha", "token": "x", "tokn": 1})


def test_sizes_are_read_in_gib() -> None:
    assert [gib(v) for v in ("226Gi", "16G", "101Mi", "1Ti", 8, "", None, "x")] == [
        226, 16, 0, 1024, 8, 0, 0, 0]


def test_a_session_waits_pending_while_skahas_cores_are_taken(tmp_path: Path) -> None:
    double = SkahaDouble(cores=4, largest_cores=4, startup=0.2, tokens={TOKEN: None})
    with Served(double) as served:
        async def scenario() -> None:
            p = platform(served)
            first = await p.start(job(notebook(), cores=4, uuid=UUID))
            assert (await until(p, first, {RunState.RUNNING})).state is RunState.RUNNING
            other = UUID.replace("7d0c", "8e1d")
            second = await p.start(job(notebook(), cores=4, uuid=other))
            await asyncio.sleep(0.5)
            assert (await p.poll(second)).state is RunState.PENDING  # no cores free
            await p.cancel(first)
            assert (await until(p, second, {RunState.RUNNING})).state is RunState.RUNNING
            await p.cancel(second)
            await p.close()

        run(scenario())
    assert double.violations == []


@pytest.mark.parametrize(("status", "said"), [
    (403, "Skaha denied permission (403): the broker's CANFAR account may not do this"),
    (500, "Skaha failed (500)"),
    (400, "Skaha refused the request (400): bad image name"),
])
def test_skahas_error_answers_are_explained(status: int, said: str) -> None:
    import httpx
    from ivoa_eb_broker.platforms.skaha_api import Credentials, SkahaClient, SkahaError

    seen: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(status)
        return httpx.Response(status, text="bad image name" if status == 400 else "")

    async def scenario() -> None:
        client = SkahaClient("https://skaha.invalid/skaha", Credentials(token="t"),
                             transport=httpx.MockTransport(answer), backoff=0.01)
        with pytest.raises(SkahaError) as failed:
            await client.sessions()
        assert said in str(failed.value) and failed.value.status == status
        await client.close()

    run(scenario())
    assert seen == [status]  # answers that are not temporary are not retried


def test_an_unreadable_certificate_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "proxy.pem"
    bad.write_text("not a certificate")
    p = create("skaha", {"url": "https://skaha.invalid/skaha", "certificate": str(bad)})
    with pytest.raises(PlatformError, match="cannot load the Skaha client certificate"):
        _ = p.client
