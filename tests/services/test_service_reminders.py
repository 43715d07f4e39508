"""ReminderService's promises, through a real session database: the reminder time and a pause
are kept.

Every test runs on SQLite and on PostgreSQL (`db_engine`), with the clock fixed in Duluth's
summer (no icy-season rules): Monday 2 June 2025, 10:00 local.
"""

from __future__ import annotations

from datetime import time

from bot.content.loader import messages
from bot.db import clients
from bot.db.engine import unit_of_work
from bot.services import Services


def test_reminder_time_and_pause_persist(services: Services, ruth: int) -> None:
    m = messages()
    offer = m["reminder_set"].format(time="18:30") + m["reminder_rest_days_offer"]
    assert services.reminders.set_reminder(ruth, time(18, 30)).text == offer
    assert services.reminders.pause_reminders(ruth, True).text == m["reminders_paused"]
    with unit_of_work(services.engine) as s:
        client = clients.get_client(s, ruth)
        assert (client.profile.reminder_time, client.reminders_paused) == (time(18, 30), True)
    assert services.reminders.pause_reminders(ruth, False).text == m["reminders_resumed"].format(time="18:30")
    services.reminders.pause_reminders(ruth, True)
    services.reminders.set_reminder(ruth, time(7, 0))  # choosing a time turns reminders back on
    with unit_of_work(services.engine) as s:
        client = clients.get_client(s, ruth)
        assert (client.profile.reminder_time, client.reminders_paused) == (time(7, 0), False)
