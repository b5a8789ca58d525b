"""The issue's federation of three real sites: site brokers on the simulated platform, on
podman's Docker API and on Slurm, and a head fronting them, each a process on loopback HTTP.
A request to the head gets an offer from every site; the Slurm site's offer, accepted at the
head, runs to COMPLETED as a Slurm job (its container's output in the session's messages),
and the other sites' offers end REJECTED at their sites."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from broker_service import broker_service
from engine_gate import absent
from slurm_support import podman_problem

TESTS = Path(__file__).resolve().parents[2]
for folder in ("client", "federation", "platforms/docker"):
    sys.path.insert(0, str(TESTS / folder))

from docker_support import docker_broker, engine_problem  # noqa: E402
from eb_processes import QUICK_SIMULATED, BrokerProcess  # noqa: E402
from federation_support import head_config  # noqa: E402
from ivoa_eb_client import Client  # noqa: E402

SQRT = TESTS.parent / "examples" / "01-sqrt-docker.yaml"


def test_an_offer_of_the_slurm_site_runs_on_slurm_through_the_head(slurm: None,
                                                                    tmp_path: Path) -> None:
    problem = podman_problem() or engine_problem()
    if problem:
        absent(problem)
    for name in ("docker", "slurm"):
        (tmp_path / name).mkdir()
    work = tmp_path / "slurm" / "work"
    work.mkdir()
    slurm_settings = {"work_dir": str(work), "keep_storage": True, "preparing": 0.5,
                      "releasing": 0.5, "capacity_cache": 0}
    with docker_broker(tmp_path / "docker") as docker_site, \
            broker_service(tmp_path / "slurm", [{"name": "slurm",
                                                  "settings": slurm_settings}]) as slurm_site:
        simulated = BrokerProcess(tmp_path / "simulated", QUICK_SIMULATED).start()
        children = [("simulated", simulated.url), ("docker", docker_site.url),
                    ("slurm", slurm_site.url)]
        head = BrokerProcess(tmp_path / "head", head_config(
            "head-s", children, extra="[offers]\ncount = 9\n")).start()
        try:
            with Client(head.url) as client:
                offers = client.request(SQRT)
                sites: dict[str, list[tuple[object, str]]] = {}
                for offer in offers.offers:
                    for message in offer.messages:
                        if "target" in message.values:
                            sites.setdefault(message.values["site"], []).append(
                                (offer, message.values["target"]))
                assert set(sites) == {"simulated", "docker", "slurm"}
                offer, target = sites["slurm"][0]
                session = offer.accept().wait(timeout=120, poll=0.5)
                assert session.phase == "COMPLETED", [m.message for m in session.messages]
                assert any("1.414213" in (m.message or "") for m in session.messages)
                # It ran as a batch job of the Slurm site: its session there has a folder in
                # the Slurm platform's work directory, with the job's output file.
                there = work / target.rstrip("/").rsplit("/", 1)[-1]
                assert list(there.glob("slurm-*.out")), sorted(p.name for p in work.iterdir())
                others = [t for name, found in sites.items() for o, t in found if o is not offer]
                assert others and {client.session(t).phase for t in others} == {"REJECTED"}
        finally:
            head.stop()
            simulated.stop()
            for session in work.iterdir():
                subprocess.run(["scancel", f"--name=eb-{session.name}"], capture_output=True,
                               timeout=30, check=False)
