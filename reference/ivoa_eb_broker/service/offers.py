"""Making offers: a checked request is planned against the ledger, held, and stored.

Atomicity of check-and-hold, the fault the prototype had (it overbooked freely):

- within one process an ``asyncio.Lock`` serialises plan+hold (and accept);
- between processes on one SQLite file the transaction begins IMMEDIATE (the write lock is
  taken before the free capacity is read);
- between processes on PostgreSQL the transaction locks the ``ledger_locks`` row of each
  platform it offers on (in config order) with ``SELECT ... FOR UPDATE``, brings that
  platform's ledger to the locked generation and holds the offers there, so that no offer
  is held against a stale ledger. The plan itself is made before, on the ledger as last
  committed, so that the lock is held only for the check and the bookings' write; a plan
  that no longer fits is made again with the rows locked from the start.

With several platforms (:mod:`.fleet`), a request is planned on each platform that supports
all its kinds and whose ``check`` passes, against that platform's own ledger; the offers are
merged, and each offer, session and booking records its platform.

The ledger is kept in memory between requests while the database's generation counter
agrees; when another process changed bookings meanwhile, the kept ledger follows just the
bookings marked with a newer generation, and only when it cannot is it rebuilt from the
live bookings (:mod:`.ledger_cache`). The bookings written here carry the new generation.

One pass: plan, hold and write happen in one worker-thread call and one transaction, which
writes the offer set, its sessions, bookings and messages with one batched insert per table;
the answer is rendered from the rows written (:class:`Written`), not read back, and nothing
just created is checked for expiry.
"""

from __future__ import annotations

import asyncio
import uuid as uuids
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import Connection

from ..core import (
    BookingState,
    Capacity,
    Ledger,
    OfferPlan,
    Overbooked,
    Phase,
    PlannerSettings,
    plan,
)
from ..core.session_size import within
from ..platforms import PlatformError
from ..store import repository as repo
from ..store import transaction
from . import documents
from .context import Part, Received
from .errors import bad_request, too_many
from .fleet import Member, route
from .messages import error, info, item
from .ownership import Identity, owner_name
from .quotes import priced, quote
from .requirements import read
from .rows import FOREVER, reason_path, session_document, stored, timings

log = structlog.get_logger("ivoa_eb_broker.service")


class Offers(Part):
    """POST /requests (and the planning half of POST /direct)."""

    async def request(self, received: Received, count: int | None = None,
                      caller: Identity | None = None) -> str:
        """Plan offers for a request, hold them, store everything; the offer set's uuid."""
        return (await self.make(received, count, caller)).uuid

    async def answer(self, received: Received, base: str, count: int | None = None,
                     caller: Identity | None = None) -> tuple[str, dict[str, Any]]:
        """Plan, hold and store offers; the offer set's uuid and its answer as ``caller``
        sees it (URLs under ``base``), rendered from the rows just written: the same
        document a read would give now, without reading."""
        written = await self.make(received, count, caller)
        return written.uuid, written.document(base, caller)

    async def make(self, received: Received, count: int | None = None,
                   caller: Identity | None = None) -> Written:
        """Plan offers for a request, hold them, store everything in one transaction; what
        was written.

        ``count`` bounds the number of offers (default: the configured offer count), and so
        does what remains of the caller's live-offer limit (429 when nothing does). The
        request is offered by every platform that supports all its kinds and whose ``check``
        finds nothing against it; their offers are merged.
        """
        document = received.document
        reading = read(document, self.fleet.executable_kinds())
        if reading.errors:
            raise bad_request(reading.errors)
        refusals = list(reading.refusals)
        eligible: list[Member] = []
        if not refusals:
            candidates, refusals = route(self.fleet, document)
            found = await asyncio.gather(*(m.platform.check(document) for m in candidates))
            for member, reasons in zip(candidates, found, strict=True):
                if not reasons:
                    eligible.append(member)
                for reason in reasons:
                    refusals.append(self._reason(member, reason.path, reason.message))
            if eligible:
                refusals = []
        async with self._ledger_lock:  # one worker-thread call: plan, hold, write
            return await self.in_thread(
                self._plan_and_hold, received, reading.plan, refusals, count, eligible,
                owner_name(caller),
            )

    def _reason(self, member: Member, path: str, text: str) -> dict[str, Any]:
        """A platform's reason as an ERROR message (naming the platform when there are
        several)."""
        if len(self.fleet) == 1:
            return error("{reason}", path=path, reason=text)
        return error("Platform {platform}: {reason}", path=path, platform=member.name,
                     reason=text)

    def _planner(self, member: Member, count: int | None = None) -> PlannerSettings:
        preparing, releasing = timings(member.platform)
        return PlannerSettings(
            max_offers=count or self.settings.offer_count,
            offer_lifetime=self.settings.offer_lifetime,
            default_duration=self.settings.default_duration,
            horizon=self.settings.horizon,
            preparing=preparing,
            releasing=releasing,
        )

    def _ledger(
        self, member: Member, connection: Connection, now: datetime, generation: int
    ) -> tuple[Ledger, datetime]:
        """A platform's ledger at ``generation``: the kept one, followed by the bookings
        changed since, or rebuilt from its live bookings (:mod:`.ledger_cache`); and the
        time it is right for, read after the bookings (no earlier than ``now``)."""
        found = member.platform.capacity()
        capacity = Capacity.constant(found.cores, found.memory, found.storage)
        default = member.name == self.fleet.default.name

        def changed(since: int, limit: int) -> Sequence[Any]:
            return repo.changed_bookings(connection, member.name, since, limit,
                                         default=default)

        def live() -> Iterator[Any]:  # live at ``now``: a superset of those live later
            rows = repo.live_bookings(connection, now, now, FOREVER)
            return (r for r in rows if self.platform_name(r) == member.name)

        def later() -> datetime:
            return max(now, self.clock())

        return self._caches[member.name].ledger(generation, capacity, later, changed, live)

    def _plan_and_hold(
        self, received: Received, wanted: Any, refusals: list[dict[str, Any]],
        count: int | None, eligible: Sequence[Member], owner: str | None = None,
    ) -> Written:
        with self._cache.lock:  # shared by every platform's cache
            try:
                try:
                    return self._plan_and_hold_locked(received, wanted, refusals, count,
                                                      eligible, owner, optimistic=True)
                except _Moved:  # rolled back: plan again, the ledger rows locked throughout
                    self._cache.counts["replanned"] += 1
                    return self._plan_and_hold_locked(received, wanted, refusals, count,
                                                      eligible, owner, optimistic=False)
            except BaseException:
                for cache in self._caches.values():
                    cache.drop()  # they may hold offers that were rolled back
                raise

    def _room(self, connection: Connection, owner: str | None, now: datetime,
              count: int | None) -> int | None:
        """``count`` bounded by what remains of ``owner``'s live-offer limit; 429 if none."""
        limit = self.settings.max_live_offers
        if owner is None or not limit:
            return count
        live = repo.count_owned(connection, owner, [str(Phase.OFFERED)], live_at=now)
        if live >= limit:
            raise too_many([error(
                "{owner} holds {live} live offers, the most this broker allows one identity; "
                "accept or reject some, or let them expire, then ask again", path="",
                owner=owner, live=live)])
        return min(count or self.settings.offer_count, limit - live)

    def _plan_and_hold_locked(
        self, received: Received, wanted: Any, refusals: list[dict[str, Any]],
        count: int | None, eligible: Sequence[Member], owner: str | None = None,
        optimistic: bool = False,
    ) -> Written:
        """Plan, hold and write in one transaction.

        ``optimistic``: plan on the ledger as last committed, without the ledger rows'
        locks, and write the offer set, its sessions and messages; then lock the rows of
        the platforms offered on, bring their ledgers to the locked generation and hold
        the offers there, and write the bookings. Other brokers wait for the lock only
        that long. If an offer no longer fits (another broker took the room meanwhile),
        or there is no offer (a release meanwhile might allow one), :class:`_Moved` rolls
        it all back for a plan under the locks (``optimistic=False``)."""
        now = self.clock()
        offerset = str(uuids.uuid4())
        ledgers: dict[str, tuple[Ledger, int]] = {}
        several = len(self.fleet) > 1
        # New offers only: LIFE-32 asks accepts, not offers, to survive a power loss.
        with transaction(self.engine, exclusive=True, durable=False) as connection:
            count = self._room(connection, owner, now, count)
            messages = list(received.warnings)
            offers: list[tuple[Member, OfferPlan]] = []
            if refusals:
                messages.extend(refusals)
            else:
                planned: list[tuple[Member, Sequence[OfferPlan]]] = []
                reasons: list[dict[str, Any]] = []
                for member in eligible:  # config order: brokers lock the rows alike
                    generation = (repo.generation_of(connection, member.name) if optimistic
                                  else repo.lock_ledger(connection, member.name))
                    try:
                        ledger, now = self._ledger(member, connection, now, generation)
                    except PlatformError as problem:  # the engine stopped answering
                        reasons.append(self._reason(member, "", str(problem)))
                        continue
                    ledgers[member.name] = (ledger, generation)
                    settings = self._planner(member, count)
                    largest = member.platform.largest()
                    fitted = wanted if largest is None else within(
                        wanted, largest.cores, largest.memory, settings.growth)
                    result = plan(fitted, ledger, now, settings)
                    offered, missed = priced(member, result.offers, received.document)
                    reasons.extend(missed)
                    planned.append((member, offered))
                    # A platform's reasons go with its offers; those of a platform without
                    # offers only when no platform has any (they would only confuse a YES).
                    kept = messages if offered else reasons
                    for reason in result.reasons:
                        values = {
                            **reason.values,
                            "path": reason_path(reason.code, reason.values),
                            "code": reason.code,
                        }
                        template = reason.template
                        if several:
                            template = "Platform {platform}: " + template
                            values["platform"] = member.name
                        kept.append(item("ERROR", template, **values))
                offers = _merge(planned, count or self.settings.offer_count)
                if not offers:
                    if optimistic and ledgers:
                        raise _Moved
                    messages.extend(reasons)
            answer = "YES" if offers else "NO"
            written = Written(
                offerset={
                    "uuid": offerset, "created": now, "result": answer,
                    "request_media_type": received.media_type,
                    "request_body": received.body, "request": received.document,
                    "document": {"meta": {"uuid": offerset}, "result": answer},
                    "owner": owner,
                },
                messages={offerset: [stored(m) for m in messages]},
            )
            for position, (member, offer) in enumerate(offers):
                session = str(uuids.uuid4())
                preparing, releasing = timings(member.platform)
                document = documents.offer(
                    received.document, offer, session, now, preparing, releasing
                )
                document.update(quote(member, offer))
                written.sessions.append({
                    "uuid": session, "offerset": offerset, "position": position,
                    "phase": str(Phase.OFFERED), "expires": offer.expires, "created": now,
                    "modified": now, "document": document, "platform": member.name,
                    "owner": owner,
                })
                # The booking holds the platform from the start of preparing to the end of
                # releasing; its generation is set once the platform's row is locked.
                written.bookings.append({
                    "id": session, "session": session, "offerset": offerset,
                    "state": str(BookingState.HELD), "cores": offer.cores,
                    "memory": offer.memory_gib, "storage": offer.storage_gib,
                    "start": offer.booked_start, "end": offer.booked_end,
                    "expires": offer.expires, "platform": member.name,
                })
                notes = [stored(warning) for warning in received.warnings]
                if several:
                    notes.append(stored(info(
                        "Offered on platform {platform}", path="", platform=member.name)))
                written.messages[session] = notes
            repo.insert_offers(connection, written.offerset, written.sessions, [],
                               written.messages)
            changed = self._hold(connection, ledgers, offers, written, now, optimistic)
            repo.insert_bookings(connection, written.bookings)
            for name in changed:  # this transaction holds the row lock of each
                repo.set_generation(connection, name, ledgers[name][1] + 1)
        for name, (ledger, generation) in ledgers.items():
            self._caches[name].keep(ledger, generation + 1 if name in changed else generation)
        log.info("offers", offerset=offerset, result=answer, offers=len(offers),
                 platforms=sorted(changed))
        return written

    def _hold(
        self, connection: Connection, ledgers: dict[str, tuple[Ledger, int]],
        offers: Sequence[tuple[Member, OfferPlan]], written: Written, now: datetime,
        optimistic: bool,
    ) -> list[str]:
        """Hold each offer in its platform's ledger: the ledger check again, under the
        platform's lock, so that a plan never overbooks; the platforms offered on (in config
        order). ``optimistic``: the lock is taken here, and the ledger brought to the
        locked generation first (updating ``ledgers``)."""
        offered_on = {member.name: member for member, _ in offers}
        changed = [m.name for m in self.fleet if m.name in offered_on]
        if optimistic:
            for name in changed:
                generation = repo.lock_ledger(connection, name)
                ledger, planned_at = ledgers[name]
                if generation != planned_at:
                    try:
                        ledger, _ = self._ledger(offered_on[name], connection, now,
                                                 generation)
                    except PlatformError:  # the engine stopped answering: as planned locked
                        raise _Moved from None
                ledgers[name] = (ledger, generation)
        held: list[tuple[Ledger, str]] = []
        for (member, offer), booking in zip(offers, written.bookings, strict=True):
            ledger, generation = ledgers[member.name]
            booking["generation"] = generation + 1
            try:
                ledger.hold(booking["id"], booking["session"], booking["offerset"],
                            offer.resources, offer.booked_start, offer.booked_end,
                            expires=offer.expires)
            except Overbooked:
                if not optimistic:
                    raise
                for ledger, booking_id in held:  # the ledger stays as the table has it
                    ledger.release(booking_id)
                raise _Moved from None
            held.append((ledger, booking["id"]))
        return changed


class _Moved(Exception):  # noqa: N818 - a signal, not an error
    """An optimistic plan no longer fits the ledger as locked: plan again under the lock."""

@dataclass
class Written:
    """The rows of one offer set as written in its transaction: the answer is rendered from
    them, so a fresh offer set is never read back."""

    offerset: dict[str, Any]
    sessions: list[dict[str, Any]] = field(default_factory=list)
    bookings: list[dict[str, Any]] = field(default_factory=list)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def uuid(self) -> str:
        return str(self.offerset["uuid"])

    def document(self, base: str, caller: Identity | None = None) -> dict[str, Any]:
        """The offer set as ``caller`` reads it now (what ``Sessions.offerset`` gives)."""
        offers = [session_document(s, base, self.messages[s["uuid"]], caller)
                  for s in self.sessions]
        return documents.offerset(
            self.offerset["document"], url=f"{base}/offersets/{self.uuid}", offers=offers,
            messages=self.messages[self.uuid],
        )


def _merge(
    planned: Sequence[tuple[Member, Sequence[OfferPlan]]], count: int
) -> list[tuple[Member, OfferPlan]]:
    """Offers of several platforms as one list of at most ``count``: each platform's first
    offer, in config order, then each one's second, and so on, so that a client sees every
    platform that can run its request before it sees a second offer of any."""
    merged: list[tuple[Member, OfferPlan]] = []
    rank = 0
    while len(merged) < count and any(rank < len(offers) for _, offers in planned):
        for member, offers in planned:
            if rank < len(offers) and len(merged) < count:
                merged.append((member, offers[rank]))
        rank += 1
    return merged
