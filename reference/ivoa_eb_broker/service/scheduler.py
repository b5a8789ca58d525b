"""The scheduler: drives accepted sessions through their phases by calling the platform.

One asyncio task per active session walks it ACCEPTED → WAITING → PREPARING → AVAILABLE →
RUNNING → RELEASING → COMPLETED, keeping to the offered schedule: preparing starts at the
schedule's ``preparing.start`` (the platform's preparation time before the booked start), the
executable starts at the booked start. A failure at any step ends in FAILED with the
platform's message, after which the platform is asked to release what it had made.

Every phase is persisted before the next step, and each step is one the platform contract
makes idempotent, so after a restart :meth:`Scheduler.run` resumes every session from its
stored phase (a RUNNING one by polling its stored handle).

Each session is driven on the platform that offered it (its row names it; rows from before
there were several platforms belong to the first), so cancel, release and a resumed session
after a restart reach the right engine.

A supervisor loop also sweeps expired offers (expiry is enforced on read as well).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
import structlog

from ..core import Event, Phase, is_terminal
from ..platforms import Job, Platform, PlatformError, RunState
from .broker import Broker
from .fleet import Member
from .group_commit import GroupCommit
from .messages import error, info
from .rows import prepare_at
from .sessions import Step, job_of

log = structlog.get_logger("ivoa_eb_broker.scheduler")


class Scheduler:
    """Background driver of active sessions, and sweeper of expired offers."""

    def __init__(
        self,
        broker: Broker,
        platform: Platform | None = None,
        interval: float = 0.2,
        sweep_interval: float = 1.0,
    ) -> None:
        self.broker = broker
        #: The default platform; each session is driven on its own (``broker.member``).
        self.platform = platform or broker.platform
        self.interval = interval
        self.sweep_interval = sweep_interval
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._cleanups: set[asyncio.Task[None]] = set()
        self._commits = GroupCommit(broker.advance_many)
        broker.on_accept = self.wake
        broker.on_cancel = self.cancel

    # --- supervision ---------------------------------------------------------------------

    async def run(self) -> None:
        """Resume every active session, then keep picking up new ones and sweeping."""
        last_sweep = 0.0
        loop = asyncio.get_running_loop()
        while True:
            try:
                for uuid in await anyio.to_thread.run_sync(self.broker.active):
                    self.wake(uuid)
                if loop.time() - last_sweep >= self.sweep_interval:
                    last_sweep = loop.time()
                    expired = await self.broker.sweep()
                    if expired:
                        log.info("expired", offers=expired)
            except asyncio.CancelledError:
                raise
            except Exception:  # the supervisor must survive a transient database error
                log.exception("scheduler pass failed")
            await asyncio.sleep(self.interval)

    def wake(self, uuid: str) -> None:
        """Start driving a session now, unless it is already being driven."""
        task = self._tasks.get(uuid)
        if task is not None and not task.done():
            return
        self._tasks[uuid] = asyncio.get_running_loop().create_task(self._drive(uuid))

    async def stop(self) -> None:
        """Stop every driver (a restart resumes them from the database)."""
        tasks = [*self._tasks.values(), *self._cleanups]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        await self._commits.stop()

    async def cancel(self, uuid: str) -> None:
        """The client cancelled (the session is CANCELLED already): stop driving it, then
        have the platform stop the job and release what it made, in the background."""
        task = self._tasks.pop(uuid, None)
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        cleanup = asyncio.get_running_loop().create_task(self._cleanup(uuid, cancelled=True))
        self._cleanups.add(cleanup)
        cleanup.add_done_callback(self._cleanups.discard)

    # --- one session ---------------------------------------------------------------------

    async def _db(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        return await anyio.to_thread.run_sync(lambda: function(*args, **kwargs))

    async def _job(self, row: Mapping[str, Any]) -> Job:
        return await self.broker.job(row)

    def _member(self, row: Mapping[str, Any]) -> Member:
        """The platform that offered the session (accept, run, cancel, restart go there)."""
        member = self.broker.member(row)
        if member is None:
            raise PlatformError(f"the session's platform {row.get('platform')!r} is not "
                                "configured in this broker any more")
        return member

    async def _advance(self, uuid: str, event: Event, **kwargs: Any) -> Phase | None:
        phase = await self._commits.submit(Step(uuid, event, **kwargs))
        if phase is not None:
            log.info("phase", session=uuid, phase=str(phase))
        return phase

    async def _drive(self, uuid: str) -> None:
        try:
            await self._steps(uuid)
        except asyncio.CancelledError:
            raise
        except Exception as problem:
            text = str(problem) if isinstance(problem, PlatformError) else repr(problem)
            if not isinstance(problem, PlatformError):
                log.exception("platform bug", session=uuid)
            failed = await self._advance(
                uuid,
                Event.FAIL,
                message=error("The session failed: {problem}", path="/phase", problem=text),
                release=True,
            )
            if failed is not None:
                await self._cleanup(uuid, cancelled=False)
        finally:
            current = self._tasks.get(uuid)
            if current is asyncio.current_task():
                self._tasks.pop(uuid, None)

    async def _steps(self, uuid: str) -> None:
        """Walk the session from its stored phase to the end. The row is read once: each
        step's outcome is the new phase, and a step that no longer applies (a client
        cancelled meanwhile) sends it back to the database for the phase as it is."""
        found = await self._db(self.broker.snapshot, uuid)
        if found is None or is_terminal(Phase(found[0]["phase"])):
            return
        row, booking = found
        phase: Phase | None = Phase(row["phase"])
        handle = row["handle"]
        member = self._member(row)
        platform = member.platform
        if booking is None:
            raise PlatformError("the session has no booking")
        job = job_of(row, booking)
        while True:
            if phase is None:  # the step did not apply: read the phase as it is now
                row = await self._db(self.broker.row, uuid)
                phase = None if row is None else Phase(row["phase"])
                if phase is None or is_terminal(phase):
                    return
                handle = row["handle"]
            if phase is Phase.ACCEPTED:
                phase = await self._advance(uuid, Event.SCHEDULE)
            elif phase is Phase.WAITING:
                preparing, _ = platform.timings()
                await _sleep_until(prepare_at(job.document, job.start, preparing))
                phase = await self._advance(uuid, Event.PREPARE)
            elif phase is Phase.PREPARING:
                await platform.prepare(job)
                phase = await self._advance(uuid, Event.READY)
            elif phase is Phase.AVAILABLE:
                await _sleep_until(job.start)
                handle = await platform.start(job)
                phase = await self._advance(
                    uuid,
                    Event.START,
                    handle=handle,
                    message=info("Started on platform {platform} as {handle}", path="/phase",
                                 platform=member.name, handle=handle),
                )
            elif phase is Phase.RUNNING:
                phase = await self._watch(uuid, handle, job, platform)
            elif phase is Phase.RELEASING:
                await platform.release(job)
                phase = await self._advance(
                    uuid, Event.RELEASED, release=True,
                    message=info("Resources released", path="/phase"),
                )
            else:
                return

    async def _watch(self, uuid: str, handle: str | None, job: Job, platform: Platform
                     ) -> Phase | None:
        """Poll a running job until it ends; past its booked end it is stopped and fails.
        The phase after it ended well (None if that step no longer applied)."""
        if not handle:
            raise PlatformError("the session is running but has no platform handle")
        shown: list[dict[str, str]] | None = None
        end = job.start.timestamp() + job.duration_s
        while True:
            status = await platform.poll(handle)
            connectors = [c.to_document() for c in status.connectors]
            if connectors and connectors != shown:
                shown = connectors
                await self._db(
                    self.broker.note,
                    uuid,
                    info("Connectors: {locations}", path="/connectors",
                         locations=", ".join(c["location"] for c in connectors)),
                    connectors=connectors,
                )
            if status.state.finished:
                break
            if datetime.now(UTC).timestamp() > end:
                await platform.cancel(handle)
                raise PlatformError("the job ran past its booked time and was stopped")
            await asyncio.sleep(self.interval)
        if status.state is RunState.SUCCEEDED:
            template = "The job finished (exit code {code})"
            output = {"output": status.output} if status.output else {}
            if output:
                template += "; the last lines of its output:\n{output}"
            return await self._advance(
                uuid,
                Event.FINISH,
                connectors=connectors or None,
                message=info(template, path="/phase", code=str(status.exit_code), **output),
            )
        detail = status.message or f"the job ended {status.state.lower()}"
        if status.exit_code is not None and "exit code" not in detail:
            detail += f" (exit code {status.exit_code})"
        raise PlatformError(detail)

    async def _cleanup(self, uuid: str, *, cancelled: bool) -> None:
        """Stop the job (if started) and release what the platform made; errors are noted."""
        row = await self._db(self.broker.row, uuid)
        if row is None:
            return
        try:
            platform = self._member(row).platform
            if cancelled and row["handle"]:
                await platform.cancel(row["handle"])
            await platform.release(await self._job(row))
            if cancelled:
                await self._db(self.broker.note, uuid,
                               info("Platform job stopped and resources released", path="/phase"))
        except asyncio.CancelledError:
            raise
        except Exception as problem:
            log.warning("cleanup failed", session=uuid, problem=str(problem))
            await self._db(
                self.broker.note,
                uuid,
                error("Releasing the platform's resources failed: {problem}", path="/phase",
                      problem=str(problem)),
            )


async def _sleep_until(moment: datetime) -> None:
    delay = (moment - datetime.now(UTC)).total_seconds()
    if delay > 0:
        await asyncio.sleep(delay)
