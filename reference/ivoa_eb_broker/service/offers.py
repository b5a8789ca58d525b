"""Making offers: a checked request is planned against the ledger, held, and stored.

Atomicity of check-and-hold, the fault the prototype had (it overbooked freely):

- within one process an ``asyncio.Lock`` serialises plan+hold (and accept);
- between processes on one SQLite file the transaction begins IMMEDIATE (the write lock is
  taken before the free capacity is read);
- between processes on PostgreSQL the transaction locks the platform's ``ledger_locks`` row
  with ``SELECT ... FOR UPDATE`` before reading bookings.

The ledger is kept in memory between requests while the database's generation counter
agrees (:mod:`.ledger_cache`); otherwise it is rebuilt from the live bookings.
"""

from __future__ import annotations

import uuid as uuids
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import Connection

from ..core import BookingState, Capacity, Ledger, OfferPlan, Phase, PlannerSettings, plan
from ..store import repository as repo
from ..store import transaction
from . import documents
from .context import Part, Received
from .errors import bad_request
from .messages import error, item
from .requirements import read
from .rows import FOREVER, booking_of_row, reason_path, stored, timings

log = structlog.get_logger("ivoa_eb_broker.service")


class Offers(Part):
    """POST /requests (and the planning half of POST /direct)."""

    async def request(self, received: Received, count: int | None = None) -> str:
        """Plan offers for a request, hold them, store everything; the offer set's uuid.

        ``count`` bounds the number of offers (default: the configured offer count)."""
        document = received.document
        reading = read(document, self.platform.supported_kinds())
        if reading.errors:
            raise bad_request(reading.errors)
        refusals = list(reading.refusals)
        if not refusals:
            for reason in await self.platform.check(document):
                refusals.append(error("{reason}", path=reason.path, reason=reason.message))
        async with self._ledger_lock:
            return await self.in_thread(
                self._plan_and_hold, received, reading.plan, refusals, count
            )

    def _planner(self, count: int | None = None) -> PlannerSettings:
        preparing, _ = timings(self.platform)
        return PlannerSettings(
            max_offers=count or self.settings.offer_count,
            offer_lifetime=self.settings.offer_lifetime,
            default_duration=self.settings.default_duration,
            horizon=self.settings.horizon,
            min_lead_time=preparing,
        )

    def _ledger(self, connection: Connection, now: datetime, generation: int) -> Ledger:
        """The ledger at ``generation``: the kept one, or rebuilt from the live bookings."""
        found = self.platform.capacity()
        capacity = Capacity.constant(found.cores, found.memory, found.storage)
        ledger = self._cache.get(generation)
        if ledger is None or ledger.capacity != capacity:
            rows = repo.live_bookings(connection, now, now, FOREVER)
            ledger = Ledger.from_bookings(capacity, (booking_of_row(row) for row in rows))
        ledger.expire(now)  # lapsed holds, exactly as the query leaves them out
        return ledger

    def _plan_and_hold(
        self, received: Received, wanted: Any, refusals: list[dict[str, Any]], count: int | None
    ) -> str:
        with self._cache.lock:
            try:
                return self._plan_and_hold_locked(received, wanted, refusals, count)
            except BaseException:
                self._cache.drop()  # it may hold offers that were rolled back
                raise

    def _plan_and_hold_locked(
        self, received: Received, wanted: Any, refusals: list[dict[str, Any]], count: int | None
    ) -> str:
        now = self.clock()
        offerset = str(uuids.uuid4())
        ledger: Ledger | None = None
        generation = 0
        with transaction(self.engine, exclusive=True) as connection:
            messages = list(received.warnings)
            offers: Sequence[OfferPlan] = ()
            if refusals:
                messages.extend(refusals)
            else:
                generation = repo.lock_ledger(connection, self.platform.name)
                ledger = self._ledger(connection, now, generation)
                result = plan(wanted, ledger, now, self._planner(count))
                offers = result.offers
                for reason in result.reasons:
                    values = {
                        **reason.values,
                        "path": reason_path(reason.code, reason.values),
                        "code": reason.code,
                    }
                    messages.append(item("ERROR", reason.template, **values))
            answer = "YES" if offers else "NO"
            repo.insert_offerset(
                connection,
                uuid=offerset,
                created=now,
                result=answer,
                request_media_type=received.media_type,
                request_body=received.body,
                request=received.document,
                document={"meta": {"uuid": offerset}, "result": answer},
            )
            for message in messages:
                repo.add_message(connection, offerset, stored(message))
            preparing, releasing = timings(self.platform)
            for position, offer in enumerate(offers):
                session = str(uuids.uuid4())
                document = documents.offer(
                    received.document, offer, session, now, preparing, releasing
                )
                repo.insert_session(
                    connection,
                    uuid=session,
                    offerset=offerset,
                    position=position,
                    phase=str(Phase.OFFERED),
                    expires=offer.expires,
                    created=now,
                    modified=now,
                    document=document,
                )
                # The ledger check again, inside the lock: a plan never overbooks.
                assert ledger is not None
                ledger.hold(
                    session, session, offerset, offer.resources, offer.start, offer.end,
                    expires=offer.expires,
                )
                repo.insert_booking(
                    connection,
                    id=session,
                    session=session,
                    offerset=offerset,
                    state=str(BookingState.HELD),
                    cores=offer.cores,
                    memory=offer.memory_gib,
                    storage=offer.storage_gib,
                    start=offer.start,
                    end=offer.end,
                    expires=offer.expires,
                )
                for warning in received.warnings:
                    repo.add_message(connection, session, stored(warning))
            if offers:
                self._changed(connection)
        if ledger is not None:
            self._cache.keep(ledger, generation + 1 if offers else generation)
        log.info("offers", offerset=offerset, result=answer, offers=len(offers))
        return offerset

    def first_offer(self, offerset: str) -> str | None:
        with transaction(self.engine) as connection:
            rows = repo.sessions_of(connection, offerset)
        return rows[0]["uuid"] if rows else None

    def messages(self, owner: str) -> list[Mapping[str, Any]]:
        with transaction(self.engine) as connection:
            return list(repo.messages_of(connection, [owner])[owner])
