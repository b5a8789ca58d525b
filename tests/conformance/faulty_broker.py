"""The reference broker with exactly one rule broken: ``python faulty_broker.py PATCH serve ...``.

Faults that are about behaviour (what a broker does to its sessions), not about the shape of
an answer, cannot be made by rewriting answers in a proxy without lying about state. This
launcher changes the reference broker's own code in its process, then runs its ordinary
``serve`` command over real HTTP. Each patch breaks one requirement of the catalogue:

- ``siblings-kept``: accepting an offer leaves its sibling offers OFFERED (LIFE-11).
- ``accept-after-expiry``: an update does not look at ``expires``, so an offer nobody read
  since it expired can still be accepted (LIFE-09). Reads still expire offers.
- ``client-sets-running``: a client's update to RUNNING is applied (ERR-05).
- ``ownership-ignored``: with authentication on, every identity sees and changes every offer
  and session (SEC-07).
- ``listing-leaks``: GET /sessions lists every identity's sessions to everyone (UWS-02).

Part of the project's tests, never of the conformance suite (which must not import the broker).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any


def siblings_kept() -> None:
    """While an offer is accepted, rejecting its siblings finds none to reject, so the
    broker's own acceptance (booking, messages, ...) runs unchanged but rejects no sibling."""
    from ivoa_eb_broker.service import sessions

    accepting = threading.local()
    accept, real = sessions.Sessions._accept, sessions.repo

    class Repository:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def reject_siblings(self, *args: Any, **kwargs: Any) -> Any:
            if getattr(accepting, "uuid", None) is not None:
                return []
            return real.reject_siblings(*args, **kwargs)

    def _accept(self: Any, connection: Any, row: Any, *rest: Any) -> Any:
        accepting.uuid = row["uuid"]
        try:
            return accept(self, connection, row, *rest)
        finally:
            accepting.uuid = None

    sessions.repo = Repository()  # type: ignore[assignment]
    sessions.Sessions._accept = _accept  # type: ignore[method-assign]


def accept_after_expiry() -> None:
    from ivoa_eb_broker.service import sessions

    updating = threading.local()
    apply, expire, due = sessions.Sessions._apply, sessions.Sessions._expire, sessions.expiry_due

    def _apply(self: Any, *args: Any) -> Any:
        updating.on = True
        try:
            return apply(self, *args)
        finally:
            updating.on = False

    def _expire(self: Any, *args: Any) -> int:
        return 0 if getattr(updating, "on", False) else int(expire(self, *args))

    def expiry_due(*args: Any) -> bool:
        return False if getattr(updating, "on", False) else bool(due(*args))

    sessions.Sessions._apply = _apply  # type: ignore[method-assign]
    sessions.Sessions._expire = _expire  # type: ignore[method-assign]
    sessions.expiry_due = expiry_due


def client_sets_running() -> None:
    from ivoa_eb_broker.core import Phase
    from ivoa_eb_broker.service import sessions
    from ivoa_eb_broker.service.rows import unknown
    from ivoa_eb_broker.store import repository as repo
    from ivoa_eb_broker.store import transaction

    apply = sessions.Sessions._apply

    def _apply(self: Any, uuid: str, requested: str, warnings: list[Any], *rest: Any) -> Any:
        if requested != "RUNNING":
            return apply(self, uuid, requested, warnings, *rest)
        with transaction(self.engine, exclusive=True) as connection:
            row = repo.get_session(connection, uuid)
            if row is None:
                raise unknown("session", uuid)
            repo.update_session(
                connection, uuid, row["version"], phase="RUNNING", modified=self.clock()
            )
        return Phase.RUNNING, None, None  # the new phase; nothing accepted; no answer

    sessions.Sessions._apply = _apply  # type: ignore[method-assign]


def refuses_unknown() -> None:
    """Unknown properties are refused with 400, as closed schemas did (EXT-01 broken)."""
    from ivoa_eb_broker.service import intake
    from ivoa_eb_broker.service.errors import bad_request
    from ivoa_eb_broker.service.messages import error
    from ivoa_eb_spec.unknown import ignored_properties

    def strict(document: Any, root: str) -> tuple[Any, list[Any]]:
        found = ignored_properties(document, root)
        if found:
            raise bad_request([
                error("The field {field} is not allowed here", path=f.pointer, field=f.name)
                for f in found
            ])
        return document, []

    intake.ignore_unknown = strict


def ownership_ignored() -> None:
    """Every identity sees and changes everything (the broker before ownership)."""
    from ivoa_eb_broker.service import rows, sessions

    def everything(owner: Any, caller: Any, values: Any) -> list[Any]:
        return list(values)

    sessions.visible = lambda owner, caller: True  # type: ignore[assignment]
    sessions.permitted = everything  # type: ignore[assignment]
    rows.permitted = everything  # type: ignore[assignment]


def listing_leaks() -> None:
    """GET /sessions reads every owner's rows, as if every caller were an operator."""
    from ivoa_eb_broker.store import listing

    real = listing.page

    def everyone(connection: Any, table: Any, **query: Any) -> Any:
        return real(connection, table, **{**query, "everyone": True})

    listing.page = everyone  # type: ignore[assignment]


PATCHES: dict[str, Callable[[], None]] = {
    "refuses-unknown": refuses_unknown,
    "siblings-kept": siblings_kept,
    "accept-after-expiry": accept_after_expiry,
    "client-sets-running": client_sets_running,
    "ownership-ignored": ownership_ignored,
    "listing-leaks": listing_leaks,
}


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in PATCHES:
        raise SystemExit(f"usage: faulty_broker.py {{{','.join(PATCHES)}}} serve [options]")
    PATCHES[argv[0]]()
    from ivoa_eb_broker.cli import main as broker

    broker(argv[1:], prog_name="faulty-broker")


if __name__ == "__main__":
    main(sys.argv[1:])
