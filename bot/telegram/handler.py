"""One Telegram update in: at most one Rasa turn, and its replies delivered exactly once, even
when the process is killed at any instant (issue 16).

Order: claim the update (a turn record; see bot/db/turns.py) → decide the replies → store them →
send them, counting each one Telegram accepts → done. Deciding: answer a button press and remove
its keyboard (a press on an old keyboard has passed and changes nothing) → refuse groups, once →
enrolment gate (with "/start CODE" invite redemption) → non-text and unknown commands get a short
reply → Rasa, whose replies are collected, not sent, until its tracker is saved.

What "exactly once" means here: every client message gets its replies, and the replies of one
message are decided once. A process killed mid-turn is replaced by one that takes over the claim
at once (its owner is gone) and carries on: replies already decided are sent from the record,
never decided again; if Rasa had saved the turn before the kill, its replies are read back from
the tracker instead of running the message through Rasa twice. The one thing no one can know is
whether Telegram accepted the very message that was in flight at the kill: that single message
may arrive twice, with the same content.

On failure the claim is released and the exception re-raised, so the caller has the update
delivered again (webhook: HTTP 500; polling: retried in place). A database outage (ours, or
Rasa's tracker store) raises RetryLater: the update is kept until the database is back, and the
client is told so. When Rasa fails or gives no answer, the client is asked to try again.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from rasa.core.channels.channel import UserMessage
from sqlalchemy.exc import SQLAlchemyError
from telegram import Bot, Message, Update
from telegram.constants import ChatAction
from telegram.error import Forbidden, TelegramError

from bot.db.turns import Reply, Turn
from bot.messaging.formatting import split_text
from bot.telegram.output import RecordingOutput, TelegramOutput, is_red_flag
from bot.telegram.polling import RetryLater
from bot.telegram.store import ChannelStore
from bot.telegram.texts import ChannelTexts
from bot.telegram.updates import ButtonPress, Inbound, Kind, parse_update

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
RecordRedFlag = Callable[[int, str], None]  # chat id, the client's words (blocking)
RedFlagNotice = Callable[[int], "str | None"]  # chat id -> the open-red-flag reminder (blocking)
# (sender id, message id) -> the bot messages Rasa saved for that user message, None if none
PastReplies = Callable[[str, str], Awaitable["list[Reply] | None"]]
MakeOutput = Callable[..., TelegramOutput]
CHANNEL_NAME = "telegram"
APOLOGY_MEMORY = 1024
# A turn tried this many times (each failure, or each process that died holding it) is given up.
MAX_ATTEMPTS = 5


class CoachChat(Protocol):
    """The clinic's chat, given to the channel (bot.coach_desk.desk.CoachDesk): it sees every
    update first, and sends what a turn left for the clinic."""

    async def handle(self, update: Update) -> bool:
        """True when the update came from the coach chat and was dealt with there."""

    async def notify_pending(self) -> int:
        """Deliver pending alerts (never raises); how many went out."""


def message_id_of(update_id: int) -> str:
    """The id Rasa stores with the user's message: how a taken-over turn finds it again."""
    return f"tg-{update_id}"


class UpdateHandler:
    def __init__(
        self,
        bot: Bot,
        store: ChannelStore,
        texts: ChannelTexts,
        make_output: MakeOutput,
        coach_desk: CoachChat | None = None,
        record_red_flag: RecordRedFlag | None = None,
        red_flag_notice: RedFlagNotice | None = None,
        past_replies: PastReplies | None = None,
    ) -> None:
        self.bot = bot
        self.record_red_flag = record_red_flag
        self.red_flag_notice = red_flag_notice
        self.past_replies = past_replies
        self.coach_desk = coach_desk  # the clinic's chat: coach commands, alert delivery
        self.store = store
        self.texts = texts
        self.make_output = make_output
        # Updates we already apologised for: a re-delivery that fails again stays quiet.
        self._apologised: OrderedDict[int, None] = OrderedDict()
        # Updates this process is working on: a re-delivery meanwhile (a webhook retry, an
        # orphan sweep) leaves them to the turn in progress.
        self._in_flight: set[int] = set()

    async def handle(self, update: Update, on_new_message: OnNewMessage) -> None:
        """Process one update; raises (after releasing its claim) when it should be retried."""
        inbound = parse_update(update, self.texts.commands)
        if inbound is None:
            logger.debug("Update %s ignored on purpose", update.update_id)
            return
        if inbound.update_id in self._in_flight:
            logger.info("Update %s is being handled already", inbound.update_id)
            return
        self._in_flight.add(inbound.update_id)
        try:
            await self._handle(update, inbound, on_new_message)
        finally:
            self._in_flight.discard(inbound.update_id)

    async def resume_orphans(self, on_new_message: OnNewMessage) -> int:
        """Finish the turns of processes that died holding them (their updates may never be
        delivered again); how many were taken up."""
        try:
            orphans = await self.store.orphans()
        except SQLAlchemyError as exc:
            logger.warning("Could not look for unfinished turns: %s", type(exc).__name__)
            return 0
        for update_id, update_json in orphans:
            update = Update.de_json(json.loads(update_json), self.bot)
            if update is None:
                continue
            logger.info("Taking over unfinished update %s", update_id)
            try:
                await self.handle(update, on_new_message)
            except Exception as exc:  # left for the next sweep, or Telegram's re-delivery
                logger.warning("Unfinished update %s failed again: %s", update_id,
                               type(exc).__name__)
        return len(orphans)

    async def _handle(self, update: Update, inbound: Inbound, on_new_message: OnNewMessage) -> None:
        try:
            turn = await self.store.claim(inbound.update_id, inbound.chat_id, update.to_json())
        except SQLAlchemyError as exc:
            await self._database_down(inbound, exc)
            raise RetryLater("the session database") from exc
        if turn is None:
            logger.info("Update %s was already handled; skipped (done, or a live process has it)",
                        inbound.update_id)
            return
        if turn.attempts > MAX_ATTEMPTS:
            logger.error("Update %s was tried %d times; giving up on it", inbound.update_id,
                         turn.attempts - 1)
            await self.store.complete(inbound.update_id)
            return
        try:
            if self.coach_desk is None or not await self.coach_desk.handle(update):
                replies = turn.replies
                if replies is None:
                    replies = await self._decide(inbound, turn, on_new_message)
                    await self.store.record_replies(inbound.update_id, replies)
                await self._deliver(inbound, replies, turn.delivered)
        except Forbidden:
            # The client blocked the bot (or left): delivering again cannot succeed.
            logger.info("Chat %s does not accept messages from the bot; update %s dropped",
                        inbound.chat_id, inbound.update_id)
        except SQLAlchemyError as error:  # ours, or Rasa's tracker store: we keep the claim
            await self._database_down(inbound, error)
            raise RetryLater("a database") from error
        except Exception:
            try:
                await self.store.release(inbound.update_id)
            except Exception as exc:  # our own retry takes it anyway: we are its owner
                logger.error("Could not release update %s: %s", inbound.update_id,
                             type(exc).__name__)
            raise
        await self.store.complete(inbound.update_id)
        if self.coach_desk is not None:  # a turn may have raised an alert: send it now
            await self.coach_desk.notify_pending()

    async def _deliver(self, inbound: Inbound, replies: list[Reply], already: int) -> None:
        """Send the turn's replies in order, skipping the `already` messages that went out."""
        async def sent(count: int, message: Message) -> None:
            keyboard = (inbound.chat_id, message.message_id) if message.reply_markup else None
            await self.store.mark_delivered(inbound.update_id, count, keyboard)

        output = self.make_output(already_sent=already, on_sent=sent)
        for reply in replies:
            await output.send_response(str(inbound.chat_id), dict(reply))

    async def _decide(self, inbound: Inbound, turn: Turn, on_new_message: OnNewMessage) -> list[Reply]:
        """Everything the coach will say to this update, decided before any of it is sent."""
        if inbound.button is not None:
            await self._settle_button(inbound.chat_id, inbound.button)
            if await self.store.keyboard_has_passed(inbound.chat_id, inbound.button.message_id):
                return [_text(self.texts.button_passed)]
        if not inbound.private:
            first_time = await self.store.refuse_group_once(inbound.chat_id)
            return [_text(self.texts.group_refused)] if first_time else []
        if not await self.store.is_enrolled(inbound.chat_id):
            refusal = await self._enrolment_refusal(inbound)
            if refusal is not None:
                return [_text(refusal)]
        replies: list[Reply] = []
        if inbound.kind is Kind.NON_TEXT:
            replies.append(_text(self.texts.non_text))
        elif inbound.kind is Kind.UNKNOWN_COMMAND:
            replies.append(_text(self.texts.unknown_command))
        else:
            if inbound.caption:
                replies.append(_text(self.texts.caption_note))
            if inbound.truncated:
                logger.debug("Update %s: text over the limit, first part passed on",
                             inbound.update_id)
                replies.append(_text(self.texts.long_message))
            replies += await self._converse(inbound, turn, on_new_message)
        if not is_red_flag(replies):  # the advice itself says it; otherwise remind
            notice = await self._open_red_flag_notice(inbound.chat_id)
            if notice:
                replies.append(_text(notice))
        return replies

    async def _open_red_flag_notice(self, chat_id: int) -> str | None:
        """While a red flag is open, every reply ends with the reminder that no exercise is
        planned until the clinic clears it, and how to reach the clinic."""
        if self.red_flag_notice is None:
            return None
        return await asyncio.to_thread(self.red_flag_notice, chat_id)

    async def _enrolment_refusal(self, inbound: Inbound) -> str | None:
        """The gate before Rasa for a chat not enrolled: None when its invite code enrols it,
        else what to tell it (how to reach the clinic)."""
        if inbound.invite_code is None:
            return self.texts.not_enrolled
        if await self.store.redeem(inbound.invite_code, inbound.chat_id, inbound.first_name):
            logger.info("Chat %s enrolled with an invite code", inbound.chat_id)
            return None
        return self.texts.invite_invalid

    async def _converse(self, inbound: Inbound, turn: Turn, on_new_message: OnNewMessage) -> list[Reply]:
        """One turn through Rasa, its replies collected, not sent. A turn taken over from a
        process that died first looks for the turn in Rasa's tracker: a message Rasa already
        handled is not handled again (its check-in logged twice, its form moved on twice)."""
        sender, message_id = str(inbound.chat_id), message_id_of(inbound.update_id)
        replies = None
        if turn.attempts > 1 and self.past_replies is not None:
            replies = await self.past_replies(sender, message_id)
        if replies is None:
            await self._best_effort(
                "sendChatAction", self.bot.send_chat_action(inbound.chat_id, ChatAction.TYPING))
            output = RecordingOutput()
            message = UserMessage(inbound.text, output, sender, input_channel=CHANNEL_NAME,
                                  message_id=message_id, metadata=inbound.metadata())
            try:
                await on_new_message(message)
            except Exception as exc:
                logger.error("Update %s for chat %s failed in Rasa: %s", inbound.update_id,
                             inbound.chat_id, type(exc).__name__)
                logger.debug("Traceback for update %s", inbound.update_id, exc_info=True)
                if not isinstance(exc, SQLAlchemyError):  # a database outage: handle() answers
                    await self._apologise(inbound, self.texts.error)
                raise
            replies = output.replies
        if is_red_flag(replies) and self.record_red_flag is not None:
            # Normally action_record_red_flag has recorded it already (then this finds that
            # record and does nothing); with the action server down, this is the record.
            await asyncio.to_thread(self.record_red_flag, inbound.chat_id, inbound.text)
        if not replies:
            logger.error("Update %s for chat %s: Rasa sent no reply", inbound.update_id,
                         inbound.chat_id)
            return [_text(self.texts.error)]
        return replies

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


def _text(text: str) -> Reply:
    return {"text": text}
