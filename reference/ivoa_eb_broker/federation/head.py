"""The head broker's operations: the same five as a site broker's, answered from its sites.

- ``request``: the request goes to every site that takes it, in parallel; each site's
  answer is bounded by its timeout. Offers are merged, ranked (:mod:`.ranking`) and the
  best ``n`` kept, each under a new uuid of the head; the others are rejected at their
  sites. A site that fails (timeout, 5xx, garbage, down) costs its offers and adds one
  WARN naming it; NO only when no site offers, with every site's reasons, each naming it.
- reads (``offerset``, ``session``) refresh from the site on every read: the head's phase
  is the site's phase (a site that fails or vanishes turns an accepted session FAILED).
- ``update``: checked against the head's own view of the phase, then forwarded; accepting
  rejects the sibling offers at their sites.

Sessions and offer sets that are not the head's are this broker's own: passed to
:class:`~ivoa_eb_broker.service.broker.Broker`.
"""

from __future__ import annotations

import asyncio
import copy
import uuid as uuids
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import anyio.to_thread
import structlog
from ivoa_eb_spec.iso8601 import format_instant, parse_instant

from ..core import Phase, UpdateNotAllowed, client_update, is_terminal
from ..core.quotes import Unmet, unmet
from ..service import documents, listing, waiting
from ..service.broker import Broker
from ..service.context import Received, Settings, now
from ..service.errors import Problem, bad_request, forbidden, unprocessable
from ..service.messages import error, info, warn
from ..service.ownership import Identity, owner_name, permitted, visible
from ..service.requirements import read
from ..service.rows import refused, stored, unknown
from ..service.sessions import ENUM_UPDATE, PHASE_PATHS
from ..store.schema import head_sessions
from . import ranking, rows, via
from .sites import Site, SiteAnswer, SiteError

log = structlog.get_logger("ivoa_eb_broker.federation")
NOTES = {
    Phase.ACCEPTED: "The offer was accepted",
    Phase.REJECTED: "The offer was rejected",
    Phase.CANCELLED: "The session was cancelled by the client",
}


class Head:
    """A broker that fronts ``sites``; its own sessions are ``broker``'s."""

    def __init__(self, broker: Broker, ident: str, sites: Sequence[Site],
                 rank: Sequence[str], settings: Settings,
                 clock: Callable[[], datetime] = now) -> None:
        self.broker = broker
        self.engine = broker.engine
        self.id = ident
        self.sites = list(sites)
        self.rank = tuple(rank)
        self.settings = settings
        self.clock = clock
        self._by_name = {site.name: site for site in self.sites}
        self._lock = asyncio.Lock()
        self._background: set[asyncio.Task[Any]] = set()
        #: Offer sets just made: their first read (the answer to POST /requests) needs no
        #: refresh, the sites' documents are a moment old.
        self._fresh: set[str] = set()

    async def _thread(self, function: Callable[..., Any], *args: Any) -> Any:
        return await anyio.to_thread.run_sync(function, *args)

    # --- POST /requests, POST /direct ---------------------------------------------------------

    async def request(self, received: Received, count: int | None = None,
                      caller: Identity | None = None) -> str:
        """Ask the sites, merge and rank their offers, keep the best, owned by ``caller``; the
        offer set's uuid. The head asks its sites with its own credentials and enforces
        ownership itself (SEC-07)."""
        wanted = count or self.settings.offer_count
        passed = via.current()
        messages: list[dict[str, Any]] = list(received.warnings)
        answers: list[SiteAnswer] = []
        if self.id in passed:
            raise Problem(508, "Loop Detected", [error(
                "This request has already passed broker {broker} (EB-Via: {via}): refused, "
                "so that a cycle of brokers does not loop", path="", broker=self.id,
                via=", ".join(passed))])
        # The checks every site makes (unique names, sane ranges): a 400 here, once.
        reading = read(received.document, frozenset())
        if reading.errors:
            raise bad_request(reading.errors)
        chosen = [site for site in self.sites if site.takes(received.document)]
        if not chosen:
            messages.append(error("No site of this broker takes the kinds of this request",
                                  path=""))
        header = via.forwarded(passed, self.id)
        found = await asyncio.gather(*(self._ask(s, received, header, wanted)
                                       for s in chosen))
        refusals = [o for o in found if isinstance(o, SiteError) and o.status == 400]
        if refusals and len(refusals) == len(found):
            # Every site found the request itself at fault: the client's error, as theirs.
            raise bad_request(refusals[0].messages)
        for site, outcome in zip(chosen, found, strict=True):
            if isinstance(outcome, SiteError):
                messages.append(warn("Site {site} is left out (no answer usable): {reason}",
                                     path="", site=site.name, reason=outcome.reason))
            else:
                answers.append(outcome)
        return await self._keep(received, answers, messages, wanted, owner_name(caller))

    async def offer(self, received: Received, base: str, count: int | None = None,
                    caller: Identity | None = None) -> tuple[str, dict[str, Any]]:
        """:meth:`request`, then the offer set's answer (URLs under ``base``), as the
        site broker's :meth:`~ivoa_eb_broker.service.broker.Broker.offer` gives them."""
        uuid = await self.request(received, count, caller)
        return uuid, await self.offerset(uuid, base, caller)

    async def _ask(self, site: Site, received: Received, header: str,
                   count: int) -> SiteAnswer | SiteError:
        try:
            return await site.offers(received, header, count)
        except SiteError as problem:
            log.warning("site failed", site=site.name, reason=problem.reason)
            return problem
        except Exception as problem:  # a bug must cost one site, not the whole request
            log.exception("site failed", site=site.name)
            return SiteError(None, repr(problem))

    async def _keep(self, received: Received, answers: list[SiteAnswer],
                    messages: list[dict[str, Any]], count: int, owner: str | None = None
                    ) -> str:
        created = self.clock()
        offerset = str(uuids.uuid4())
        everything = []
        missed: list[tuple[str, str, Unmet]] = []
        for answer in answers:
            for target, offer in answer.offers:
                misses = unmet(offer, received.document)
                if misses:
                    missed.extend((answer.site, target, m) for m in misses)
                else:
                    everything.append(((answer.site, target), offer))
        ranked = ranking.rank(everything, received.document, self.rank)
        kept, dropped = ranked[:count], ranked[count:]
        for answer in answers:
            # A site's reasons matter when nobody offers; its WARNs always.
            for message in answer.messages:
                if kept and message.get("level") == "ERROR":
                    continue
                messages.append(_attributed(answer.site, message))
        if not kept:
            for site, _, miss in missed:
                messages.append(error(
                    "Site {site}: the offer's {type} of {quote} misses the request's "
                    "{bound} of {limit}", path=miss.path, site=site, type=miss.type,
                    quote=f"{miss.quote:g}", limit=f"{miss.limit:g}",
                    bound="maximum" if miss.family == "costs" else "minimum"))
        # Offers that miss a limit are never listed: released at their sites like the rest.
        dropped_targets = [(site, target) for site, target, _ in missed]
        if not kept and not any(m["level"] == "ERROR" for m in messages):
            messages.append(error("No site of this broker could make an offer", path=""))
        sessions = []
        notes: list[tuple[str, dict[str, Any]]] = [(offerset, stored(m)) for m in messages]
        for position, ((site, target), offer) in enumerate(kept):
            uuid = str(uuids.uuid4())
            expires = _earliest(offer.get("expires"),
                                created + self.settings.offer_lifetime)
            sessions.append({
                "uuid": uuid, "offerset": offerset, "position": position, "site": site,
                "target": target, "phase": str(Phase.OFFERED), "expires": expires,
                "created": created, "modified": created,
                "document": _as_head(offer, uuid, created, expires), "owner": owner,
            })
            notes.append((uuid, stored(info("Offered by site {site} as {target}", path="",
                                             site=site, target=target))))
        result = "YES" if kept else "NO"
        head = {"uuid": offerset, "created": created, "result": result,
                "request": received.document, "owner": owner}
        await self._thread(rows.create, self.engine, head, sessions, notes)
        self._fresh.add(offerset)
        dropped_targets += [(s, t) for (s, t), _ in dropped]
        if dropped_targets:
            self._later(self._reject_all(sorted(set(dropped_targets))))
        log.info("federated offers", offerset=offerset, result=result, offers=len(kept),
                 sites=[a.site for a in answers])
        return offerset

    async def direct(self, received: Received, caller: Identity | None = None) -> str:
        """One offer, accepted at once; the session's uuid (400 when there is none)."""
        offerset = await self.request(received, count=1, caller=caller)
        self._fresh.discard(offerset)
        _, found = await self._thread(rows.offerset, self.engine, offerset)
        if not found:
            said = await self._thread(rows.messages, self.engine, [offerset])
            raise bad_request([documents.message_document(m) for m in said[offerset]
                               if m["level"] == "ERROR"]
                              or [error("The request cannot be run", path="")])
        uuid = found[0]["uuid"]
        await self.update(uuid, {"kind": ENUM_UPDATE, "path": "/phase", "value": "ACCEPTED"},
                          caller=caller)
        return str(uuid)

    # --- reads ----------------------------------------------------------------------------------

    async def offerset(self, uuid: str, base: str, caller: Identity | None = None
                       ) -> dict[str, Any]:
        found, sessions = await self._thread(rows.offerset, self.engine, uuid)
        if found is None:
            return await self.broker.offerset(uuid, base, caller)
        if not visible(found["owner"], caller):
            raise unknown("offer set", uuid)
        if uuid in self._fresh:
            self._fresh.discard(uuid)
            fresh = sessions
        else:
            fresh = await asyncio.gather(*(self._refresh(row) for row in sessions))
        said = await self._thread(rows.messages, self.engine,
                                  [uuid, *(row["uuid"] for row in fresh)])
        offers = [_render(row, base, said[row["uuid"]], caller) for row in fresh]
        return documents.offerset({"meta": {"uuid": uuid}, "result": found["result"]},
                                  url=f"{base}/offersets/{uuid}", offers=offers,
                                  messages=said[uuid])

    async def session(self, uuid: str, base: str, caller: Identity | None = None
                      ) -> dict[str, Any]:
        row = await self._thread(rows.session, self.engine, uuid)
        if row is None:
            return await self.broker.session(uuid, base, caller)
        if not visible(row["owner"], caller):
            raise unknown("session", uuid)
        row = await self._refresh(row)
        said = await self._thread(rows.messages, self.engine, [uuid])
        return _render(row, base, said[uuid], caller)

    async def waited(self, uuid: str, base: str, caller: Identity | None,
                     wait: waiting.WaitQuery) -> dict[str, Any]:
        """The blocking read (UWS-06): a session of the head is read again (refreshed from
        its site) every :data:`~ivoa_eb_broker.service.waiting.POLL` seconds."""
        if await self._thread(rows.session, self.engine, uuid) is None:
            return await self.broker.waited(uuid, base, caller, wait)
        return await waiting.wait_for_change(lambda: self.session(uuid, base, caller), wait,
                                             asyncio.sleep)

    async def sessions_page(self, query: listing.SessionQuery, base: str,
                            caller: Identity | None) -> dict[str, Any]:
        """One page of the sessions this head issued to ``caller`` (UWS-01..UWS-04), each
        in the phase the head last saw; reading a session refreshes it from its site."""
        return await self._thread(
            listing.page, self.engine, head_sessions, query, base, caller,
            lambda row, said: _render(row, base, said, caller))

    async def _refresh(self, row: Mapping[str, Any]) -> Mapping[str, Any]:
        """The row after reading the session at its site (refresh on read)."""
        phase = Phase(row["phase"])
        if is_terminal(phase):
            return row
        moment = self.clock()
        if phase is Phase.OFFERED and row["expires"] is not None and moment >= row["expires"]:
            return await self._set(row, {"phase": str(Phase.EXPIRED)}, [info(
                "The offer expired at {expires} without being accepted", path="/expires",
                expires=format_instant(row["expires"]))])
        site = self._by_name.get(row["site"])
        try:
            if site is None:
                raise SiteError(None, "the site is no longer configured")
            document = await site.read(row["target"])
        except SiteError as problem:
            if phase is Phase.OFFERED:
                return row  # the offer lapses at the head's expires at the latest
            return await self._set(row, {"phase": str(Phase.FAILED)}, [error(
                "Site {site} failed or vanished: {reason}", path="", site=row["site"],
                reason=problem.reason)])
        return await self._take(row, document)

    async def _take(self, row: Mapping[str, Any], document: Mapping[str, Any],
                    messages: Sequence[dict[str, Any]] = ()) -> Mapping[str, Any]:
        """Keep a site's document of the session: its phase, and never a later expires."""
        changes: dict[str, Any] = {}
        expires = row["expires"]
        if isinstance(document.get("expires"), str):
            expires = _earliest(document["expires"], expires)
            if expires != row["expires"]:
                changes["expires"] = expires
        phase = str(document.get("phase", row["phase"]))
        if phase != row["phase"]:
            changes["phase"] = phase
        mine = _as_head(document, row["uuid"], row["created"], expires)
        if mine != row["document"]:
            changes["document"] = mine
        if not changes and not messages:
            return row
        return await self._set(row, changes, list(messages))

    async def _set(self, row: Mapping[str, Any], changes: dict[str, Any],
                   messages: list[dict[str, Any]]) -> Mapping[str, Any]:
        changes = {**changes, "modified": self.clock()}
        await self._thread(rows.change, self.engine, row["uuid"], changes,
                           [stored(m) for m in messages])
        return {**row, **changes}

    # --- POST /sessions/{uuid} ------------------------------------------------------------------

    async def update(self, uuid: str, update: Mapping[str, Any],
                     warnings: Sequence[dict[str, Any]] = (),
                     caller: Identity | None = None, base: str | None = None) -> None:
        """Forward the update to the site that made the offer; no answer of its own (the
        route reads the session, so ``base`` is not used)."""
        row = await self._thread(rows.session, self.engine, uuid)
        if row is None:
            await self.broker.update(uuid, update, warnings, caller)
            return
        if not visible(row["owner"], caller):
            raise unknown("session", uuid)
        if not permitted(row["owner"], caller, [str(update.get("value"))]):
            raise forbidden([error("Only the owner of this session may set its phase to "
                                   "{value}", path="/value", value=str(update.get("value"))[:40])])
        if update.get("path") not in PHASE_PATHS or update.get("kind") not in (
                ENUM_UPDATE, "uri:string-value-update"):
            raise unprocessable([error("Only the phase of a session can be changed, with an "
                                       "update of kind {kind}", path="/path",
                                       kind=ENUM_UPDATE)])
        async with self._lock:
            row = await self._refresh(row)
            try:
                target = client_update(Phase(row["phase"]), str(update.get("value")))
            except UpdateNotAllowed as refusal:
                raise refused(refusal, row) from None
            site = self._by_name.get(row["site"])
            try:
                if site is None:
                    raise SiteError(None, "the site is no longer configured")
                document = await site.update(row["target"], str(target))
            except SiteError as problem:
                raise _site_problem(row["site"], problem) from None
            notes = [*warnings, info(NOTES[target], path="/phase")]
            await self._take(row, document, notes)
            if target is Phase.ACCEPTED:
                await self._reject_siblings(row)

    async def _reject_siblings(self, row: Mapping[str, Any]) -> None:
        """The other offers of the set: REJECTED at the head, and at their sites."""
        _, sessions = await self._thread(rows.offerset, self.engine, row["offerset"])
        siblings = [s for s in sessions
                    if s["uuid"] != row["uuid"] and s["phase"] == str(Phase.OFFERED)]
        for sibling in siblings:
            await self._set(sibling, {"phase": str(Phase.REJECTED)}, [info(
                "Rejected because its sibling offer {sibling} was accepted", path="/phase",
                sibling=row["uuid"])])
        await self._reject_all([(s["site"], s["target"]) for s in siblings])

    async def _reject_all(self, offers: Sequence[tuple[str, str]]) -> None:
        """Reject offers at their sites; one that is gone already needs nothing."""

        async def one(name: str, target: str) -> None:
            site = self._by_name.get(name)
            if site is None:
                return
            try:
                await site.update(target, str(Phase.REJECTED))
            except SiteError as problem:  # already rejected there (a sibling), or expired
                log.info("reject at site", site=name, target=target, reason=problem.reason)

        await asyncio.gather(*(one(name, target) for name, target in offers))

    def _later(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def close(self) -> None:
        for task in list(self._background):
            task.cancel()
        for site in self.sites:
            await site.close()


def _attributed(site: str, message: Mapping[str, Any]) -> dict[str, Any]:
    """A site's message as the head's: its template prefixed with the site's name."""
    values = {**dict(message.get("values") or {}), "site": site}
    values.setdefault("path", "")
    return {
        "time": message.get("time") or format_instant(now()),
        "level": message.get("level") or "INFO",
        "template": "Site {site}: " + str(message.get("template") or message.get("message")),
        "values": values,
        "message": f"Site {site}: {message.get('message', '')}",
    }


def _earliest(site: Any, head: datetime | None) -> datetime | None:
    """The earlier of a site's ``expires`` (text) and the head's own."""
    theirs = parse_instant(site) if isinstance(site, str) else None
    if theirs is None:
        return head
    return theirs if head is None or theirs < head else head


def _as_head(document: Mapping[str, Any], uuid: str, created: datetime,
             expires: datetime | None) -> dict[str, Any]:
    """A site's session document under the head's identity; the site's messages kept."""
    mine = copy.deepcopy(dict(document))
    theirs = mine.get("meta") or {}
    mine["meta"] = {"uuid": uuid, "created": format_instant(created)}
    if theirs.get("messages"):
        mine["meta"]["site_messages"] = theirs["messages"]
    if expires is not None and "expires" in mine:
        mine["expires"] = format_instant(expires)
    return mine


def _render(row: Mapping[str, Any], base: str, messages: Sequence[Mapping[str, Any]],
            caller: Identity | None = None) -> dict[str, Any]:
    document = copy.deepcopy(dict(row["document"]))
    theirs = document["meta"].pop("site_messages", [])
    if row["phase"] == str(Phase.OFFERED) and row["expires"] is not None:
        document["expires"] = format_instant(row["expires"])
    return documents.session(
        document, phase=row["phase"], url=f"{base}/sessions/{row['uuid']}",
        modified=row["modified"],
        messages=[*(documents.message_document(m) for m in messages), *theirs],
        connectors=document.get("connectors"),
        allowed=lambda values: permitted(row.get("owner"), caller, values))


def _site_problem(site: str, problem: SiteError) -> Problem:
    """A site's refusal of a forwarded update, as the head's answer (its status kept)."""
    if problem.status is not None and 400 <= problem.status < 500:
        said = [_attributed(site, m) for m in problem.messages] or [
            error("Site {site}: {reason}", path="", site=site, reason=problem.reason)]
        return Problem(problem.status, problem.title, said)
    return Problem(503, "Service Unavailable", [error(
        "Site {site} did not answer: {reason}", path="", site=site, reason=problem.reason)])

