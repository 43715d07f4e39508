"""The coach desk's reads and writes of the session database; each function takes the Session first.

Like bot.db.repo, functions flush but never commit. Delivery claims are conditional UPDATEs, so of
several senders (the Telegram channel, the `python -m bot.coach_desk` loop, replicas) exactly one
wins each alert, on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from bot.db.models import AllowedChat, CheckIn, Client, CoachAlert, InviteCode, PlannedSession, SymptomReport

DONE = ("done", "partial")


def _deliverable(stale_before: datetime) -> tuple[Any, ...]:
    """Not yet delivered, still open, and not held by a live sender."""
    return (
        CoachAlert.notified_at.is_(None),
        CoachAlert.handled_at.is_(None),
        or_(CoachAlert.notify_claimed_at.is_(None), CoachAlert.notify_claimed_at < stale_before),
    )


def claim_next_alert(s: Session, now: datetime, stale_after: timedelta) -> CoachAlert | None:
    """Claim the oldest alert nobody has delivered or is delivering; None when there is none.

    Commit the claim before sending, so other senders skip the alert.
    """
    return _claim_oldest(s, _deliverable(now - stale_after), now)


def _claim_oldest(s: Session, condition: tuple[Any, ...], now: datetime) -> CoachAlert | None:
    """The oldest alert meeting `condition`, claimed by a conditional UPDATE that re-checks it
    (so of several senders exactly one wins); None when there is none."""
    candidates = s.execute(
        select(CoachAlert.id).where(*condition).order_by(CoachAlert.at, CoachAlert.id).limit(10)
    ).scalars()
    for alert_id in list(candidates):
        taken = s.execute(
            update(CoachAlert)
            .where(CoachAlert.id == alert_id, *condition)
            .values(notify_claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount == 1:
            return s.execute(
                select(CoachAlert).where(CoachAlert.id == alert_id).options(joinedload(CoachAlert.client))
            ).scalar_one()
    return None


def claim_next_repeat(
    s: Session, now: datetime, repeat_after: timedelta, stale_after: timedelta, kinds: tuple[str, ...]
) -> CoachAlert | None:
    """Claim the oldest open alert of `kinds` last sent more than `repeat_after` ago.

    The same conditional UPDATE as a first delivery: of several senders, one wins; marking it
    notified again restarts its clock.
    """
    condition = (
        CoachAlert.handled_at.is_(None),
        CoachAlert.kind.in_(kinds),
        CoachAlert.notified_at.is_not(None),
        CoachAlert.notified_at < now - repeat_after,
        or_(CoachAlert.notify_claimed_at.is_(None),
            CoachAlert.notify_claimed_at <= CoachAlert.notified_at,
            CoachAlert.notify_claimed_at < now - stale_after),
    )
    return _claim_oldest(s, condition, now)


def mark_alert_notified(s: Session, alert_id: int, now: datetime) -> None:
    s.execute(
        update(CoachAlert)
        .where(CoachAlert.id == alert_id)
        .values(notified_at=now)
        .execution_options(synchronize_session=False)
    )


def release_alert(s: Session, alert_id: int) -> None:
    """Give a claimed alert back (sending failed), so the next round tries again."""
    s.execute(
        update(CoachAlert)
        .where(CoachAlert.id == alert_id, CoachAlert.notified_at.is_(None))
        .values(notify_claimed_at=None)
        .execution_options(synchronize_session=False)
    )


def add_alert_once(
    s: Session, client: Client, kind: str, detail: str, dedup_key: str, now: datetime
) -> CoachAlert | None:
    """Create the alert unless one with this key exists for the client; None when it does."""
    exists = s.execute(
        select(CoachAlert.id).where(CoachAlert.client_id == client.id, CoachAlert.dedup_key == dedup_key)
    ).first()
    if exists is not None:
        return None
    alert = CoachAlert(client_id=client.id, at=now, kind=kind, detail=detail, dedup_key=dedup_key)
    try:
        with s.begin_nested():  # another scanner may insert the same key meanwhile
            s.add(alert)
            s.flush()
    except IntegrityError:
        return None
    return alert


def alerts(s: Session, open_only: bool = False) -> list[CoachAlert]:
    """Alerts oldest first, each with its client loaded."""
    query = select(CoachAlert).order_by(CoachAlert.at, CoachAlert.id).options(joinedload(CoachAlert.client))
    if open_only:
        query = query.where(CoachAlert.handled_at.is_(None))
    return list(s.execute(query).scalars())


def open_alert_counts(s: Session) -> dict[int, int]:
    """Open alerts per client id."""
    rows = s.execute(
        select(CoachAlert.client_id, func.count())
        .where(CoachAlert.handled_at.is_(None))
        .group_by(CoachAlert.client_id)
    )
    return {client_id: count for client_id, count in rows}


def open_red_flag_counts(s: Session) -> dict[int, int]:
    """Red flags not cleared yet (open or handled), per client id."""
    rows = s.execute(
        select(SymptomReport.client_id, func.count())
        .where(SymptomReport.kind == "red_flag", SymptomReport.state.in_(("open", "handled")))
        .group_by(SymptomReport.client_id)
    )
    return {client_id: count for client_id, count in rows}


def all_clients(s: Session) -> list[Client]:
    """Every client, profile loaded, in chat-id order."""
    return list(s.execute(select(Client).order_by(Client.chat_id).options(selectinload(Client.profile))).scalars())


def planned_kinds(s: Session, client: Client, since: date) -> dict[date, str]:
    """The kind of session the engine planned for each day from `since`."""
    rows = s.execute(
        select(PlannedSession.day, PlannedSession.kind).where(
            PlannedSession.client_id == client.id, PlannedSession.day >= since
        )
    )
    return {day: kind for day, kind in rows}


def last_done_day(s: Session, client: Client) -> date | None:
    """The last local day the client did (all or part of) a session."""
    return s.execute(
        select(func.max(CheckIn.day)).where(CheckIn.client_id == client.id, CheckIn.status.in_(DONE))
    ).scalar_one_or_none()


def recent_checkins(s: Session, client: Client, since: date) -> list[CheckIn]:
    """Every check-in from `since` (a day may have several), oldest first."""
    return list(
        s.execute(
            select(CheckIn).where(CheckIn.client_id == client.id, CheckIn.day >= since)
            .order_by(CheckIn.created_at, CheckIn.id)
        ).scalars()
    )


def recent_symptoms(s: Session, client: Client, since: datetime) -> list[SymptomReport]:
    return list(
        s.execute(
            select(SymptomReport).where(SymptomReport.client_id == client.id, SymptomReport.at >= since)
        ).scalars()
    )


def invites(s: Session) -> list[InviteCode]:
    return list(s.execute(select(InviteCode).order_by(InviteCode.created_at, InviteCode.id)).scalars())


def allowed_chats(s: Session) -> list[AllowedChat]:
    return list(s.execute(select(AllowedChat).order_by(AllowedChat.chat_id)).scalars())


# "You're cleared to train again", told to the client once (cleared from the coach chat or the CLI)


def _untold(stale_before: datetime) -> tuple[Any, ...]:
    return (
        SymptomReport.kind == "red_flag",
        SymptomReport.state == "cleared",
        SymptomReport.clear_notice_sent_at.is_(None),
        or_(SymptomReport.clear_notice_claimed_at.is_(None), SymptomReport.clear_notice_claimed_at < stale_before),
    )


def claim_clear_notice(s: Session, now: datetime, stale_after: timedelta) -> tuple[int, int] | None:
    """Claim the red flags of one client cleared but not yet told (a conditional UPDATE, so of
    several senders one wins); (client id, chat id), or None when nobody is waiting.

    Commit the claim before sending; several flags cleared together make one message.
    """
    condition = _untold(now - stale_after)
    candidates = s.execute(
        select(SymptomReport.client_id).where(*condition).group_by(SymptomReport.client_id)
        .order_by(func.min(SymptomReport.cleared_at)).limit(10)
    ).scalars()
    for client_id in list(candidates):
        taken = s.execute(
            update(SymptomReport)
            .where(SymptomReport.client_id == client_id, *condition)
            .values(clear_notice_claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount:
            chat_id = s.execute(select(Client.chat_id).where(Client.id == client_id)).scalar_one()
            return client_id, chat_id
    return None


def finish_clear_notice(s: Session, client_id: int, claimed_at: datetime, sent_at: datetime | None) -> None:
    """The claimed notice was sent (`sent_at`), or failed (None: given back for the next round)."""
    values: dict[str, Any] = {"clear_notice_sent_at": sent_at} if sent_at else {"clear_notice_claimed_at": None}
    s.execute(
        update(SymptomReport)
        .where(
            SymptomReport.client_id == client_id,
            SymptomReport.clear_notice_claimed_at == claimed_at,
            SymptomReport.clear_notice_sent_at.is_(None),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
