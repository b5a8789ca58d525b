"""Opt-in: the Skaha platform against a real CANFAR Science Platform. Runs only when the
operator sets ``EB_CANFAR_URL`` (e.g. https://ws-uv.canfar.net/skaha) and ``EB_CANFAR_TOKEN``;
never in CI. Read-only: statistics and the session list, no session is created."""

from __future__ import annotations

import asyncio
import os

import pytest
from ivoa_eb_broker.platforms.skaha import NOTEBOOK, SkahaPlatform, SkahaSettings

URL = os.environ.get("EB_CANFAR_URL", "")
TOKEN = os.environ.get("EB_CANFAR_TOKEN", "")

pytestmark = pytest.mark.skipif(
    not (URL and TOKEN), reason="set EB_CANFAR_URL and EB_CANFAR_TOKEN to test a real CANFAR")


def test_a_real_skaha_answers_statistics_and_sessions() -> None:
    settings = SkahaSettings.from_mapping({
        "url": URL, "token": TOKEN,
        "notebook_image": "images.canfar.net/skaha/notebook-scipy:latest"})

    async def scenario() -> None:
        platform = SkahaPlatform(settings)
        request = {"executable": {"kind": NOTEBOOK},
                   "compute": {"cores": {"min": 1}, "memory": {"min": 1}}}
        assert await platform.check(request) == []
        assert platform.capacity().cores > 0 and platform.capacity().memory > 0
        largest = platform.largest()
        assert largest is not None and largest.cores > 0
        assert isinstance(await platform.client.sessions(), list)
        await platform.close()

    asyncio.run(scenario())
