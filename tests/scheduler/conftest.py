"""Reminder tests run the real scheduler against the fake Bot API and real databases (db_engine:
SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram.ext import ExtBot

from bot.scheduler import make_scheduler_bot
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_fixtures import fake, no_internet  # noqa: F401 (fixtures)


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[ExtBot]:
    """The bot the scheduler itself uses, pointed at the fake."""
    async with make_scheduler_bot(fake.token, fake.base_url) as scheduler_bot:
        yield scheduler_bot
