"""Rasa's replies to a Telegram chat: text, buttons, images, the progress chart and data export."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from rasa.core.channels.channel import OutputChannel
from telegram import Bot

from bot.telegram.formatting import inline_keyboard, split_text
from bot.telegram.texts import default_texts

logger = logging.getLogger(__name__)

EXPORT_FILENAME = "bone-coach-data.json"
CHART_FILENAME = "progress.png"

ProgressChart = Callable[[int], bytes | None]
ExportJson = Callable[[int], bytes]


def _service_progress_chart(chat_id: int) -> bytes | None:
    from bot.service import progress_chart_png  # lazy: the service loads the database and charts

    return progress_chart_png(chat_id)


def _service_export_json(chat_id: int) -> bytes:
    from bot.service import export_json

    return export_json(chat_id)


class TelegramOutput(OutputChannel):
    """Sends one conversation's replies; `sent` counts the messages that went out, and
    `red_flag` says the turn gave the red-flag advice (the channel then makes sure it is recorded).

    Plain text only (no parse_mode), split to Telegram's 4,096-character limit.
    """

    @classmethod
    def name(cls) -> str:
        return "telegram"

    def __init__(
        self,
        bot: Bot,
        *,
        choose_text: str | None = None,
        progress_chart: ProgressChart = _service_progress_chart,
        export_json: ExportJson = _service_export_json,
    ) -> None:
        self.bot = bot
        self.choose_text = choose_text or default_texts().choose
        self.progress_chart = progress_chart
        self.export_json = export_json
        self.sent = 0
        self.red_flag = False

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for chunk in split_text(text):
            await self.bot.send_message(int(recipient_id), chunk)
            self.sent += 1

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """An inline keyboard under the reply's last message (Rasa's `button_type` is ignored:
        inline keyboards are the only kind whose presses we receive as payloads)."""
        *leading, last = split_text(text or "") or [self.choose_text]
        for chunk in leading:
            await self.bot.send_message(int(recipient_id), chunk)
            self.sent += 1
        await self.bot.send_message(int(recipient_id), last, reply_markup=inline_keyboard(buttons))
        self.sent += 1

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self.bot.send_photo(int(recipient_id), photo=image)
        self.sent += 1

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        """{"progress_chart": true} sends the client's chart; {"export": true} their data;
        {"red_flag": true} (beside utter_red_flag's text) only marks the turn."""
        chat_id = int(recipient_id)
        if json_message.get("red_flag"):
            self.red_flag = True
        elif json_message.get("progress_chart"):
            png = await asyncio.to_thread(self.progress_chart, chat_id)
            if png is None:  # nothing to draw yet; the text reply already says so
                return
            await self.bot.send_photo(chat_id, photo=png, filename=CHART_FILENAME)
            self.sent += 1
        elif json_message.get("export"):
            data = await asyncio.to_thread(self.export_json, chat_id)
            await self.bot.send_document(chat_id, document=data, filename=EXPORT_FILENAME)
            self.sent += 1
        else:
            # Never show a client raw JSON: a custom payload we don't know is a domain bug.
            logger.warning("Ignored a custom message with keys %s", sorted(json_message))
