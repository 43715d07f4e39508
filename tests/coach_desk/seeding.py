"""Clients and their history for the coach-desk and CLI tests, written with the real repository."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from bot.db import clients, sessions
from bot.db.engine import unit_of_work

CHICAGO = ZoneInfo("America/Chicago")
EVERY_DAY = range(7)


def enrol(
    engine: Engine, chat_id: int, name: str, joined: datetime, training_days: Iterable[int] = (0, 2, 4)
) -> None:
    """An active client with a finished profile, who joined (consented) at `joined`."""
    with unit_of_work(engine) as s:
        client = clients.get_or_create_client(s, chat_id, name, joined)
        client.state = "active"
        clients.set_consent(s, client, joined)
        clients.save_profile(
            s, client, now=joined, experience="some", vertebral_fracture=False, falls_last_year=0,
            balance_confidence="medium", baseline_pain=2, sessions_per_week=3,
            training_days=list(training_days), reminder_time=time(9, 0), equipment=["chair", "band"],
            recent_fracture=False, several_fractures=False, height_loss_or_curve=False,
        )


def check_in(
    engine: Engine, chat_id: int, day: date, status: str = "done", *, pain: int | None = None,
    rpe: int | None = None, note: str | None = None,
) -> None:
    """A check-in logged at noon of that day, Chicago time."""
    at = datetime.combine(day, time(12), tzinfo=CHICAGO)
    with unit_of_work(engine) as s:
        client = clients.get_client(s, chat_id)
        sessions.record_checkin(s, client, day, status, rpe=rpe, pain=pain, note=note, now=at)


def plan(engine: Engine, chat_id: int, day: date, kind: str, at: datetime) -> None:
    """What the engine planned for a day (only its kind matters to the coach desk)."""
    with unit_of_work(engine) as s:
        sessions.save_planned_session(s, clients.get_client(s, chat_id), day, kind, json.dumps({"kind": kind}), at)


def local_days_before(now: datetime, n: int) -> date:
    return now.astimezone(CHICAGO).date() - timedelta(days=n)
