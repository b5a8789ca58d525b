"""Slow, stalled and idle clients are cut off, and the broker stays responsive meanwhile.

A real ``ivoa-eb-broker serve`` process on loopback, with short limits so that the test
waits seconds, not the defaults' tens of seconds. Every wait is bounded by a deadline.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from broker.conftest import FAST, Subprocess, as_yaml, free_port, request_document

HEAD = b"POST /requests HTTP/1.1\r\nHost: broker\r\nContent-Type: application/yaml\r\n"
LIMITS = {"body_timeout": 1.5, "header_timeout": 2, "keep_alive_timeout": 1}


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Subprocess]:
    folder: Path = tmp_path_factory.mktemp("connections")
    port = free_port()
    config = folder / "broker.toml"
    config.write_text("\n".join([
        "[server]", f"port = {port}", 'host = "127.0.0.1"',
        *(f"{key} = {value}" for key, value in LIMITS.items()),
        "[database]", f'url = "sqlite:///{folder / "broker.sqlite"}"',
        "[logging]", 'level = "warning"',
        "[platform.simulated]", *(f"{key} = {value!r}" for key, value in FAST.items()),
    ]) + "\n")
    process = Subprocess(config, port)
    process.start()
    yield process
    process.stop()


def connect(broker: Subprocess) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", broker.port), timeout=10)
    return sock


def answer_and_close(sock: socket.socket, within: float) -> bytes:
    """Everything the server sends until it closes the connection; fails after ``within``."""
    sock.settimeout(0.5)
    received = b""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            return received
        if not chunk:
            return received
        received += chunk
    raise AssertionError(f"the connection is still open after {within} s: {received[:200]!r}")


def test_a_stalled_chunked_body_is_cut_off_with_408(broker: Subprocess) -> None:
    # A chunk announcing 2**72 bytes, then nothing more.
    with connect(broker) as sock:
        sock.sendall(HEAD + b"Transfer-Encoding: chunked\r\n\r\n"
                     + format(2**72, "x").encode() + b"\r\nexecutable:")
        reply = answer_and_close(sock, within=LIMITS["body_timeout"] + 8)
    assert reply.startswith(b"HTTP/1.1 408 "), reply[:200]
    assert b"did not arrive within" in reply


def test_a_body_sent_too_slowly_is_cut_off(broker: Subprocess) -> None:
    body = as_yaml(request_document())
    with connect(broker) as sock:
        sock.sendall(HEAD + b"Content-Length: %d\r\n\r\n" % len(body))
        began = time.monotonic()
        try:
            for byte in body:  # one byte every 0.2 s: the whole body would take minutes
                sock.sendall(bytes([byte]))
                time.sleep(0.2)
                if time.monotonic() - began > LIMITS["body_timeout"] + 8:
                    break
        except (BrokenPipeError, ConnectionResetError):
            pass
        reply = answer_and_close(sock, within=5)
    assert reply.startswith(b"HTTP/1.1 408 "), reply[:200]


def test_a_silent_connection_is_closed(broker: Subprocess) -> None:
    with connect(broker) as sock:
        assert answer_and_close(sock, within=LIMITS["header_timeout"] + 8) == b""


def test_headers_sent_a_byte_at_a_time_are_cut_off(broker: Subprocess) -> None:
    with connect(broker) as sock:
        began = time.monotonic()
        closed = False
        for byte in HEAD * 10:
            try:
                sock.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            time.sleep(0.1)
            if time.monotonic() - began > LIMITS["header_timeout"] + 8:
                break
        if not closed:
            answer_and_close(sock, within=2)
        assert time.monotonic() - began < LIMITS["header_timeout"] + 8


def test_an_idle_keep_alive_connection_is_closed(broker: Subprocess) -> None:
    with connect(broker) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: broker\r\n\r\n")
        reply = answer_and_close(sock, within=LIMITS["keep_alive_timeout"] + 8)
    assert reply.startswith(b"HTTP/1.1 200 ")


def test_responsive_under_500_slow_connections(broker: Subprocess) -> None:
    slow: list[socket.socket] = []
    try:
        for _ in range(500):
            sock = connect(broker)
            sock.sendall(HEAD[:20])  # a request head that never ends
            slow.append(sock)
        with httpx.Client(base_url=broker.url, timeout=20) as http:
            for _ in range(5):
                assert http.get("/health").status_code == 200
                response = http.post("/requests", content=as_yaml(request_document()))
                assert response.status_code == 200, response.text
        # ... and the slow ones do not stay: each is closed at its head deadline.
        deadline = time.monotonic() + LIMITS["header_timeout"] + 20
        still_open = list(slow)
        while still_open and time.monotonic() < deadline:
            for sock in list(still_open):
                sock.settimeout(0.01)
                try:
                    if sock.recv(1024) == b"":
                        still_open.remove(sock)
                except TimeoutError:
                    pass
                except ConnectionResetError:
                    still_open.remove(sock)
        assert not still_open, f"{len(still_open)} of 500 slow connections are still open"
    finally:
        for sock in slow:
            sock.close()
