"""Telegram's flood limits: ~30 messages/s per bot, 1/s per chat, and 429 answers obeyed."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone

from sqlalchemy.engine import Engine
from telegram.ext import ExtBot

from bot.scheduler import load_config, run_once
from bot.scheduler.pacing import SendPacer
from tests.scheduler.helpers import enrol, sends_per_chat
from tests.support.fake_telegram import FakeTelegram

AT_8_05 = datetime(2026, 6, 1, 13, 5, tzinfo=timezone.utc)


async def _turn_times(pacer: SendPacer, chats: list[int]) -> list[float]:
    times: list[float] = []

    async def one(chat: int) -> None:
        await pacer.wait_turn(chat)
        times.append(time.monotonic())

    await asyncio.gather(*(one(c) for c in chats))
    return sorted(times)


async def test_sends_are_spaced_evenly_without_a_burst() -> None:
    times = await _turn_times(SendPacer(rate_per_second=40, per_chat_seconds=1.0), list(range(20)))
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= 1 / 40 - 0.003
    assert times[-1] - times[0] < 19 / 40 + 0.15


async def test_one_chat_gets_at_most_one_message_a_second() -> None:
    times = await _turn_times(SendPacer(rate_per_second=40, per_chat_seconds=1.0), [7, 7, 7])
    assert [round(b - a, 1) for a, b in zip(times, times[1:], strict=False)] == [1.0, 1.0]


async def test_a_429_holds_every_send_for_the_time_telegram_asks() -> None:
    pacer = SendPacer(rate_per_second=100, per_chat_seconds=1.0)
    await pacer.wait_turn(1)
    held_at = time.monotonic()
    pacer.hold(0.5)
    times = await _turn_times(pacer, [2, 3])
    assert times[0] - held_at >= 0.5


async def test_a_fan_out_stays_inside_telegrams_limits(db_engine: Engine, fake: FakeTelegram, bot: ExtBot) -> None:
    fake.enforce_rate_limits(per_chat_per_second=1, overall_per_second=30)
    chats = list(range(2000, 2090))
    enrol(db_engine, chats)

    started = time.monotonic()
    stats = await run_once(db_engine, bot, AT_8_05)
    elapsed = time.monotonic() - started

    assert [c.status for c in fake.calls if c.status != 200] == []  # not one 429
    assert sends_per_chat(fake.calls) == {chat: 1 for chat in chats}
    assert stats.sent == len(chats)
    rate = load_config().rate_per_second
    assert elapsed >= (len(chats) - 1) / rate - 0.1  # paced, not bursted
    sends = sorted(c.at for c in fake.calls if c.method == "sendMessage")
    assert max(sum(1 for t in sends if start <= t < start + 1) for start in sends) <= 30
