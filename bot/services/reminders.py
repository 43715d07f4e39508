"""The client's reminder settings: the time, the lighter hello on rest days, pause and resume.
(Sending reminders is the scheduler's job, bot/scheduler.) One transaction per call."""

from __future__ import annotations

from datetime import time

from bot.content.loader import messages
from bot.db.engine import unit_of_work
from bot.services.context import Service, client_for
from bot.services.types import Reply


class ReminderService(Service):
    """set_reminder, set_rest_day_reminders, pause_reminders."""

    def set_reminder(self, chat_id: int, at: time, rest_days: bool | None = None) -> Reply:
        """A new time (which also resumes paused reminders); `rest_days` turns the lighter hello
        on the days without a strength session on or off (None: left as it was)."""
        with unit_of_work(self.engine) as s:
            client = client_for(s, chat_id, self.clock())
            if client.profile is not None:
                client.profile.reminder_time = at
            client.reminders_paused = False
            if rest_days is not None:
                client.light_reminders = rest_days
            light = bool(client.light_reminders)
        m = messages()
        tail = m["reminder_rest_days_on"] if light else (
            m["reminder_rest_days_off"] if rest_days is False else m["reminder_rest_days_offer"])
        return Reply(m["reminder_set"].format(time=at.strftime("%H:%M")) + tail)

    def set_rest_day_reminders(self, chat_id: int, on: bool) -> Reply:
        """The lighter hello on days without a strength session, on or off (the time stays)."""
        with unit_of_work(self.engine) as s:
            client_for(s, chat_id, self.clock()).light_reminders = on
        return Reply(messages()["rest_days_on" if on else "rest_days_off"])

    def pause_reminders(self, chat_id: int, paused: bool) -> Reply:
        with unit_of_work(self.engine) as s:
            client = client_for(s, chat_id, self.clock())
            client.reminders_paused = paused
            at = client.profile.reminder_time if client.profile else None
        if paused:
            return Reply(messages()["reminders_paused"])
        return Reply(messages()["reminders_resumed"].format(
            time=at.strftime("%H:%M") if at else messages().reminder_time_unknown))
