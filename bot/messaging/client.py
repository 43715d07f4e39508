"""The python-telegram-bot client, with Telegram's flood limits and retries built in.

Every Bot API call (except getUpdates, which the poller handles) goes through
`RetryingRateLimiter`: AIORateLimiter throttles to ~30 messages/s and honours RetryAfter (429);
on top of that, transient network errors, timeouts and 5xx answers are retried a few times with
capped exponential back-off. A timed-out send may have reached Telegram, so a retry can show the
client a message twice; we prefer that to losing a coaching message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import BadRequest, NetworkError
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

logger = logging.getLogger(__name__)

TELEGRAM_API = "https://api.telegram.org/bot"

# httpx logs every request URL at INFO, and a Bot API URL contains the token; python-telegram-bot
# logs request parameters (clients' messages) at DEBUG. Neither belongs in our logs.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("telegram").setLevel(logging.INFO)


class RetryingRateLimiter(AIORateLimiter):
    """AIORateLimiter plus retries of transient network failures."""

    __slots__ = ("_network_retries", "_base_delay", "_max_delay")

    def __init__(
        self,
        network_retries: int = 3,
        base_delay: float = 0.5,
        max_delay: float = 8.0,
        retry_after_retries: int = 5,
    ) -> None:
        super().__init__(max_retries=retry_after_retries)
        self._network_retries = network_retries
        self._base_delay = base_delay
        self._max_delay = max_delay

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        attempt = 0
        while True:
            try:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            except BadRequest:
                raise  # our request is wrong: sending it again won't help
            except NetworkError as exc:  # includes TimedOut and 5xx answers
                if attempt >= self._network_retries:
                    logger.error("Telegram %s failed %d times (%s); giving up",
                                 endpoint, attempt + 1, type(exc).__name__)
                    raise
                delay = min(self._max_delay, self._base_delay * 2**attempt)
                attempt += 1
                logger.warning("Telegram %s failed (%s); retry %d/%d in %.1f s", endpoint,
                               type(exc).__name__, attempt, self._network_retries, delay)
                await asyncio.sleep(delay)


def make_bot(
    token: str,
    base_url: str | None = None,
    *,
    read_timeout: float = 15.0,
    connect_timeout: float = 5.0,
    network_retries: int = 3,
    base_delay: float = 0.5,
    retry_after_retries: int = 5,
) -> ExtBot[Any]:
    """A Bot for `token`; `base_url` points it elsewhere (a local Bot API server, our fake).

    Creating it does no network I/O; `await bot.initialize()` checks the token.
    """
    request = HTTPXRequest(
        connection_pool_size=32,  # replies to several chats and reminders go out concurrently
        read_timeout=read_timeout,
        write_timeout=read_timeout,
        connect_timeout=connect_timeout,
        pool_timeout=read_timeout,
    )
    # getUpdates has its own connection; python-telegram-bot adds the long-poll timeout to
    # read_timeout for it.
    updates_request = HTTPXRequest(
        connection_pool_size=1, read_timeout=read_timeout, connect_timeout=connect_timeout
    )
    return ExtBot(
        token,
        base_url=base_url or TELEGRAM_API,
        request=request,
        get_updates_request=updates_request,
        rate_limiter=RetryingRateLimiter(network_retries, base_delay,
                                         retry_after_retries=retry_after_retries),
    )


def fetch_username(bot: ExtBot[Any]) -> str:
    """The @username of `bot` (a `make_bot` not yet started) from Telegram (getMe), for deep
    links; raises what the call raises. Runs its own event loop: for synchronous callers (the
    CLI, the dashboard)."""
    async def ask() -> str:
        async with bot:
            return str(bot.username)

    return asyncio.run(ask())
