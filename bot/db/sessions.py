"""Training sessions: the day's planned session, check-ins with their exercise logs, and what
adherence reads of them."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import date, datetime, timezone
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from bot.db.models import CheckIn, Client, ExerciseLog, PlannedSession
from bot.db.status import DONE_STATUSES
from bot.db.unique import add_or_existing

# Planned sessions


def planned_session(s: Session, client: Client, day: date) -> PlannedSession | None:
    plan: PlannedSession | None = s.execute(
        select(PlannedSession).where(PlannedSession.client_id == client.id, PlannedSession.day == day)
    ).scalar_one_or_none()
    return plan


def save_planned_session(
    s: Session, client: Client, day: date, kind: str, plan_json: str, now: datetime
) -> PlannedSession:
    """Store the day's plan, replacing an earlier plan for the same day (created_at = now)."""
    stored = planned_session(s, client, day)
    if stored is None:
        row = PlannedSession(client_id=client.id, day=day, kind=kind, plan_json=plan_json, created_at=now)
        plan, created = add_or_existing(s, row, lambda: planned_session(s, client, day))
        if created:
            return plan
    else:
        plan = stored
    plan.kind = kind
    plan.plan_json = plan_json
    plan.created_at = now
    s.flush()
    return plan


def planned_kinds(s: Session, client: Client, since: date) -> dict[date, str]:
    """The kind of session the engine planned for each day from `since`."""
    rows = s.execute(
        select(PlannedSession.day, PlannedSession.kind).where(
            PlannedSession.client_id == client.id, PlannedSession.day >= since
        )
    )
    return {day: kind for day, kind in rows}


def planned_kinds_by_client(s: Session, since: date, kinds: Collection[str]) -> dict[int, dict[date, str]]:
    """The days from `since` whose plan was one of `kinds` (e.g. rest or stop), with that kind,
    per client id: one query for the whole clinic, read from an index (the plans themselves are
    not read)."""
    found: dict[int, dict[date, str]] = {}
    rows = s.execute(
        select(PlannedSession.client_id, PlannedSession.day, PlannedSession.kind)
        .where(PlannedSession.day >= since, PlannedSession.kind.in_(kinds))
    )
    for client_id, day, kind in rows:
        found.setdefault(client_id, {})[day] = kind
    return found


# Check-ins


def lock_client(s: Session, client: Client) -> None:
    """Hold the client's row until the transaction ends, so a "was this message logged
    already?" check and the insert after it are one step (PostgreSQL: FOR UPDATE; SQLite's
    BEGIN IMMEDIATE already lets one writer in at a time)."""
    s.execute(select(Client.id).where(Client.id == client.id).with_for_update())


def _exercise_log(entry: Mapping[str, Any]) -> ExerciseLog:
    return ExerciseLog(
        pattern=entry["pattern"],
        rung=entry["rung"],
        sets=entry.get("sets"),
        reps=entry.get("reps"),
        seconds=entry.get("seconds"),
    )


def record_checkin(
    s: Session,
    client: Client,
    day: date,
    status: str,
    rpe: int | None = None,
    pain: int | None = None,
    note: str | None = None,
    skip_reason: str | None = None,
    exercise_logs: Iterable[Mapping[str, Any]] = (),
    now: datetime | None = None,
    session_kind: str | None = None,
    source_message_id: str | None = None,
) -> CheckIn:
    """Log a check-in (`status` a CheckInStatus); `exercise_logs` items have pattern, rung,
    sets, reps, seconds.

    Every check-in is a row of its own, also a second one the same day: nothing is overwritten
    (readers count a day once). Linked to the day's plan; `session_kind` is what the plan said
    at logging time (default: the plan's kind now). A message already logged
    (`source_message_id`) is not logged again: its first check-in is returned.
    """
    if source_message_id is not None:
        existing = checkin_from_message(s, client, source_message_id)
        if existing is not None:
            return existing
    plan = planned_session(s, client, day)
    row = CheckIn(
        client_id=client.id,
        day=day,
        planned_session_id=plan.id if plan else None,
        status=status,
        rpe=rpe,
        pain=pain,
        note=note,
        skip_reason=skip_reason,
        created_at=now or datetime.now(timezone.utc),
        session_kind=session_kind or (plan.kind if plan else None),
        source_message_id=source_message_id,
        exercise_logs=[_exercise_log(e) for e in exercise_logs],
    )
    return add_or_existing(s, row, lambda: checkin_from_message(s, client, source_message_id))[0]


def checkin_from_message(s: Session, client: Client, message_id: str | None) -> CheckIn | None:
    """The check-in logged from this client message, if any."""
    if message_id is None:
        return None
    checkin: CheckIn | None = s.execute(
        select(CheckIn).where(CheckIn.client_id == client.id, CheckIn.source_message_id == message_id)
    ).scalar_one_or_none()
    return checkin


def recent_checkins(s: Session, client: Client, since: date) -> list[CheckIn]:
    """Check-ins from `since` (a local day, inclusive), oldest first (a day may have several),
    exercise logs and the day's plan loaded (the history reads both: no query per check-in)."""
    return list(
        s.execute(
            select(CheckIn)
            .where(CheckIn.client_id == client.id, CheckIn.day >= since)
            .order_by(CheckIn.day, CheckIn.created_at, CheckIn.id)
            .options(selectinload(CheckIn.exercise_logs), joinedload(CheckIn.planned_session))
        ).scalars()
    )


class CheckInFacts(NamedTuple):
    """What a clinic-wide view reads of a check-in: no exercises, no words of the client's."""

    day: date
    status: str  # a CheckInStatus
    pain: int | None
    kind: str | None  # the session's kind as logged, else that of the plan it was linked to


def checkins_by_client(
    s: Session, since: date, before: date | None = None, client_ids: Collection[int] | None = None
) -> dict[int, list[CheckInFacts]]:
    """The check-ins of every client (or of `client_ids`) from `since` (a local day, inclusive)
    until `before` (exclusive), per client id, each client's in recent_checkins' order: one
    query for the whole clinic. (Ordered by day, not by client: the range is read from the day
    index, not the whole table in client order; and as plain rows, without the ORM's loading
    layer, a third of the time here.)"""
    plan_kind = select(PlannedSession.kind).where(PlannedSession.id == CheckIn.planned_session_id).scalar_subquery()
    query = (
        select(CheckIn.client_id, CheckIn.day, CheckIn.status, CheckIn.pain,
               func.coalesce(CheckIn.session_kind, plan_kind))
        .where(CheckIn.day >= since)
        .order_by(CheckIn.day, CheckIn.created_at, CheckIn.id)
    )
    if before is not None:
        query = query.where(CheckIn.day < before)
    if client_ids is not None:
        query = query.where(CheckIn.client_id.in_(client_ids))
    found: dict[int, list[CheckInFacts]] = {}
    for client_id, day, status, pain, kind in s.connection().execute(query).all():
        found.setdefault(client_id, []).append(CheckInFacts(day, status, pain, kind))
    return found


def last_done_days(s: Session) -> dict[int, date]:
    """last_done_day of every client who ever did a session, per client id. Each client's
    check-ins are read newest first from the index and only until a session done: not all of
    them (a grouped max() would read every check-in ever made)."""
    last = (
        select(CheckIn.day)
        .where(CheckIn.client_id == Client.id, CheckIn.status.in_(DONE_STATUSES))
        .order_by(CheckIn.day.desc())
        .limit(1)
        .scalar_subquery()
    )
    return {client_id: day for client_id, day in s.execute(select(Client.id, last)) if day is not None}


def last_done_day(s: Session, client: Client) -> date | None:
    """The last local day the client did (all or part of) a session."""
    day: date | None = s.execute(
        select(func.max(CheckIn.day)).where(CheckIn.client_id == client.id, CheckIn.status.in_(DONE_STATUSES))
    ).scalar_one_or_none()
    return day
