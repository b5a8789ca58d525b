"""End to end through a real broker service: ``ivoa-eb-broker serve`` configured with the
Slurm platform (as an operator would, in a TOML file; containers run by podman inside the
Slurm jobs), driven over HTTP only.

Accepting an offer holds its slot in Slurm at once: the job is queued, held, with the offer's
start, cores, memory and duration. A session runs as a real job whose container writes its
result into a results directory that the test reads back; a cancel mid-run leaves nothing in
``squeue`` and no container; a failing command fails with its exit code; a data resource
served over HTTP on loopback is staged and read; notebooks get NO, and Singularity images NO
unless Apptainer is installed."""

from __future__ import annotations

import math
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from broker_service import (
    ENDED,
    NOTEBOOK,
    SINGULARITY,
    BrokerService,
    broker_service,
    data_server,
    messages,
    wait_until,
)
from engine_gate import absent
from ivoa_eb_broker.platforms.slurm_cli import fields, megabytes, minutes, slurm_time
from ivoa_eb_spec.iso8601 import parse_duration, parse_instant
from slurm_support import COMPUTE, STORAGE, VOLUME, podman_problem

pytestmark = pytest.mark.engine
DOCKER = "https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds/executable/" \
         "docker-container.yaml"
DATA = "https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds/data/" \
       "simple-data-resource.yaml"
#: Square root of 2 with busybox's bc (its awk has no maths).
SQRT2 = "echo 'scale=9; sqrt(2)' | busybox bc"


@pytest.fixture(scope="module")
def service(slurm: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerService]:
    """One broker service with the Slurm platform for the module."""
    problem = podman_problem()
    if problem:
        absent(problem)
    folder = tmp_path_factory.mktemp("slurm-service")
    work = folder / "work"
    work.mkdir()
    settings = {"work_dir": str(work), "keep_storage": True, "allow_private_data": True,
                "preparing": 1.0, "releasing": 0.5, "capacity_cache": 0}
    with broker_service(folder, [{"name": "slurm", "settings": settings}]) as running:
        running.work = work  # type: ignore[attr-defined]
        yield running
    for session in work.iterdir():
        subprocess.run(["scancel", f"--name=eb-{session.name}"], capture_output=True,
                       timeout=30, check=False)
        subprocess.run(["podman", "rm", "--force", f"eb-{session.name}"], capture_output=True,
                       timeout=60, check=False)


def request(command: list[str], *, duration: str = "PT3M", start: str | None = None,
            data: dict[str, str] | None = None) -> dict[str, Any]:
    """A busybox container with a results directory at /results (and data at /data)."""
    volumes = [{"kind": VOLUME, "path": "/results", "mode": "READWRITE", "resource": "results"}]
    made: dict[str, Any] = {
        "executable": {"kind": DOCKER, "image": {"locations": ["localhost/busybox:test"]},
                       "command": command},
        "compute": {"kind": COMPUTE, "cores": {"min": 1, "max": 1},
                    "memory": {"min": 1, "max": 1}, "volumes": volumes},
        "storage": [{"kind": STORAGE, "meta": {"name": "results"},
                     "size": {"min": 1, "max": 1}}],
        "schedule": {"requested": {"duration": duration}},
    }
    if start is not None:
        made["schedule"]["requested"]["start"] = start
    for name, url in (data or {}).items():
        made.setdefault("data", []).append({"kind": DATA, "meta": {"name": name},
                                            "location": url})
        volumes.append({"kind": VOLUME, "path": f"/{name}", "mode": "READONLY",
                        "resource": name})
    return made


def squeue(uuid: str, field: str = "%T") -> str:
    done = subprocess.run(["squeue", "--noheader", f"--name=eb-{uuid}", f"--format={field}"],
                          capture_output=True, text=True, timeout=30, check=False)
    return done.stdout.strip()


def containers(uuid: str) -> list[str]:
    done = subprocess.run(["podman", "ps", "--all", "--noheading", f"--filter=name=eb-{uuid}",
                           "--format={{.Names}}"], capture_output=True, text=True, timeout=30,
                          check=True)
    return done.stdout.split()


def results(service: BrokerService, uuid: str) -> Path:
    return service.work / uuid / "storage" / "results"  # type: ignore[attr-defined]


def test_accepting_an_offer_holds_its_slot_in_slurm(service: BrokerService) -> None:
    start = (datetime.now(UTC) + timedelta(minutes=30)).replace(microsecond=0)
    made = request(["true"], start=start.strftime("%Y-%m-%dT%H:%M:%SZ"), duration="PT7M")
    answer = service.offers(made)
    assert answer["result"] == "YES", messages(answer)
    offer = answer["offers"][0]
    uuid = offer["meta"]["uuid"]
    assert squeue(uuid) == ""  # an offer holds nothing in Slurm; its acceptance does
    service.update(uuid, "ACCEPTED")
    # As soon as the accept is answered, the job is queued: pending until its start.
    assert squeue(uuid) == "PENDING"
    jobid = squeue(uuid, "%i")
    seen = fields(subprocess.run(["scontrol", "show", "job", "--oneliner", jobid],
                                 capture_output=True, text=True, timeout=30,
                                 check=True).stdout)
    offered_start = parse_instant(offer["schedule"]["available"]["start"])
    offered_duration = parse_duration(offer["schedule"]["available"]["duration"])
    assert offered_start == start
    # What Slurm was asked for is what was offered: begin time, cores, memory, time limit.
    assert seen["EligibleTime"] == slurm_time(offered_start)
    assert int(seen["NumCPUs"]) == offer["compute"]["cores"]["min"] == 1
    assert megabytes(seen["MinMemoryNode"]) == offer["compute"]["memory"]["min"] * 1024
    assert minutes(seen["TimeLimit"]) == math.ceil(offered_duration.total_seconds() / 60) == 7
    assert seen["JobState"] == "PENDING" and seen["Reason"] == "JobHeldUser"
    assert seen["JobName"] == f"eb-{uuid}"
    # Cancelling the accepted session withdraws the job.
    assert service.update(uuid, "CANCELLED")["phase"] == "CANCELLED"
    assert wait_until(lambda: squeue(uuid) == "", 20)


def test_a_job_runs_and_its_result_is_read_back(service: BrokerService) -> None:
    uuid, _ = service.accept_first(request(["sh", "-c", f"{SQRT2} > /results/out.txt"]))
    done = service.wait(uuid, ENDED, timeout=90)
    assert done["phase"] == "COMPLETED", messages(done)
    assert any("Started on platform slurm as slurm:" in t for t in messages(done))
    assert float((results(service, uuid) / "out.txt").read_text()) == pytest.approx(2 ** 0.5)
    assert squeue(uuid) == ""
    assert containers(uuid) == []


def test_a_cancel_mid_run_leaves_nothing_running(service: BrokerService) -> None:
    uuid, _ = service.accept_first(request(["sleep", "300"]))
    service.wait(uuid, {"RUNNING"}, timeout=60)
    assert wait_until(lambda: squeue(uuid) == "RUNNING", 30)
    assert wait_until(lambda: containers(uuid) == [f"eb-{uuid}"], 30)
    assert service.update(uuid, "CANCELLED")["phase"] == "CANCELLED"
    assert wait_until(lambda: squeue(uuid) == "" and containers(uuid) == [], 40)
    assert service.session(uuid)["phase"] == "CANCELLED"


def test_a_failing_command_fails_with_its_exit_code(service: BrokerService) -> None:
    uuid, _ = service.accept_first(request(["sh", "-c", "echo no input >&2; exit 5"]))
    done = service.wait(uuid, ENDED, timeout=90)
    assert done["phase"] == "FAILED"
    assert any("exit code 5" in t and t.endswith("no input") for t in messages(done)), \
        messages(done)
    assert wait_until(lambda: squeue(uuid) == "", 20)


def test_what_the_job_prints_is_quoted_when_it_finishes(service: BrokerService) -> None:
    uuid, _ = service.accept_first(request(["sh", "-c", SQRT2]))
    done = service.wait(uuid, ENDED, timeout=90)
    assert done["phase"] == "COMPLETED", messages(done)
    finished = [t for t in messages(done) if t.startswith("The job finished (exit code 0)")]
    assert finished and finished[0].splitlines()[-1] == "1.414213562", messages(done)


def test_data_served_on_loopback_is_staged_and_read(service: BrokerService,
                                                    tmp_path: Path) -> None:
    www = tmp_path / "www"
    www.mkdir()
    (www / "catalogue.csv").write_text("ra,dec\n83.633,22.014\n10.684,41.269\n")
    with data_server(www) as base:
        made = request(["sh", "-c", "wc -l < /catalogue/catalogue.csv > /results/lines"],
                       data={"catalogue": f"{base}/catalogue.csv"})
        uuid, _ = service.accept_first(made)
        done = service.wait(uuid, ENDED, timeout=90)
    assert done["phase"] == "COMPLETED", messages(done)
    assert int((results(service, uuid) / "lines").read_text()) == 3


def test_a_notebook_gets_no(service: BrokerService) -> None:
    made = request(["true"])
    made["executable"] = {"kind": NOTEBOOK, "location": "https://example.org/a.ipynb"}
    answer = service.offers(made)
    assert answer["result"] == "NO"
    found = {m["values"]["path"]: m["message"] for m in answer["meta"]["messages"]}
    assert "notebook" in found["/executable/kind"].lower(), found


def test_a_singularity_image_needs_apptainer(service: BrokerService) -> None:
    made = request(["true"])
    made["executable"] = {"kind": SINGULARITY, "location": "https://example.org/tool.sif"}
    answer = service.offers(made)
    if shutil.which("apptainer"):
        assert answer["result"] == "YES", messages(answer)
        return
    assert answer["result"] == "NO"
    found = {m["values"]["path"]: m["message"] for m in answer["meta"]["messages"]}
    assert "apptainer, which is not installed" in found["/executable/kind"], found
