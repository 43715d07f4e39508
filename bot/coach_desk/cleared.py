"""Telling a client the clinic has cleared them to train again: once, whoever cleared them.

Clearing (`SafetyService.clear_red_flags`, from the coach chat's /clear or `bone-coach clear`) only
writes the database; the red flags then wait to be told. A sender claims one client's waiting
flags (a committed conditional UPDATE), sends one message, then marks them told. A failed send
gives the claim back; a sender that dies mid-send leaves a claim that goes stale and is taken
over (the one duplicate this allows: Telegram got the message but the mark was never written).
The coach desk runs this after each command and in its loop (`python -m bot.coach_desk`), so a
clearance from the command line reaches the client within one loop interval.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from telegram import Bot
from telegram.error import Forbidden, TelegramError

from bot.coach_desk.alerts import STALE_CLAIM
from bot.coach_desk.texts import coach_texts
from bot.db import symptoms
from bot.db.engine import unit_of_work
from bot.services.context import utc_now

logger = logging.getLogger(__name__)


class ClearNotifier:
    """Sends each cleared client the `client.cleared` text of coach_texts.yml, once."""

    def __init__(
        self, engine: Engine, bot: Bot, *, clock: Callable[[], datetime] = utc_now,
        stale_after: timedelta = STALE_CLAIM,
    ) -> None:
        self.engine = engine
        self.bot = bot
        self.clock = clock
        self.stale_after = stale_after

    async def deliver(self) -> int:
        """Tell every client waiting to hear it; returns how many were told. Stops at the first
        failed send (retried next round). A client who blocked the bot cannot be told: counted
        as done, so the loop does not retry for ever. Database errors are raised."""
        told = 0
        while (claim := await asyncio.to_thread(self._claim)) is not None:
            client_id, chat_id, claimed_at = claim
            try:
                await self.bot.send_message(chat_id, coach_texts()["client"]["cleared"])
            except Forbidden:
                logger.warning("Notice to client %s not delivered: the bot is blocked", client_id)
            except TelegramError as exc:
                logger.error("Notice to client %s not delivered (%s); retrying later", client_id,
                             type(exc).__name__)
                await asyncio.to_thread(self._finish, client_id, claimed_at, None)
                return told
            else:
                told += 1
            await asyncio.to_thread(self._finish, client_id, claimed_at, self.clock())
        return told

    def _claim(self) -> tuple[int, int, datetime] | None:
        now = self.clock()
        with unit_of_work(self.engine) as s:
            claimed = symptoms.claim_clear_notice(s, now, self.stale_after)
        return None if claimed is None else (*claimed, now)

    def _finish(self, client_id: int, claimed_at: datetime, sent_at: datetime | None) -> None:
        with unit_of_work(self.engine) as s:
            symptoms.finish_clear_notice(s, client_id, claimed_at, sent_at)
