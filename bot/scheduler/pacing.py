"""Spacing of outgoing reminders to Telegram's flood limits: ~30 messages/s per bot, 1/s per chat.

Telegram counts messages in a sliding second, so a bucket that allows a burst of 30 and then 30/s
trips it (the burst plus the next refill land in one second). Sends are therefore spaced evenly,
at least `1 / rate` apart, and a chat's next message waits `per_chat` seconds after its last.
After a RetryAfter (429) answer, `hold()` lets nothing go for the time Telegram asks.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class SendPacer:
    """Hands out send slots; one instance per bot token in a process, used from one event loop."""

    def __init__(
        self, rate_per_second: float, per_chat_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._interval = 1.0 / rate_per_second if rate_per_second > 0 else 0.0
        self._per_chat = per_chat_seconds
        self._clock = clock
        self._last_turn = -1e9
        self._held_until = 0.0
        self._gate = asyncio.Lock()
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
                await self._overall_turn()
                self._chat_ready[chat_id] = self._clock() + self._per_chat
        finally:
            self._waiting[chat_id] -= 1
            if not self._waiting[chat_id]:
                del self._waiting[chat_id], self._chat_locks[chat_id]
        self._forget_old_chats()

    async def _overall_turn(self) -> None:
        # One caller at a time waits for the next slot, counted from when the previous send was
        # really let go: if the event loop stalls, sends resume spaced, not as a catch-up burst.
        async with self._gate:
            while True:
                await self._sleep_until(max(self._last_turn + self._interval, self._held_until))
                if self._clock() >= self._held_until:  # no 429 arrived while we slept
                    break
            self._last_turn = self._clock()

    def hold(self, seconds: float) -> None:
        """Telegram answered 429 (RetryAfter): no new slot before `seconds` from now."""
        self._held_until = max(self._held_until, self._clock() + seconds)

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
