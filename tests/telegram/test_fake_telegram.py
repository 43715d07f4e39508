"""The fake Bot API behaves like Telegram where our tests and benchmarks depend on it."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
import telegram
from telegram.error import Conflict, NetworkError, RetryAfter

from tests.support import fake_telegram as tg
from tests.support.fake_telegram import FakeTelegram, FakeTelegramThread, free_port

ROOT = Path(__file__).resolve().parents[2]
# python-telegram-bot itself warns when it builds a RetryAfter (its v22.2 timedelta migration).
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*`retry_after` will be of type:telegram.warnings.PTBDeprecationWarning")


async def test_get_updates_confirms_below_the_offset_and_long_polls(fake: FakeTelegram) -> None:
    async with telegram.Bot(fake.token, base_url=fake.base_url) as bot:
        first = fake.queue_update(tg.text_message(1, "one"))
        fake.queue_update(tg.text_message(1, "two"))
        assert [u.message.text for u in await bot.get_updates()] == ["one", "two"]
        assert [u.message.text for u in await bot.get_updates()] == ["one", "two"]  # unconfirmed

        offset = first["update_id"] + 1
        assert [u.message.text for u in await bot.get_updates(offset=offset)] == ["two"]

        poll = asyncio.create_task(bot.get_updates(offset=offset + 1, timeout=5))
        await fake.wait_until(lambda: len([c for c in fake.calls if c.method == "getUpdates"]) == 4)
        assert not poll.done()  # the fake holds it
        fake.queue_update(tg.text_message(1, "three"))
        assert [u.message.text for u in await asyncio.wait_for(poll, 2)] == ["three"]


async def test_a_newer_get_updates_terminates_the_older_one(fake: FakeTelegram) -> None:
    async with telegram.Bot(fake.token, base_url=fake.base_url) as a, \
            telegram.Bot(fake.token, base_url=fake.base_url) as b:
        older = asyncio.create_task(a.get_updates(timeout=5))
        await fake.wait_until(lambda: any(c.method == "getUpdates" for c in fake.calls))
        newer = asyncio.create_task(b.get_updates(timeout=1))
        with pytest.raises(Conflict):
            await older
        assert await newer == ()


async def test_wrong_token_and_unknown_method(fake: FakeTelegram) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{fake.base_url}1:wrong/getMe") as response:
            assert (response.status, (await response.json())["error_code"]) == (401, 401)
        async with session.post(f"{fake.base_url}{fake.token}/sendPigeon") as response:
            assert response.status == 404


async def test_flood_limits_per_chat_answer_429_with_retry_after(fake: FakeTelegram) -> None:
    fake.enforce_rate_limits(per_chat_per_second=1, overall_per_second=30)
    async with telegram.Bot(fake.token, base_url=fake.base_url) as bot:
        await bot.send_message(1, "first")
        await bot.send_message(2, "another chat is fine")
        with pytest.raises(RetryAfter):
            await bot.send_message(1, "too soon")


async def test_a_blocked_chat_is_forbidden(fake: FakeTelegram) -> None:
    fake.blocked.add(9)
    async with telegram.Bot(fake.token, base_url=fake.base_url) as bot:
        with pytest.raises(telegram.error.Forbidden):
            await bot.send_message(9, "hello?")


async def test_the_guard_stops_any_call_to_the_real_telegram() -> None:
    bot = telegram.Bot("123:real-looking-token")  # default base_url: api.telegram.org
    with pytest.raises(NetworkError, match="only the fake Telegram server is allowed"):
        await bot.get_me()


async def test_it_runs_as_a_separate_process_with_a_control_api() -> None:
    port = free_port()
    token = "77:separate-process"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.fake_telegram", "--port", str(port),
         "--token", token], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            deadline = time.monotonic() + 20
            while True:
                try:
                    async with session.get(f"{base}/_fake/calls") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    assert time.monotonic() < deadline, "fake server did not start"
                    await asyncio.sleep(0.2)
            async with session.post(f"{base}/_fake/updates",
                                    json=tg.text_message(5, "over the wire")):
                pass
            async with telegram.Bot(token, base_url=f"{base}/bot") as bot:
                [update] = await bot.get_updates()
                await bot.send_message(5, "got it")
            async with session.get(f"{base}/_fake/calls", params={"method": "sendMessage"}) as r:
                calls = await r.json()
        assert update.message.text == "over the wire"
        assert [c["params"]["text"] for c in calls] == ["got it"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_it_runs_in_a_thread_for_synchronous_tests() -> None:
    async def client_side(fake: FakeTelegramThread) -> str:
        async with telegram.Bot(fake.token, base_url=fake.base_url) as bot:
            [update] = await bot.get_updates()
            await bot.send_message(update.message.chat.id, "reply")
            return str(update.message.text)

    with FakeTelegramThread() as fake:
        fake.queue_update(tg.text_message(8, "from a sync test"))
        assert asyncio.run(client_side(fake)) == "from a sync test"
        fake.wait_for("sendMessage", chat_id=8)
        assert fake.texts_to(8) == ["reply"]
