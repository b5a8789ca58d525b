"""Latency of a head broker against the latency of its children (a script, not a test).

Three stand-in children answer ``POST /requests`` with a valid YES offer set after a fixed
delay each (default 0.2 s, 0.5 s and 1.0 s); a fourth, optional one never answers within the
head's timeout. A real head broker (``ivoa-eb-broker serve`` with ``[[children]]``) fronts
them. The head asks its children in parallel, so its latency should be about the slowest
answering child (1.0 s plus the head's own work), not the sum (1.7 s), and a child slower
than its timeout costs the timeout, not more.

Usage: ``python benchmarks/bench_federation.py [--delays 0.2,0.5,1.0] [--requests 10]
[--timeout 2] [--hung]``. Prints one table.
"""

from __future__ import annotations

import argparse
import http.server
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

K = "https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds/"
REQUEST = f"""executable:
  kind: {K}executable/docker-container.yaml
  image:
    locations: [localhost/busybox:test]
""".encode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def offer_set(base: str) -> bytes:
    """A valid YES offer set of one offer, as a site would answer."""
    now = datetime.now(UTC)
    stamp = (now + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    start = (now + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    session, offers = uuid.uuid4(), uuid.uuid4()
    return f"""meta:
  uuid: {offers}
  url: {base}/offersets/{offers}
result: YES
offers:
- kind: {K}session/scheduled-execution-session.yaml
  meta:
    uuid: {session}
    url: {base}/sessions/{session}
  phase: OFFERED
  expires: '{stamp}'
  schedule:
    available:
      start: '{start}'
      duration: PT1H
""".encode()


def child(delay: float) -> tuple[http.server.ThreadingHTTPServer, str]:
    """A stand-in child answering after ``delay`` seconds; its base URL."""

    class Child(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the http.server interface)
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path != "/requests":  # the head rejecting an offer it did not keep
                self.send_response(404)
                self.end_headers()
                return
            time.sleep(delay)
            body = offer_set(f"http://{self.headers['Host']}")
            self.send_response(200)
            self.send_header("Content-Type", "application/yaml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the head gave up on this child (its timeout): as it should

        def log_message(self, *_: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Child)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def head(folder: Path, children: list[str], timeout: float) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    lines = ["[federation]", 'id = "bench-head"']
    for index, url in enumerate(children):
        lines += ["[[children]]", f'name = "child-{index}"', f'url = "{url}"',
                  f"timeout = {timeout}"]
    (folder / "head.toml").write_text("\n".join(lines) + "\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "ivoa_eb_broker", "serve", "--config", str(folder / "head.toml"),
         "--port", str(port), "--database", f"sqlite:///{folder / 'head.sqlite'}",
         "--log-level", "warning"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the head broker did not start")


def measure(url: str, count: int) -> list[float]:
    times = []
    with httpx.Client(timeout=60) as client:
        for _ in range(count + 1):  # the first request warms the head up: not counted
            started = time.perf_counter()
            answer = client.post(f"{url}/requests", content=REQUEST,
                                 headers={"Content-Type": "application/yaml"})
            times.append(time.perf_counter() - started)
            assert answer.status_code == 200, answer.text
    return times[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--delays", default="0.2,0.5,1.0")
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--hung", action="store_true", help="add a child slower than timeout")
    options = parser.parse_args()
    delays = [float(d) for d in options.delays.split(",")]
    if options.hung:
        delays.append(options.timeout * 5)
    servers = [child(d) for d in delays]
    with tempfile.TemporaryDirectory() as folder:
        process, url = head(Path(folder), [u for _, u in servers], options.timeout)
        try:
            times = measure(url, options.requests)
        finally:
            process.terminate()
            process.wait(timeout=20)
            for server, _ in servers:
                server.shutdown()
    answering = [d for d in delays if d < options.timeout]
    print(f"children delays (s): {', '.join(f'{d:g}' for d in delays)}; head timeout "
          f"{options.timeout:g} s; {options.requests} requests")
    print(f"{'slowest answering child':<28}{max(answering):8.3f} s")
    print(f"{'sum of the children':<28}{sum(answering):8.3f} s")
    print(f"{'head latency, median':<28}{statistics.median(times):8.3f} s")
    print(f"{'head latency, max':<28}{max(times):8.3f} s")


if __name__ == "__main__":
    main()
