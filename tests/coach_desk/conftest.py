"""The coach desk under test: the fake Bot API, a real python-telegram-bot client pointed at it,
and the real session database (`db_engine`: SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.messaging.client import make_bot
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_fixtures import fake, no_internet  # noqa: F401 (fixtures)

COACH_CHAT = -100_777  # the clinic's coach group


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Any]:
    """A real Bot on the fake server, initialised (it knows its username), short back-off."""
    async with make_bot(fake.token, fake.base_url, read_timeout=1.0, base_delay=0.05) as client:
        yield client
