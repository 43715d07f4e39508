"""Helpers for the Telegram channel tests (fixtures are in conftest.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import uuid4

from rasa.core.channels.channel import UserMessage, register
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from sanic import Sanic
from sqlalchemy.engine import Engine

from bot.coach_desk.desk import CoachDesk
from bot.messaging.client import make_bot
from bot.telegram import TelegramInput
from tests.support.fake_telegram import FakeTelegram, free_port

# Several Sanic apps start in one test process: Sanic's test mode lets it recompile its request
# handling for each (what sanic-testing does).
Sanic.test_mode = True

CLIENT = 4242  # enrolled (allow-listed in the database)
STRANGER = 5151  # not enrolled


class TinyBot:
    """Stands in for Rasa's agent: records each message and answers through its output channel
    (an echo, or the Rasa responses set in `responses` for a text)."""

    def __init__(self) -> None:
        self.messages: list[UserMessage] = []
        self.responses: dict[str, list[dict[str, Any]]] = {}
        self.failures = 0  # the next N messages raise `failure`
        self.failure: Exception = RuntimeError("a bug in a turn")
        self.silent = False  # answer nothing, like a broken action server
        self.delay = 0.0  # seconds each turn takes, like a real model and action server
        # Keeps no conversations: a taken-over turn never finds one and runs the message again.
        self.tracker_store = InMemoryTrackerStore(Domain.empty())

    async def handle_message(self, message: UserMessage) -> None:
        self.messages.append(message)
        await asyncio.sleep(self.delay)
        if self.failures:
            self.failures -= 1
            raise self.failure
        if self.silent:
            return
        default = [{"text": f"echo: {message.text}"}]
        for response in self.responses.get(message.text or "", default):
            await message.output_channel.send_response(message.sender_id, dict(response))

    @property
    def texts(self) -> list[str | None]:
        return [m.text for m in self.messages]


def make_channel(
    fake: FakeTelegram, engine: Engine, coach_chat_id: int | None = None, **options: Any
) -> TelegramInput:
    """The channel with a real Bot on the fake server, short timeouts and back-off for tests;
    with `coach_chat_id`, the coach desk for that chat (as from_credentials gives it)."""
    bot = make_bot(fake.token, fake.base_url, read_timeout=1.0, base_delay=0.05)
    options.setdefault("poll_timeout", 1)
    options.setdefault("poll_retry_delay", 0.05)
    if coach_chat_id is not None:
        options["coach_desk"] = CoachDesk(engine, bot, coach_chat_id)
    return TelegramInput(bot, engine, **options)


@asynccontextmanager
async def serve(
    channel: TelegramInput, agent: TinyBot, port: int | None = None
) -> AsyncIterator[str]:
    """Serve the channel as `rasa run` does (channel.register under /webhooks/); yields the URL."""
    app = Sanic(f"test_{uuid4().hex}")
    app.ctx.agent = agent
    register([channel], app, route="/webhooks/")
    port = port or free_port()
    server = await app.create_server(
        host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
    )
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()
