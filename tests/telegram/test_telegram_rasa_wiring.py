"""Rasa's own loader and app factory find, configure and serve the channel, as `rasa run
--credentials credentials.yml` does (the agent is the tiny bot; the lead's e2e tests use Rasa's)."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from rasa.core import run

from bot.db.engine import ensure_schema, make_engine
from bot.telegram import TelegramInput
from tests.support import fake_telegram as tg
from tests.support.fake_telegram import FakeTelegram, free_port
from tests.telegram.harness import CLIENT, TinyBot


async def test_rasa_loads_the_channel_from_credentials_and_serves_it(
    fake: FakeTelegram, tiny_bot: TinyBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database_url = f"sqlite:///{tmp_path / 'coach.db'}"
    ensure_schema(make_engine(database_url))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", fake.token)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", fake.base_url)
    monkeypatch.setenv("ALLOWED_CHAT_IDS", str(CLIENT))
    credentials = tmp_path / "credentials.yml"
    credentials.write_text("rest:\nbot.telegram.TelegramInput:\n  mode: polling\n")

    channels = run.create_http_input_channels(None, str(credentials))
    [telegram_channel] = [c for c in channels if isinstance(c, TelegramInput)]
    app = run.configure_app(channels, enable_api=False)
    app.ctx.agent = tiny_bot
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True,
                                     access_log=False)
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        fake.queue_update(tg.text_message(CLIENT, "hello from Telegram"))
        await fake.wait_for("sendMessage", chat_id=CLIENT)
        assert telegram_channel.poller is not None
        async with aiohttp.ClientSession() as session, session.get(
            f"http://127.0.0.1:{port}/webhooks/telegram/"
        ) as response:
            assert await response.json() == {"status": "ok", "mode": "polling"}
    finally:
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()

    assert fake.texts_to(CLIENT) == ["echo: hello from Telegram"]
    assert tiny_bot.messages[0].input_channel == "telegram"
