"""Thin wrappers around the Slurm commands (sbatch, squeue, scontrol, scancel, sinfo).

Every call is an argument list (never a shell string) with a timeout, so that a hung
controller turns into a :class:`~.base.PlatformError` instead of a stuck broker. Parsing of
the commands' text output lives here too, next to the commands that produce it.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from .base import PlatformError, RunState, Status


@dataclass(frozen=True)
class Result:
    """What a command printed and how it ended."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def text(self) -> str:
        """Both streams, for error messages."""
        return (self.stderr.strip() + " " + self.stdout.strip()).strip()


def run_sync(args: Sequence[str], timeout: float) -> Result:
    """Run a command and wait for it (for the synchronous parts of the interface)."""
    try:
        done = subprocess.run(
            list(args), capture_output=True, text=True, timeout=timeout, check=False
        )
    except FileNotFoundError as error:
        raise PlatformError(f"{args[0]} is not installed on the broker host") from error
    except subprocess.TimeoutExpired as error:
        raise PlatformError(f"{args[0]} did not answer within {timeout:g} s") from error
    return Result(done.returncode, done.stdout, done.stderr)


async def run(args: Sequence[str], timeout: float) -> Result:
    """Run a command without blocking the event loop; kill it when it overruns."""
    try:
        process = await asyncio.create_subprocess_exec(
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except FileNotFoundError as error:
        raise PlatformError(f"{args[0]} is not installed on the broker host") from error
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except (TimeoutError, asyncio.CancelledError) as error:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        if isinstance(error, asyncio.CancelledError):
            raise
        raise PlatformError(f"{args[0]} did not answer within {timeout:g} s") from error
    assert process.returncode is not None
    return Result(process.returncode, out.decode(errors="replace"), err.decode(errors="replace"))


# --- parsing -------------------------------------------------------------------------------

_FIELD = re.compile(r"(?:^|\s)([A-Za-z][\w/:]*)=(\S*)")


def fields(line: str) -> dict[str, str]:
    """``Key=Value`` pairs of one ``scontrol show ... -o`` line; the first of each key wins.

    ``Command=`` (the last field) may hold user text such as ``JobState=X``: keeping the
    first occurrence means such text cannot override the real fields printed before it.
    """
    found: dict[str, str] = {}
    for key, value in _FIELD.findall(line):
        found.setdefault(key, value)
    return found


def exit_code(value: str) -> tuple[int, int]:
    """``ExitCode=N:M`` → (exit status N, signal M)."""
    status, _, signal = value.partition(":")
    try:
        return int(status), int(signal or 0)
    except ValueError:
        return 0, 0


_MEMORY_UNITS = {"K": 1 / 1024, "M": 1, "G": 1024, "T": 1024 * 1024}


def megabytes(value: str) -> float:
    """A Slurm memory value (``1G``, ``1024M``, ``8000``) in MiB."""
    match = re.fullmatch(r"([0-9.]+)([KMGT]?)", value.strip())
    if match is None:
        raise ValueError(f"not a Slurm memory value: {value!r}")
    return float(match.group(1)) * _MEMORY_UNITS.get(match.group(2) or "M", 1)


def minutes(value: str) -> int:
    """A Slurm time limit (``[D-]HH:MM:SS``, ``MM:SS``, ``MM``) in whole minutes."""
    days = 0
    if "-" in value:
        head, value = value.split("-", 1)
        days = int(head)
    parts = [int(p) for p in value.split(":")]
    if len(parts) == 3:
        hours, mins, secs = parts
    elif len(parts) == 2:
        hours, mins, secs = 0, parts[0], parts[1]
    else:
        hours, mins, secs = 0, parts[0], 0
    return days * 1440 + hours * 60 + mins + (1 if secs else 0)


_TEST_ONLY = re.compile(r"to start at (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)")


def estimated_start(text: str) -> datetime | None:
    """The start estimated by ``sbatch --test-only`` (Slurm's local time, made aware)."""
    match = _TEST_ONLY.search(text)
    if match is None:
        return None
    return datetime.fromisoformat(match.group(1)).astimezone()


def slurm_time(moment: datetime) -> str:
    """An instant as Slurm reads it: local wall-clock time of the controller, no zone.

    Slurm interprets ``--begin`` and reservation start times in its local time zone, which
    the deployment doc asks to be the broker host's zone too.
    """
    return moment.astimezone().strftime("%Y-%m-%dT%H:%M:%S")


# --- job states ----------------------------------------------------------------------------

#: Slurm job states (squeue / scontrol JobState) → the interface's run states.
STATES: dict[str, RunState] = {
    "PENDING": RunState.PENDING,
    "CONFIGURING": RunState.PENDING,
    "REQUEUED": RunState.PENDING,
    "REQUEUE_HOLD": RunState.PENDING,
    "REQUEUE_FED": RunState.PENDING,
    "RESV_DEL_HOLD": RunState.PENDING,
    "RESIZING": RunState.RUNNING,
    "RUNNING": RunState.RUNNING,
    "SUSPENDED": RunState.RUNNING,
    "STOPPED": RunState.RUNNING,
    "SIGNALING": RunState.RUNNING,
    "STAGE_OUT": RunState.RUNNING,
    "COMPLETING": RunState.RUNNING,
    "COMPLETED": RunState.SUCCEEDED,
    "CANCELLED": RunState.CANCELLED,
    "FAILED": RunState.FAILED,
    "TIMEOUT": RunState.FAILED,
    "DEADLINE": RunState.FAILED,
    "OUT_OF_MEMORY": RunState.FAILED,
    "NODE_FAIL": RunState.FAILED,
    "BOOT_FAIL": RunState.FAILED,
    "PREEMPTED": RunState.FAILED,
    "SPECIAL_EXIT": RunState.FAILED,
    "REVOKED": RunState.FAILED,
}
_WHY = {
    "TIMEOUT": "ran past its time limit",
    "DEADLINE": "missed its deadline",
    "OUT_OF_MEMORY": "ran out of memory",
    "NODE_FAIL": "lost its node",
    "BOOT_FAIL": "could not boot its node",
    "PREEMPTED": "was preempted",
    "SPECIAL_EXIT": "ended in a special exit state",
    "REVOKED": "was revoked",
}


def status_of(values: Mapping[str, str], jobid: str) -> Status:
    """The run state of a job from its ``scontrol show job`` fields."""
    slurm_state = values.get("JobState", "")
    state = STATES.get(slurm_state)
    reason = values.get("Reason", "None")
    if state is None:
        raise PlatformError(f"Slurm job {jobid} is in an unknown state {slurm_state!r}")
    code, signal = exit_code(values.get("ExitCode", "0:0"))
    if state is RunState.PENDING:
        return Status(state, None, f"Slurm job {jobid} pending ({reason})")
    if state is RunState.RUNNING:
        return Status(state, None, f"Slurm job {jobid} {slurm_state.lower()}")
    if state is RunState.SUCCEEDED:
        return Status(state, code, f"Slurm job {jobid} completed")
    if state is RunState.CANCELLED:
        return Status(state, None, f"Slurm job {jobid} was cancelled")
    if slurm_state == "FAILED":
        if signal:
            return Status(state, code, f"Slurm job {jobid} was killed by signal {signal}")
        return Status(state, code, f"Slurm job {jobid} failed with exit code {code}")
    return Status(state, code, f"Slurm job {jobid} {_WHY[slurm_state]}")
