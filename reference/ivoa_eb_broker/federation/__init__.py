"""The head broker: one broker that fronts others (a federation of sites).

A broker configured with ``[[children]]`` answers ``POST /requests`` by forwarding the
request to its children in parallel (through :class:`ivoa_eb_client.AsyncClient`), merging
and ranking their offers, and presenting each under its own uuid and URL. Its own platforms
can be one more site (``[federation] local = true``). See ``docs/spec/federation.md``.

:mod:`.settings` reads the config, :mod:`.ranking` orders offers (pure), :mod:`.via` is the
loop guard (the ``EB-Via`` header), :mod:`.sites` speaks to a child or to the local broker,
:mod:`.rows` keeps the head's rows, :mod:`.head` is the head's operations and
:mod:`.install` wires it into the HTTP app.
"""
