"""Partial failure, vanished sites, trees and cycles of heads: real processes, real HTTP."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from eb_processes import BrokerProcess, free_port, start_all
from federation_support import Federation, head_config, site_config
from ivoa_eb_client import Client

SQRT = Path(__file__).resolve().parents[2] / "examples" / "01-sqrt-docker.yaml"


@contextmanager
def faulty_child(kind: str) -> Iterator[str]:
    """A child that answers garbage, 500, or too slowly; its base URL."""

    class Faulty(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the http.server interface)
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if kind == "slow":
                time.sleep(8)
            status, body = (500, b"oops") if kind == "5xx" else (200, b"result: [not, an")
            self.send_response(status)
            self.send_header("Content-Type", "application/yaml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Faulty)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def warned_sites(messages: list[Any]) -> set[str]:
    return {m.values["site"] for m in messages if m.level == "WARN" and "site" in m.values}


def test_slow_5xx_garbage_and_down_children_cost_only_their_offers(
        federation: Federation, tmp_path: Path) -> None:
    with faulty_child("slow") as slow, faulty_child("5xx") as failing, \
            faulty_child("garbage") as garbage:
        children = [("site-a", federation.sites["site-a"].url), ("slow", slow),
                    ("failing", failing), ("garbage", garbage),
                    ("down", f"http://127.0.0.1:{free_port()}")]
        head = BrokerProcess(tmp_path / "head", head_config("head-p", children, timeout=4))
        head.start()
        try:
            with Client(head.url) as client:
                offers = client.request(SQRT)
        finally:
            head.stop()
    assert offers.result == "YES" and len(offers.offers) == 1
    assert warned_sites(offers.messages) == {"slow", "failing", "garbage", "down"}
    slow_warn = next(m for m in offers.messages if m.values.get("site") == "slow")
    assert "4 s" in slow_warn.message


def test_a_killed_site_leaves_offers_and_a_warn_and_fails_its_sessions(
        tmp_path: Path) -> None:
    long_run = site_config().replace("running = 0.5", "running = 60")
    sites = {name: BrokerProcess(tmp_path / name, long_run) for name in ("x", "y")}
    head = BrokerProcess(tmp_path / "head", head_config(
        "head-k", [(n, s.url) for n, s in sites.items()]))
    start_all(*sites.values(), head)
    try:
        with Client(head.url) as client:
            offers = client.request(SQRT)
            by_site = {m.values["site"]: o for o in offers.offers for m in o.messages
                       if "target" in m.values}
            session = by_site["x"].accept().wait(until={"RUNNING"}, timeout=30, poll=0.2)
            assert session.phase == "RUNNING"
            sites["x"].kill()
            again = client.request(SQRT)
            assert again.result == "YES"
            assert warned_sites(again.messages) == {"x"}
            session.refresh()
            assert session.phase == "FAILED"
            assert any(m.level == "ERROR" and m.values.get("site") == "x"
                       for m in session.messages)
    finally:
        head.stop()
        for site in sites.values():
            site.stop()


def test_a_head_of_heads(federation: Federation, tmp_path: Path) -> None:
    top = BrokerProcess(tmp_path / "top", head_config("top", [
        ("lower-head", federation.head.url)])).start()
    try:
        with Client(top.url) as client:
            offers = client.request(SQRT)
            assert offers.result == "YES" and len(offers.offers) == 3
            session = offers.offers[0].accept().wait(timeout=60, poll=0.2)
            assert session.phase == "COMPLETED"
            phases = [o.phase for o in client.offer_set(offers.uuid).offers]
            assert phases == ["COMPLETED", "REJECTED", "REJECTED"]
    finally:
        top.stop()


def test_a_cycle_of_heads_is_refused_not_looped(federation: Federation,
                                                tmp_path: Path) -> None:
    port_a, port_b = free_port(), free_port()
    url_a, url_b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    a = BrokerProcess(tmp_path / "a", head_config("head-a", [
        ("site-a", federation.sites["site-a"].url), ("b", url_b)]), port=port_a)
    b = BrokerProcess(tmp_path / "b", head_config("head-b", [("a", url_a)]), port=port_b)
    start_all(a, b)
    try:
        with Client(a.url) as client:
            offers = client.request(SQRT)
        assert offers.result == "YES"
        # b asked a again; a refused it (508), and b's answer says so, attributed to b.
        looped = [m for m in offers.messages if "Loop Detected" in (m.message or "")]
        assert looped and looped[0].values["site"] == "b"
        refused = httpx.post(f"{a.url}/requests", content=SQRT.read_bytes(),
                             headers={"EB-Via": "elsewhere, head-a"})
        assert refused.status_code == 508
        assert "head-a" in refused.text
    finally:
        a.stop()
        b.stop()

