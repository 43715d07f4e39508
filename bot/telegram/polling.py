"""Long polling (getUpdates), the default mode: one process per bot token.

The offset moves past a batch of updates only when each was processed, ignored on purpose, or
given up on after `attempts` tries (never while the handler says RetryLater: a database outage
holds the batch until the database is back); if the process dies first, Telegram offers the batch again
and the claims in the database skip what was already done. Within a batch, chats are served
concurrently and each chat's updates strictly in order, so one slow conversation doesn't hold up
the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = ("message", "callback_query")
MAX_BACKOFF = 30.0
MAX_WAIT = 10.0  # between tries of an update that waits for the database


class RetryLater(Exception):
    """Raised by a handler when an update needs a service that is down (our database): the
    update waits, however long, instead of being given up after `attempts` tries."""


def retry_seconds(exc: RetryAfter) -> float:
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class Poller:
    def __init__(
        self,
        bot: Bot,
        handle: Callable[[Update], Awaitable[None]],
        *,
        timeout: int = 30,
        attempts: int = 3,
        retry_delay: float = 1.0,
        max_parallel_chats: int = 8,
    ) -> None:
        self.bot = bot
        self.handle = handle
        self.timeout = timeout
        self.attempts = attempts
        self.retry_delay = retry_delay
        self._slots = asyncio.Semaphore(max_parallel_chats)
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._fetch: asyncio.Future[tuple[Update, ...]] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="telegram-polling")

    async def stop(self, grace: float = 30.0) -> None:
        """Stop fetching; let the batch in progress finish (up to `grace` seconds)."""
        self._stopping.set()
        if self._fetch is not None:
            self._fetch.cancel()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), grace)
        except asyncio.TimeoutError:
            logger.warning("Telegram polling did not finish its batch in %.0f s", grace)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        offset: int | None = None
        failures = 0
        while not self._stopping.is_set():
            self._fetch = asyncio.ensure_future(self.bot.get_updates(
                offset=offset, timeout=self.timeout, allowed_updates=ALLOWED_UPDATES))
            try:
                updates = await self._fetch
            except asyncio.CancelledError:
                if self._stopping.is_set():
                    return
                raise
            except InvalidToken:
                logger.error("Telegram rejected the bot token; polling stopped")
                return
            except RetryAfter as exc:
                await self._pause(retry_seconds(exc))
                continue
            except TelegramError as exc:
                failures += 1
                delay = min(MAX_BACKOFF, self.retry_delay * 2**failures)
                if isinstance(exc, Conflict):
                    logger.error("getUpdates conflict: another process polls this bot token, or "
                                 "a webhook is set. Polling is for one process; use the webhook "
                                 "for several. Retrying in %.1f s", delay)
                else:
                    logger.warning("getUpdates failed (%s); retrying in %.1f s",
                                   type(exc).__name__, delay)
                await self._pause(delay)
                continue
            failures = 0
            if updates:
                await self._process(updates)
                offset = updates[-1].update_id + 1

    async def _process(self, updates: tuple[Update, ...]) -> None:
        by_chat: dict[int | None, list[Update]] = {}
        for update in updates:
            chat = update.effective_chat
            by_chat.setdefault(chat.id if chat else None, []).append(update)
        await asyncio.gather(*(self._process_chat(batch) for batch in by_chat.values()))

    async def _process_chat(self, updates: list[Update]) -> None:
        async with self._slots:
            for update in updates:
                await self._process_one(update)

    async def _process_one(self, update: Update) -> None:
        attempt = 1
        waited = 0
        while True:
            try:
                await self.handle(update)
                return
            except RetryLater as exc:
                if self._stopping.is_set():  # not confirmed: Telegram offers it again after a restart
                    return
                waited += 1
                delay = min(MAX_WAIT, self.retry_delay * 2 ** min(waited, 8))
                logger.warning("Update %s waits for %s; retrying in %.1f s", update.update_id,
                               exc, delay)
                await self._pause(delay)
            except Exception as exc:
                if attempt == self.attempts:
                    logger.error("Update %s failed %d times (%s); giving up on it",
                                 update.update_id, attempt, type(exc).__name__)
                    return
                delay = self.retry_delay * 2 ** (attempt - 1)
                logger.warning("Update %s failed (%s); retrying in %.1f s",
                               update.update_id, type(exc).__name__, delay)
                await asyncio.sleep(delay)
                attempt += 1

    async def _pause(self, seconds: float) -> None:
        """Sleep, but wake up at once when polling stops."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
