"""Reminders (reminders_sent): who may get one, the claims on them, their leases and outcomes.

The values the scheduler computes with are here too (Candidate, Record: what it reads; Due,
Closing: what it decides; Claim: what it holds), so that bot.scheduler depends on the database
and never the other way round.

Exactly once rests on two guards that hold on PostgreSQL (any number of schedulers) and SQLite
(one writer at a time) alike: a new reminder is claimed by INSERT ... ON CONFLICT DO NOTHING on
the unique (client_id, day, kind), and an expired claim is taken over by a conditional UPDATE
that matches only while the attempt number it saw is current. Every outcome is recorded with the
same attempt number, so a sender whose claim was taken over cannot record anything. Claims are
written in key order, so two schedulers claiming overlapping batches never deadlock.

The scheduler commits each call on its own (claims before sending, an outcome right after it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, text, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.db.models import CheckIn, Client, Profile, ReminderSent, parse_training_days
from bot.db.status import LIVE_REMINDERS, ClientState, ReminderKind, ReminderStatus


@dataclass(frozen=True)
class Candidate:
    """An active client whose reminders are on (not paused, not blocked, a time chosen)."""

    client_id: int
    chat_id: int
    name: str | None
    timezone: str
    reminder_time: time
    training_days: tuple[int, ...]
    sessions_per_week: int
    light_reminders: bool


@dataclass(frozen=True)
class Record:
    """A reminders_sent row as the scheduler needs it."""

    id: int
    status: str  # a ReminderStatus
    attempts: int
    claimed_at: datetime
    lease_until: datetime | None
    sent_at: datetime | None


Key = tuple[int, date, str]  # (client_id, local day, ReminderKind)


@dataclass(frozen=True)
class Due:
    """A reminder to claim and send; `record_id`/`attempts` name the expired claim to take over."""

    client_id: int
    chat_id: int
    name: str | None
    day: date
    kind: ReminderKind
    due_at: datetime
    record_id: int | None = None
    attempts: int = 0

    @property
    def key(self) -> Key:
        return (self.client_id, self.day, self.kind)


@dataclass(frozen=True)
class Closing:
    """A reminder that will not be sent: recorded with `status` so it is not considered again."""

    client_id: int
    day: date
    kind: ReminderKind
    status: ReminderStatus  # skipped (late, checked in, daily cap) or failed (too many attempts)
    reason: str
    record_id: int | None = None
    attempts: int = 0


@dataclass(frozen=True)
class Snapshot:
    candidates: list[Candidate]
    records: dict[Key, Record]
    checked_in: set[tuple[int, date]]


@dataclass(frozen=True)
class Claim:
    """A reminder this process holds until `lease_until`; `attempts` fences its outcome."""

    id: int
    attempts: int
    due: Due
    lease_until: datetime


def load_snapshot(s: Session, now: datetime) -> Snapshot:
    """Everything due computation reads, for the local days around `now` in any zone."""
    first, last = now.date() - timedelta(days=2), now.date() + timedelta(days=1)
    rows = s.execute(
        select(
            Client.id,
            Client.chat_id,
            Client.display_name,
            Client.timezone,
            Profile.reminder_time,
            Profile.training_days,
            Profile.sessions_per_week,
            Client.light_reminders,
        )
        .join(Profile, Profile.client_id == Client.id)
        .where(
            Client.state == ClientState.ACTIVE,
            Client.reminders_paused.is_(False),
            Client.blocked_bot_at.is_(None),
            Profile.reminder_time.is_not(None),
        )
    )
    candidates = [
        Candidate(cid, chat, name, tz, at, parse_training_days(days), per_week or 0, bool(light))
        for cid, chat, name, tz, at, days, per_week, light in rows
    ]
    records = {
        (r.client_id, r.day, r.kind): Record(r.id, r.status, r.attempts, r.claimed_at, r.lease_until, r.sent_at)
        for r in s.execute(select(ReminderSent).where(ReminderSent.day.between(first, last))).scalars()
    }
    checked_in = set(s.execute(select(CheckIn.client_id, CheckIn.day).where(CheckIn.day.between(first, last))))
    return Snapshot(candidates, records, {(cid, day) for cid, day in checked_in})


def _insert(s: Session) -> Any:
    dialect = postgresql if s.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(ReminderSent)


def _insert_new(s: Session, client_id: int, day: date, kind: str, **values: Any) -> bool:
    """Insert the row unless (client, day, kind) exists; True if this call inserted it."""
    statement = (
        _insert(s)
        .values(client_id=client_id, day=day, kind=kind, **values)
        .on_conflict_do_nothing(index_elements=["client_id", "day", "kind"])
    )
    return bool(s.execute(statement).rowcount == 1)


def _expired(now: datetime, lease: timedelta) -> Any:
    return or_(
        ReminderSent.lease_until <= now,
        and_(ReminderSent.lease_until.is_(None), ReminderSent.claimed_at <= now - lease),
    )


def _current(record_id: int, attempts: int) -> Any:
    """The row as a holder of this attempt last saw it: still claimed, not taken over."""
    return and_(
        ReminderSent.id == record_id, ReminderSent.status == ReminderStatus.CLAIMED, ReminderSent.attempts == attempts
    )


def claim(s: Session, dues: Sequence[Due], now: datetime, lease: timedelta, daily_cap: int) -> list[Claim]:
    """Claim what nobody else has; returns the claims this call won. A client already getting
    `daily_cap` messages that day gets the rest recorded as skipped."""
    lease_until = now + lease
    dues = sorted(dues, key=lambda d: d.key)
    won: list[Claim] = []
    live = _live_per_day(s, {(d.client_id, d.day) for d in dues if d.record_id is None})
    inserted: list[Due] = []
    for due in dues:
        if due.record_id is not None:
            taken = s.execute(
                update(ReminderSent)
                .where(_current(due.record_id, due.attempts), _expired(now, lease))
                .values(attempts=due.attempts + 1, claimed_at=now, lease_until=lease_until)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount == 1:
                won.append(Claim(due.record_id, due.attempts + 1, due, lease_until))
            continue
        if live.get((due.client_id, due.day), 0) >= daily_cap:
            _insert_new(s, due.client_id, due.day, due.kind, status=ReminderStatus.SKIPPED, claimed_at=now,
                        attempts=0)
            continue
        if _insert_new(
            s,
            due.client_id,
            due.day,
            due.kind,
            status=ReminderStatus.CLAIMED,
            claimed_at=now,
            lease_until=lease_until,
            attempts=1,
        ):
            inserted.append(due)
            live[(due.client_id, due.day)] = live.get((due.client_id, due.day), 0) + 1
    if inserted:
        key = tuple_(ReminderSent.client_id, ReminderSent.day, ReminderSent.kind)
        rows = s.execute(
            select(ReminderSent.client_id, ReminderSent.day, ReminderSent.kind, ReminderSent.id).where(
                key.in_([d.key for d in inserted])
            )
        )
        ids = {(cid, day, kind): rid for cid, day, kind, rid in rows}
        won += [Claim(ids[d.key], 1, d, lease_until) for d in inserted]
    return won


def _live_per_day(s: Session, pairs: set[tuple[int, date]]) -> dict[tuple[int, date], int]:
    """Messages each client got or is getting that day (the daily cap counts these)."""
    if not pairs:
        return {}
    rows = s.execute(
        select(ReminderSent.client_id, ReminderSent.day, func.count())
        .where(
            tuple_(ReminderSent.client_id, ReminderSent.day).in_(sorted(pairs)),
            ReminderSent.status.in_(LIVE_REMINDERS),
        )
        .group_by(ReminderSent.client_id, ReminderSent.day)
    )
    return {(cid, day): n for cid, day, n in rows}


def close(s: Session, closings: Sequence[Closing], now: datetime, lease: timedelta) -> int:
    """Record reminders that will not be sent; returns how many rows this call wrote."""
    written = 0
    for item in sorted(closings, key=lambda c: (c.client_id, c.day, c.kind)):
        if item.record_id is None:
            written += _insert_new(
                s, item.client_id, item.day, item.kind, status=item.status, claimed_at=now, attempts=0
            )
        else:
            written += s.execute(
                update(ReminderSent)
                .where(_current(item.record_id, item.attempts), _expired(now, lease))
                .values(status=item.status, lease_until=None)
                .execution_options(synchronize_session=False)
            ).rowcount
    return written


def finish(s: Session, held: Claim, status: ReminderStatus, now: datetime) -> bool:
    """Record the outcome of a held claim (sent, skipped, failed); False if it was lost (taken
    over after its lease ran out, or the client was deleted).

    On PostgreSQL, "sent" makes the rest of the transaction commit without waiting for the WAL
    flush (SET LOCAL), so give it a transaction of its own.
    """
    values: dict[str, Any] = {"status": status, "lease_until": None}
    if status == ReminderStatus.SENT:
        values["sent_at"] = now
    if status == ReminderStatus.SENT and s.get_bind().dialect.name == "postgresql":
        # This commit closes the window in which a killed scheduler would send the reminder
        # again, so don't wait for the WAL flush (~2 ms). Only a PostgreSQL crash in the next
        # fraction of a second could lose the mark: that, too, would mean one duplicate.
        s.execute(text("SET LOCAL synchronous_commit TO OFF"))
    result = s.execute(
        update(ReminderSent)
        .where(_current(held.id, held.attempts))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


def mark_blocked(s: Session, held: Claim, now: datetime) -> None:
    """The client blocked the bot: the reminder failed and no more are attempted."""
    s.execute(
        update(ReminderSent)
        .where(_current(held.id, held.attempts))
        .values(status=ReminderStatus.FAILED, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    s.execute(
        update(Client)
        .where(Client.id == held.due.client_id, Client.blocked_bot_at.is_(None))
        .values(blocked_bot_at=now)
        .execution_options(synchronize_session=False)
    )


def set_lease(s: Session, held: Claim, until: datetime) -> bool:
    """Move the end of a held claim's lease: later to keep it, to now to hand it back at once.
    False if the claim is no longer ours."""
    result = s.execute(
        update(ReminderSent)
        .where(_current(held.id, held.attempts))
        .values(lease_until=until)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)
