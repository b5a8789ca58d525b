"""Record the reference broker's answer to every example, for the use-case gallery.

Starts the reference broker on its embedded defaults (simulated platform, a throw-away SQLite
file) on a free loopback port in this process, with its clock set to the catalogue's ``as_of``
(the examples ask for starts in 2030), and posts each request of ``examples/examples.yaml`` to
the endpoint the catalogue names, in YAML. The answer body is written unchanged to
``build/answers/<stem>.yaml``, after a comment line saying how it was obtained. Offers are
rejected after capture, so that their holds do not crowd the next example.

The broker's ``public_url`` is set to its default address, ``http://127.0.0.1:8080``, so that
the URLs in the answers are those a broker started with ``make serve`` would give, not the
port this run happened to use.

Usage: ``python scripts/docs/capture_answers.py [--out DIR]`` (run by ``make docs``).
Exit status 1 when the broker cannot be started or answers a request with 5xx.
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx
import uvicorn
import yaml
from ivoa_eb_broker.config import configure_logging, load
from ivoa_eb_broker.http import create_app
from ivoa_eb_spec import JsonDataLoader
from ivoa_eb_spec.iso8601 import parse_instant

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
PUBLIC_URL = "http://127.0.0.1:8080"
YAML = "application/yaml"


def clock_from(start: datetime) -> Callable[[], datetime]:
    """``start``, then moving on with real time."""
    began = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - began)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port, in a thread; yield its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                       access_log=False, lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the reference broker did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def local_path(url: str) -> str:
    """The path of a URL the broker gave (under its public URL), for this run's client."""
    return url.removeprefix(PUBLIC_URL) or "/"


def capture(client: httpx.Client, entry: dict[str, Any], out: Path) -> str | None:
    """Post one example and write its answer; the result (YES/NO) when the answer has one."""
    source = EXAMPLES / entry["file"]
    response = client.post(
        entry["endpoint"], content=source.read_bytes(),
        headers={"Content-Type": YAML, "Accept": YAML},
    )
    if response.status_code >= 500:
        raise RuntimeError(f"{entry['file']}: {response.status_code} {response.text[:500]}")
    comment = (
        f"# POST {entry['endpoint']} with examples/{entry['file']} -> "
        f"{response.status_code} {response.reason_phrase}\n"
        f"# answered by ivoa-eb-broker {version('ivoa-eb-broker')} on its embedded defaults\n"
    )
    (out / f"{source.stem}.yaml").write_text(comment + response.text, encoding="utf-8")
    answer = yaml.load(response.text, Loader=JsonDataLoader)  # noqa: S506 - a SafeLoader
    if not isinstance(answer, dict):
        return None
    for offer in answer.get("offers") or []:
        if offer.get("phase") == "OFFERED":
            update = "kind: uri:enum-value-update\npath: phase\nvalue: REJECTED\n"
            client.post(local_path(offer["meta"]["url"]), content=update,
                        headers={"Content-Type": YAML, "Accept": YAML})
    return answer.get("result")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "answers")
    args = parser.parse_args(argv)
    catalogue = yaml.load(  # noqa: S506 - a SafeLoader
        (EXAMPLES / "examples.yaml").read_text(encoding="utf-8"), Loader=JsonDataLoader
    )
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("*.yaml"):
        old.unlink()
    mismatches = []
    with tempfile.TemporaryDirectory(prefix="eb-answers-") as folder:
        config = load(None, database_url=f"sqlite:///{folder}/broker.sqlite",
                      public_url=PUBLIC_URL, log_level="warning")
        configure_logging(config.log_format, config.log_level)
        app = create_app(config, clock=clock_from(parse_instant(catalogue["as_of"])))
        try:
            with serve(app) as base, httpx.Client(base_url=base, timeout=60) as client:
                for entry in catalogue["examples"]:
                    result = capture(client, entry, args.out)
                    if result is not None and result != entry["expect"]:
                        mismatches.append(f"{entry['file']}: {result}, expected {entry['expect']}")
        except (RuntimeError, httpx.HTTPError) as error:
            print(f"capture_answers: {error}", file=sys.stderr)
            return 1
    count = len(list(args.out.glob("*.yaml")))
    print(f"capture_answers: {count} answers in {args.out}")
    for line in mismatches:
        print(f"capture_answers: warning: {line}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
