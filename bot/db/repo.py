"""Every read and write of the session database; each function takes the Session first.

Functions flush but never commit: the caller's `unit_of_work` block is the transaction.
They use only the `id` of a Client passed in, so a client loaded in an earlier unit of work
works too. "Exactly once" promises rest on unique constraints and conditional UPDATEs, which
hold on PostgreSQL (many replicas) and SQLite (one writer at a time) alike.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Collection, Iterable, Mapping
from contextlib import suppress
from datetime import date, datetime, time, timezone
from typing import Any, TypeVar

from sqlalchemy import delete, inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from bot.db.models import (
    AllowedChat,
    CheckIn,
    Client,
    CoachAlert,
    ExerciseLog,
    InviteCode,
    LadderPosition,
    LiveKeyboard,
    PlannedSession,
    ProcessedUpdate,
    Profile,
    ReminderSent,
    SymptomReport,
)

# Codes are read aloud and typed on phones: no 0/O, 1/I/L look-alikes. 31**8 ≈ 8.5e11 codes.
INVITE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
INVITE_LENGTH = 8
EXCERPT_MAX = 200
PROFILE_FIELDS = frozenset(
    {
        "experience",
        "vertebral_fracture",
        "falls_last_year",
        "balance_confidence",
        "baseline_pain",
        "sessions_per_week",
        "training_days",
        "reminder_time",
        "equipment",
        "vertebral_fracture_unsure",
        "recent_fracture",
        "several_fractures",
        "height_loss_or_curve",
    }
)

T = TypeVar("T")


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _add_or_existing(s: Session, row: T, find: Callable[[], T | None]) -> tuple[T, bool]:
    """Insert `row` in a SAVEPOINT; on a unique-key clash return the row that won instead.

    The savepoint keeps the outer transaction usable after the clash (PostgreSQL would abort
    it). An IntegrityError with no existing row (a check constraint, say) is raised as is.
    """
    try:
        with s.begin_nested():
            s.add(row)
            s.flush()
    except IntegrityError:
        existing = find()
        if existing is None:
            raise
        return existing, False
    return row, True


# Clients and profiles


def get_client(s: Session, chat_id: int) -> Client | None:
    return s.execute(select(Client).where(Client.chat_id == chat_id)).scalar_one_or_none()


def get_or_create_client(s: Session, chat_id: int, display_name: str | None, now: datetime) -> Client:
    """The client for this chat; a new one starts as "invited" (not enrolled)."""
    client = get_client(s, chat_id)
    if client is not None:
        return client
    row = Client(chat_id=chat_id, display_name=display_name, state="invited", created_at=now)
    return _add_or_existing(s, row, lambda: get_client(s, chat_id))[0]


def save_profile(s: Session, client: Client, *, now: datetime | None = None, **fields: Any) -> Profile:
    """Create or update the client's profile with the given fields only.

    `training_days` may be weekday numbers (Monday = 0) and `equipment` a collection of names;
    both are stored as sorted comma lists.
    """
    unknown = set(fields) - PROFILE_FIELDS
    if unknown:
        raise TypeError(f"not profile fields: {sorted(unknown)}")
    profile = s.get(Profile, client.id)
    if profile is None:
        profile = Profile(client_id=client.id, equipment="")
        s.add(profile)
        if client in s:  # a relationship already read as None follows the new row
            client.profile = profile
    for name, value in fields.items():
        if name == "training_days" and value is not None and not isinstance(value, str):
            value = _weekday_list(value)
        elif name == "equipment" and not isinstance(value, str):
            value = ",".join(sorted(set(value or ())))
        setattr(profile, name, value)
    profile.updated_at = now or _utcnow()
    s.flush()
    return profile


def _weekday_list(days: Iterable[int]) -> str:
    weekdays = sorted({int(d) for d in days})
    if any(not 0 <= d <= 6 for d in weekdays):
        raise ValueError("training days are weekday numbers 0 (Monday) to 6 (Sunday)")
    return ",".join(str(d) for d in weekdays)


def set_consent(s: Session, client: Client, now: datetime) -> None:
    """Record when the client agreed to the terms (it does not enrol them)."""
    s.get(Client, client.id).consent_at = now
    s.flush()


# Exercise ladders and plans


def ladder_positions(s: Session, client: Client) -> dict[str, int]:
    rows = s.execute(select(LadderPosition.pattern, LadderPosition.rung).where(LadderPosition.client_id == client.id))
    return {pattern: rung for pattern, rung in rows}


def set_ladder_positions(s: Session, client: Client, rungs: Mapping[str, int], now: datetime) -> None:
    """Move the client to these rungs; patterns not named keep theirs.

    The first position recorded for a pattern is also its start rung ("steps climbed").
    """
    existing = {
        lp.pattern: lp
        for lp in s.execute(select(LadderPosition).where(LadderPosition.client_id == client.id)).scalars()
    }
    for pattern, rung in rungs.items():
        position = existing.get(pattern)
        if position is None:
            s.add(
                LadderPosition(
                    client_id=client.id,
                    pattern=pattern,
                    rung=rung,
                    start_rung=rung,
                    updated_at=now,
                )
            )
        elif position.rung != rung:
            position.rung = rung
            position.updated_at = now
    s.flush()


def planned_session(s: Session, client: Client, day: date) -> PlannedSession | None:
    return s.execute(
        select(PlannedSession).where(PlannedSession.client_id == client.id, PlannedSession.day == day)
    ).scalar_one_or_none()


def save_planned_session(
    s: Session, client: Client, day: date, kind: str, plan_json: str, now: datetime
) -> PlannedSession:
    """Store the day's plan, replacing an earlier plan for the same day (created_at = now)."""
    plan = planned_session(s, client, day)
    if plan is None:
        row = PlannedSession(client_id=client.id, day=day, kind=kind, plan_json=plan_json, created_at=now)
        plan, created = _add_or_existing(s, row, lambda: planned_session(s, client, day))
        if created:
            return plan
    plan.kind = kind
    plan.plan_json = plan_json
    plan.created_at = now
    s.flush()
    return plan


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
    """Log a check-in; `exercise_logs` items have pattern, rung, sets, reps, seconds.

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
        created_at=now or _utcnow(),
        session_kind=session_kind or (plan.kind if plan else None),
        source_message_id=source_message_id,
        exercise_logs=[_exercise_log(e) for e in exercise_logs],
    )
    return _add_or_existing(s, row, lambda: checkin_from_message(s, client, source_message_id))[0]


def checkin_from_message(s: Session, client: Client, message_id: str | None) -> CheckIn | None:
    """The check-in logged from this client message, if any."""
    if message_id is None:
        return None
    return s.execute(
        select(CheckIn).where(CheckIn.client_id == client.id, CheckIn.source_message_id == message_id)
    ).scalar_one_or_none()


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


# Symptoms, red flags and coach alerts


def short_excerpt(text: str | None) -> str | None:
    """Keep only a short, single-line piece of what the client wrote."""
    if text is None:
        return None
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_MAX else flat[: EXCERPT_MAX - 1] + "…"


def record_symptom(
    s: Session,
    client: Client,
    kind: str,
    score: int | None,
    body_part: str | None,
    excerpt: str | None,
    now: datetime,
    source_message_id: str | None = None,
) -> SymptomReport:
    """A new report; a red flag starts open. A kind already reported from this client message
    (`source_message_id`) is not reported again: the first report is returned."""
    if source_message_id is not None:
        existing = symptom_from_message(s, client, source_message_id, kind)
        if existing is not None:
            return existing
    report = SymptomReport(
        client_id=client.id,
        at=now,
        kind=kind,
        score=score,
        body_part=body_part,
        text_excerpt=short_excerpt(excerpt),
        state="open" if kind == "red_flag" else None,
        source_message_id=source_message_id,
    )
    return _add_or_existing(s, report, lambda: symptom_from_message(s, client, source_message_id, kind))[0]


def symptom_from_message(s: Session, client: Client, message_id: str | None, kind: str) -> SymptomReport | None:
    """The report of this kind made from this client message, if any."""
    if message_id is None:
        return None
    return s.execute(
        select(SymptomReport).where(
            SymptomReport.client_id == client.id,
            SymptomReport.source_message_id == message_id,
            SymptomReport.kind == kind,
        )
    ).scalar_one_or_none()


def symptoms_since(s: Session, client: Client, since: datetime) -> list[SymptomReport]:
    """Reports at or after `since` (an aware datetime), oldest first."""
    return list(
        s.execute(
            select(SymptomReport)
            .where(SymptomReport.client_id == client.id, SymptomReport.at >= since)
            .order_by(SymptomReport.at, SymptomReport.id)
        ).scalars()
    )


def _red_flags_in(s: Session, client: Client, states: Collection[str]) -> list[SymptomReport]:
    return list(
        s.execute(
            select(SymptomReport)
            .where(
                SymptomReport.client_id == client.id,
                SymptomReport.kind == "red_flag",
                SymptomReport.state.in_(states),
            )
            .order_by(SymptomReport.at, SymptomReport.id)
        ).scalars()
    )


def open_red_flags(s: Session, client: Client) -> list[SymptomReport]:
    """Red flags not cleared yet (open, or handled by someone at the clinic): while there is
    one, the client gets no workout and no session is logged as training."""
    return _red_flags_in(s, client, ("open", "handled"))


def mark_red_flags_handled(s: Session, client: Client, coach: str, now: datetime) -> int:
    """Someone at the clinic has picked up the client's open red flags (open -> handled; the
    client is still not cleared to train); returns how many moved."""
    flags = _red_flags_in(s, client, ("open",))
    for flag in flags:
        flag.state = "handled"
        flag.handled_at = now
        flag.handled_by = coach
    s.flush()
    return len(flags)


def clear_red_flags(s: Session, client: Client, coach: str, now: datetime) -> int:
    """The clinic clears the client to train again (open or handled -> cleared); returns how
    many moved, 0 when none was left (clearing twice changes nothing). Each cleared flag waits
    for the client to be told (`clear_notice_sent_at`)."""
    flags = open_red_flags(s, client)
    for flag in flags:
        flag.state = "cleared"
        flag.cleared_at = now
        flag.cleared_by = coach
    s.flush()
    return len(flags)


def last_cleared_red_flag(s: Session, client: Client) -> SymptomReport | None:
    """The client's most recently cleared red flag (who cleared it, when), if any."""
    return s.execute(
        select(SymptomReport)
        .where(SymptomReport.client_id == client.id, SymptomReport.kind == "red_flag",
               SymptomReport.state == "cleared")
        .order_by(SymptomReport.cleared_at.desc(), SymptomReport.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def create_alert(
    s: Session, client: Client, kind: str, detail: str | None, now: datetime, dedup_key: str | None = None
) -> CoachAlert:
    """A new alert; with a `dedup_key` the client already has, that alert instead."""

    def find() -> CoachAlert | None:
        if dedup_key is None:
            return None
        return s.execute(
            select(CoachAlert).where(CoachAlert.client_id == client.id, CoachAlert.dedup_key == dedup_key)
        ).scalar_one_or_none()

    existing = find()
    if existing is not None:
        return existing
    alert = CoachAlert(client_id=client.id, at=now, kind=kind, detail=detail, dedup_key=dedup_key)
    return _add_or_existing(s, alert, find)[0]


def open_alerts(s: Session, client: Client | None = None) -> list[CoachAlert]:
    """Unhandled alerts, oldest first, each with its client loaded."""
    query = (
        select(CoachAlert)
        .where(CoachAlert.handled_at.is_(None))
        .order_by(CoachAlert.at, CoachAlert.id)
        .options(joinedload(CoachAlert.client))
    )
    if client is not None:
        query = query.where(CoachAlert.client_id == client.id)
    return list(s.execute(query).scalars())


def mark_alert_handled(s: Session, alert_id: int, coach: str, now: datetime) -> CoachAlert | None:
    """Mark an alert handled (the first handler is kept); a red-flag alert also moves the
    client's open red flags to handled (not cleared: see clear_red_flags). None when there is
    no such alert."""
    alert = s.get(CoachAlert, alert_id)
    if alert is None:
        return None
    if alert.handled_at is None:
        alert.handled_at = now
        alert.handled_by = coach
        if alert.kind == "red_flag":
            mark_red_flags_handled(s, alert.client, coach, now)
    s.flush()
    return alert


# Reminders


def claim_reminder(s: Session, client: Client, day: date, kind: str, now: datetime) -> ReminderSent | None:
    """Claim the right to send this reminder; None when it was claimed before (by anyone)."""
    row = ReminderSent(client_id=client.id, day=day, kind=kind, claimed_at=now, status="claimed")

    def find() -> ReminderSent | None:
        return s.execute(
            select(ReminderSent).where(
                ReminderSent.client_id == client.id,
                ReminderSent.day == day,
                ReminderSent.kind == kind,
            )
        ).scalar_one_or_none()

    reminder, created = _add_or_existing(s, row, find)
    return reminder if created else None


def mark_reminder(s: Session, reminder: ReminderSent, status: str, now: datetime) -> ReminderSent | None:
    """Record the outcome of a claimed reminder; None if its client was deleted meanwhile."""
    row = s.get(ReminderSent, reminder.id)
    if row is None:
        return None
    row.status = status
    if status == "sent":
        row.sent_at = now
    s.flush()
    return row


# Enrolment: invite codes and the allow-list


def _normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def create_invite(s: Session, created_by: str | None, now: datetime) -> str:
    """A new one-use invite code such as "K7PMQ3XW"."""
    code = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))
    s.add(InviteCode(code=code, created_at=now, created_by=created_by))
    s.flush()
    return code


def redeem_invite(s: Session, code: str, chat_id: int, display_name: str | None, now: datetime) -> Client | None:
    """Enrol the chat with an unused code (any case, spaces and dashes ignored).

    None when the code is unknown or was used by another chat; the same chat redeeming its
    own code again gets its client back.
    """
    normalised = _normalise_code(code)
    taken = s.execute(
        update(InviteCode)
        .where(InviteCode.code == normalised, InviteCode.redeemed_at.is_(None))
        .values(redeemed_by_chat_id=chat_id, redeemed_at=now)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        holder = s.execute(
            select(InviteCode.redeemed_by_chat_id).where(InviteCode.code == normalised)
        ).scalar_one_or_none()
        if holder != chat_id:
            return None
    client = get_or_create_client(s, chat_id, display_name, now)
    if client.state == "invited":
        client.state = "onboarding"
    s.flush()
    return client


def allow_chat(s: Session, chat_id: int, note: str | None, now: datetime) -> AllowedChat:
    """Enrol a chat without a code (idempotent; a new note replaces the old one)."""

    def find() -> AllowedChat | None:
        return s.execute(select(AllowedChat).where(AllowedChat.chat_id == chat_id)).scalar_one_or_none()

    allowed = find()
    if allowed is None:
        allowed, created = _add_or_existing(s, AllowedChat(chat_id=chat_id, added_at=now, note=note), find)
        if created:
            return allowed
    if note is not None:
        allowed.note = note
    s.flush()
    return allowed


def disallow_chat(s: Session, chat_id: int) -> bool:
    """Remove a chat from the allow-list table; True if it was there."""
    result = s.execute(
        delete(AllowedChat).where(AllowedChat.chat_id == chat_id).execution_options(synchronize_session=False)
    )
    return result.rowcount > 0


def is_enrolled(s: Session, chat_id: int, allowed_chat_ids: Collection[int] = ()) -> bool:
    """May this chat use the coach? Redeemed an invite (client past "invited"), or allow-listed
    in the table or in settings (ALLOWED_CHAT_IDS)."""
    if chat_id in allowed_chat_ids:
        return True
    client = get_client(s, chat_id)
    if client is not None and client.state != "invited":
        return True
    listed = s.execute(select(AllowedChat.id).where(AllowedChat.chat_id == chat_id)).first()
    return listed is not None


def mark_reachable(s: Session, chat_id: int) -> None:
    """The client wrote to us, so they no longer block the bot: reminders may reach them again."""
    s.execute(update(Client).where(Client.chat_id == chat_id, Client.blocked_bot_at.is_not(None))
              .values(blocked_bot_at=None))


# Privacy: export and forget


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def _as_dict(row: Any) -> dict[str, Any]:
    return {attr.key: _jsonable(getattr(row, attr.key)) for attr in inspect(row).mapper.column_attrs}


def _plan_as_dict(plan: PlannedSession) -> dict[str, Any]:
    data = _as_dict(plan)
    with suppress(ValueError):  # not JSON: export the text as stored
        data["plan_json"] = json.loads(plan.plan_json)
    return data


def export_client(s: Session, chat_id: int) -> dict[str, Any]:
    """Everything stored about this chat, JSON-serialisable; {} when nothing is stored."""
    client = get_client(s, chat_id)
    invites = s.execute(select(InviteCode).where(InviteCode.redeemed_by_chat_id == chat_id)).scalars()
    allowed = s.execute(select(AllowedChat).where(AllowedChat.chat_id == chat_id)).scalars()
    extras = {
        "invite_codes": [_as_dict(i) for i in invites],
        "allow_list": [_as_dict(a) for a in allowed],
    }
    if client is None:
        return extras if any(extras.values()) else {}

    def owned(model: Any, *order: Any) -> list[Any]:
        query = select(model).where(model.client_id == client.id).order_by(*order)
        return list(s.execute(query).scalars())

    profile = s.get(Profile, client.id)
    return {
        "client": _as_dict(client),
        "profile": _as_dict(profile) if profile else None,
        "ladder_positions": [_as_dict(p) for p in owned(LadderPosition, LadderPosition.pattern)],
        "planned_sessions": [_plan_as_dict(p) for p in owned(PlannedSession, PlannedSession.day)],
        "checkins": [
            {**_as_dict(c), "exercise_logs": [_as_dict(e) for e in c.exercise_logs]}
            for c in recent_checkins(s, client, date.min)
        ],
        "symptom_reports": [_as_dict(r) for r in owned(SymptomReport, SymptomReport.at, SymptomReport.id)],
        "coach_alerts": [_as_dict(a) for a in owned(CoachAlert, CoachAlert.at, CoachAlert.id)],
        "reminders": [_as_dict(r) for r in owned(ReminderSent, ReminderSent.day, ReminderSent.kind)],
        **extras,
    }


def forget_client(s: Session, chat_id: int) -> bool:
    """Delete everything about this chat: the client with all its rows, its allow-list entry;
    the invite it redeemed stays used but no longer says by whom. True if anything was stored."""
    client = get_client(s, chat_id)
    if client is not None:
        s.delete(client)
    anonymised = s.execute(
        update(InviteCode)
        .where(InviteCode.redeemed_by_chat_id == chat_id)
        .values(redeemed_by_chat_id=None)
        .execution_options(synchronize_session=False)
    )
    unlisted = disallow_chat(s, chat_id)
    s.execute(delete(LiveKeyboard).where(LiveKeyboard.chat_id == chat_id)
              .execution_options(synchronize_session=False))
    # Turn records lose the chat (a turn in progress drops the client's words when it is done).
    s.execute(update(ProcessedUpdate).where(ProcessedUpdate.chat_id == chat_id)
              .values(chat_id=None).execution_options(synchronize_session=False))
    s.flush()
    return client is not None or anonymised.rowcount > 0 or unlisted
