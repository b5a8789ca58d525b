"""Run the conformance suite against the reference broker and keep its JSON report.

Starts ``ivoa-eb-broker serve`` as a child process on its embedded defaults (simulated
platform) except for a short offer lifetime (``OFFER_LIFETIME``, so that the suite can watch
offers expire within its time budget), on a free loopback port and with a throw-away SQLite
file, waits for ``/health``,
runs ``ivoa-eb-conformance run --url ... --json build/conformance.json`` against it (its
table goes to ``build/conformance.txt``) and stops it. The requirements page of the site reads
the report (``docs/hooks/render_requirements.py``).

Usage: ``python scripts/docs/run_conformance.py [--out FILE] [-- extra suite options]``
(run by ``make docs``). A broker that fails requirements still gets its report written and
shown: the exit status is 0 then, with a warning. It is 1 when the broker does not start or
the suite writes no report.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
#: Seconds an offer stays OFFERED here: the default 300 s is beyond the suite's default budget,
#: which would leave the expiry requirements (LIFE-08, LIFE-09) skipped on the site.
OFFER_LIFETIME = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def command(name: str) -> str:
    """The console script ``name`` of this interpreter's environment (else from PATH)."""
    local = BIN / name
    return str(local) if local.exists() else (shutil.which(name) or name)


def wait_healthy(process: subprocess.Popen[bytes], url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the reference broker exited with status {process.returncode}")
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the reference broker did not answer {url}/health in {timeout:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "conformance.json")
    parser.add_argument("suite_args", nargs="*", help="extra options for the suite, after --")
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.unlink(missing_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="eb-conformance-") as folder:
        log_path = Path(folder) / "broker.log"
        with open(log_path, "wb") as log:
            broker = subprocess.Popen(
                [command("ivoa-eb-broker"), "serve", "--port", str(port),
                 "--database", f"sqlite:///{folder}/broker.sqlite", "--log-level", "warning",
                 "--offer-lifetime", str(OFFER_LIFETIME)],
                stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ),
            )
            try:
                wait_healthy(broker, url)
                suite = [command("ivoa-eb-conformance"), "run", "--url", url + "/",
                         "--json", str(args.out), "--quiet", *args.suite_args]
                print("run_conformance: " + " ".join(suite[1:]), flush=True)
                summary = args.out.with_suffix(".txt")
                with open(summary, "w", encoding="utf-8") as text:
                    status = subprocess.run(suite, stdout=text, check=False).returncode
                tail = summary.read_text(encoding="utf-8").strip().splitlines()[-2:]
                print("\n".join(tail) + f"\n(the suite's table: {summary})")
            except RuntimeError as error:
                print(f"run_conformance: {error}", file=sys.stderr)
                print(log_path.read_text(errors="replace")[-3000:], file=sys.stderr)
                return 1
            finally:
                broker.terminate()
                try:
                    broker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    broker.kill()
                    broker.wait()
    if not args.out.is_file():
        print(f"run_conformance: the suite wrote no report (exit {status})", file=sys.stderr)
        return 1
    if status != 0:
        print(f"run_conformance: warning: the suite exited with {status}: the reference broker "
              "fails requirements; the site shows which", file=sys.stderr)
    print(f"run_conformance: report in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
