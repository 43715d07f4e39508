"""What clients receive from `run_once`: the real scheduler, the real bot client, the fake Bot API
and a real database (SQLite and PostgreSQL). Monday 1 June 2026; Chicago is UTC-5 then."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import update
from sqlalchemy.engine import Engine
from telegram.ext import ExtBot

from bot.db.engine import unit_of_work
from bot.db.models import ReminderSent
from bot.db.reminders import Due, claim, finish
from bot.scheduler import load_config, run_once
from bot.services import Services
from tests.scheduler.helpers import BUTTONS, client_row, enrol, reminders, sends_per_chat
from tests.support.fake_telegram import FakeTelegram

MONDAY_8AM = datetime(2026, 6, 1, 13, 0, tzinfo=timezone.utc)  # 08:00 in Chicago
AT_8_05 = MONDAY_8AM + timedelta(minutes=5)
ADA, BEN, CAL = 101, 102, 103


def _buttons(call: object) -> list[str]:
    rows = call.params["reply_markup"]["inline_keyboard"]  # type: ignore[attr-defined]
    return [button["callback_data"] for row in rows for button in row]


async def test_a_due_client_gets_a_personal_reminder_with_todays_real_plan(
    db_engine: Engine, fake: FakeTelegram, bot: ExtBot
) -> None:
    enrol(db_engine, [ADA], name="Ada")

    stats = await run_once(db_engine, bot, AT_8_05)

    plan = Services.over(db_engine, lambda: AT_8_05).plans.reminder_plan(ADA)  # the plan stored for today
    assert plan is not None and plan.kind == "strength"
    [call] = fake.calls_to("sendMessage", ADA)
    assert call.params["text"] == (
        f"Hi Ada! Strength day today: {len(plan.exercises)} moves, about {plan.minutes} minutes. "
        "Tell me when you're done."
    )
    assert _buttons(call) == BUTTONS
    assert (stats.due, stats.sent) == (1, 1)
    [row] = reminders(db_engine)
    assert (row.kind, row.day.isoformat(), row.status, row.lease_until) == ("checkin", "2026-06-01", "sent", None)
    assert row.sent_at is not None


async def test_a_reminder_goes_out_once_however_often_the_scheduler_runs(
    db_engine: Engine, fake: FakeTelegram, bot: ExtBot
) -> None:
    enrol(db_engine, [ADA, BEN])
    await asyncio.gather(*(run_once(db_engine, bot, AT_8_05) for _ in range(3)))
    await run_once(db_engine, bot, AT_8_05 + timedelta(minutes=30))
    assert sends_per_chat(fake.calls) == {ADA: 1, BEN: 1}


async def test_reminders_follow_each_clients_own_zone_and_weekday(
    db_engine: Engine, fake: FakeTelegram, bot: ExtBot
) -> None:
    # 13:05 UTC Monday: 08:05 in Chicago, 14:05 in London, 22:05 in Tokyo.
    enrol(db_engine, [ADA], tz="America/Chicago", at=time(8, 0), days=(0, 3))
    enrol(db_engine, [BEN], tz="Europe/London", at=time(8, 0), days=(0, 3))  # 6 h ago: missed
    enrol(db_engine, [CAL], tz="Asia/Tokyo", at=time(22, 0), days=(0, 3))
    enrol(db_engine, [104], tz="America/Chicago", at=time(8, 0), days=(1, 4))  # not a strength day
    enrol(db_engine, [105], tz="America/Chicago", at=time(9, 0), days=(0, 3))  # not yet

    await run_once(db_engine, bot, AT_8_05)

    assert sends_per_chat(fake.calls) == {ADA: 1, CAL: 1}
    statuses = {r.client_id: r.status for r in reminders(db_engine)}
    assert sorted(statuses.values()) == ["sent", "sent", "skipped"]  # London's, too late


async def test_nothing_is_sent_more_than_three_hours_late_nor_early(
    db_engine: Engine, fake: FakeTelegram, bot: ExtBot
) -> None:
    enrol(db_engine, [ADA])
    await run_once(db_engine, bot, MONDAY_8AM - timedelta(minutes=1))
    assert fake.calls_to("sendMessage") == []
    assert reminders(db_engine) == []

    await run_once(db_engine, bot, MONDAY_8AM + timedelta(hours=3, minutes=1))  # 11:01 local

    assert fake.calls_to("sendMessage") == []
    [row] = reminders(db_engine)
    assert row.status == "skipped"
    await run_once(db_engine, bot, MONDAY_8AM + timedelta(hours=4))
    assert fake.calls_to("sendMessage") == []


async def test_a_reminder_just_before_midnight_still_arrives_after_it(
    db_engine: Engine, fake: FakeTelegram, bot: ExtBot
) -> None:
    enrol(db_engine, [ADA], at=time(23, 50))  # Monday 23:50 in Chicago = Tuesday 04:50 UTC
    await run_once(db_engine, bot, datetime(2026, 6, 2, 5, 20, tzinfo=timezone.utc))  # 00:20 Tuesday
    assert sends_per_chat(fake.calls) == {ADA: 1}
    assert [r.day.isoformat() for r in reminders(db_engine)] == ["2026-06-01"]


async def test_paused_blocked_and_unfinished_clients_get_no_reminder(
    db_engine: Engine, fake: FakeTelegram, bot: ExtBot
) -> None:
    enrol(db_engine, [ADA], paused=True)
    enrol(db_engine, [BEN], blocked=True)
    enrol(db_engine, [CAL], state="onboarding")
    enrol(db_engine, [104])
    await run_once(db_engine, bot, AT_8_05)
    assert sends_per_chat(fake.calls) == {104: 1}


async def test_resumed_and_moved_reminders_are_honoured(db_engine: Engine, fake: FakeTelegram, bot: ExtBot) -> None:
    enrol(db_engine, [ADA], paused=True)
    services = Services.over(db_engine, lambda: AT_8_05)
    services.reminders.set_reminder(ADA, time(8, 30))  # moving the time also resumes reminders
    await run_once(db_engine, bot, AT_8_05)
    assert fake.calls_to("sendMessage") == []
    await run_once(db_engine, bot, AT_8_05 + timedelta(minutes=30))
    assert sends_per_chat(fake.calls) == {ADA: 1}


async def test_a_client_who_blocked_the_bot_is_marked_and_not_tried_again(
    db_engine: Engine, fake: FakeTelegram, bot: ExtBot
) -> None:
    enrol(db_engine, [ADA, BEN])
    fake.blocked.add(ADA)

    stats = await run_once(db_engine, bot, AT_8_05)

    assert (stats.blocked, stats.sent) == (1, 1)
    assert client_row(db_engine, ADA).blocked_bot_at is not None
    assert client_row(db_engine, BEN).blocked_bot_at is None
    assert sorted(r.status for r in reminders(db_engine)) == ["failed", "sent"]
    await run_once(db_engine, bot, AT_8_05 + timedelta(days=3))  # Thursday, a strength day
    assert len([c for c in fake.calls if c.method == "sendMessage" and c.chat_id == ADA]) == 1
    assert sends_per_chat(fake.calls) == {BEN: 2}


async def test_telegrams_retry_after_is_honoured(db_engine: Engine, fake: FakeTelegram, bot: ExtBot) -> None:
    enrol(db_engine, [ADA, BEN, CAL])
    fake.fail_next("sendMessage", status=429, retry_after=1)

    stats = await run_once(db_engine, bot, AT_8_05)

    refused = next(c for c in fake.calls if c.status == 429)
    later = [c for c in fake.calls if c.method == "sendMessage" and c.at > refused.at]
    assert later and all(c.at - refused.at >= 1.0 for c in later)
    assert sends_per_chat(fake.calls) == {ADA: 1, BEN: 1, CAL: 1}
    assert stats.sent == 3


async def test_one_evening_nudge_on_a_strength_day_without_a_check_in(
    db_engine: Engine, fake: FakeTelegram, bot: ExtBot
) -> None:
    enrol(db_engine, [ADA, BEN])
    await run_once(db_engine, bot, AT_8_05)
    Services.over(db_engine, lambda: AT_8_05 + timedelta(hours=2)).checkins.log_checkin(BEN, "done", 5, 0, None)

    evening = MONDAY_8AM + timedelta(hours=11, minutes=5)  # 19:05 in Chicago
    await run_once(db_engine, bot, evening)
    await run_once(db_engine, bot, evening + timedelta(minutes=40))

    assert sends_per_chat(fake.calls) == {ADA: 2, BEN: 1}
    nudge = fake.texts_to(ADA)[1]
    assert nudge.startswith("Hi Ada, a gentle nudge")
    assert _buttons(fake.calls_to("sendMessage", ADA)[1]) == BUTTONS
    ada, ben = client_row(db_engine, ADA).id, client_row(db_engine, BEN).id
    assert sorted((r.client_id, r.kind, r.status) for r in reminders(db_engine)) == [
        (ada, "checkin", "sent"),
        (ada, "nudge", "sent"),
        (ben, "checkin", "sent"),
    ]


async def test_no_nudge_when_the_reminder_came_late_in_the_day(
    db_engine: Engine, fake: FakeTelegram, bot: ExtBot
) -> None:
    enrol(db_engine, [ADA], at=time(18, 0))
    await run_once(db_engine, bot, MONDAY_8AM + timedelta(hours=10, minutes=1))  # 18:01
    await run_once(db_engine, bot, MONDAY_8AM + timedelta(hours=11, minutes=5))  # 19:05
    assert sends_per_chat(fake.calls) == {ADA: 1}


async def test_never_more_than_two_unprompted_messages_a_day(
    db_engine: Engine, fake: FakeTelegram, bot: ExtBot
) -> None:
    # Monday is not a training day: the light reminder goes out. Then the client makes Monday a
    # strength day, so the check-in reminder is due too; the evening nudge would be a third.
    enrol(db_engine, [ADA], days=(1, 4), light=True)
    await run_once(db_engine, bot, AT_8_05)
    enrol(db_engine, [ADA], days=(0, 3), light=True)
    await run_once(db_engine, bot, AT_8_05 + timedelta(minutes=10))
    await run_once(db_engine, bot, MONDAY_8AM + timedelta(hours=11, minutes=5))

    assert sends_per_chat(fake.calls) == {ADA: 2}
    kinds = {r.kind: r.status for r in reminders(db_engine)}
    assert kinds == {"light": "sent", "checkin": "sent", "nudge": "skipped"}


async def test_light_reminders_on_other_days_only_for_clients_who_asked(
    db_engine: Engine, fake: FakeTelegram, bot: ExtBot
) -> None:
    tuesday = AT_8_05 + timedelta(days=1)
    enrol(db_engine, [ADA], light=True)
    enrol(db_engine, [BEN], light=False)
    await run_once(db_engine, bot, tuesday)

    assert sends_per_chat(fake.calls) == {ADA: 1}
    plan = Services.over(db_engine, lambda: tuesday).plans.reminder_plan(ADA)
    assert plan is not None and plan.kind in ("balance", "walk")
    assert fake.texts_to(ADA)[0].startswith("Hi Ada, no strength today.")
    assert [r.kind for r in reminders(db_engine)] == ["light"]


async def test_no_workout_reminder_while_a_red_flag_is_open(db_engine: Engine, fake: FakeTelegram, bot: ExtBot) -> None:
    enrol(db_engine, [ADA])
    before = Services.over(db_engine, lambda: MONDAY_8AM - timedelta(hours=1))
    before.safety.record_red_flag(ADA, "I fell and heard a crack")
    await run_once(db_engine, bot, AT_8_05)
    assert fake.calls_to("sendMessage") == []
    assert [r.status for r in reminders(db_engine)] == ["skipped"]


async def test_no_reminder_after_the_client_already_checked_in(
    db_engine: Engine, fake: FakeTelegram, bot: ExtBot
) -> None:
    enrol(db_engine, [ADA])
    Services.over(db_engine, lambda: MONDAY_8AM - timedelta(hours=1)).checkins.log_checkin(ADA, "done", 4, 0, None)
    await run_once(db_engine, bot, AT_8_05)
    assert fake.calls_to("sendMessage") == []


async def test_a_claim_whose_sender_died_is_taken_over_after_its_lease(
    db_engine: Engine, fake: FakeTelegram, bot: ExtBot
) -> None:
    enrol(db_engine, [ADA, BEN])
    config = load_config()
    ada, ben = client_row(db_engine, ADA).id, client_row(db_engine, BEN).id
    # A scheduler claimed both at 08:00 and died; Ben's claim was renewed by a live scheduler.
    dues = [Due(cid, chat, "Ada", MONDAY_8AM.date(), "checkin", MONDAY_8AM) for cid, chat in ((ada, ADA), (ben, BEN))]
    with unit_of_work(db_engine) as s:
        held = claim(s, dues, MONDAY_8AM, config.lease, config.max_unprompted_per_day)
    after_lease = MONDAY_8AM + config.lease + timedelta(seconds=1)
    with unit_of_work(db_engine) as s:
        renewed = update(ReminderSent).where(ReminderSent.client_id == ben)
        s.execute(renewed.values(lease_until=after_lease + config.lease))

    await run_once(db_engine, bot, MONDAY_8AM + config.lease - timedelta(seconds=1))
    assert fake.calls_to("sendMessage") == []  # still Ada's dead sender's, for a second
    stats = await run_once(db_engine, bot, after_lease)

    assert sends_per_chat(fake.calls) == {ADA: 1}
    assert stats.sent == 1
    rows = {r.client_id: r for r in reminders(db_engine)}
    assert (rows[ada].status, rows[ada].attempts) == ("sent", 2)
    assert rows[ben].status == "claimed"
    # The dead sender, had it come back, could record nothing for Ada: its attempt is over.
    with unit_of_work(db_engine) as s:
        assert not finish(s, held[0], "sent", after_lease)
