"""Reminder claims and outcomes (bot.db.reminders); the scheduler's runs: tests/scheduler."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.db import reminders
from bot.db.engine import unit_of_work
from bot.db.models import ReminderSent
from bot.db.reminders import Due
from bot.db.status import ReminderKind, ReminderStatus
from tests.db.helpers import DAY, NOW, active_client

LEASE = timedelta(minutes=5)


def test_a_reminder_is_claimed_once_per_client_day_and_kind(db_engine: Engine) -> None:
    client = active_client(db_engine)

    def due(kind: ReminderKind, days_later: int = 0) -> Due:
        return Due(client.id, client.chat_id, "Ruth", DAY + timedelta(days=days_later), kind, NOW)

    with unit_of_work(db_engine) as s:
        [held] = reminders.claim(s, [due(ReminderKind.CHECKIN)], NOW, LEASE, daily_cap=3)
        assert (held.attempts, held.lease_until) == (1, NOW + LEASE)
        assert reminders.claim(s, [due(ReminderKind.CHECKIN)], NOW, LEASE, daily_cap=3) == []
        assert len(reminders.claim(s, [due(ReminderKind.NUDGE)], NOW, LEASE, daily_cap=3)) == 1
        assert len(reminders.claim(s, [due(ReminderKind.CHECKIN, 1)], NOW, LEASE, daily_cap=3)) == 1
    with unit_of_work(db_engine) as s:
        assert reminders.claim(s, [due(ReminderKind.CHECKIN)], NOW, LEASE, daily_cap=3) == []
        assert reminders.finish(s, held, ReminderStatus.SENT, NOW + timedelta(seconds=2))
        assert not reminders.finish(s, held, ReminderStatus.SENT, NOW + timedelta(seconds=3))  # not held any more
    with unit_of_work(db_engine) as s:
        row = s.execute(select(ReminderSent).where(ReminderSent.id == held.id)).scalar_one()
    assert (row.status, row.sent_at, row.lease_until) == ("sent", NOW + timedelta(seconds=2), None)
