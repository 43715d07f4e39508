"""Spacing of outgoing reminders to Telegram's flood limits: ~30 messages/s per bot, 1/s per chat.

Telegram counts messages in a sliding second, so a bucket that allows a burst of 30 and then 30/s
trips it (the burst plus the next refill land in one second). Sends are therefore spaced evenly:
each takes the next free slot, `1 / rate` after the previous one, and a chat's next message waits
`per_chat` seconds after its last. RetryAfter answers are honoured by python-telegram-bot's
AIORateLimiter (make_bot), which holds every request for the time Telegram asks.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class SendPacer:
    """Hands out send slots; one instance per bot token in a process, used from one event loop."""

    def __init__(self, rate_per_second: float, per_chat_seconds: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = 1.0 / rate_per_second if rate_per_second > 0 else 0.0
        self._per_chat = per_chat_seconds
        self._clock = clock
        self._next_slot = 0.0
        self._chat_ready: dict[int, float] = {}
        self._chat_locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def wait_turn(self, chat_id: int) -> None:
        """Return when a message to `chat_id` may go out."""
        lock = self._chat_locks.setdefault(chat_id, asyncio.Lock())
        self._waiting[chat_id] = self._waiting.get(chat_id, 0) + 1
        try:
            async with lock:  # one message per chat at a time: spacing counts from the last one
                await self._sleep_until(self._chat_ready.get(chat_id, 0.0))
                slot = max(self._clock(), self._next_slot)
                self._next_slot = slot + self._interval  # taken before sleeping: no await in between
                await self._sleep_until(slot)
                self._chat_ready[chat_id] = self._clock() + self._per_chat
        finally:
            self._waiting[chat_id] -= 1
            if not self._waiting[chat_id]:
                del self._waiting[chat_id], self._chat_locks[chat_id]
        self._forget_old_chats()

    async def _sleep_until(self, moment: float) -> None:
        delay = moment - self._clock()
        if delay > 0:
            await asyncio.sleep(delay)

    def _forget_old_chats(self) -> None:
        """Drop chats whose spacing is over, so memory stays bounded over months of reminders."""
        if len(self._chat_ready) < 4096:
            return
        now = self._clock()
        for chat_id in [c for c, ready in self._chat_ready.items() if ready <= now]:
            del self._chat_ready[chat_id]
