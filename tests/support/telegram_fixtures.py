"""Fixtures shared by the test packages that talk to the fake Bot API in-process (telegram,
scheduler, coach_desk): import them into the package's conftest.py."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.fake_telegram import FakeTelegram, block_external_network


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to reach api.telegram.org (or anything but loopback) fails the test."""
    block_external_network(monkeypatch)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    """A fresh fake Bot API server on a random loopback port."""
    async with FakeTelegram(webhook_retry_delay=0.1) as server:
        yield server
