"""Rows shared by the tests of bot.db's modules (each runs on SQLite and PostgreSQL: `db_engine`)."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy.engine import Engine

from bot.db import clients
from bot.db.engine import unit_of_work
from bot.db.models import Client

NOW = datetime(2025, 1, 6, 15, 0, tzinfo=timezone.utc)
DAY = date(2025, 1, 6)
CHAT = 5_000_000_001  # beyond 32 bits, as real Telegram ids can be
LOGS = [
    {"pattern": "squat", "rung": 2, "sets": 2, "reps": 10},
    {"pattern": "balance", "rung": 1, "seconds": 30},
]


def active_client(engine: Engine, chat_id: int = CHAT) -> Client:
    with unit_of_work(engine) as s:
        client = clients.get_or_create_client(s, chat_id, "Ruth", NOW)
        client.state = "active"
        return client
