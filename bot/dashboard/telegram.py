"""What the dashboard needs from Telegram: the bot's @name for invite links, and telling a client
at once that they were cleared to exercise.

The name is TELEGRAM_BOT_USERNAME, else asked of Telegram (getMe, as `bone-coach invite create`
does) once and remembered; a failed ask is tried again after a few minutes, not on every page.
Without a token there is nothing to ask: invite pages show a link to fill in instead.

Clearing only writes the database (SafetyService.clear_red_flags); with a token, the dashboard
then runs the coach desk's ClearNotifier once, which claims and sends every notice waiting (the
claim makes it safe beside the coach desk loop, which delivers them otherwise).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

from sqlalchemy.engine import Engine
from telegram.ext import ExtBot

from bot.coach_desk.cleared import ClearNotifier
from bot.messaging.client import fetch_username, make_bot
from bot.services.types import Clock
from bot.settings import Settings

logger = logging.getLogger(__name__)
ASK_AGAIN_AFTER = 300.0  # seconds after a failed getMe


class TelegramLink:
    def __init__(self, settings: Settings, engine: Engine, clock: Clock) -> None:
        self.settings = settings
        self.engine = engine
        self.clock = clock
        self._lock = threading.Lock()
        self._asked: tuple[float, str | None] | None = None  # (monotonic time, the answer)

    @property
    def configured(self) -> bool:
        return bool(self.settings.telegram_bot_token)

    def username(self) -> str | None:
        """The bot's @name without the @, or None when unknown."""
        if self.settings.telegram_bot_username:
            return self.settings.telegram_bot_username
        if not self.configured:
            return None
        with self._lock:
            asked = self._asked
            if asked is not None and (asked[1] is not None or time.monotonic() - asked[0] < ASK_AGAIN_AFTER):
                return asked[1]
            name = self._ask_name()
            self._asked = (time.monotonic(), name)
            return name

    def tell_cleared(self) -> int | None:
        """Send every "you're cleared" notice waiting; how many went out, None when it could not
        be tried (no token, Telegram unreachable: the coach desk loop sends them later)."""
        if not self.configured:
            return None
        try:
            return asyncio.run(self._deliver())
        except Exception as exc:
            logger.warning("Cleared notice not sent from the dashboard (%s); the coach desk will send it",
                           type(exc).__name__)
            return None

    def _bot(self) -> ExtBot[Any]:
        return make_bot(self.settings.telegram_bot_token or "", self.settings.telegram_api_base_url,
                        read_timeout=10.0, connect_timeout=5.0, network_retries=1)

    async def _deliver(self) -> int:
        async with self._bot() as bot:
            return await ClearNotifier(self.engine, bot, clock=self.clock).deliver()

    def _ask_name(self) -> str | None:
        try:
            return fetch_username(self._bot())
        except Exception as exc:
            logger.warning("Could not ask Telegram for the bot's name: %s", type(exc).__name__)
            return None
