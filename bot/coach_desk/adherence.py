"""Which sessions a client was meant to do, and the "missed in a row" alert (how many: clinic.yml
`missed_sessions`).

A *planned* session is a day of the client's training weekdays, counted from the day after they
joined, unless the rules engine planned that day as rest or stop (pain, an open red flag): those
are the clinic's choice, not a miss. The training weekdays are the engine's strength days for the
client's chosen days (`training_weekdays`, the one function plans and reminders use too), so a
chosen day the plan never puts strength on is never counted as missed. Planned sessions exist
whether or not the client opened the chat that day, which is the point: a client who goes quiet
has no plans stored at all.
A planned day is *missed* when it is over (before the client's local today) and no session was
done or partly done on it; a skipped check-in counts as missed too.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.coach_desk.texts import coach_texts, short_day
from bot.coaching.engine import training_weekdays
from bot.coaching.progress import NOT_TRAINING
from bot.content.loader import clinic
from bot.db import alerts, clients, sessions, symptoms
from bot.db.engine import unit_of_work
from bot.db.models import Client, Profile
from bot.db.status import AlertKind, ClientState

logger = logging.getLogger(__name__)


def local_today(client: Client, now: datetime) -> date:
    return now.astimezone(ZoneInfo(client.timezone)).date()


def first_planned_day(client: Client) -> date:
    """The day after the client joined (consented, or first wrote): joining day is not a miss."""
    joined = client.consent_at or client.created_at
    return joined.astimezone(ZoneInfo(client.timezone)).date() + timedelta(days=1)


def client_training_weekdays(profile: Profile | None) -> frozenset[int]:
    """The weekdays a client trains on, as plans and reminders see them; none without a profile."""
    if profile is None:
        return frozenset()
    return frozenset(training_weekdays(profile.sessions_per_week or 0, profile.training_weekdays))


def planned_days(weekdays: Collection[int], plans: Mapping[date, str], first: date, last: date) -> list[date]:
    """The client's training weekdays from `first` to `last` (inclusive), minus the days the
    engine planned as rest or stop."""
    days = []
    for weekday in weekdays:  # each weekday's dates, a week apart (the report does this per client)
        day = first + timedelta(days=(weekday - first.weekday()) % 7)
        while day <= last:
            if plans.get(day) not in NOT_TRAINING:
                days.append(day)
            day += timedelta(weeks=1)
    return sorted(days)


def detect_missed_sessions(engine: Engine, now: datetime) -> list[int]:
    """Alert the clinic about each active client whose last `alert_after` or more planned
    sessions were all missed; returns the ids of the alerts created.

    Once per lapse: the alert's key is the last day the client trained ("never" before their
    first session), so scanning again finds it exists, and only a session done starts a new lapse.
    Clients with an open red flag are skipped: they are told not to train.
    """
    with unit_of_work(engine) as s:
        client_ids = [
            c.chat_id for c in clients.all_clients(s) if c.state == ClientState.ACTIVE and c.profile is not None
        ]
    created = []
    for chat_id in client_ids:
        with unit_of_work(engine) as s:  # one short transaction per client
            alert_id = _check_client(s, chat_id, now)
        if alert_id is not None:
            created.append(alert_id)
    if created:
        logger.info("Created %d missed-sessions alert(s)", len(created))
    return created


def _check_client(s: Session, chat_id: int, now: datetime) -> int | None:
    client = clients.get_client(s, chat_id)
    if client is None or client.profile is None or symptoms.open_red_flags(s, client):
        return None
    last_done = sessions.last_done_day(s, client)
    first = first_planned_day(client)
    if last_done is not None:
        first = max(first, last_done + timedelta(days=1))
    yesterday = local_today(client, now) - timedelta(days=1)
    weekdays = client_training_weekdays(client.profile)
    missed = planned_days(weekdays, sessions.planned_kinds(s, client, first), first, yesterday)
    rule = clinic().missed_sessions
    if len(missed) < rule.alert_after:
        return None
    texts = coach_texts()["alert"]
    shown = ", ".join(short_day(d) for d in missed[-rule.days_listed:])
    detail = texts["missed_detail"].format(
        count=len(missed),
        days=shown if len(missed) <= rule.days_listed else f"…, {shown}",
        last_done=short_day(last_done) if last_done else texts["never"],
    )
    key = f"missed_sessions:{last_done.isoformat() if last_done else 'never'}"
    alert = alerts.add_alert_once(s, client, AlertKind.MISSED_SESSIONS, detail, key, now)
    return alert.id if alert is not None else None

