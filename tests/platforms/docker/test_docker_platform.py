"""The Docker-API platform against a real engine: a session's whole life (prepare, start,
poll, release), failures with their exit code and log, cancel, read-only mounts, ports."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from docker_support import SQRT2, VOLUME, document, job, session_containers, settings, wait
from ivoa_eb_broker.platforms import PlatformError, RunState
from ivoa_eb_broker.platforms.docker_api import DockerApiPlatform

pytestmark = pytest.mark.engine


def test_a_container_computes_a_square_root_into_its_results_volume(
        platform: DockerApiPlatform) -> None:
    session = job(document(["sh", "-c", f"{SQRT2} > /results/out.txt"]))

    async def life() -> tuple[RunState, str]:
        await platform.prepare(session)
        results = platform.storage_dir(session.uuid, "results")
        assert results.is_dir() and not any(results.iterdir())
        handle = await platform.start(session)
        status = await wait(platform, handle)
        value = (results / "out.txt").read_text()
        await platform.release(session)
        return status.state, value

    state, value = asyncio.run(life())
    assert state is RunState.SUCCEEDED
    assert float(value) == pytest.approx(2 ** 0.5, rel=1e-9)
    assert session_containers(session.uuid) == []
    assert not platform.session_dir(session.uuid).exists()


def test_the_container_gets_the_booked_limits_and_no_new_privileges(
        platform: DockerApiPlatform) -> None:
    session = job(document(["true"]), cores=2, memory=1)

    async def life() -> dict:
        await platform.prepare(session)
        handle = await platform.start(session)
        await wait(platform, handle)
        (container,) = session_containers(session.uuid)
        await platform.release(session)
        return container.attrs["HostConfig"]

    host = asyncio.run(life())
    assert host["NanoCpus"] == 2_000_000_000
    assert host["Memory"] == 1 << 30
    assert host["Privileged"] is False
    assert "no-new-privileges" in " ".join(host.get("SecurityOpt") or [])
    work = platform.settings.work_dir
    assert [b for b in host.get("Binds") or [] if not b.startswith(work)] == []


def test_a_failing_command_fails_with_its_exit_code_and_log_tail(
        platform: DockerApiPlatform) -> None:
    session = job(document(["sh", "-c", "echo preparing the answer; echo it went wrong >&2; "
                                        "exit 3"]))

    async def life():
        await platform.prepare(session)
        status = await wait(platform, await platform.start(session))
        await platform.release(session)
        return status

    status = asyncio.run(life())
    assert status.state is RunState.FAILED
    assert status.exit_code == 3
    assert "exit code 3" in status.message
    assert "it went wrong" in status.message and "preparing the answer" in status.message
    assert session_containers(session.uuid) == []


def test_cancel_stops_and_removes_the_container(platform: DockerApiPlatform) -> None:
    session = job(document(["sleep", "60"]))

    async def life():
        await platform.prepare(session)
        handle = await platform.start(session)
        running = await wait(platform, handle, until=lambda s: s.state is RunState.RUNNING)
        assert [c.status for c in session_containers(session.uuid)] == ["running"]
        await platform.cancel(handle)
        await platform.cancel(handle)  # idempotent
        after = await platform.poll(handle)
        await platform.release(session)
        await platform.release(session)  # idempotent
        return running, after

    running, after = asyncio.run(life())
    assert running.state is RunState.RUNNING
    assert after.state is RunState.CANCELLED
    assert session_containers(session.uuid) == []
    assert not platform.session_dir(session.uuid).exists()


def test_a_readonly_mount_cannot_be_written(platform: DockerApiPlatform) -> None:
    volumes = [
        {"kind": VOLUME, "path": "/in",
         "mode": "READONLY", "resource": "inputs"},
        {"kind": VOLUME, "path": "/results",
         "mode": "READWRITE", "resource": "results"},
    ]
    script = ("if echo x > /in/attempt; then echo written > /results/verdict; "
              "else echo refused > /results/verdict; fi; cat /in/given >> /results/verdict")
    session = job(document(["sh", "-c", script], storage=["inputs", "results"],
                           volumes=volumes))

    async def life() -> str:
        await platform.prepare(session)
        (platform.storage_dir(session.uuid, "inputs") / "given").write_text("readable\n")
        status = await wait(platform, await platform.start(session))
        assert status.state is RunState.SUCCEEDED, status.message
        verdict = (platform.storage_dir(session.uuid, "results") / "verdict").read_text()
        assert not (platform.storage_dir(session.uuid, "inputs") / "attempt").exists()
        await platform.release(session)
        return verdict

    assert asyncio.run(life()).split() == ["refused", "readable"]


def test_published_ports_become_connectors_while_running(platform: DockerApiPlatform) -> None:
    ports = {"ports": [
        {"internal": {"port": 8888}, "protocol": "HTTP", "path": "/lab", "access": True},
        {"internal": {"port": 5432}},
    ]}
    session = job(document(["sleep", "30"], network=ports))

    async def life():
        await platform.prepare(session)
        handle = await platform.start(session)
        status = await wait(platform, handle, until=lambda s: s.state is RunState.RUNNING)
        (container,) = session_containers(session.uuid)
        bound = container.attrs["NetworkSettings"]["Ports"]
        # A broker restart: a new platform object knows the job by its handle alone.
        again = await DockerApiPlatform(platform.settings).poll(handle)
        assert again == status
        await platform.cancel(handle)
        await platform.release(session)
        return status, bound

    status, bound = asyncio.run(life())
    http_port = bound["8888/tcp"][0]["HostPort"]
    tcp_port = bound["5432/tcp"][0]["HostPort"]
    locations = {c.protocol: c.location for c in status.connectors}
    assert locations == {"HTTP": f"http://eb.example.org:{http_port}/lab",
                         "TCP": f"eb.example.org:{tcp_port}"}
    assert all(c.status == "AVAILABLE" for c in status.connectors)


def test_capacity_is_what_the_engine_host_has_bounded_by_config(engine: None,
                                                               work: Path) -> None:
    platform = DockerApiPlatform(settings(work))
    free = platform.capacity()
    info = platform.client.info()
    assert free.cores == info["NCPU"] >= 1
    assert free.memory == info["MemTotal"] // (1 << 30) and free.storage == 100
    bounded = DockerApiPlatform(settings(work, cores=1, memory=1, storage=7)).capacity()
    assert (bounded.cores, bounded.memory, bounded.storage) == (1, 1, 7)


def test_an_image_with_another_digest_is_refused(platform: DockerApiPlatform) -> None:
    wrong = "sha256:" + "0" * 64
    session = job(document(["true"], image={"locations": ["localhost/busybox:test"],
                                            "digest": wrong}))
    with pytest.raises(PlatformError, match="digest"):
        asyncio.run(platform.prepare(session))
    image = platform.client.images.get("localhost/busybox:test")
    right = job(document(["true"], image={"locations": ["localhost/busybox:test"],
                                          "digest": image.id}))
    asyncio.run(platform.prepare(right))
    asyncio.run(platform.release(right))
    asyncio.run(platform.release(session))


def test_an_unknown_handle_is_a_platform_error(platform: DockerApiPlatform) -> None:
    with pytest.raises(PlatformError):
        asyncio.run(platform.poll("docker:" + "ab" * 32))
    with pytest.raises(PlatformError):
        asyncio.run(platform.poll("sim:whatever"))


def test_ports_can_be_kept_on_one_host_address(engine: None, work: Path) -> None:
    platform = DockerApiPlatform(settings(work, publish_address="127.0.0.1"))
    session = job(document(["sleep", "30"], network={"ports": [{"internal": {"port": 80}}]}))

    async def life():
        await platform.prepare(session)
        handle = await platform.start(session)
        try:
            await wait(platform, handle, until=lambda s: s.state is RunState.RUNNING)
            (container,) = session_containers(session.uuid)
            return container.attrs["NetworkSettings"]["Ports"]["80/tcp"]
        finally:
            await platform.cancel(handle)
            await platform.release(session)

    (binding,) = asyncio.run(life())
    assert binding["HostIp"] == "127.0.0.1" and int(binding["HostPort"]) > 0
