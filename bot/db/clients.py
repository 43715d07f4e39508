"""Clients: the client row, the profile, consent, ladder positions, enrolment, export and forget.

Export and forget reach every table that can hold something about a chat (the invite codes and
the allow-list of invites.py too), so they query those tables here.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from contextlib import suppress
from datetime import date, datetime, time, timezone
from typing import Any, NamedTuple

from sqlalchemy import delete, inspect, select, update
from sqlalchemy.orm import Session, joinedload

from bot.db.models import (
    AllowedChat,
    Client,
    CoachAlert,
    InviteCode,
    LadderPosition,
    LiveKeyboard,
    PlannedSession,
    ProcessedUpdate,
    Profile,
    ReminderSent,
    SymptomReport,
    format_training_days,
)
from bot.db.sessions import recent_checkins
from bot.db.status import ClientState
from bot.db.unique import add_or_existing

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


def get_client(s: Session, chat_id: int) -> Client | None:
    client: Client | None = s.execute(select(Client).where(Client.chat_id == chat_id)).scalar_one_or_none()
    return client


def get_or_create_client(s: Session, chat_id: int, display_name: str | None, now: datetime) -> Client:
    """The client for this chat; a new one starts as "invited" (not enrolled)."""
    client = get_client(s, chat_id)
    if client is not None:
        return client
    row = Client(chat_id=chat_id, display_name=display_name, state=ClientState.INVITED, created_at=now)
    return add_or_existing(s, row, lambda: get_client(s, chat_id))[0]


def all_clients(s: Session) -> list[Client]:
    """Every client, profile loaded (joined: one statement however many clients), in chat-id order."""
    return list(s.execute(select(Client).order_by(Client.chat_id).options(joinedload(Client.profile))).scalars())


class Assessment(NamedTuple):
    """What the clinic marked on a client and their profile's answers (None without a profile):
    what their tiers follow. Many clients share one, so it is a good key to remember tiers by."""

    high_risk: bool
    recent_fracture_uncleared: bool
    cleared_for_weights: bool
    cleared_floor: bool
    experience: str | None
    vertebral_fracture: bool | None
    vertebral_fracture_unsure: bool | None
    falls_last_year: int | None
    balance_confidence: str | None
    baseline_pain: int | None
    sessions_per_week: int | None
    training_days: str | None
    several_fractures: bool | None
    height_loss_or_curve: bool | None


class RosterRow(NamedTuple):
    """A client as a clinic-wide list shows them, as plain values."""

    id: int
    chat_id: int
    display_name: str | None
    assessment: Assessment


def roster(s: Session) -> list[RosterRow]:
    """Every client, in chat-id order: one statement, plain rows (no ORM objects: a fifth of the
    time of all_clients for a big clinic)."""
    query = (
        select(Client.id, Client.chat_id, Client.display_name, Client.high_risk,
               Client.recent_fracture_uncleared, Client.cleared_for_weights, Client.cleared_floor,
               Profile.experience, Profile.vertebral_fracture,
               Profile.vertebral_fracture_unsure, Profile.falls_last_year, Profile.balance_confidence,
               Profile.baseline_pain, Profile.sessions_per_week, Profile.training_days, Profile.several_fractures,
               Profile.height_loss_or_curve)
        .outerjoin(Profile, Profile.client_id == Client.id)
        .order_by(Client.chat_id)
    )
    return [RosterRow(row[0], row[1], row[2], Assessment._make(row[3:]))
            for row in s.connection().execute(query).all()]


def get_client_by_id(s: Session, client_id: int) -> Client | None:
    """The client with this row id (the staff dashboard's pages are addressed by it, not the chat)."""
    client: Client | None = s.get(Client, client_id)
    return client


def save_profile(s: Session, client: Client, *, now: datetime | None = None, **fields: Any) -> Profile:
    """Create or update the client's profile with the given fields only.

    `training_days` may be weekday numbers (Monday = 0) and `equipment` a collection of names;
    both are stored as sorted comma lists.
    """
    unknown = set(fields) - PROFILE_FIELDS
    if unknown:
        raise TypeError(f"not profile fields: {sorted(unknown)}")
    profile: Profile | None = s.get(Profile, client.id)
    if profile is None:
        profile = Profile(client_id=client.id, equipment="")
        s.add(profile)
        if client in s:  # a relationship already read as None follows the new row
            client.profile = profile
    for name, value in fields.items():
        if name == "training_days" and value is not None and not isinstance(value, str):
            value = format_training_days(value)
        elif name == "equipment" and not isinstance(value, str):
            value = ",".join(sorted(set(value or ())))
        setattr(profile, name, value)
    profile.updated_at = now or datetime.now(timezone.utc)
    s.flush()
    return profile


def set_consent(s: Session, client: Client, now: datetime) -> None:
    """Record when the client agreed to the terms (it does not enrol them)."""
    s.get(Client, client.id).consent_at = now
    s.flush()


# Exercise ladders


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


# Enrolment (invite codes and the allow-list table: invites.py)


def is_enrolled(s: Session, chat_id: int, allowed_chat_ids: Collection[int] = ()) -> bool:
    """May this chat use the coach? Redeemed an invite (client past "invited"), or allow-listed
    in the table or in settings (ALLOWED_CHAT_IDS)."""
    if chat_id in allowed_chat_ids:
        return True
    client = get_client(s, chat_id)
    if client is not None and client.state != ClientState.INVITED:
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
    unlisted = s.execute(
        delete(AllowedChat).where(AllowedChat.chat_id == chat_id).execution_options(synchronize_session=False)
    )
    s.execute(delete(LiveKeyboard).where(LiveKeyboard.chat_id == chat_id)
              .execution_options(synchronize_session=False))
    # Turn records lose the chat (a turn in progress drops the client's words when it is done).
    s.execute(update(ProcessedUpdate).where(ProcessedUpdate.chat_id == chat_id)
              .values(chat_id=None).execution_options(synchronize_session=False))
    s.flush()
    return client is not None or anonymised.rowcount > 0 or unlisted.rowcount > 0
