"""The broker's fixtures (``client``, ``server``, ``http``), shared with tests/broker."""

from broker.conftest import client, config, http, server

__all__ = ["client", "config", "http", "server"]
