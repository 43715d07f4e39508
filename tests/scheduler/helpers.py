"""Enrolling clients for reminder tests, and reading what the scheduler recorded."""

from __future__ import annotations

import subprocess
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.db import clients
from bot.db.engine import unit_of_work
from bot.db.models import Client, ReminderSent
from bot.scheduler.due import strength_days

ROOT = Path(__file__).resolve().parents[2]
BUTTONS = ["/checkin_done", "/checkin_skipped", "/ask_todays_workout"]


def enrol(
    engine: Engine,
    chat_ids: Iterable[int],
    *,
    at: time = time(8, 0),
    tz: str = "America/Chicago",
    days: Iterable[int] = (0, 3),
    per_week: int = 2,
    name: str | None = "Ada",
    light: bool = False,
    paused: bool = False,
    blocked: bool = False,
    state: str = "active",
    now: datetime | None = None,
) -> list[int]:
    """Clients who finished onboarding, with the given schedule; returns their ids."""
    now = now or datetime.now(timezone.utc)
    ids = []
    with unit_of_work(engine) as s:
        for chat_id in chat_ids:
            client = clients.get_or_create_client(s, chat_id, name, now)
            client.display_name = name
            client.state = state
            client.timezone = tz
            client.light_reminders = light
            client.reminders_paused = paused
            client.blocked_bot_at = now if blocked else None
            clients.set_consent(s, client, now)
            clients.save_profile(
                s,
                client,
                experience="some",
                vertebral_fracture=False,
                falls_last_year=0,
                balance_confidence="medium",
                baseline_pain=1,
                sessions_per_week=per_week,
                training_days=tuple(days),
                reminder_time=at,
                equipment={"chair", "band"},
                now=now,
            )
            ids.append(client.id)
    return ids


def reminders(engine: Engine) -> list[ReminderSent]:
    with unit_of_work(engine) as s:
        return list(s.execute(select(ReminderSent).order_by(ReminderSent.id)).scalars())


def client_row(engine: Engine, chat_id: int) -> Client:
    with unit_of_work(engine) as s:
        return clients.get_client(s, chat_id)


def sends_per_chat(calls: Iterable[Any]) -> Counter[int]:
    """Successful sendMessage calls per chat, from the fake's call log."""
    return Counter(c.chat_id for c in calls if c.method == "sendMessage" and c.status == 200)


# --- real-time set-ups for scheduler processes (they read the real clock) ----------------------


def midday_zone(now: datetime) -> str:
    """A fixed-offset zone where it is about noon at `now`, so "due a minute ago" is the same
    local day whatever time the tests run."""
    offset = 12 - now.astimezone(timezone.utc).hour  # -11 .. +12 hours from UTC
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"  # Etc/GMT-5 is UTC+5


def due_now(now: datetime) -> dict[str, Any]:
    """enrol() options for clients whose strength-day reminder fell due a minute ago."""
    tz = midday_zone(now)
    local = now.astimezone(ZoneInfo(tz))
    today = local.weekday()
    days = (today, (today + 3) % 7)
    assert today in strength_days(2, tuple(sorted(days)))
    return {
        "tz": tz,
        "at": (local - timedelta(minutes=1)).time().replace(second=0, microsecond=0),
        "days": days,
        "per_week": 2,
    }


def scheduler_process(engine: Engine, fake: Any, log: Path, *args: str) -> subprocess.Popen[bytes]:
    """`python -m bot.scheduler` against this database and the fake Bot API (the benchmark's helper)."""
    from bench.reminders import scheduler

    return scheduler(engine, fake, log, *args)
