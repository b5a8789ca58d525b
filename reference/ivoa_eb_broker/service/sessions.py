"""Sessions after the offer: reading, expiry, client updates, and the scheduler's steps.

Session rows carry a version; every write is a compare-and-set on it, so a client update
and the scheduler can never overwrite each other's phase change (no lost update). Every
phase change is decided by :mod:`~ivoa_eb_broker.core.lifecycle`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import Connection

from ..core import (
    ACTIVE_PHASES,
    Event,
    Phase,
    UpdateNotAllowed,
    client_update,
    expiry_due,
    is_terminal,
    transition,
)
from ..platforms import Job, PlatformError
from ..store import repository as repo
from ..store import transaction
from . import documents
from .context import Bumped, Part, PlatformChange
from .errors import conflict, forbidden, too_many, unprocessable
from .messages import error, info
from .ownership import Identity, permitted, visible
from .rows import available, iso, refused, session_document, stored, unknown

log = structlog.get_logger("ivoa_eb_broker.service")
#: A read of one thing (uuid, base, caller, now): None when it found something due to expire.
Reader = Callable[[str, str, Identity | None, datetime | None], dict[str, Any] | None]
PHASE_PATHS = ("phase", "/phase", "state", "/state")
ENUM_UPDATE = "uri:enum-value-update"


@dataclass(frozen=True)
class Step:
    """One broker event for one session: what the scheduler asks of :meth:`Sessions.advance`
    (a message to add, the platform's handle, connectors, whether to release the booking)."""

    uuid: str
    event: Event
    message: dict[str, Any] | None = None
    handle: str | None = None
    connectors: list[dict[str, Any]] | None = None
    release: bool = False


class Sessions(Part):
    """GET /offersets, GET and POST /sessions, expiry, and the scheduler's phase changes."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        #: Called with a session uuid after it is accepted, so the scheduler starts at once.
        self.on_accept: Callable[[str], None] = lambda _uuid: None
        #: Called with a session uuid after a client cancelled it (the phase is CANCELLED).
        self.on_cancel: Callable[[str], Any] = lambda _uuid: None

    async def offerset(self, uuid: str, base: str, caller: Identity | None = None
                       ) -> dict[str, Any]:
        """The offer set as it is now, its offers with their current phases (offers past
        their ``expires`` are EXPIRED first); as if unknown to a caller who may not see it."""
        return await self.in_thread(self._current, self._read_offerset, uuid, base, caller)

    async def session(self, uuid: str, base: str, caller: Identity | None = None
                      ) -> dict[str, Any]:
        """The session as it is now (an offer past its ``expires`` is EXPIRED first); as if
        unknown to a caller who may not see it."""
        return await self.in_thread(self._current, self._read_session, uuid, base, caller)

    def _current(self, reader: Reader, uuid: str, base: str, caller: Identity | None
                 ) -> dict[str, Any]:
        """Read in one transaction; only when something read is due to expire, expire it
        (its own write transaction) and read again. One worker-thread call either way."""
        found = reader(uuid, base, caller, self.clock())
        if found is None:
            found = reader(uuid, base, caller, None)
        assert found is not None  # a read without ``now`` expires nothing
        return found

    def _read_offerset(self, uuid: str, base: str, caller: Identity | None,
                       now: datetime | None) -> dict[str, Any] | None:
        """The offer set; None (after expiring them) if any of its offers was due."""
        with transaction(self.engine) as connection:
            row = repo.get_offerset(connection, uuid)
            if row is None or not visible(row["owner"], caller):
                raise unknown("offer set", uuid)
            sessions = repo.sessions_of(connection, uuid)
            due = now is not None and any(_due(s, now) for s in sessions)
            if not due:
                messages = repo.messages_of(connection, [uuid, *(s["uuid"] for s in sessions)])
        if due:
            self._expire(None, uuid)
            return None
        offers = [session_document(s, base, messages[s["uuid"]], caller) for s in sessions]
        return documents.offerset(
            row["document"], url=f"{base}/offersets/{uuid}", offers=offers, messages=messages[uuid]
        )

    def _read_session(self, uuid: str, base: str, caller: Identity | None,
                      now: datetime | None) -> dict[str, Any] | None:
        """The session; None (after expiring it) if it was due."""
        with transaction(self.engine) as connection:
            row = repo.get_session(connection, uuid)
            if row is None or not visible(row["owner"], caller):
                raise unknown("session", uuid)
            due = now is not None and _due(row, now)
            if not due:
                messages = repo.messages_of(connection, [uuid])[uuid]
        if due:
            self._expire(uuid, None)
            return None
        return session_document(row, base, messages, caller)

    def _due(self, connection: Connection, session: str | None, offerset: str | None,
             now: datetime) -> list[Mapping[str, Any]]:
        if session is not None:
            rows = [r for r in [repo.get_session(connection, session)] if r is not None]
        elif offerset is not None:
            rows = list(repo.sessions_of(connection, offerset))
        else:
            found = [repo.get_session(connection, u) for u in repo.stale_offers(connection, now)]
            rows = [r for r in found if r is not None]
        return [r for r in rows if _due(r, now)]

    def _expire(self, session: str | None, offerset: str | None) -> int:
        now = self.clock()
        count = 0
        # Look first without the write lock: almost every read finds nothing to expire.
        with transaction(self.engine) as connection:
            if not self._due(connection, session, offerset, now):
                return 0
        changes: list[PlatformChange] = []
        bumped: Bumped = []
        with transaction(self.engine, exclusive=True) as connection:
            for row in self._due(connection, session, offerset, now):
                phase = transition(Phase(row["phase"]), Event.EXPIRE)
                if repo.update_session(
                    connection, row["uuid"], row["version"], phase=str(phase), modified=now
                ):
                    repo.set_bookings(
                        connection, "EXPIRED", session=row["uuid"], from_states=("HELD",)
                    )
                    changes.append((self.platform_name(row), ("release", row["uuid"])))
                    repo.add_message(
                        connection,
                        row["uuid"],
                        stored(info("The offer expired at {expires} without being accepted",
                                     path="/expires", expires=iso(row["expires"]))),
                    )
                    count += 1
            if changes:
                bumped = self._bump(connection, changes)
        self._follow(bumped)
        return count

    async def sweep(self) -> int:
        """Mark every offer past its ``expires`` EXPIRED and release its hold."""
        return await self.in_thread(self._expire, None, None)

    async def update(
        self, uuid: str, update: Mapping[str, Any], warnings: Sequence[dict[str, Any]] = (),
        caller: Identity | None = None, base: str | None = None,
    ) -> dict[str, Any] | None:
        """Apply a client update (already schema-valid and unwrapped) to a session; the
        ``warnings`` of reading it (aliases, a wrapped update) are kept with the session.
        ``caller`` must own the session (or be an operator cancelling it). With ``base``,
        the session as the update's transaction left it (None if the platform's hold
        failed after it, which changed the phase again: read it anew)."""
        path = update.get("path")
        if path not in PHASE_PATHS:
            raise unprocessable(
                [
                    error(
                        "The path {target} is not among this session's options: only the "
                        "phase can be changed",
                        path="/path",
                        target=str(path),
                    )
                ]
            )
        if update.get("kind") not in (ENUM_UPDATE, "uri:string-value-update"):
            raise unprocessable(
                [
                    error(
                        "An update of kind {kind} does not match the option on the phase, "
                        "which takes {expected}",
                        path="/kind",
                        kind=str(update.get("kind")),
                        expected=ENUM_UPDATE,
                    )
                ]
            )
        requested = str(update.get("value"))
        async with self._ledger_lock:
            target, accepted, answer = await self.in_thread(
                self._apply, uuid, requested, list(warnings), caller, base)
        if accepted is not None:
            if not await self._hold(*accepted):
                answer = None
            self.on_accept(uuid)
        elif target is Phase.CANCELLED:
            result = self.on_cancel(uuid)
            if asyncio.iscoroutine(result):
                await result
        return answer

    async def _hold(self, row: Mapping[str, Any], booking: Mapping[str, Any]) -> bool:
        """The accept-time hook: the session's platform holds the accepted slot now (a
        batch system queues the job for the booked start). If it cannot, the session fails
        at once, with the platform's reason, and what was held is released. ``row`` and
        ``booking`` are as the accepting transaction read them. False if the hold failed."""
        uuid = row["uuid"]
        member = self.member(row)
        if member is None:
            return True  # the scheduler reports a platform that is no longer configured
        try:
            job = job_of(row, booking)
            await member.platform.hold(job)
            return True
        except asyncio.CancelledError:
            raise
        except Exception as problem:
            text = str(problem) if isinstance(problem, PlatformError) else repr(problem)
            if not isinstance(problem, PlatformError):
                log.exception("platform bug in hold", session=uuid)
            failed = await self.in_thread(lambda: self.advance(
                uuid, Event.FAIL, release=True,
                message=error("Platform {platform} could not hold the accepted slot: "
                              "{problem}", path="/phase", platform=member.name,
                              problem=text)))
            if failed is not None:
                with contextlib.suppress(Exception):
                    await member.platform.release(job)
            return False

    async def job(self, row: Mapping[str, Any]) -> Job:
        """The platform's view of a session: its document and its booking (whose span also
        holds preparing and releasing: the job's own time is the schedule's available)."""
        booking = await self.in_thread(self.booking, row["uuid"])
        if booking is None:
            raise PlatformError("the session has no booking")
        return job_of(row, booking)

    def _apply(self, uuid: str, requested: str, warnings: list[dict[str, Any]],
               caller: Identity | None = None, base: str | None = None
               ) -> tuple[Phase, tuple[Mapping[str, Any], Mapping[str, Any]] | None,
                          dict[str, Any] | None]:
        """Apply a client's phase change in one write transaction; the new phase, for an
        accept the session's row and booking (what the platform's hold needs), and with
        ``base`` the session as this transaction leaves it (the answer, not re-read)."""
        due = False
        for _attempt in range(5):
            if due:
                # Expired in its own transaction: an offer past its expires is EXPIRED (and
                # stays so) even though the update that found it is refused.
                self._expire(uuid, None)
            now = self.clock()
            changes: list[PlatformChange] = []
            accepted = None
            with transaction(self.engine, exclusive=True) as connection:
                row = repo.get_session(connection, uuid)
                if row is None or not visible(row["owner"], caller):
                    raise unknown("session", uuid)
                current = Phase(row["phase"])
                if expiry_due(current, row["expires"], now):
                    due = True
                    continue
                if not permitted(row["owner"], caller, [requested]):
                    raise forbidden([error(
                        "Only the owner of this session may set its phase to {value}",
                        path="/value", value=requested[:40])])
                try:
                    target = client_update(current, requested)
                except UpdateNotAllowed as refusal:
                    raise refused(refusal, row) from None
                if target is Phase.ACCEPTED:
                    self._check_active_limit(connection, row["owner"])
                if not repo.update_session(
                    connection, uuid, row["version"], phase=str(target), modified=now
                ):
                    continue  # written meanwhile (the scheduler): read again, decide again
                note = {
                    Phase.ACCEPTED: "The offer was accepted",
                    Phase.REJECTED: "The offer was rejected",
                    Phase.CANCELLED: "The session was cancelled by the client",
                }[target]
                notes = [(uuid, stored(w)) for w in warnings]
                notes.append((uuid, stored(info(note, path="/phase"))))
                if target is Phase.ACCEPTED:
                    changes, booking = self._accept(connection, row, now, notes)
                    accepted = (row, booking)
                else:
                    state = "REJECTED" if target is Phase.REJECTED else "RELEASED"
                    repo.set_bookings(connection, state, session=uuid)
                    changes = [(self.platform_name(row), ("release", uuid))]
                repo.add_messages(connection, notes)
                bumped = self._bump(connection, changes)
                answer = None
                if base is not None:
                    written = repo.get_session(connection, uuid)
                    assert written is not None  # written above, in this transaction
                    answer = session_document(
                        written, base, repo.messages_of(connection, [uuid])[uuid], caller)
            self._follow(bumped)
            return target, accepted, answer
        raise conflict([error("The session changed while the update was applied: retry",
                              path="")])

    def _check_active_limit(self, connection: Connection, owner: str | None) -> None:
        """429 when ``owner`` already has the most active sessions the deployment allows."""
        limit = self.settings.max_active_sessions
        if owner is None or not limit:
            return
        active = repo.count_owned(connection, owner, [str(p) for p in ACTIVE_PHASES])
        if active >= limit:
            raise too_many([error(
                "{owner} has {active} active sessions, the most this broker allows one "
                "identity; accept again when one has ended", path="/value", owner=owner,
                active=active)])

    def _accept(
        self, connection: Connection, row: Mapping[str, Any], now: datetime,
        notes: list[tuple[str, dict[str, Any]]],
    ) -> tuple[list[PlatformChange], Mapping[str, Any]]:
        """Commit the offer's booking, reject its siblings (on whichever platform they are)
        and add to ``notes`` why; the changes to the bookings, and the booking."""
        booking = repo.booking_of(connection, row["uuid"])
        if booking is None or booking["state"] != "HELD":
            raise conflict([error("The offer no longer holds its resources", path="/phase")])
        repo.set_bookings(
            connection, "COMMITTED", session=row["uuid"], from_states=("HELD",), expires=None
        )
        changes: list[PlatformChange] = [(self.platform_name(row), ("commit", row["uuid"]))]
        phase = transition(Phase.OFFERED, Event.SIBLING_ACCEPTED)
        for sibling in repo.reject_siblings(connection, row["offerset"], row["uuid"],
                                            str(phase), now):
            changes.append((self.platform_name(sibling), ("release", sibling["uuid"])))
            notes.append((sibling["uuid"], stored(info(
                "Rejected because its sibling offer {sibling} was accepted", path="/phase",
                sibling=row["uuid"]))))
        return changes, booking

    def advance(
        self,
        uuid: str,
        event: Event,
        *,
        message: dict[str, Any] | None = None,
        handle: str | None = None,
        connectors: list[dict[str, Any]] | None = None,
        release: bool = False,
    ) -> Phase | None:
        """Apply a broker event to a session (compare-and-set); the new phase, or None if
        the session's phase no longer allows it (a client cancelled meanwhile)."""
        step = Step(uuid, event, message, handle, connectors, release)
        outcome = self.advance_many([step])[0]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def advance_many(self, steps: Sequence[Step]) -> list[Phase | None | Exception]:
        """Apply several sessions' events in one write transaction (the scheduler's group
        commit: one disk flush for every phase change that was ready); for each step, what
        :meth:`advance` would return, or the exception it would raise. Each step is its own
        compare-and-set, decided as if alone. Should the shared transaction fail, the steps
        are applied again one transaction each, so that one bad step fails only itself."""
        now = self.clock()
        if len(steps) > 1:
            try:
                with transaction(self.engine, exclusive=True) as connection:
                    done = [self._advance_in(connection, step, now) for step in steps]
                    bumped = self._bump(connection, [c for _, c in done if c is not None])
                self._follow(bumped)
                return [phase for phase, _ in done]
            except Exception:  # noqa: BLE001 - retried one by one below, which reports it
                log.warning("a batch of phase changes failed; applying them one by one")
        outcomes: list[Phase | None | Exception] = []
        for step in steps:
            try:
                with transaction(self.engine, exclusive=True) as connection:
                    phase, change = self._advance_in(connection, step, now)
                    bumped = self._bump(connection, [change] if change is not None else [])
                self._follow(bumped)
                outcomes.append(phase)
            except Exception as problem:  # noqa: BLE001 - handed to the step's caller
                outcomes.append(problem)
        return outcomes

    def _advance_in(self, connection: Connection, step: Step, now: datetime
                    ) -> tuple[Phase | None, PlatformChange | None]:
        """One step inside an open write transaction: the new phase (None if the session's
        phase no longer allows the event) and the change it made to the bookings."""
        for _attempt in range(5):
            row = repo.get_session(connection, step.uuid)
            if row is None or is_terminal(Phase(row["phase"])):
                return None, None
            try:
                target = transition(Phase(row["phase"]), step.event)
            except Exception:
                return None, None
            changes: dict[str, Any] = {"phase": str(target), "modified": now}
            if step.handle is not None:
                changes["handle"] = step.handle
            if step.connectors is not None:
                document = dict(row["document"])
                document["connectors"] = step.connectors
                changes["document"] = document
            if not repo.update_session(connection, step.uuid, row["version"], **changes):
                continue  # written meanwhile (PostgreSQL, another process): decide again
            if step.message is not None:
                repo.add_message(connection, step.uuid, stored(step.message))
            change = None
            if (step.release or is_terminal(target)) and repo.set_bookings(
                connection, "RELEASED", session=step.uuid
            ) > 0:
                change = (self.platform_name(row), ("release", step.uuid))
            return target, change
        return None, None

    def note(self, uuid: str, message: dict[str, Any], **changes: Any) -> None:
        """Add a message to a session (and optionally change its document's connectors)."""
        with transaction(self.engine, exclusive=True) as connection:
            row = repo.get_session(connection, uuid)
            if row is None:
                return
            if changes.get("connectors") is not None:
                document = dict(row["document"])
                document["connectors"] = changes["connectors"]
                repo.update_session(connection, uuid, row["version"], document=document)
            repo.add_message(connection, uuid, stored(message))

    def active(self) -> list[str]:
        """The uuids of the sessions the scheduler must drive (accepted and not ended): only
        the keys, since the supervisor asks several times a second."""
        with transaction(self.engine) as connection:
            return list(repo.uuids_in(connection, [str(p) for p in ACTIVE_PHASES]))

    def snapshot(self, uuid: str) -> tuple[Mapping[str, Any], Mapping[str, Any] | None] | None:
        """A session's row and its booking, read together (one step of the scheduler)."""
        with transaction(self.engine) as connection:
            row = repo.get_session(connection, uuid)
            return None if row is None else (row, repo.booking_of(connection, uuid))

    def row(self, uuid: str) -> Mapping[str, Any] | None:
        with transaction(self.engine) as connection:
            return repo.get_session(connection, uuid)

    def booking(self, uuid: str) -> Mapping[str, Any] | None:
        with transaction(self.engine) as connection:
            return repo.booking_of(connection, uuid)


def job_of(row: Mapping[str, Any], booking: Mapping[str, Any]) -> Job:
    """The platform's view of a session: its document and its booking (whose span also
    holds preparing and releasing: the job's own time is the schedule's available)."""
    start, duration = available(row["document"], booking)
    return Job(
        uuid=row["uuid"],
        document=row["document"],
        cores=booking["cores"],
        memory=booking["memory"],
        storage=booking["storage"],
        start=start,
        duration_s=duration.total_seconds(),
    )


def _due(row: Mapping[str, Any], now: datetime) -> bool:
    """An offer row past its ``expires``, not yet marked EXPIRED."""
    return expiry_due(Phase(row["phase"]), row["expires"], now)
