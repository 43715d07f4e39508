"""Training sessions: the day's planned session, check-ins with their exercise logs, and what
adherence reads of them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

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
    exercise logs loaded."""
    return list(
        s.execute(
            select(CheckIn)
            .where(CheckIn.client_id == client.id, CheckIn.day >= since)
            .order_by(CheckIn.day, CheckIn.created_at, CheckIn.id)
            .options(selectinload(CheckIn.exercise_logs))
        ).scalars()
    )


def last_done_day(s: Session, client: Client) -> date | None:
    """The last local day the client did (all or part of) a session."""
    day: date | None = s.execute(
        select(func.max(CheckIn.day)).where(CheckIn.client_id == client.id, CheckIn.status.in_(DONE_STATUSES))
    ).scalar_one_or_none()
    return day
