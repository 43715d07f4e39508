"""One Telegram update in: at most one Rasa turn, exactly once, with the channel's own replies.

Order: claim the update id (a re-delivered update that was already handled stops here) →
answer a button press and remove its keyboard → refuse groups → enrolment gate (with "/start
CODE" invite redemption) → non-text and unknown commands get a short reply → Rasa. On failure the
claim is released and the exception re-raised, so the caller has the update delivered again
(webhook: HTTP 500; polling: retried in place). A database outage (ours, or Rasa's tracker store)
raises RetryLater: the update is kept until the database is back, and the client is told so.
Otherwise, when Rasa fails or gives no answer, the client is asked to try again. Either reply is
sent once per update: never silence, never a flood.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from rasa.core.channels.channel import UserMessage
from sqlalchemy.exc import SQLAlchemyError
from telegram import Bot, Update
from telegram.constants import ChatAction
from telegram.error import Forbidden, TelegramError

from bot.telegram.formatting import split_text
from bot.telegram.output import TelegramOutput
from bot.telegram.polling import RetryLater
from bot.telegram.store import ChannelStore
from bot.telegram.texts import ChannelTexts
from bot.telegram.updates import ButtonPress, Inbound, Kind, parse_update

if TYPE_CHECKING:
    from bot.coach_desk.desk import CoachDesk

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
RecordRedFlag = Callable[[int, str], None]  # chat id, the client's words (blocking)
RedFlagNotice = Callable[[int], "str | None"]  # chat id -> the open-red-flag reminder (blocking)
CHANNEL_NAME = "telegram"
APOLOGY_MEMORY = 1024


class UpdateHandler:
    def __init__(
        self,
        bot: Bot,
        store: ChannelStore,
        texts: ChannelTexts,
        make_output: Callable[[], TelegramOutput],
        coach_desk: CoachDesk | None = None,
        record_red_flag: RecordRedFlag | None = None,
        red_flag_notice: RedFlagNotice | None = None,
    ) -> None:
        self.bot = bot
        self.record_red_flag = record_red_flag
        self.red_flag_notice = red_flag_notice
        self.coach_desk = coach_desk  # the clinic's chat: coach commands, alert delivery
        self.store = store
        self.texts = texts
        self.make_output = make_output
        # Updates we already apologised for: a re-delivery that fails again stays quiet.
        self._apologised: OrderedDict[int, None] = OrderedDict()
        # Claims we still hold because releasing them failed (the database was down): our own
        # retry of that update goes ahead instead of waiting out the stale-claim timeout.
        self._held: set[int] = set()

    async def handle(self, update: Update, on_new_message: OnNewMessage) -> None:
        """Process one update; raises (after releasing its claim) when it should be retried."""
        inbound = parse_update(update, self.texts.commands)
        if inbound is None:
            logger.debug("Update %s ignored on purpose", update.update_id)
            return
        try:
            claimed = inbound.update_id in self._held or await self.store.claim(inbound.update_id)
        except SQLAlchemyError as exc:
            await self._database_down(inbound, exc)
            raise RetryLater("the session database") from exc
        if not claimed:
            logger.info("Update %s was already handled; skipped", inbound.update_id)
            return
        try:
            if self.coach_desk is None or not await self.coach_desk.handle(update):
                await self._dispatch(inbound, on_new_message)
        except Forbidden:
            # The client blocked the bot (or left): delivering again cannot succeed.
            logger.info("Chat %s does not accept messages from the bot; update %s dropped",
                        inbound.chat_id, inbound.update_id)
        except Exception as error:
            try:
                await self.store.release(inbound.update_id)
                self._held.discard(inbound.update_id)
            except Exception as exc:  # our retry goes ahead; for others the stale-claim timeout
                self._held.add(inbound.update_id)
                logger.error("Could not release update %s: %s", inbound.update_id,
                             type(exc).__name__)
            if isinstance(error, SQLAlchemyError):  # the enrolment check, Rasa's tracker store
                await self._database_down(inbound, error)
                raise RetryLater("a database") from error
            raise
        await self.store.complete(inbound.update_id)
        self._held.discard(inbound.update_id)
        if self.coach_desk is not None:  # a turn may have raised an alert: send it now
            await self.coach_desk.notify_pending()

    async def _dispatch(self, inbound: Inbound, on_new_message: OnNewMessage) -> None:
        if inbound.button is not None:
            await self._settle_button(inbound.chat_id, inbound.button)
        if not inbound.private:
            await self._say(inbound.chat_id, self.texts.group_refused)
            return
        if not await self._enrolled(inbound):
            return
        gave_red_flag_advice = False
        if inbound.kind is Kind.NON_TEXT:
            await self._say(inbound.chat_id, self.texts.non_text)
        elif inbound.kind is Kind.UNKNOWN_COMMAND:
            await self._say(inbound.chat_id, self.texts.unknown_command)
        else:
            if inbound.caption:
                await self._say(inbound.chat_id, self.texts.caption_note)
            if inbound.truncated:
                logger.debug("Update %s: text over the limit, first part passed on",
                             inbound.update_id)
                await self._say(inbound.chat_id, self.texts.long_message)
            gave_red_flag_advice = await self._converse(inbound, on_new_message)
        if not gave_red_flag_advice:
            await self._remind_open_red_flag(inbound.chat_id)

    async def _remind_open_red_flag(self, chat_id: int) -> None:
        """While a red flag is open, every reply ends with the reminder that no exercise is
        planned until the clinic clears it, and how to reach the clinic."""
        if self.red_flag_notice is None:
            return
        notice = await asyncio.to_thread(self.red_flag_notice, chat_id)
        if notice:
            await self._say(chat_id, notice)

    async def _enrolled(self, inbound: Inbound) -> bool:
        """The gate before Rasa; tells a chat that isn't enrolled how to reach the clinic."""
        if await self.store.is_enrolled(inbound.chat_id):
            return True
        if inbound.invite_code is None:
            await self._say(inbound.chat_id, self.texts.not_enrolled)
            return False
        if await self.store.redeem(inbound.invite_code, inbound.chat_id, inbound.first_name):
            logger.info("Chat %s enrolled with an invite code", inbound.chat_id)
            return True
        await self._say(inbound.chat_id, self.texts.invite_invalid)
        return False

    async def _converse(self, inbound: Inbound, on_new_message: OnNewMessage) -> bool:
        """One turn through Rasa; True when it gave the red-flag advice itself."""
        await self._best_effort(
            "sendChatAction", self.bot.send_chat_action(inbound.chat_id, ChatAction.TYPING))
        output = self.make_output()
        message = UserMessage(
            inbound.text,
            output,
            str(inbound.chat_id),
            input_channel=CHANNEL_NAME,
            metadata=inbound.metadata(),
        )
        try:
            await on_new_message(message)
        except Exception as exc:
            logger.error("Update %s for chat %s failed in Rasa: %s", inbound.update_id,
                         inbound.chat_id, type(exc).__name__)
            logger.debug("Traceback for update %s", inbound.update_id, exc_info=True)
            if not isinstance(exc, SQLAlchemyError):  # a database outage is answered by handle()
                await self._apologise(inbound, self.texts.error)
            raise
        if output.red_flag and self.record_red_flag is not None:
            # Normally action_record_red_flag has recorded it already (then this finds that
            # record and does nothing); with the action server down, this is the record.
            await asyncio.to_thread(self.record_red_flag, inbound.chat_id, inbound.text)
        if output.sent == 0:
            logger.error("Update %s for chat %s: Rasa sent no reply", inbound.update_id,
                         inbound.chat_id)
            await self._apologise(inbound, self.texts.error)
        return output.red_flag

    async def _database_down(self, inbound: Inbound, exc: SQLAlchemyError) -> None:
        """A database is down: the update is kept, and the client hears that rather than silence."""
        logger.error("Update %s for chat %s: database unavailable (%s); the update waits",
                     inbound.update_id, inbound.chat_id, type(exc).__name__)
        await self._apologise(inbound, self.texts.error_kept)

    async def _apologise(self, inbound: Inbound, text: str) -> None:
        if inbound.update_id in self._apologised:
            return
        self._apologised[inbound.update_id] = None
        if len(self._apologised) > APOLOGY_MEMORY:
            self._apologised.popitem(last=False)
        await self._best_effort("sendMessage", self._say(inbound.chat_id, text))

    async def _settle_button(self, chat_id: int, button: ButtonPress) -> None:
        """Stop the client's spinner, and take the keyboard away so it can't be pressed twice."""
        await self._best_effort("answerCallbackQuery", self.bot.answer_callback_query(
            button.query_id))
        if button.message_id is not None:
            await self._best_effort("editMessageReplyMarkup", self.bot.edit_message_reply_markup(
                chat_id, button.message_id, reply_markup=None))

    async def _say(self, chat_id: int, text: str) -> None:
        for chunk in split_text(text):
            await self.bot.send_message(chat_id, chunk)

    @staticmethod
    async def _best_effort(what: str, call: Awaitable[Any]) -> None:
        """Calls whose failure must not stop the conversation (already retried by the client)."""
        try:
            await call
        except TelegramError as exc:
            logger.warning("Telegram %s failed: %s", what, type(exc).__name__)
