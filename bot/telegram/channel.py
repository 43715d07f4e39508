"""Bone Coach's Telegram input channel for Rasa, on python-telegram-bot 22.

In credentials.yml:

    bot.telegram.TelegramInput:
      # every key is optional; missing ones come from the environment (bot.settings)
      token: ...              # TELEGRAM_BOT_TOKEN
      mode: polling           # TELEGRAM_MODE: polling (one process) or webhook (any number)
      webhook_url: https://coach.example.org/webhooks/telegram/webhook   # TELEGRAM_WEBHOOK_URL
      secret_token: ...       # TELEGRAM_WEBHOOK_SECRET, required for webhook mode
      base_url: http://127.0.0.1:8081/bot   # TELEGRAM_API_BASE_URL: a local or fake Bot API

Routes (under /webhooks/telegram/): GET / (health) and, in webhook mode, POST /webhook.
The Bot is initialised before the server starts and shut down after it stops; polling starts
after the server has started, i.e. after Rasa has loaded its model (Sanic runs the blueprint's
before_server_start listeners before Rasa's own), and stops before Rasa closes its resources.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from asyncio import AbstractEventLoop
from collections.abc import Callable, Collection
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.engine import Engine
from telegram import Bot, BotCommand, Update
from telegram.error import InvalidToken, TelegramError

from bot.coach_desk.desk import CoachDesk
from bot.db.engine import make_engine
from bot.db.turns import Reply
from bot.messaging.client import make_bot
from bot.services import Services
from bot.settings import Settings
from bot.telegram.handler import CHANNEL_NAME, CoachChat, OnNewMessage, UpdateHandler
from bot.telegram.output import ExportJson, ProgressChart, TelegramOutput
from bot.telegram.past_turns import replies_in_tracker
from bot.telegram.polling import ALLOWED_UPDATES, Poller
from bot.telegram.store import ChannelStore
from bot.telegram.texts import default_texts

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MODES = ("polling", "webhook")
ORPHAN_SWEEP_SECONDS = 30.0


class TelegramInput(InputChannel):
    """Receives Telegram updates by long polling or webhook and hands text to Rasa."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TelegramInput:
        """What Rasa calls: keys from credentials.yml, each falling back to the environment
        (bot.settings); the coach desk when COACH_CHAT_ID is set."""
        credentials = credentials or {}
        settings = Settings.from_env()
        token = credentials.get("token") or settings.telegram_bot_token
        if not token:
            raise RasaException("The Telegram channel needs TELEGRAM_BOT_TOKEN (or `token`).")
        bot = make_bot(token, credentials.get("base_url") or settings.telegram_api_base_url)
        engine = make_engine(settings.database_url)
        desk = None if settings.coach_chat_id is None else CoachDesk(engine, bot, settings.coach_chat_id)
        return cls(
            bot,
            engine,
            mode=credentials.get("mode") or settings.telegram_mode,
            webhook_url=credentials.get("webhook_url") or settings.telegram_webhook_url,
            secret_token=credentials.get("secret_token") or settings.telegram_webhook_secret,
            allowed_chat_ids=settings.allowed_chat_ids,
            coach_desk=desk,
        )

    def __init__(
        self,
        bot: Bot,
        engine: Engine,
        *,
        mode: str = "polling",
        webhook_url: str | None = None,
        secret_token: str | None = None,
        allowed_chat_ids: Collection[int] = (),
        coach_desk: CoachChat | None = None,
        services: Services | None = None,
        progress_chart: ProgressChart | None = None,
        export_json: ExportJson | None = None,
        poll_timeout: int = 30,
        poll_attempts: int = 3,
        poll_retry_delay: float = 1.0,
    ) -> None:
        """No network I/O here: Rasa builds channels before the event loop runs.

        `coach_desk` answers the clinic's chat (none: no coach chat); `services` (default: on
        `engine`) record red flags the action server could not, remind of open ones, and draw
        the chart and the data export unless `progress_chart` / `export_json` are given.
        """
        if mode not in MODES:
            raise RasaException(f"Telegram mode must be one of {MODES}")
        if mode == "webhook" and not (webhook_url and secret_token):
            raise RasaException("Telegram webhook mode needs TELEGRAM_WEBHOOK_URL and "
                                "TELEGRAM_WEBHOOK_SECRET (Telegram sends the secret back with "
                                "every update, so forged updates can be refused).")
        self.bot = bot
        self.mode = mode
        self.webhook_url = webhook_url
        self.secret_token = secret_token
        self.texts = default_texts()
        self.store = ChannelStore(engine, allowed_chat_ids)
        services = services or Services.over(engine)
        self._output_options: dict[str, Any] = {
            "choose_text": self.texts.choose,
            "progress_chart": progress_chart or services.plans.progress_chart_png,
            "export_json": export_json or services.privacy.export_json,
        }
        self.handler = UpdateHandler(bot, self.store, self.texts, self.get_output_channel, coach_desk,
                                     record_red_flag=services.safety.record_red_flag,
                                     red_flag_notice=services.safety.open_red_flag_notice)
        self._sweeper: asyncio.Task[None] | None = None
        self._poll_options = {"timeout": poll_timeout, "attempts": poll_attempts,
                              "retry_delay": poll_retry_delay}
        self.poller: Poller | None = None

    def get_output_channel(self, **options: Any) -> TelegramOutput:
        """A fresh output for one conversation turn (no network I/O: Rasa calls this from
        request handlers such as trigger_intent)."""
        return TelegramOutput(self.bot, **self._output_options, **options)

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Check the token, publish the command menu, and point Telegram at us (or not)."""
        try:
            await self.bot.initialize()
        except InvalidToken:
            raise RasaException("Telegram rejected TELEGRAM_BOT_TOKEN.") from None
        logger.info("Forgot %d handled Telegram updates", await self.store.prune())
        commands = [BotCommand(c.name, c.description) for c in self.texts.commands.values()]
        try:
            await self.bot.set_my_commands(commands)
        except TelegramError as exc:  # a missing menu is no reason not to serve
            logger.warning("Could not set the Telegram command menu: %s", type(exc).__name__)
        if self.mode == "webhook":
            await self.bot.set_webhook(self.webhook_url or "", secret_token=self.secret_token,
                                       allowed_updates=ALLOWED_UPDATES)
            logger.info("Telegram webhook set")
        else:
            await self.bot.delete_webhook()  # getUpdates is refused while a webhook is set

    def read_past_turns(self, app: Sanic) -> None:
        """Let a taken-over turn find what Rasa saved of it (the agent may be replaced when a
        new model is loaded: looked up each time)."""
        async def past_replies(sender_id: str, message_id: str) -> list[Reply] | None:
            return await replies_in_tracker(app.ctx.agent.tracker_store, sender_id, message_id)

        self.handler.past_replies = past_replies

    async def start_turns(self, on_new_message: OnNewMessage) -> None:
        """Finish the turns of a process that died (at once: before new updates are read), then
        keep looking for them (a replica elsewhere may die) while serving."""
        await self.handler.resume_orphans(on_new_message)

        async def sweep() -> None:
            while True:
                await asyncio.sleep(ORPHAN_SWEEP_SECONDS)
                await self.handler.resume_orphans(on_new_message)

        self._sweeper = asyncio.create_task(sweep(), name="telegram-orphan-sweep")
        if self.mode == "polling":
            self.start_polling(on_new_message)

    def start_polling(self, on_new_message: OnNewMessage) -> None:
        async def handle(update: Update) -> None:
            await self.handler.handle(update, on_new_message)

        self.poller = Poller(self.bot, handle, **self._poll_options)
        self.poller.start()
        logger.info("Telegram polling started")

    async def stop_turns(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        if self.poller is not None:
            await self.poller.stop()
            self.poller = None

    # --- Sanic ------------------------------------------------------------------------------

    def blueprint(self, on_new_message: Callable[[UserMessage], Any]) -> Blueprint:
        bp = Blueprint("bone_coach_telegram", __name__)

        @bp.listener("before_server_start")
        async def start(_app: Sanic, _loop: AbstractEventLoop) -> None:
            await self.start()

        @bp.listener("after_server_start")
        async def start_turns(app: Sanic, _loop: AbstractEventLoop) -> None:
            self.read_past_turns(app)
            await self.start_turns(on_new_message)

        @bp.listener("before_server_stop")
        async def stop_turns(_app: Sanic, _loop: AbstractEventLoop) -> None:
            await self.stop_turns()

        @bp.listener("after_server_stop")
        async def shutdown(_app: Sanic, _loop: AbstractEventLoop) -> None:
            await self.bot.shutdown()

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "mode": self.mode})

        if self.mode == "webhook":

            @bp.route("/webhook", methods=["POST"])
            async def webhook(request: Request) -> HTTPResponse:
                return await self._webhook(request, on_new_message)

        return bp

    def _secret_ok(self, header: str | None) -> bool:
        expected = (self.secret_token or "").encode()
        return bool(expected) and hmac.compare_digest((header or "").encode(), expected)

    async def _webhook(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        """200 when handled; 403 for a request without our secret; 500 so Telegram retries."""
        if not self._secret_ok(request.headers.get(SECRET_HEADER)):
            logger.warning("Refused a Telegram webhook request from %s: wrong or missing secret "
                           "token", request.ip)
            return response.json({"status": "forbidden"}, status=403)
        try:
            update = Update.de_json(request.json, self.bot)
        except (AttributeError, KeyError, TypeError, ValueError):
            update = None
        if update is None or not isinstance(update.update_id, int):
            return response.json({"status": "not an update"}, status=400)
        try:
            await self.handler.handle(update, on_new_message)
        except Exception:  # the handler logged the cause; Telegram will deliver again
            logger.error("Telegram update %s failed; answering 500 so it is re-delivered",
                         update.update_id)
            return response.json({"status": "error"}, status=500)
        return response.json({"status": "ok"})
