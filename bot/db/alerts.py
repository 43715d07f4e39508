"""Coach alerts: created once per situation, listed, marked handled, and delivered to the coach chat.

Delivery claims are conditional UPDATEs, so of several senders (the Telegram channel, the
`python -m bot.coach_desk` loop, replicas) exactly one wins each alert.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, joinedload

from bot.db.models import Client, CoachAlert
from bot.db.status import AlertKind
from bot.db.symptoms import mark_red_flags_handled
from bot.db.unique import add_or_existing


def _with_key(
    s: Session, client: Client, kind: str, detail: str | None, now: datetime, dedup_key: str | None
) -> tuple[CoachAlert, bool]:
    """The alert, and whether it is new: with a `dedup_key` the client already has, that alert."""

    def find() -> CoachAlert | None:
        if dedup_key is None:
            return None
        found: CoachAlert | None = s.execute(
            select(CoachAlert).where(CoachAlert.client_id == client.id, CoachAlert.dedup_key == dedup_key)
        ).scalar_one_or_none()
        return found

    existing = find()
    if existing is not None:
        return existing, False
    alert = CoachAlert(client_id=client.id, at=now, kind=kind, detail=detail, dedup_key=dedup_key)
    return add_or_existing(s, alert, find)


def create_alert(
    s: Session, client: Client, kind: str, detail: str | None, now: datetime, dedup_key: str | None = None
) -> CoachAlert:
    """A new alert (`kind` an AlertKind); with a `dedup_key` the client already has, that alert instead."""
    return _with_key(s, client, kind, detail, now, dedup_key)[0]


def add_alert_once(
    s: Session, client: Client, kind: str, detail: str, dedup_key: str, now: datetime
) -> CoachAlert | None:
    """Create the alert unless one with this key exists for the client; None when it does."""
    alert, created = _with_key(s, client, kind, detail, now, dedup_key)
    return alert if created else None


def get_alert(s: Session, alert_id: int) -> CoachAlert | None:
    alert: CoachAlert | None = s.get(CoachAlert, alert_id)
    return alert


def list_alerts(s: Session, client: Client | None = None, open_only: bool = False) -> list[CoachAlert]:
    """Alerts (of one client, or everyone's; only those nobody handled yet), oldest first, each
    with its client loaded."""
    query = select(CoachAlert).order_by(CoachAlert.at, CoachAlert.id).options(joinedload(CoachAlert.client))
    if client is not None:
        query = query.where(CoachAlert.client_id == client.id)
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


def mark_alert_handled(s: Session, alert_id: int, staff: str, now: datetime) -> CoachAlert | None:
    """Mark an alert handled (the first handler is kept); a red-flag alert also moves the
    client's open red flags to handled (not cleared: see symptoms.clear_red_flags). None when
    there is no such alert."""
    alert = get_alert(s, alert_id)
    if alert is None:
        return None
    if alert.handled_at is None:
        alert.handled_at = now
        alert.handled_by = staff
        if alert.kind == AlertKind.RED_FLAG:
            mark_red_flags_handled(s, alert.client, staff, now)
    s.flush()
    return alert


# Delivery to the coach chat


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
            claimed: CoachAlert = s.execute(
                select(CoachAlert).where(CoachAlert.id == alert_id).options(joinedload(CoachAlert.client))
            ).scalar_one()
            return claimed
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
