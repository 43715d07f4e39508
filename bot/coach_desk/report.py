"""The coach's adherence report: per client, sessions planned and done, streak, pain, alerts.

Streak and pain trend are the client's own /progress numbers (bot.service.client_history and
summarize_progress). *Planned* in a window is every planned day that is over (see
bot.coach_desk.adherence) plus every day with a check-in on a training plan, so an extra session
counts as planned and done; *done* counts sessions done or partly done. Today counts only once
the client has checked in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.engine import Engine

from bot.coach_desk.adherence import client_training_weekdays, first_planned_day, planned_days
from bot.coaching.progress import DONE, NOT_TRAINING, summarize_progress
from bot.db import alerts, clients, sessions, symptoms
from bot.db.engine import unit_of_work
from bot.service import Coach, client_history

WINDOWS = (7, 28)
SORT_KEYS = ("name", "adherence", "pain", "alerts")


@dataclass(frozen=True)
class ClientReport:
    name: str
    chat_id: int
    planned_7: int
    done_7: int
    planned_28: int
    done_28: int
    streak: int
    last_session: date | None
    pain_average: float | None  # the last 14 days, as /progress computes it
    pain_trend: str  # better | same | worse | not enough data
    open_red_flags: int
    open_alerts: int

    def counts(self, days: int) -> tuple[int, int]:
        """(done, planned) over the last `days` (7 or 28)."""
        return (self.done_7, self.planned_7) if days == 7 else (self.done_28, self.planned_28)

    def adherence(self, days: int) -> float | None:
        """Done / planned in percent, capped at 100; None with nothing planned."""
        done, planned = self.counts(days)
        return min(100.0, 100.0 * done / planned) if planned else None


def build_report(engine: Engine, now: datetime) -> list[ClientReport]:
    """One row per client, in chat-id order."""
    coach = Coach(engine, clock=lambda: now)
    with unit_of_work(engine) as s:
        red_flags = symptoms.open_red_flag_counts(s)
        open_alerts = alerts.open_alert_counts(s)
        rows = []
        for client in clients.all_clients(s):
            today, history, reports = client_history(coach, s, client)
            summary = summarize_progress(history, reports, today)
            month = today - timedelta(days=max(WINDOWS) - 1)
            weekdays = client_training_weekdays(client.profile)
            first = max(month, first_planned_day(client))
            plans = sessions.planned_kinds(s, client, month)
            scheduled = planned_days(weekdays, plans, first, today - timedelta(days=1))
            trained = {r.day for r in history.sessions if month <= r.day <= today and r.kind not in NOT_TRAINING}
            done = {r.day for r in history.sessions if r.day in trained and r.status in DONE}
            planned = trained | set(scheduled)
            rows.append(
                ClientReport(
                    name=client.display_name or "",
                    chat_id=client.chat_id,
                    planned_7=_in_last(7, planned, today),
                    done_7=_in_last(7, done, today),
                    planned_28=_in_last(28, planned, today),
                    done_28=_in_last(28, done, today),
                    streak=summary.streak,
                    last_session=sessions.last_done_day(s, client),
                    pain_average=summary.pain_recent,
                    pain_trend=summary.pain_trend,
                    open_red_flags=red_flags.get(client.id, 0),
                    open_alerts=open_alerts.get(client.id, 0),
                )
            )
    return rows


def _in_last(days: int, found: set[date], today: date) -> int:
    return sum(1 for d in found if d > today - timedelta(days=days))


def sort_report(rows: Sequence[ClientReport], key: str = "name", days: int = 7) -> list[ClientReport]:
    """name: A to Z; adherence: lowest first (who needs a call), nothing planned last;
    pain: highest 14-day average first; alerts: most open alerts (red flags first) first."""
    by_name = sorted(rows, key=lambda r: (r.name.casefold(), r.chat_id))
    if key == "name":
        return by_name
    if key == "adherence":
        return sorted(by_name, key=lambda r: (r.adherence(days) is None, r.adherence(days) or 0.0))
    if key == "pain":
        return sorted(by_name, key=lambda r: (r.pain_average is None, -(r.pain_average or 0.0)))
    if key == "alerts":
        return sorted(by_name, key=lambda r: (-r.open_red_flags, -r.open_alerts))
    raise ValueError(f"sort key must be one of {SORT_KEYS}")
