"""Data staging on the Docker-API platform: a data resource served over HTTP (on loopback)
is downloaded while the session prepares, mounted read-only, and read by the workload;
limits and address rules are enforced before anything runs."""

from __future__ import annotations

import asyncio
import http.server
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from docker_support import VOLUME, document, job, session_containers, settings, wait
from ivoa_eb_broker.platforms import PlatformError, RunState
from ivoa_eb_broker.platforms.docker_api import DockerApiPlatform

PAYLOAD = "ra,dec\n83.633,22.014\n"


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class Chunked(Quiet):
    """Sends its payload without a Content-Length, as a server streaming data would."""

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        if self.path != "/stream":
            return super().do_GET()
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        block = b"x" * 65536
        try:
            for _ in range(40):  # 2.5 MiB, never announced
                self.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass  # the platform hung up at its limit


class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the platform hanging up on an oversized download is expected


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """A loopback HTTP server (free port) serving a small catalogue and a large file."""
    root = tmp_path / "www"
    root.mkdir()
    (root / "catalogue.csv").write_text(PAYLOAD)
    (root / "big.bin").write_bytes(b"\0" * (3 << 20))
    server = QuietServer(("127.0.0.1", 0),
                                             partial(Chunked, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.engine
def test_a_data_resource_is_staged_before_running_and_read_by_the_workload(
        platform: DockerApiPlatform, served: str) -> None:
    volumes = [
        {"kind": VOLUME, "path": "/data", "mode": "READONLY", "resource": "catalogue"},
        {"kind": VOLUME, "path": "/results", "mode": "READWRITE", "resource": "results"},
    ]
    doc = document(["sh", "-c", "cat /data/catalogue.csv > /results/copy.csv; "
                                "cat /results/catalogue.csv >> /results/copy.csv"],
                   volumes=volumes, data={"catalogue": f"{served}/catalogue.csv"})
    doc["storage"][0]["data"] = ["catalogue"]  # placed on the results storage as well
    session = job(doc)

    async def life() -> str:
        await platform.prepare(session)
        staged = platform.data_dir(session.uuid, "catalogue") / "catalogue.csv"
        assert staged.read_text() == PAYLOAD  # there before the container starts
        await platform.prepare(session)  # idempotent
        status = await wait(platform, await platform.start(session))
        assert status.state is RunState.SUCCEEDED, status.message
        copy = (platform.storage_dir(session.uuid, "results") / "copy.csv").read_text()
        await platform.release(session)
        return copy

    assert asyncio.run(life()) == PAYLOAD * 2
    assert session_containers(session.uuid) == []
    assert not platform.session_dir(session.uuid).exists()


@pytest.mark.engine
def test_a_data_resource_over_the_size_limit_fails_preparation(
        engine: None, work: Path, served: str) -> None:
    platform = DockerApiPlatform(settings(work, data_limit=1))  # MiB
    session = job(document(["true"], data={"big": f"{served}/big.bin"}))
    with pytest.raises(PlatformError, match="big.*1048576 bytes"):
        asyncio.run(platform.prepare(session))
    assert list(platform.data_dir(session.uuid, "big").iterdir()) == []
    asyncio.run(platform.release(session))


@pytest.mark.engine
def test_an_unannounced_size_is_limited_while_downloading(engine: None, work: Path,
                                                          served: str) -> None:
    platform = DockerApiPlatform(settings(work, data_limit=1))  # MiB
    session = job(document(["true"], data={"stream": f"{served}/stream"}))
    with pytest.raises(PlatformError, match="stream.*more than the 1048576 bytes allowed"):
        asyncio.run(platform.prepare(session))
    assert list(platform.data_dir(session.uuid, "stream").iterdir()) == []
    asyncio.run(platform.release(session))


@pytest.mark.engine
def test_a_missing_data_file_fails_preparation_with_the_http_status(
        platform: DockerApiPlatform, served: str) -> None:
    session = job(document(["true"], data={"gone": f"{served}/nothing-here.fits"}))
    with pytest.raises(PlatformError, match="HTTP 404"):
        asyncio.run(platform.prepare(session))
    asyncio.run(platform.release(session))


def test_loopback_data_is_refused_unless_the_operator_allows_it(work: Path,
                                                               served: str) -> None:
    strict = DockerApiPlatform(settings(work, allow_private_data=False,
                                        base_url="unix:///nonexistent.sock"))
    request = document(["true"], data={"catalogue": f"{served}/catalogue.csv"})
    reasons = asyncio.run(strict.check(request))
    assert [r.path for r in reasons if "private or local" in r.message] == ["/data/0/location"]
    session = job(request)
    with pytest.raises(PlatformError, match="private or local"):
        asyncio.run(strict.workdir.stage(session, "catalogue", f"{served}/catalogue.csv", None))
