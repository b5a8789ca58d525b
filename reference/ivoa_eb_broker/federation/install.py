"""Wiring a head broker into the HTTP app: a few lines called from ``create_app``."""

from __future__ import annotations

import dataclasses

from starlette.applications import Starlette

from ..config import Config
from ..service.broker import Broker
from .head import Head
from .sites import LocalSite, RemoteSite, Site
from .via import ViaMiddleware


def broker_id(config: Config) -> str:
    """This broker's id in ``EB-Via``: ``[federation] id``, else its host and port."""
    return config.federation.id or f"{config.host}:{config.port}"


def install(app: Starlette, broker: Broker, config: Config) -> Head | None:
    """Make the app a head broker when the config has ``[[children]]``:
    the routes then answer through :class:`Head`, which passes what is not its own to
    ``broker``. None when the config asks for no federation."""
    federation = config.federation
    if not federation.enabled:
        return None
    ident = broker_id(config)
    sites: list[Site] = []
    if federation.local:
        sites.append(LocalSite(ident, broker))
    sites.extend(RemoteSite(child) for child in federation.children)
    head = Head(broker, ident, sites, federation.rank, broker.settings)
    app.add_middleware(ViaMiddleware)
    app.state.context = dataclasses.replace(app.state.context, broker=head)
    app.state.head = head
    return head
