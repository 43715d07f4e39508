"""What every service shares: its engine and clock, one unit of work per call, the client's
local day, and finding (or starting) a client row.

A service method opens one `unit_of_work`, reads `now` once, and passes the session and `now`
to the helpers here and in history.py, planning.py and pain.py: none of those opens a
transaction of its own, so whatever a call triggers (a replan after a pain report, say) is
committed or rolled back with it.
"""

from __future__ import annotations

import zlib
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.content.loader import messages
from bot.db import clients
from bot.db.models import Client
from bot.services.types import Clock


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def chat_number(sender: str) -> int:
    """Telegram chat ids are numbers; other senders (tests, REST) get a stable number."""
    return int(sender) if sender.lstrip("-").isdigit() else zlib.crc32(sender.encode())


class Service:
    """A service over one database; thread-safe because every call opens its own session."""

    def __init__(self, engine: Engine, clock: Clock = utc_now) -> None:
        self.engine = engine
        self.clock = clock


def local_today(client: Client, now: datetime) -> date:
    """The client's own calendar day at `now` (plans and check-ins are per local day)."""
    return now.astimezone(ZoneInfo(client.timezone)).date()


def local_midnight(client: Client, now: datetime, days_ago: int) -> datetime:
    """Midnight `days_ago` days before the client's local today, as an aware datetime."""
    start = local_today(client, now) - timedelta(days=days_ago)
    return datetime.combine(start, time(), tzinfo=ZoneInfo(client.timezone))


def client_for(s: Session, chat_id: int, now: datetime, name: str | None = None) -> Client:
    """The chat's client, started (not enrolled) when there is none yet: a red flag or a
    request for a person from a chat without a profile still reaches the clinic."""
    return clients.get_or_create_client(s, chat_id, name or messages().default_name, now)
