"""The Telegram channel under test: the fake Bot API, a real python-telegram-bot client pointed at
it, a real SQLite session database, and the channel mounted in a real Sanic app as Rasa mounts it.
A tiny bot stands in for Rasa's agent; the lead's end-to-end tests use the real one.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `tests.support` is imported from the repository root
    sys.path.insert(0, str(ROOT))

from bot.db import invites  # noqa: E402
from bot.db.engine import make_engine, unit_of_work  # noqa: E402
from bot.telegram import TelegramInput  # noqa: E402
from tests.support.databases import migrated_sqlite  # noqa: E402
from tests.support.fake_telegram import FakeTelegram  # noqa: E402
from tests.support.telegram_fixtures import fake, no_internet  # noqa: E402, F401 (fixtures)
from tests.telegram.harness import CLIENT, TinyBot, make_channel, serve  # noqa: E402


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = make_engine(migrated_sqlite(tmp_path, "coach.db"))
    with unit_of_work(engine) as s:
        invites.allow_chat(s, CLIENT, "test client", datetime.now(timezone.utc))
    return engine


@pytest.fixture
def tiny_bot() -> TinyBot:
    return TinyBot()


@pytest.fixture
async def polling(
    fake: FakeTelegram, engine: Engine, tiny_bot: TinyBot
) -> AsyncIterator[TelegramInput]:
    """The channel in polling mode, served."""
    channel = make_channel(fake, engine)
    async with serve(channel, tiny_bot):
        yield channel
