"""Every alert reaches the coach chat once, says who, what and when, and survives restarts and
Telegram's hiccups: the real dispatcher, the real Bot client, the fake Bot API, a real database."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.engine import Engine
from telegram import Bot

from bot.coach_desk.adherence import detect_missed_sessions
from bot.coach_desk.alerts import AlertDispatcher, notify_pending
from bot.db import alerts
from bot.db.engine import unit_of_work
from bot.db.models import CoachAlert
from bot.messaging.client import make_bot
from bot.services import Services
from tests.coach_desk.conftest import COACH_CHAT
from tests.coach_desk.seeding import check_in, enrol, local_days_before
from tests.support.fake_telegram import FakeTelegram

NOW = datetime(2026, 11, 25, 18, 0, tzinfo=timezone.utc)  # Wed 25 Nov, 12:00 in Duluth
WHEN = "Wed 25 Nov 2026, 12:00 CST"
RUTH, OTTO = 4_100_000_001, 4_100_000_002


def _dispatcher(engine: Engine, bot: Bot, now: datetime = NOW) -> AlertDispatcher:
    return AlertDispatcher(engine, bot, COACH_CHAT, clock=lambda: now)


def _alerts(engine: Engine) -> list[CoachAlert]:
    with unit_of_work(engine) as s:
        return list(s.execute(select(CoachAlert).order_by(CoachAlert.id)).scalars())


async def test_each_kind_of_alert_arrives_once_saying_who_what_and_when(
    db_engine: Engine, fake: FakeTelegram, bot: Bot
) -> None:
    enrol(db_engine, RUTH, "Ruth", NOW - timedelta(days=30))
    enrol(db_engine, OTTO, "Otto", NOW - timedelta(days=30), training_days=range(7))
    check_in(db_engine, RUTH, local_days_before(NOW, 2), "done", rpe=6, pain=2)
    services = Services.over(db_engine, clock=lambda: NOW)
    services.safety.record_red_flag(RUTH, "I slipped on the ice and heard a crack in my wrist")
    services.safety.report_pain(RUTH, 7, "back", "my back is a 7 today")  # 7/10 is the alert level
    services.safety.request_human(RUTH, "can I talk to a real person please")
    detect_missed_sessions(db_engine, NOW)  # Otto has trained on none of his days

    assert await _dispatcher(db_engine, bot).dispatch() == 4

    red_flag, pain, human, missed = fake.texts_to(COACH_CHAT)
    for text in (red_flag, pain, human):
        assert "Who: Ruth (chat 4100000001)" in text
        assert f"When: {WHEN}" in text
    assert "RED FLAG" in red_flag and "“I slipped on the ice and heard a crack in my wrist”" in red_flag
    assert f"/handled {_alerts(db_engine)[0].id}. When the clinic clears them to train again: /clear {RUTH}" in red_flag
    assert "High pain" in pain and "What: pain 7/10" in pain
    assert "talk to a person" in human and "“can I talk to a real person please”" in human
    # What the client logged lately comes along, so the coach can call prepared.
    assert "session done (effort 6/10, pain 2/10)" in human
    assert "pain 7/10 in the back — “my back is a 7 today”" in human
    assert "Who: Otto (chat 4100000002)" in missed
    assert "Missed planned sessions" in missed and "last session done: none yet" in missed
    # Each carries a one-tap "handled" button for its own alert.
    buttons = [c.params["reply_markup"]["inline_keyboard"][0][0] for c in fake.calls_to("sendMessage")]
    ids = [a.id for a in _alerts(db_engine)]
    assert [b["callback_data"] for b in buttons] == [f"/handled {i}" for i in ids]
    assert all(a.notified_at == NOW for a in _alerts(db_engine))

    assert await _dispatcher(db_engine, bot).dispatch() == 0
    assert len(fake.texts_to(COACH_CHAT)) == 4


async def test_a_restarted_dispatcher_sends_nothing_twice(db_engine: Engine, fake: FakeTelegram) -> None:
    enrol(db_engine, RUTH, "Ruth", NOW - timedelta(days=30))
    Services.over(db_engine, clock=lambda: NOW).safety.request_human(RUTH, "please call me")
    async with make_bot(fake.token, fake.base_url) as first:
        assert await _dispatcher(db_engine, first).dispatch() == 1
    # A new process: new Bot, new dispatcher, the same database.
    # (Within the repeat interval: an unhandled alert is sent again only after it.)
    async with make_bot(fake.token, fake.base_url) as second:
        assert await _dispatcher(db_engine, second, NOW + timedelta(minutes=5)).dispatch() == 0
        Services.over(db_engine, clock=lambda: NOW).safety.request_human(RUTH, "still waiting")
        assert await _dispatcher(db_engine, second, NOW + timedelta(minutes=5)).dispatch() == 1
    texts = fake.texts_to(COACH_CHAT)
    assert len(texts) == 2 and "please call me" in texts[0] and "still waiting" in texts[1]


async def test_a_429_is_waited_out_and_the_alert_arrives_once(
    db_engine: Engine, fake: FakeTelegram, bot: Bot
) -> None:
    enrol(db_engine, RUTH, "Ruth", NOW - timedelta(days=30))
    Services.over(db_engine, clock=lambda: NOW).safety.record_red_flag(RUTH, "I fell down the stairs")
    fake.fail_next("sendMessage", status=429, retry_after=1)

    assert await _dispatcher(db_engine, bot).dispatch() == 1

    statuses = [c.status for c in fake.calls if c.method == "sendMessage"]
    assert statuses == [429, 200]
    assert len(fake.texts_to(COACH_CHAT)) == 1
    assert await _dispatcher(db_engine, bot).dispatch() == 0


async def test_a_failed_send_is_kept_and_delivered_by_the_next_round(
    db_engine: Engine, fake: FakeTelegram, bot: Bot
) -> None:
    enrol(db_engine, RUTH, "Ruth", NOW - timedelta(days=30))
    services = Services.over(db_engine, clock=lambda: NOW)
    services.safety.request_human(RUTH, "first")
    services.safety.request_human(RUTH, "second")
    fake.fail_next("sendMessage", status=400)  # refused outright: not retried by the client

    assert await _dispatcher(db_engine, bot).dispatch() == 0  # stops, keeping the order
    assert [a.notified_at for a in _alerts(db_engine)] == [None, None]
    assert [a.notify_claimed_at for a in _alerts(db_engine)] == [None, None]

    assert await _dispatcher(db_engine, bot).dispatch() == 2
    texts = fake.texts_to(COACH_CHAT)
    assert len(texts) == 2 and "“first”" in texts[0] and "“second”" in texts[1]


async def test_an_alert_claimed_by_a_sender_that_died_is_taken_over_later(
    db_engine: Engine, fake: FakeTelegram, bot: Bot
) -> None:
    enrol(db_engine, RUTH, "Ruth", NOW - timedelta(days=30))
    Services.over(db_engine, clock=lambda: NOW).safety.request_human(RUTH, "hello?")
    with unit_of_work(db_engine) as s:  # another process claimed it, then crashed before sending
        assert alerts.claim_next_alert(s, NOW, timedelta(minutes=5)) is not None

    assert await _dispatcher(db_engine, bot, NOW + timedelta(minutes=1)).dispatch() == 0
    assert await _dispatcher(db_engine, bot, NOW + timedelta(minutes=6)).dispatch() == 1
    assert len(fake.texts_to(COACH_CHAT)) == 1


async def test_dispatchers_running_together_send_each_alert_once(
    db_engine: Engine, fake: FakeTelegram, bot: Bot
) -> None:
    enrol(db_engine, RUTH, "Ruth", NOW - timedelta(days=30))
    services = Services.over(db_engine, clock=lambda: NOW)
    for n in range(6):
        services.safety.request_human(RUTH, f"message {n}")

    sent = await asyncio.gather(*(_dispatcher(db_engine, bot).dispatch() for _ in range(3)))

    assert sum(sent) == 6
    texts = fake.texts_to(COACH_CHAT)
    assert sorted(t.split("“")[1].split("”")[0] for t in texts) == [f"message {n}" for n in range(6)]


async def test_an_alert_handled_before_it_was_sent_is_not_sent(
    db_engine: Engine, fake: FakeTelegram, bot: Bot
) -> None:
    enrol(db_engine, RUTH, "Ruth", NOW - timedelta(days=30))
    Services.over(db_engine, clock=lambda: NOW).safety.request_human(RUTH, "call me")
    with unit_of_work(db_engine) as s:
        alerts.mark_alert_handled(s, _alerts(db_engine)[0].id, "Sue at the desk", NOW)

    assert await _dispatcher(db_engine, bot).dispatch() == 0
    assert fake.texts_to(COACH_CHAT) == []


async def test_notify_pending_sends_at_once_and_needs_a_coach_chat(
    db_engine: Engine, fake: FakeTelegram, bot: Bot
) -> None:
    enrol(db_engine, RUTH, "Ruth", NOW - timedelta(days=30))
    Services.over(db_engine, clock=lambda: NOW).safety.record_red_flag(RUTH, "my legs went numb")

    assert await notify_pending(db_engine, bot, None) == 0
    assert await notify_pending(db_engine, bot, COACH_CHAT) == 1
    [text] = fake.texts_to(COACH_CHAT)
    assert "Who: Ruth (chat 4100000001)" in text and "“my legs went numb”" in text


async def test_an_unhandled_alert_is_sent_again_in_clinic_hours_and_a_handled_one_is_not(
    db_engine: Engine, fake: FakeTelegram, bot: Bot
) -> None:
    """Issue 12: nothing dismissed quietly. A fake clock walks past the repeat interval."""
    enrol(db_engine, RUTH, "Ruth", NOW - timedelta(days=30))
    enrol(db_engine, OTTO, "Otto", NOW - timedelta(days=30))
    Services.over(db_engine, clock=lambda: NOW).safety.record_red_flag(RUTH, "I fell and my hip hurts badly")
    Services.over(db_engine, clock=lambda: NOW).safety.record_red_flag(OTTO, "I passed out in the shower")
    assert await _dispatcher(db_engine, bot).dispatch() == 2
    ruth_alert, otto_alert = _alerts(db_engine)
    with unit_of_work(db_engine) as s:
        repo_alert = s.get(CoachAlert, otto_alert.id)
        repo_alert.handled_at, repo_alert.handled_by = NOW + timedelta(minutes=5), "Sue"

    assert await _dispatcher(db_engine, bot, NOW + timedelta(minutes=14)).dispatch() == 0
    assert await _dispatcher(db_engine, bot, NOW + timedelta(minutes=16)).dispatch() == 1
    repeat = fake.texts_to(COACH_CHAT)[-1]
    assert repeat.startswith("🔁 Still open after 16 minutes")
    assert "Ruth" in repeat and f"Alert #{ruth_alert.id}" in repeat
    # once sent again, the clock starts over; still unhandled, it comes back 15 minutes later
    assert await _dispatcher(db_engine, bot, NOW + timedelta(minutes=20)).dispatch() == 0
    assert await _dispatcher(db_engine, bot, NOW + timedelta(minutes=32)).dispatch() == 1
    assert all("Otto" not in text for text in fake.texts_to(COACH_CHAT)[2:])


async def test_outside_clinic_hours_an_unhandled_alert_waits(
    db_engine: Engine, fake: FakeTelegram, bot: Bot
) -> None:
    evening = datetime(2026, 11, 25, 23, 30, tzinfo=timezone.utc)  # 17:30 in Duluth: closed
    enrol(db_engine, RUTH, "Ruth", evening - timedelta(days=30))
    Services.over(db_engine, clock=lambda: evening).safety.record_red_flag(RUTH, "chest pain")
    assert await _dispatcher(db_engine, bot, evening).dispatch() == 1
    assert await _dispatcher(db_engine, bot, evening + timedelta(hours=2)).dispatch() == 0
    next_morning = datetime(2026, 11, 26, 14, 5, tzinfo=timezone.utc)  # Thu 08:05 in Duluth
    assert await _dispatcher(db_engine, bot, next_morning).dispatch() == 1
