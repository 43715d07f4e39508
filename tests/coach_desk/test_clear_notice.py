"""A client cleared to train again is told once, whether the coach chat or the command line cleared
them; a coach never reads a raw button payload in an alert (issue 16). The real notifier and
dispatcher, the real Bot client, the fake Bot API, a real database."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from sqlalchemy.engine import Engine
from telegram import Bot

from bot.cli import build_parser
from bot.coach_desk.alerts import AlertDispatcher
from bot.coach_desk.cleared import ClearNotifier
from bot.coach_desk.commands import CoachCommands
from bot.coach_desk.texts import coach_texts
from bot.services import Services
from bot.settings import Settings
from tests.coach_desk.conftest import COACH_CHAT
from tests.coach_desk.seeding import enrol
from tests.support.fake_telegram import FakeTelegram

NOW = datetime(2026, 11, 25, 18, 0, tzinfo=timezone.utc)
RUTH, OTTO = 4_200_000_001, 4_200_000_002


def _cli(engine: Engine, *argv: str) -> int:
    """`bone-coach ARGV` on this database (the parsed command run in-process)."""
    args = build_parser().parse_args(list(argv))
    return int(args.run(args, engine, Settings.from_env()))


def _cleared_text() -> str:
    return str(coach_texts()["client"]["cleared"])


async def test_a_client_cleared_from_the_command_line_is_told_once(db_engine: Engine, fake: FakeTelegram,
                                                                  bot: Bot) -> None:
    enrol(db_engine, RUTH, "Ruth", NOW - timedelta(days=10))
    Services.over(db_engine, clock=lambda: NOW).safety.record_red_flag(RUTH, "I fell on the ice")
    notifier = ClearNotifier(db_engine, bot, clock=lambda: NOW)
    assert await notifier.deliver() == 0  # nothing cleared yet

    assert _cli(db_engine, "clear", str(RUTH), "--by", "Sue") == 0
    assert _cli(db_engine, "clear", str(RUTH), "--by", "Sue") == 0  # twice: nothing new to tell
    assert await notifier.deliver() == 1
    assert await notifier.deliver() == 0
    assert fake.texts_to(RUTH) == [_cleared_text()]


async def test_a_client_cleared_from_the_coach_chat_is_told_once_by_racing_senders(
    db_engine: Engine, fake: FakeTelegram, bot: Bot
) -> None:
    enrol(db_engine, RUTH, "Ruth", NOW - timedelta(days=10))
    enrol(db_engine, OTTO, "Otto", NOW - timedelta(days=10))
    for chat_id in (RUTH, OTTO):
        Services.over(db_engine, clock=lambda: NOW).safety.record_red_flag(chat_id, "I heard a crack")
    commands = CoachCommands(db_engine, clock=lambda: NOW)
    assert commands.run(f"/clear {RUTH}", "Ada").startswith(f"Ruth (chat {RUTH}): 1 red flag(s) cleared")
    assert commands.run(f"/clear {OTTO}", "Ada").startswith(f"Otto (chat {OTTO}): 1 red flag(s) cleared")
    # The channel after a command and the coach-desk loop deliver at the same moment.
    told = await asyncio.gather(*(ClearNotifier(db_engine, bot, clock=lambda: NOW).deliver() for _ in range(3)))
    assert sum(told) == 2
    assert fake.texts_to(RUTH) == fake.texts_to(OTTO) == [_cleared_text()]


async def test_a_failed_send_is_told_on_the_next_round(db_engine: Engine, fake: FakeTelegram, bot: Bot) -> None:
    enrol(db_engine, RUTH, "Ruth", NOW - timedelta(days=10))
    services = Services.over(db_engine, clock=lambda: NOW)
    services.safety.record_red_flag(RUTH, "my legs went numb")
    services.safety.clear_red_flags(RUTH, "Sue")
    fake.fail_next("sendMessage", status=400)
    notifier = ClearNotifier(db_engine, bot, clock=lambda: NOW)
    assert await notifier.deliver() == 0
    assert await notifier.deliver() == 1
    assert fake.texts_to(RUTH) == [_cleared_text()]


async def test_a_button_press_reads_as_what_the_client_did_not_as_its_payload(
    db_engine: Engine, fake: FakeTelegram, bot: Bot
) -> None:
    enrol(db_engine, RUTH, "Ruth", NOW - timedelta(days=10))
    Services.over(db_engine, clock=lambda: NOW).safety.request_human(RUTH, "/request_human", "tg-1")
    assert await AlertDispatcher(db_engine, bot, COACH_CHAT, clock=lambda: NOW).dispatch() == 1
    [text] = fake.texts_to(COACH_CHAT)
    assert "What: tapped “Talk to a person” (or sent /coach)" in text
    assert '"/request_human"' not in text and "“/request_human”" not in text
    listing = CoachCommands(db_engine, clock=lambda: NOW).run("/alerts", "Ada")
    assert "tapped “Talk to a person”" in listing and "/request_human" not in listing
