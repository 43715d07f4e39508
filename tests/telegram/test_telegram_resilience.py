"""Telegram misbehaving: flood limits (429), server errors, hanging requests, polling conflicts.
A reply must reach the client exactly once when Telegram recovers."""

from __future__ import annotations

import time

import pytest
import telegram
from sqlalchemy.engine import Engine
from telegram.error import NetworkError, RetryAfter

from bot.messaging.client import make_bot
from bot.telegram import TelegramInput, TelegramOutput
from tests.support import fake_telegram as tg
from tests.support.fake_telegram import FakeTelegram
from tests.telegram.harness import CLIENT, TinyBot, make_channel, serve

# python-telegram-bot itself warns when it builds a RetryAfter (its v22.2 timedelta migration).
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*`retry_after` will be of type:telegram.warnings.PTBDeprecationWarning")


async def test_a_429_storm_delays_the_reply_but_delivers_it_once(
    polling: TelegramInput, fake: FakeTelegram
) -> None:
    fake.fail_next("sendMessage", 3, status=429, retry_after=1)
    started = time.monotonic()
    fake.queue_update(tg.text_message(CLIENT, "hello"))

    await fake.wait_for("sendMessage", chat_id=CLIENT, timeout=10)

    assert fake.texts_to(CLIENT) == ["echo: hello"]
    assert [c.status for c in fake.calls if c.method == "sendMessage"] == [429, 429, 429, 200]
    assert time.monotonic() - started >= 3  # retry_after honoured each time


async def test_a_server_error_then_success_delivers_once(
    polling: TelegramInput, fake: FakeTelegram
) -> None:
    fake.fail_next("sendMessage", 1, status=500)
    fake.queue_update(tg.text_message(CLIENT, "hello"))

    await fake.wait_for("sendMessage", chat_id=CLIENT)

    assert fake.texts_to(CLIENT) == ["echo: hello"]
    assert [c.status for c in fake.calls if c.method == "sendMessage"] == [500, 200]


async def test_a_hanging_request_times_out_and_is_retried(
    polling: TelegramInput, fake: FakeTelegram
) -> None:
    fake.fail_next("sendMessage", 1, hang=5)  # the client's read timeout is 1 s here
    fake.queue_update(tg.text_message(CLIENT, "hello"))

    await fake.wait_for("sendMessage", chat_id=CLIENT, timeout=8)

    assert fake.texts_to(CLIENT) == ["echo: hello"]


async def test_retries_are_capped_and_the_failure_is_raised(
    fake: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    bot = make_bot(fake.token, fake.base_url, network_retries=2, base_delay=0.01)
    fake.fail_next("sendMessage", 10, status=502)
    async with bot:
        with pytest.raises(NetworkError):
            await bot.send_message(CLIENT, "x")

    assert len(fake.calls_to("sendMessage")) == 0
    assert len([c for c in fake.calls if c.method == "sendMessage"]) == 3
    assert "giving up" in caplog.text


async def test_a_bad_request_is_not_retried(fake: FakeTelegram) -> None:
    async with make_bot(fake.token, fake.base_url, base_delay=0.01) as bot:
        with pytest.raises(telegram.error.BadRequest):
            await bot.send_message(CLIENT, " ")

    assert len([c for c in fake.calls if c.method == "sendMessage"]) == 1


async def test_retry_after_retries_are_capped(fake: FakeTelegram) -> None:
    fake.fail_next("sendMessage", 3, status=429, retry_after=1)
    async with make_bot(fake.token, fake.base_url, retry_after_retries=1) as bot:
        with pytest.raises(RetryAfter):
            await bot.send_message(CLIENT, "x")

    assert [c.status for c in fake.calls if c.method == "sendMessage"] == [429, 429]


async def test_polling_backs_off_on_server_errors_and_recovers(
    polling: TelegramInput, fake: FakeTelegram
) -> None:
    fake.fail_next("getUpdates", 2, status=500)
    fake.queue_update(tg.text_message(CLIENT, "still there?"))

    await fake.wait_for("sendMessage", chat_id=CLIENT)

    assert fake.texts_to(CLIENT) == ["echo: still there?"]


async def test_polling_waits_out_a_flood_limit_on_get_updates(
    fake: FakeTelegram, engine: Engine, tiny_bot: TinyBot
) -> None:
    fake.fail_next("getUpdates", 1, status=429, retry_after=1)
    fake.queue_update(tg.text_message(CLIENT, "hello"))
    async with serve(make_channel(fake, engine), tiny_bot):
        await fake.wait_for("sendMessage", chat_id=CLIENT)

    first, second = [c for c in fake.calls if c.method == "getUpdates"][:2]
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 1.0
    assert fake.texts_to(CLIENT) == ["echo: hello"]


async def test_a_second_poller_is_reported_as_a_conflict(
    fake: FakeTelegram, engine: Engine, tiny_bot: TinyBot, caplog: pytest.LogCaptureFixture
) -> None:
    first = make_channel(fake, engine, poll_timeout=5)
    second = make_channel(fake, engine, poll_timeout=5)
    async with serve(first, tiny_bot), serve(second, tiny_bot):
        await fake.wait_until(lambda: any(c.status == 409 for c in fake.calls))
        await fake.wait_until(lambda: "another process polls this bot token" in caplog.text)


async def test_output_buttons_keep_short_payloads_and_fall_back_to_the_title(
    fake: FakeTelegram,
) -> None:
    long_payload = '/inform{"equipment": "' + "resistance band " * 5 + '"}'
    buttons = [
        {"title": "Yes", "payload": "/affirm"},
        {"title": "No", "payload": "/deny"},
        {"title": "I have a resistance band", "payload": long_payload},
    ]
    async with make_bot(fake.token, fake.base_url) as bot:
        await TelegramOutput(bot).send_text_with_buttons(str(CLIENT), "", buttons)

    [call] = fake.calls_to("sendMessage")
    rows = call.params["reply_markup"]["inline_keyboard"]
    assert [[b["callback_data"] for b in row] for row in rows] == [
        ["/affirm", "/deny"], ["I have a resistance band"]]
    assert call.params["text"] == "Please choose:"


async def test_an_image_url_is_sent_as_a_photo(fake: FakeTelegram) -> None:
    url = "https://duluthmetabolic.example/img/chair-squat.png"
    async with make_bot(fake.token, fake.base_url) as bot:
        await TelegramOutput(bot).send_response(str(CLIENT), {"text": "Like this:", "image": url})

    assert fake.texts_to(CLIENT) == ["Like this:"]
    assert fake.calls_to("sendPhoto")[0].params["photo"] == url


async def test_an_unknown_custom_payload_is_never_shown_to_the_client(
    fake: FakeTelegram,
) -> None:
    async with make_bot(fake.token, fake.base_url) as bot:
        output = TelegramOutput(bot)
        await output.send_response(str(CLIENT), {"custom": {"debug": {"slots": 3}}})

    assert output.sent == 0
    assert [c.method for c in fake.calls if c.method.startswith("send")] == []
