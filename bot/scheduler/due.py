"""Which reminders are due now: a pure function of the database's state and the clock.

Per client and local day (yesterday and today in the client's zone, so a reminder just before
midnight is still sent after it): the day's reminder, `checkin` on a strength weekday or `light`
on another day for clients who opted in, is due from the chosen local time for `window`; the
evening `nudge` on a strength day is due at the nudge time if the day's reminder went out at least
`nudge_min_gap` earlier and the client has not checked in. A reminder is also due again when its
claim's lease ran out (its sender died). Reminders found too late, or over the daily cap, are
recorded as skipped (today's only), so nothing is sent at night; after a check-in nothing is due.
What it reads and decides (Candidate, Record, Due, Closing) are bot.db.reminders' values.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.coaching.engine import training_weekdays
from bot.db.reminders import Candidate, Closing, Due, Key, Record
from bot.db.status import LIVE_REMINDERS, ReminderKind, ReminderStatus
from bot.scheduler.config import ReminderConfig

logger = logging.getLogger(__name__)


@dataclass
class DueReport:
    due: list[Due] = field(default_factory=list)
    closing: list[Closing] = field(default_factory=list)


@lru_cache(maxsize=4096)
def strength_days(sessions_per_week: int, training_days: tuple[int, ...]) -> frozenset[int]:
    """The engine's strength weekdays for this schedule (`training_weekdays`, the one place
    that decides them)."""
    return frozenset(training_weekdays(sessions_per_week, training_days))


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        return None


def expired(record: Record, now: datetime, lease: timedelta) -> bool:
    """A claim nobody holds any more (rows claimed without a lease expire `lease` after the claim)."""
    if record.status != ReminderStatus.CLAIMED:
        return False
    if record.lease_until is None:
        return record.claimed_at + lease <= now
    return record.lease_until <= now


def compute_due(
    candidates: Iterable[Candidate],
    records: Mapping[Key, Record],
    checked_in: set[tuple[int, date]],
    now: datetime,
    config: ReminderConfig,
) -> DueReport:
    """What to send and what to close at `now` (an aware datetime)."""
    finder = _Finder(records, checked_in, now, config)
    for client in candidates:
        finder.client(client)
    return finder.report


class _Finder:
    def __init__(
        self,
        records: Mapping[Key, Record],
        checked_in: set[tuple[int, date]],
        now: datetime,
        config: ReminderConfig,
    ) -> None:
        self.records, self.checked_in, self.now, self.config = records, checked_in, now, config
        self.live_per_day = Counter((cid, day) for (cid, day, _), r in records.items() if r.status in LIVE_REMINDERS)
        self.report = DueReport()

    def client(self, client: Candidate) -> None:
        tz = _zone(client.timezone)
        if tz is None:
            logger.warning("client %d has an unknown time zone; no reminders", client.client_id)
            return
        today = self.now.astimezone(tz).date()
        strong = strength_days(client.sessions_per_week, client.training_days)
        for day in (today - timedelta(days=1), today):
            kind = (ReminderKind.CHECKIN if day.weekday() in strong
                    else ReminderKind.LIGHT if client.light_reminders else None)
            if kind is not None:
                due_at = datetime.combine(day, client.reminder_time, tzinfo=tz)
                self._consider(client, day, kind, due_at, self.config.window, day == today)
            reminder = self.records.get((client.client_id, day, ReminderKind.CHECKIN))
            if reminder is None or reminder.status != ReminderStatus.SENT or reminder.sent_at is None:
                continue
            nudge_at = datetime.combine(day, self.config.nudge_time, tzinfo=tz)
            if reminder.sent_at <= nudge_at - self.config.nudge_min_gap:
                self._consider(client, day, ReminderKind.NUDGE, nudge_at, self.config.nudge_window, day == today)

    def _consider(
        self, client: Candidate, day: date, kind: ReminderKind, due_at: datetime, window: timedelta, is_today: bool
    ) -> None:
        if due_at > self.now:
            return
        cid = client.client_id
        record = self.records.get((cid, day, kind))
        reason = "late" if self.now - due_at > window else "checked_in" if (cid, day) in self.checked_in else None
        if record is None:
            if reason is None and self.live_per_day[(cid, day)] >= self.config.max_unprompted_per_day:
                reason = "daily_cap"
            if reason is None:
                self.report.due.append(Due(cid, client.chat_id, client.name, day, kind, due_at))
            elif is_today and reason != "checked_in":  # a check-in is seen again on every run
                self.report.closing.append(Closing(cid, day, kind, ReminderStatus.SKIPPED, reason))
            return
        if not expired(record, self.now, self.config.lease):
            return
        if record.attempts >= self.config.max_attempts:
            failed = Closing(cid, day, kind, ReminderStatus.FAILED, "attempts", record.id, record.attempts)
            self.report.closing.append(failed)
        elif reason is not None:
            skipped = Closing(cid, day, kind, ReminderStatus.SKIPPED, reason, record.id, record.attempts)
            self.report.closing.append(skipped)
        else:
            self.report.due.append(Due(cid, client.chat_id, client.name, day, kind, due_at, record.id, record.attempts))
