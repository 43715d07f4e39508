"""Rasa's replies to a Telegram chat: text, buttons, images, the progress chart and data export."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import OutputChannel
from telegram import Bot, Message

from bot.messaging.formatting import inline_keyboard, split_text
from bot.telegram.texts import default_texts

logger = logging.getLogger(__name__)

EXPORT_FILENAME = "bone-coach-data.json"
CHART_FILENAME = "progress.png"

ProgressChart = Callable[[int], bytes | None]
ExportJson = Callable[[int], bytes]
# After each message Telegram accepts: how many of the turn's messages went out, and the message.
OnSent = Callable[[int, Message], Awaitable[None]]


class RecordingOutput(OutputChannel):
    """Keeps a turn's replies instead of sending them: the channel stores them in the turn record
    first, so a process killed mid-delivery is followed by one that sends the same replies."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    def __init__(self) -> None:
        self.replies: list[dict[str, Any]] = []

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.replies.append({key: value for key, value in message.items()
                             if value is not None and key != "recipient_id"})


class TelegramOutput(OutputChannel):
    """Sends one conversation's replies. Plain text only (no parse_mode), split to Telegram's
    4,096-character limit.

    Resuming a turn: the first `already_sent` Telegram messages went out before (they are
    counted, not sent again); `on_sent` hears of each one Telegram accepts. The chart and the
    export come from the coaching service, given by the channel (blocking calls).
    """

    @classmethod
    def name(cls) -> str:
        return "telegram"

    def __init__(
        self,
        bot: Bot,
        *,
        choose_text: str | None = None,
        progress_chart: ProgressChart | None = None,
        export_json: ExportJson | None = None,
        already_sent: int = 0,
        on_sent: OnSent | None = None,
    ) -> None:
        self.bot = bot
        self.choose_text = choose_text or default_texts().choose
        self.progress_chart = progress_chart
        self.export_json = export_json
        self.already_sent = already_sent
        self.on_sent = on_sent
        self.sent = 0

    async def _send(self, call: Callable[[], Awaitable[Message]]) -> None:
        self.sent += 1
        if self.sent <= self.already_sent:
            return
        message = await call()
        if self.on_sent is not None:
            await self.on_sent(self.sent, message)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        chat_id = int(recipient_id)
        for chunk in split_text(text):
            await self._send(lambda chunk=chunk: self.bot.send_message(chat_id, chunk))

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """An inline keyboard under the reply's last message (Rasa's `button_type` is ignored:
        inline keyboards are the only kind whose presses we receive as payloads)."""
        chat_id = int(recipient_id)
        *leading, last = split_text(text or "") or [self.choose_text]
        for chunk in leading:
            await self._send(lambda chunk=chunk: self.bot.send_message(chat_id, chunk))
        await self._send(lambda: self.bot.send_message(
            chat_id, last, reply_markup=inline_keyboard(buttons)))

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self._send(lambda: self.bot.send_photo(int(recipient_id), photo=image))

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        """{"progress_chart": true} sends the client's chart; {"export": true} their data;
        {"red_flag": true} (beside utter_red_flag's text) only marks the turn (is_red_flag)."""
        chat_id = int(recipient_id)
        if json_message.get("red_flag"):
            return
        if json_message.get("progress_chart") and self.progress_chart is not None:
            png = await asyncio.to_thread(self.progress_chart, chat_id)
            if png is None:  # nothing to draw yet; the text reply already says so
                return
            await self._send(lambda: self.bot.send_photo(chat_id, photo=png,
                                                         filename=CHART_FILENAME))
        elif json_message.get("export") and self.export_json is not None:
            data = await asyncio.to_thread(self.export_json, chat_id)
            await self._send(lambda: self.bot.send_document(chat_id, document=data,
                                                            filename=EXPORT_FILENAME))
        else:
            # Never show a client raw JSON: a custom payload we don't know is a domain bug.
            logger.warning("Ignored a custom message with keys %s", sorted(json_message))


def is_red_flag(replies: list[dict[str, Any]]) -> bool:
    """Did the turn give the red-flag advice? (utter_red_flag carries a custom marker.)"""
    return any((reply.get("custom") or {}).get("red_flag") for reply in replies)
