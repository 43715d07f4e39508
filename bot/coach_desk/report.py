"""The clinic's adherence report: per client, sessions planned and done, streak, pain, alerts.

Streak and pain trend are the client's own /progress numbers (summarize_progress over the
history bot.services.history gives the engine). *Planned* in a window is every planned day that
is over (see bot.coach_desk.adherence) plus every day with a check-in on a training plan, so an
extra session counts as planned and done; *done* counts sessions done or partly done. Today
counts only once the client has checked in.

The whole clinic is read with a fixed number of queries, however many clients it has (the
database's clinic-wide reads), and each client's rows are then cut to their own local window.
Of the engine's history only what the numbers read is read: the last 28 days (adherence, and the
two 14-day windows of the pain trend) and, for the streak, the days before those only of clients
who did every planned session of the 28 days (anyone else's streak ends within them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from bot.coach_desk.adherence import client_training_weekdays, first_planned_day, planned_days
from bot.coaching import models as cm
from bot.coaching.library import default_rules
from bot.coaching.progress import DONE, NOT_TRAINING, summarize_progress
from bot.db import alerts, clients, sessions, symptoms
from bot.db.engine import unit_of_work
from bot.db.models import Client
from bot.db.sessions import CheckInFacts
from bot.db.status import DONE_STATUSES, CheckInStatus, RedFlagState
from bot.db.symptoms import SymptomFacts
from bot.services.context import local_midnight, local_today

WINDOWS = (7, 28)
SORT_KEYS = ("name", "adherence", "pain", "alerts")
# The report as CSV (`bone-coach report --csv`, the staff dashboard's download): one row builder.
CSV_COLUMNS = ("name", "chat_id", "done_7d", "planned_7d", "done_28d", "planned_28d", "adherence_days",
               "adherence_pct", "streak", "last_session", "pain_avg_14d", "pain_trend", "open_red_flags",
               "open_alerts")


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
    rules = default_rules()
    history_days = rules["history"]["days"]
    recent_days = max(max(WINDOWS), 2 * rules["progress_trend"]["window_days"])
    with unit_of_work(engine, read_only=True) as s:
        everyone = clients.all_clients(s)
        if not everyone:
            return []
        todays = {c.id: local_today(c, now) for c in everyone}
        first_today, last_today = min(todays.values()), max(todays.values())
        checkins = sessions.checkins_by_client(s, first_today - timedelta(days=recent_days - 1))
        made: dict[CheckInFacts, cm.SessionRecord] = {}
        recent = {c.id: _sessions(checkins.get(c.id, []), todays[c.id] - timedelta(days=recent_days - 1), made)
                  for c in everyone}
        unbroken = [cid for cid, found in recent.items() if not any(_breaks_streak(r) for r in found)]
        earlier = sessions.checkins_by_client(
            s, first_today - timedelta(days=history_days), last_today - timedelta(days=recent_days - 1), unbroken)
        # Only the days planned as rest or stop change what counts as planned (planned_days).
        not_training = sessions.planned_kinds_by_client(s, first_today - timedelta(days=recent_days), NOT_TRAINING)
        reports = symptoms.symptoms_by_client(s, min(local_midnight(c, now, recent_days - 1) for c in everyone))
        last_done = sessions.last_done_days(s)
        red_flags = symptoms.open_red_flag_counts(s)
        open_alerts = alerts.open_alert_counts(s)
    rows = []
    for client in everyone:
        today = todays[client.id]
        month = today - timedelta(days=max(WINDOWS) - 1)
        older = [c for c in earlier.get(client.id, []) if c.day < today - timedelta(days=recent_days - 1)]
        history = cm.History(_sessions(older, today - timedelta(days=history_days), made) + recent[client.id], rungs={})
        pains = _symptoms(client, reports.get(client.id, []), now, recent_days - 1)
        summary = summarize_progress(history, pains, today)
        weekdays = client_training_weekdays(client.profile)
        first = max(month, first_planned_day(client))
        scheduled = planned_days(weekdays, not_training.get(client.id, {}), first, today - timedelta(days=1))
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
                last_session=last_done.get(client.id),
                pain_average=summary.pain_recent,
                pain_trend=summary.pain_trend,
                open_red_flags=red_flags.get(client.id, 0),
                open_alerts=open_alerts.get(client.id, 0),
            )
        )
    return rows


def csv_row(row: ClientReport, days: int) -> list[str]:
    """One client in CSV_COLUMNS' order, adherence over `days`: numbers as plain text, ISO dates,
    an empty cell for a number there is none of."""
    adherence = row.adherence(days)
    values = [row.name, row.chat_id, row.done_7, row.planned_7, row.done_28, row.planned_28, days,
              None if adherence is None else f"{adherence:.0f}", row.streak, row.last_session,
              None if row.pain_average is None else f"{row.pain_average:.2f}", row.pain_trend, row.open_red_flags,
              row.open_alerts]
    return ["" if value is None else str(value) for value in values]


def _breaks_streak(session: cm.SessionRecord) -> bool:
    """A planned session not done: the streak counts back to the first of these (summarize_progress)."""
    return session.kind not in NOT_TRAINING and session.status not in DONE


def _sessions(
    checkins: Sequence[CheckInFacts], since: date, made: dict[CheckInFacts, cm.SessionRecord]
) -> tuple[cm.SessionRecord, ...]:
    """The client's check-ins from `since` as one session per day, read as
    bot.services.history.day_record reads them, without what none of the report's numbers use
    (exercises, effort): done beats partly done beats skipped; the newest's kind (else
    strength); the day's highest pain.

    A day with one check-in (most days) is the same record for every client with that day,
    status, pain and kind: `made` keeps the records made so far, so a clinic's 100,000 days
    cost a few thousand checked records (they are frozen: sharing one is safe)."""
    by_day: dict[date, list[CheckInFacts]] = {}
    for checkin in checkins:
        if checkin.day >= since:
            by_day.setdefault(checkin.day, []).append(checkin)
    records = []
    for day, day_checkins in by_day.items():
        if len(day_checkins) > 1:
            records.append(_session(day, day_checkins))
            continue
        only = day_checkins[0]
        if only not in made:
            made[only] = cm.SessionRecord(day=day, kind=only.kind or "strength", status=only.status, rpe=None,
                                          pain=only.pain)
        records.append(made[only])
    return tuple(records)


def _session(day: date, checkins: list[CheckInFacts]) -> cm.SessionRecord:
    """A day with several check-ins."""
    done = [c for c in checkins if c.status in DONE_STATUSES]
    newest = (done or checkins)[-1]
    status = CheckInStatus.DONE if any(c.status == CheckInStatus.DONE for c in done) else newest.status
    pain = max((c.pain for c in checkins if c.pain is not None), default=None)
    return cm.SessionRecord(day=day, kind=newest.kind or "strength", status=status, rpe=None, pain=pain)


def _symptoms(client: Client, reports: Sequence[SymptomFacts], now: datetime, days: int) -> list[cm.SymptomReport]:
    """The client's reports of the last `days` days, as the engine sees them (/progress also
    passes older ones and red flags: only pain scores of the pain trend's windows count)."""
    since, zone = local_midnight(client, now, days), ZoneInfo(client.timezone)
    return [
        cm.SymptomReport(day=r.at.astimezone(zone).date(), kind=r.kind, score=r.score, body_part=r.body_part,
                         cleared=r.state == RedFlagState.CLEARED)
        for r in reports if r.at >= since
    ]


def _in_last(days: int, found: set[date], today: date) -> int:
    start = today - timedelta(days=days)
    return sum(1 for d in found if d > start)


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
