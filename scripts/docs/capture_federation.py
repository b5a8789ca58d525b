"""Record a real run of a federation for the use-case gallery: three sites and a head.

Starts the three site brokers and the head of ``examples/federation/`` (the configs of the
deployment how-to), each ``ivoa-eb-broker serve`` in its own process on a free loopback port
with a throw-away SQLite file, the head's ``[[children]]`` pointed at the sites' real ports.
Then, as a client would: posts ``examples/01-sqrt-docker.yaml`` to the head, accepts the first
offer, follows the session to COMPLETED, reads the offer set again (the siblings REJECTED),
reads one sibling at its own site (REJECTED there too), and sends a request that has already
passed the head (``EB-Via``: 508). Each answer is written unchanged, in YAML, to
``build/answers/federation/NN-name.yaml`` after comment lines saying how it was obtained,
and ``index.yaml`` lists the steps; only the ports are renamed to the how-to's (head 8080,
sites 8081 to 8083), so the answers read as the how-to's federation would give them.

Usage: ``python scripts/docs/capture_federation.py [--out DIR]`` (run by ``make docs``).
Exit status 1 when a broker does not start, or the run does not show what the use case is
about (offers from more than one site, the accepted one COMPLETED, every sibling REJECTED,
the loop refused).
"""

from __future__ import annotations

import argparse
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx
import yaml
from ivoa_eb_spec import JsonDataLoader

ROOT = Path(__file__).resolve().parents[2]
FEDERATION = ROOT / "examples" / "federation"
REQUEST = ROOT / "examples" / "01-sqrt-docker.yaml"
#: The ports of the how-to, by broker.
SHOWN = {"head": 8080, "site-a": 8081, "site-b": 8082, "site-c": 8083}
YAML = "application/yaml"
ENDED = {"COMPLETED", "FAILED", "CANCELLED"}


class CaptureError(RuntimeError):
    """The run did not go as the use case says."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def broker(folder: Path, name: str, config: str, port: int) -> Iterator[str]:
    """``ivoa-eb-broker serve`` with ``config``; its base URL once it answers."""
    path = folder / f"{name}.toml"
    path.write_text(config, encoding="utf-8")
    log = (folder / f"{name}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "ivoa_eb_broker", "serve", "--config", str(path),
         "--port", str(port), "--database", f"sqlite:///{folder / name}.sqlite",
         "--log-level", "warning"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise CaptureError(f"{name} did not start: see {folder / name}.log")
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise CaptureError(f"{name} did not answer within 60 s")
            time.sleep(0.1)
        yield url
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        log.close()


class Recorder:
    """Writes each step's answer, the real ports renamed to the how-to's."""

    def __init__(self, out: Path, ports: dict[int, int]) -> None:
        self.out = out
        self.ports = ports
        self.steps: list[dict[str, str]] = []

    def shown(self, text: str) -> str:
        return re.sub(r"127\.0\.0\.1:(\d+)",
                      lambda m: f"127.0.0.1:{self.ports.get(int(m.group(1)), m.group(1))}", text)

    def record(self, name: str, title: str, how: str, response: httpx.Response) -> Any:
        if response.status_code >= 500 and response.status_code != 508:
            raise CaptureError(f"{how}: {response.status_code} {response.text[:300]}")
        file = f"{len(self.steps) + 1:02d}-{name}.yaml"
        comment = (f"# {self.shown(how)} -> {response.status_code} {response.reason_phrase}\n"
                   f"# answered by ivoa-eb-broker {version('ivoa-eb-broker')} "
                   "(scripts/docs/capture_federation.py)\n")
        (self.out / file).write_text(comment + self.shown(response.text), encoding="utf-8")
        self.steps.append({"file": file, "title": title})
        return yaml.load(response.text, Loader=JsonDataLoader)  # noqa: S506 - a SafeLoader

    def index(self) -> None:
        text = yaml.safe_dump({"request": f"examples/{REQUEST.name}", "steps": self.steps},
                              sort_keys=False)
        (self.out / "index.yaml").write_text(text, encoding="utf-8")


def head_config(ports: dict[str, int]) -> str:
    """The how-to's head.toml with its children at the sites' real ports."""
    text = (FEDERATION / "head.toml").read_text(encoding="utf-8")
    for name, port in ports.items():
        text = text.replace(f"http://127.0.0.1:{SHOWN[name]}/", f"http://127.0.0.1:{port}/")
    return text


def site_of(offer: dict[str, Any]) -> tuple[str, str]:
    """The site that made an offer, and the offer's session URL there (the head's message)."""
    for message in offer.get("meta", {}).get("messages", []):
        values = message.get("values", {})
        if "site" in values and "target" in values:
            return values["site"], values["target"]
    raise CaptureError(f"offer {offer.get('meta', {}).get('uuid')} names no site")


def run(out: Path, folder: Path) -> None:
    real = {name: free_port() for name in SHOWN}
    recorder = Recorder(out, {real[name]: SHOWN[name] for name in SHOWN})
    update = "kind: uri:enum-value-update\npath: phase\nvalue: {}\n"
    headers = {"Content-Type": YAML, "Accept": YAML}
    with ExitStack() as stack:
        for name in ("site-a", "site-b", "site-c"):
            text = (FEDERATION / f"{name}.toml").read_text(encoding="utf-8")
            stack.enter_context(broker(folder, name, text, real[name]))
        sites = {name: real[name] for name in ("site-a", "site-b", "site-c")}
        head = stack.enter_context(broker(folder, "head", head_config(sites), real["head"]))
        client = stack.enter_context(httpx.Client(timeout=60))

        offers = recorder.record(
            "offers", "The head's offers",
            f"POST {head}/requests with examples/{REQUEST.name}",
            client.post(f"{head}/requests", content=REQUEST.read_bytes(), headers=headers))
        made = offers.get("offers") or []
        by_site = [site_of(offer) for offer in made]
        recorder.steps[-1]["title"] += ", made by " + ", ".join(site for site, _ in by_site)
        if offers.get("result") != "YES" or len({site for site, _ in by_site}) < 2:
            raise CaptureError(f"expected offers from more than one site, got {by_site}")
        first = made[0]["meta"]["url"]
        recorder.record(
            "accept", f"Accept the first offer (made by {by_site[0][0]})",
            f"POST {first} phase=ACCEPTED",
            client.post(first, content=update.format("ACCEPTED"), headers=headers))
        deadline = time.monotonic() + 60
        while True:
            reading = client.get(first, headers={"Accept": YAML})
            phase = yaml.safe_load(reading.text).get("phase")
            if phase in ENDED or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        session = recorder.record(
            "completed", f"The session, read at the head: run at {by_site[0][0]}",
            f"GET {first}", reading)
        if session.get("phase") != "COMPLETED":
            raise CaptureError(f"the accepted session ended {session.get('phase')}")
        offer_set = offers["meta"]["url"]
        again = recorder.record(
            "offer-set", "The offer set again: the siblings REJECTED",
            f"GET {offer_set}", client.get(offer_set, headers={"Accept": YAML}))
        phases = [offer.get("phase") for offer in again.get("offers") or []]
        if phases[1:] != ["REJECTED"] * (len(phases) - 1):
            raise CaptureError(f"the siblings are {phases[1:]}, expected REJECTED")
        # A sibling made by another site than the accepted offer's.
        site, target = next(found for found in by_site[1:] if found[0] != by_site[0][0])
        there = recorder.record(
            "sibling-at-site", f"A sibling read at its own site, {site}: REJECTED there too",
            f"GET {target}", client.get(target, headers={"Accept": YAML}))
        if there.get("phase") != "REJECTED":
            raise CaptureError(f"the sibling at {site} is {there.get('phase')}")
        loop = recorder.record(
            "loop", "A request that has already passed the head: refused",
            f"POST {head}/requests with EB-Via: site-x.example.org, head.example.org",
            client.post(f"{head}/requests", content=REQUEST.read_bytes(),
                        headers={**headers, "EB-Via": "site-x.example.org, head.example.org"}))
        if loop.get("status") != 508:
            raise CaptureError(f"a looping request answered {loop.get('status')}, expected 508")
    recorder.index()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "answers" / "federation")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("*.yaml"):
        old.unlink()
    with tempfile.TemporaryDirectory(prefix="eb-federation-") as folder:
        try:
            run(args.out, Path(folder))
        except (CaptureError, httpx.HTTPError) as error:
            print(f"capture_federation: {error}", file=sys.stderr)
            return 1
    print(f"capture_federation: {len(list(args.out.glob('*.yaml')))} files in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
