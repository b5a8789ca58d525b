"""The Slurm platform's pure parts, without a Slurm: state mapping, parsing, settings,
the sbatch command a booking becomes, and the reasons ``check`` gives."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from engine_gate import absent
from ivoa_eb_broker.platforms import PlatformError, RunState
from ivoa_eb_broker.platforms.slurm import (
    NOTEBOOK,
    SINGULARITY,
    STATES,
    Node,
    SlurmPlatform,
    SlurmSettings,
    status_of,
    tail_lines,
)
from ivoa_eb_broker.platforms.slurm_cli import estimated_start, fields, megabytes, minutes
from slurm_support import document, make_job, run


@pytest.mark.parametrize(
    ("slurm_state", "expected"),
    [
        ("PENDING", RunState.PENDING), ("CONFIGURING", RunState.PENDING),
        ("RUNNING", RunState.RUNNING), ("COMPLETING", RunState.RUNNING),
        ("COMPLETED", RunState.SUCCEEDED), ("FAILED", RunState.FAILED),
        ("CANCELLED", RunState.CANCELLED), ("TIMEOUT", RunState.FAILED),
        ("OUT_OF_MEMORY", RunState.FAILED), ("NODE_FAIL", RunState.FAILED),
        ("PREEMPTED", RunState.FAILED),
    ],
)
def test_slurm_states_map_to_run_states(slurm_state: str, expected: RunState) -> None:
    status = status_of({"JobState": slurm_state, "ExitCode": "0:0", "Reason": "None"}, "7")
    assert status.state is expected
    assert "7" in status.message


def test_failed_job_reports_its_exit_code_and_signal() -> None:
    failed = status_of({"JobState": "FAILED", "ExitCode": "3:0"}, "9")
    assert (failed.exit_code, failed.message) == (3, "Slurm job 9 failed with exit code 3")
    killed = status_of({"JobState": "FAILED", "ExitCode": "0:9"}, "9")
    assert "signal 9" in killed.message
    assert "time limit" in status_of({"JobState": "TIMEOUT"}, "9").message
    assert "memory" in status_of({"JobState": "OUT_OF_MEMORY"}, "9").message


def test_an_unknown_state_is_an_error_not_a_guess() -> None:
    with pytest.raises(PlatformError, match="unknown state"):
        status_of({"JobState": "SOMETHING_NEW"}, "1")
    assert "SOMETHING_NEW" not in STATES


def test_user_text_in_the_command_cannot_fake_a_state() -> None:
    line = ("JobId=5 JobName=eb-x JobState=RUNNING Reason=None ExitCode=0:0 "
            "Command=/w/job.sh 0 echo JobState=COMPLETED ExitCode=0:0")
    assert fields(line)["JobState"] == "RUNNING"


def test_parsing_of_sizes_times_and_estimates() -> None:
    assert megabytes("1G") == 1024 and megabytes("1536M") == 1536 and megabytes("8000") == 8000
    assert minutes("00:02:00") == 2 and minutes("1-00:00:00") == 1440 and minutes("5") == 5
    text = "sbatch: Job 3 to start at 2026-11-28T10:43:00 using 1 processors on nodes vm"
    start = estimated_start(text)
    assert start is not None and start.tzinfo is not None
    assert estimated_start("sbatch: error: nothing") is None


def test_settings_refuse_unknown_keys_and_bad_values(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown keys"):
        SlurmSettings.from_mapping({"partiton": "debug"})
    with pytest.raises(ValueError, match="hold"):
        SlurmSettings.from_mapping({"hold": "maybe"})
    with pytest.raises(ValueError, match="work_dir"):
        SlurmSettings.from_mapping({"work_dir": "relative/path"})
    with pytest.raises(ValueError, match="max_cores"):
        SlurmSettings.from_mapping({"max_cores": -1})
    settings = SlurmSettings.from_mapping(
        {"docker_command": "podman run --rm {mounts} {image} {command}", "storage": 5,
         "work_dir": str(tmp_path)}
    )
    assert settings.docker_command == ("podman", "run", "--rm", "{mounts}", "{image}",
                                       "{command}")
    assert SlurmPlatform.from_settings({"partition": "debug"}).settings.partition == "debug"


def test_the_sbatch_command_is_the_booking(tmp_path: Path) -> None:
    platform = SlurmPlatform(SlurmSettings(work_dir=str(tmp_path), partition="debug"))
    start = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    job = make_job(document(["echo", "a b; rm -rf /"]), start=start, duration_s=150,
                   cores=2, memory=3)
    args = platform.sbatch_args(job)
    assert args[0] == "sbatch"
    for expected in ("--cpus-per-task=2", "--mem=3072M", "--time=3", "--nodes=1",
                     "--no-requeue", "--partition=debug", f"--job-name=eb-{job.uuid}",
                     "--hold"):
        assert expected in args
    begin = [a for a in args if a.startswith("--begin=")][0]
    assert datetime.fromisoformat(begin.split("=", 1)[1]).astimezone(UTC) == start
    # User text is one argument each, after the fixed wrapper script and the stop command.
    script = args.index(str(tmp_path / job.uuid / "job.sh"))
    stop_count = int(args[script + 1])
    command = args[script + 2 + stop_count:]
    assert command[:2] == ["podman", "run"]
    assert command[-2:] == ["echo", "a b; rm -rf /"]
    assert f"{tmp_path / job.uuid / 'storage' / 'results'}:/results:rw" in command


def test_singularity_runs_with_apptainer(tmp_path: Path) -> None:
    platform = SlurmPlatform(SlurmSettings(work_dir=str(tmp_path)))
    doc = {"executable": {"kind": SINGULARITY, "location": "/images/tool.sif"}}
    _, command = platform.runtime(make_job(doc))
    assert command == ["apptainer", "run", "--containall", "/images/tool.sif"]


def test_handles_and_uuids_are_checked(tmp_path: Path) -> None:
    platform = SlurmPlatform(SlurmSettings(work_dir=str(tmp_path)))
    for handle in ("sim:1:abc", "slurm:x:abc", "slurm:1:../../etc"):
        with pytest.raises(PlatformError):
            run(platform.poll(handle))
    with pytest.raises(PlatformError):
        platform.session_dir("../x")


@pytest.fixture
def offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SlurmPlatform:
    """A platform whose node list is fixed (two 2-core, 7.8 GiB nodes)."""
    platform = SlurmPlatform(SlurmSettings(work_dir=str(tmp_path),
                                           singularity_command=("no-such-apptainer-eb",)))
    nodes = (Node("a", 2, 8000), Node("b", 2, 8000))
    monkeypatch.setattr(platform, "nodes", lambda: nodes)
    return platform


def reasons_of(platform: SlurmPlatform, request: dict) -> dict[str, str]:
    return {r.path: r.message for r in run(platform.check(request))}


def test_check_accepts_a_plain_container(offline: SlurmPlatform) -> None:
    if reasons_of(offline, document(["true"])).get("/executable/kind"):
        absent("podman is not installed on this machine; run scripts/engines/podman.sh")
    assert reasons_of(offline, document(["true"])) == {}


def test_check_gives_reasons(offline: SlurmPlatform) -> None:
    notebook = reasons_of(offline, {"executable": {"kind": NOTEBOOK, "location": "x"}})
    assert "not supported" in notebook["/executable/kind"]
    singularity = reasons_of(offline, {"executable": {"kind": SINGULARITY, "location": "x"}})
    assert "no-such-apptainer-eb" in singularity["/executable/kind"]
    request = document(["true"])
    request["executable"]["privileged"] = True
    request["executable"]["network"] = {"ports": [{"access": True, "internal": {"port": 80}}]}
    request["data"] = [{"kind": "k", "location": "https://example.org/x"}]
    request["compute"]["cores"] = {"min": 3, "max": 3}
    request["compute"]["memory"] = {"min": 8, "max": 8}
    reasons = reasons_of(offline, request)
    assert "privileged" in reasons["/executable/privileged"]
    assert "ports" in reasons["/executable/network/ports"]
    assert "stage" in reasons["/data/0"]
    assert "2 cores" in reasons["/compute/cores/min"]
    assert "7 GiB" in reasons["/compute/memory/min"]


def test_capacity_sums_the_nodes_and_is_bounded(offline: SlurmPlatform) -> None:
    capacity = offline.capacity()
    assert (capacity.cores, capacity.memory, capacity.storage) == (4, 14, 100)


def test_the_tail_of_a_job_output_is_its_last_lines_read_from_the_end(tmp_path: Path) -> None:
    out = tmp_path / "slurm-7.out"
    out.write_text("".join(f"line {n}\n" for n in range(1, 10001)))
    assert tail_lines(out, 3) == "line 9998\nline 9999\nline 10000"
    # Only the last bytes are read: a huge output costs no more than a small one.
    assert tail_lines(out, 100000, limit=30).splitlines()[-1] == "line 10000"
    assert len(tail_lines(out, 100000, limit=30)) <= 30
    assert tail_lines(tmp_path / "missing.out", 3) == ""
