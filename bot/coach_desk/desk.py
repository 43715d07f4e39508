"""The clinic's side of the Telegram channel: coach commands in, alerts out.

The channel's UpdateHandler calls `handle(update)` first for every update; an update from the
configured coach chat is answered here and never reaches Rasa or the enrolment gate (the coach
chat is usually a group, which clients may not use). Every other chat gets nothing special: a
client typing /alerts gets the channel's usual "unknown command" reply. After each update the
handler calls `notify_pending()`, so an alert a conversation turn just created goes out at once.
The channel is given a CoachDesk (it fits bot.telegram.handler.CoachChat); this module knows
nothing of the channel.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Engine
from telegram import Bot, Update, User
from telegram.error import TelegramError

from bot.coach_desk.alerts import AlertDispatcher
from bot.coach_desk.cleared import ClearNotifier
from bot.coach_desk.commands import CoachCommands
from bot.messaging.formatting import split_text
from bot.services.context import utc_now
from bot.slash import parse_slash

logger = logging.getLogger(__name__)


def staff_name(user: User | None) -> str:
    """Who handled it, as the clinic will read it later: "Sue Lee (@suelee)"."""
    if user is None:
        return "coach chat"
    name = user.full_name or str(user.id)
    return (f"{name} (@{user.username})" if user.username else name)[:120]


class CoachDesk:
    def __init__(
        self, engine: Engine, bot: Bot, coach_chat_id: int, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.bot = bot
        self.coach_chat_id = coach_chat_id
        self.commands = CoachCommands(engine, clock)
        self.dispatcher = AlertDispatcher(engine, bot, coach_chat_id, clock=clock)
        self.clear_notifier = ClearNotifier(engine, bot, clock=clock)

    async def handle(self, update: Update) -> bool:
        """True when the update came from the coach chat and was dealt with here."""
        chat = update.effective_chat
        if chat is None or chat.id != self.coach_chat_id:
            return False
        query = update.callback_query
        if query is not None:  # the "Mark handled" button under an alert
            await self._settle_button(query.id, query.message.message_id if query.message else None)
            text = query.data or ""
        else:
            message = update.effective_message
            text = (message.text or "") if message is not None else ""
        slash = parse_slash(text)
        if slash is None:
            return True  # the coaches talking among themselves
        username = self._username()
        if slash.target and username and slash.target.lower() != username.lower():
            return True  # a command for another bot in the same group
        reply = await asyncio.to_thread(self.commands.run, text, staff_name(update.effective_user), username)
        for chunk in split_text(reply):
            await self.bot.send_message(self.coach_chat_id, chunk)
        logger.info("Coach command /%s answered", slash.name[:32])
        await self._tell_cleared_clients()  # a client just cleared hears it at once
        return True

    async def _tell_cleared_clients(self) -> None:
        """Tell cleared clients (also those cleared from the command line); never raises."""
        try:
            await self.clear_notifier.deliver()
        except Exception as exc:
            logger.error("Clear notice delivery failed: %s", type(exc).__name__)

    async def notify_pending(self) -> int:
        """Deliver pending alerts and clear notices; never raises (the coach-desk loop retries
        what fails here). Returns how many alerts were sent."""
        await self._tell_cleared_clients()
        try:
            return await self.dispatcher.dispatch()
        except Exception as exc:
            logger.error("Coach alert delivery failed: %s", type(exc).__name__)
            return 0

    def _username(self) -> str | None:
        try:
            return self.bot.username
        except RuntimeError:  # Bot not initialised (no getMe yet)
            return None

    async def _settle_button(self, query_id: str, message_id: int | None) -> None:
        """Stop the button's spinner and take the button away, so it is pressed once."""
        try:
            await self.bot.answer_callback_query(query_id)
            if message_id is not None:
                await self.bot.edit_message_reply_markup(self.coach_chat_id, message_id, reply_markup=None)
        except TelegramError as exc:
            logger.warning("Could not settle a coach-chat button: %s", type(exc).__name__)
