"""The scheduler's settings and texts (bot/content/reminders.yml, checked by bot.content.loader)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import time, timedelta
from functools import cache
from typing import Any

from bot.content import loader


@dataclass(frozen=True)
class ReminderConfig:
    """When reminders are due, how they are delivered, what they say."""

    window: timedelta
    nudge_time: time
    nudge_min_gap: timedelta
    nudge_window: timedelta
    max_unprompted_per_day: int
    poll_seconds: float
    batch_size: int
    lease: timedelta
    retry_delay: timedelta
    max_attempts: int
    concurrency: int
    rate_per_second: float  # 0: python-telegram-bot's AIORateLimiter alone paces the sends
    per_chat_seconds: float
    buttons: tuple[tuple[str, str], ...]  # (title, payload)
    texts: dict[str, Any]

    def with_overrides(self, **changes: Any) -> ReminderConfig:
        return replace(self, **changes)

    @property
    def claim_batch(self) -> int:
        """Claims per transaction: few enough to be sent within a quarter of the lease."""
        if self.rate_per_second <= 0:
            return self.batch_size
        return max(1, min(self.batch_size, int(self.rate_per_second * self.lease.total_seconds() / 4)))


def _minutes(value: Any) -> timedelta:
    return timedelta(minutes=float(value))


def parse_config(raw: loader.Reminders) -> ReminderConfig:
    schedule, delivery = raw.schedule, raw.delivery
    return ReminderConfig(
        window=_minutes(schedule["window_minutes"]),
        nudge_time=time.fromisoformat(str(schedule["nudge_time"])),
        nudge_min_gap=_minutes(schedule["nudge_min_gap_minutes"]),
        nudge_window=_minutes(schedule["nudge_window_minutes"]),
        max_unprompted_per_day=int(schedule["max_unprompted_per_day"]),
        poll_seconds=float(delivery["poll_seconds"]),
        batch_size=int(delivery["batch_size"]),
        lease=timedelta(seconds=float(delivery["lease_seconds"])),
        retry_delay=timedelta(seconds=float(delivery["retry_delay_seconds"])),
        max_attempts=int(delivery["max_attempts"]),
        concurrency=int(delivery["concurrency"]),
        rate_per_second=float(delivery["rate_per_second"]),
        per_chat_seconds=float(delivery["per_chat_seconds"]),
        buttons=tuple((b.title, b.payload) for b in raw.buttons),
        texts=raw.texts.dict(),
    )


@cache
def load_config() -> ReminderConfig:
    return parse_config(loader.reminders())
