"""Webhook mode: Telegram POSTs updates with our secret token; failures answer 500 so Telegram
delivers again (the fake re-delivers like Telegram does)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from rasa.shared.exceptions import RasaException
from sqlalchemy.engine import Engine

from bot.messaging.client import make_bot
from bot.telegram import TelegramInput
from bot.telegram.texts import default_texts
from tests.support import fake_telegram as tg
from tests.support.fake_telegram import FakeTelegram, free_port
from tests.telegram.harness import CLIENT, TinyBot, make_channel, serve

SECRET = "s3cret-Token_for-webhooks"
TEXTS = default_texts()


@pytest.fixture
async def webhook(
    fake: FakeTelegram, engine: Engine, tiny_bot: TinyBot
) -> AsyncIterator[str]:
    """The channel in webhook mode, served; yields the webhook URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/webhooks/telegram/webhook"
    channel = make_channel(fake, engine, mode="webhook", webhook_url=url, secret_token=SECRET)
    async with serve(channel, tiny_bot, port=port):
        yield url


async def post(url: str, update: dict[str, Any], secret: str | None = SECRET) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    async with aiohttp.ClientSession() as session, session.post(
        url, json=update, headers=headers
    ) as response:
        return response.status


async def test_start_sets_the_webhook_with_the_secret(webhook: str, fake: FakeTelegram) -> None:
    assert fake.webhook is not None
    assert (fake.webhook.url, fake.webhook.secret_token) == (webhook, SECRET)
    assert fake.webhook.allowed_updates == ["message", "callback_query"]


async def test_an_update_with_the_right_secret_is_handled(
    webhook: str, fake: FakeTelegram, tiny_bot: TinyBot
) -> None:
    update = tg.text_message(CLIENT, "hello")
    update["update_id"] = 1001

    assert await post(webhook, update) == 200
    assert tiny_bot.texts == ["hello"]
    assert fake.texts_to(CLIENT) == ["echo: hello"]


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", "sécret"])
async def test_a_request_without_the_right_secret_is_refused(
    webhook: str, tiny_bot: TinyBot, caplog: pytest.LogCaptureFixture, secret: str | None
) -> None:
    update = tg.text_message(CLIENT, "forged")
    update["update_id"] = 1002

    assert await post(webhook, update, secret) == 403
    assert tiny_bot.messages == []
    assert "wrong or missing secret token" in caplog.text
    assert SECRET not in caplog.text


@pytest.mark.parametrize("body", [{"hello": "world"}, [], {"update_id": "x"}, None])
async def test_a_body_that_is_not_an_update_is_a_bad_request(webhook: str, body: Any) -> None:
    assert await post(webhook, body) == 400


async def test_the_same_update_posted_twice_is_processed_once(
    webhook: str, tiny_bot: TinyBot
) -> None:
    update = tg.text_message(CLIENT, "done")
    update["update_id"] = 1003

    assert [await post(webhook, update), await post(webhook, update)] == [200, 200]
    assert tiny_bot.texts == ["done"]


async def test_a_failure_answers_500_and_the_redelivery_is_processed(
    webhook: str, fake: FakeTelegram, tiny_bot: TinyBot
) -> None:
    tiny_bot.failures = 2
    update = fake.queue_update(tg.text_message(CLIENT, "skipped today, tired"))

    await fake.wait_for("sendMessage", 2, chat_id=CLIENT)
    await fake.wait_until(lambda: len(fake.webhook_deliveries) == 3)

    assert fake.webhook_deliveries == [(update["update_id"], s) for s in (500, 500, 200)]
    assert tiny_bot.texts == ["skipped today, tired"] * 3
    assert fake.texts_to(CLIENT) == [TEXTS.error, "echo: skipped today, tired"]


async def test_a_button_press_by_webhook_is_answered_and_its_keyboard_removed(
    webhook: str, fake: FakeTelegram, tiny_bot: TinyBot
) -> None:
    tiny_bot.responses["/checkin_done"] = [{
        "text": "How hard was it?",
        "buttons": [{"title": str(n), "payload": f'/inform{{"effort": "{n}"}}'} for n in (3, 5, 7)],
    }]
    fake.queue_update(tg.command(CLIENT, "done"))
    await fake.wait_for("sendMessage", chat_id=CLIENT)

    fake.press_button(CLIENT, title="5")
    await fake.wait_for("sendMessage", 2, chat_id=CLIENT)

    assert tiny_bot.texts == ["/checkin_done", '/inform{"effort": "5"}']
    assert fake.calls_to("answerCallbackQuery") and fake.calls_to("editMessageReplyMarkup")


def test_webhook_mode_needs_a_secret(engine: Engine) -> None:
    bot = make_bot("1:x", "http://127.0.0.1:9/bot")
    with pytest.raises(RasaException, match="TELEGRAM_WEBHOOK_SECRET"):
        TelegramInput(bot, engine, mode="webhook", webhook_url="https://example.org/hook")


def test_credentials_fall_back_to_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "42:from-env")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", "https://coach.example.org/webhooks/telegram/webhook")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "env-secret")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:9/bot")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")

    channel = TelegramInput.from_credentials(None)

    assert channel.mode == "webhook"
    assert channel.secret_token == "env-secret"
    assert channel.bot.token == "42:from-env"
    assert channel.bot.base_url == "http://127.0.0.1:9/bot42:from-env"

    overridden = TelegramInput.from_credentials({"mode": "polling", "token": "7:yaml"})
    assert (overridden.mode, overridden.bot.token) == ("polling", "7:yaml")


def test_a_missing_token_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    with pytest.raises(RasaException, match="TELEGRAM_BOT_TOKEN"):
        TelegramInput.from_credentials({})
