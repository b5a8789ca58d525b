"""Group commit: phase changes that are ready at the same time share one transaction.

Every phase change must be durable before the scheduler takes the next step, and on SQLite a
durable commit waits for the disk (milliseconds) behind a single writer. When many sessions
move at once (a burst of accepts, a batch of jobs ending), committing each alone makes them
queue for the disk one by one. :class:`GroupCommit` collects the steps submitted while the
previous batch is being written and writes them together: each caller still waits until its
own step is committed, and gets what :meth:`Sessions.advance` would have returned.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import anyio.to_thread

from ..core import Phase
from .sessions import Step

#: Applies steps in one transaction: per step its new phase, None, or the exception raised.
Apply = Callable[[Sequence[Step]], list[Phase | None | Exception]]


class GroupCommit:
    """Batches :class:`Step` s submitted from the event loop; one writer task at a time."""

    def __init__(self, apply: Apply, most: int = 16) -> None:
        self._apply = apply
        self._most = most
        self._pending: list[tuple[Step, asyncio.Future[Phase | None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, step: Step) -> Phase | None:
        """Apply ``step`` with whatever else is ready; its new phase once committed."""
        future: asyncio.Future[Phase | None] = asyncio.get_running_loop().create_future()
        self._pending.append((step, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write())
        return await future

    async def stop(self) -> None:
        """Cancel the writer (the steps it had taken may or may not be committed)."""
        if self._writer is not None:
            self._writer.cancel()
            try:
                await self._writer
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - stopping
                pass
        for _step, future in self._pending:
            future.cancel()
        self._pending.clear()

    async def _write(self) -> None:
        await asyncio.sleep(0)  # let every step made ready by the same wake-up join
        while self._pending:
            batch, self._pending = self._pending[: self._most], self._pending[self._most:]
            try:
                outcomes = await anyio.to_thread.run_sync(
                    self._apply, [step for step, _ in batch])
            except asyncio.CancelledError:
                for _step, future in batch:
                    future.cancel()
                raise
            except Exception as problem:  # noqa: BLE001 - each caller gets it
                for _step, future in batch:
                    if not future.done():
                        future.set_exception(problem)
                continue
            for (_step, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():
                    continue  # its caller was cancelled; the step is committed all the same
                if isinstance(outcome, Exception):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)
