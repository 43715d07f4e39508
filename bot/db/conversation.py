"""A client's conversation as Rasa stored it, read only: the staff dashboard shows its last messages.

Rasa's SQL tracker store (bot/tracker_store.py) keeps every event of a conversation in its
`events` table (sender_id, type_name, timestamp, data as JSON); a message from the client is a
`user` event and one from the coach a `bot` event, each with its `text`. With SQLite that table
is in a database file of its own beside the session database (bot.stack.tracker_store_url).

Read with an engine of its own that never writes: no BEGIN IMMEDIATE on SQLite (the session
database's unit_of_work takes the write lock, which would hold up the Rasa server's saves).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import NamedTuple

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine, inspect, select
from sqlalchemy.engine import Engine

EVENTS = Table(
    "events", MetaData(),  # Rasa's table, not ours: not in the session database's models
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("type_name", String(255)),
    Column("timestamp", Float),
    Column("data", Text),
)
MESSAGE_EVENTS = ("user", "bot")


class Message(NamedTuple):
    at: datetime
    from_client: bool  # else the coach
    text: str


def tracker_engine(url: str) -> Engine:
    """An engine on Rasa's tracker store that only reads."""
    return create_engine(url, future=True, pool_pre_ping=True)


def last_messages(engine: Engine, sender_id: str, limit: int = 50) -> list[Message]:
    """The conversation's last `limit` messages with text, oldest first; none when Rasa has not
    created its table yet (no conversation ever held)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(EVENTS.name):
            return []
        rows = connection.execute(
            select(EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.data)
            .where(EVENTS.c.sender_id == sender_id, EVENTS.c.type_name.in_(MESSAGE_EVENTS))
            .order_by(EVENTS.c.id.desc())
            .limit(limit * 2)  # a reply with buttons only, or an image, has no text
        ).all()
    messages = []
    for type_name, timestamp, data in rows:
        text = (json.loads(data or "{}") or {}).get("text")
        if isinstance(text, str) and text.strip():
            at = datetime.fromtimestamp(timestamp or 0, tz=timezone.utc)
            messages.append(Message(at, type_name == "user", text))
        if len(messages) == limit:
            break
    return messages[::-1]
