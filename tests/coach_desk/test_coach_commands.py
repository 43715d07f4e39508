"""Coach commands work in the clinic's chat, and only there; alerts go out right after the
conversation turn that raised them. Through the real Telegram channel (polling), the real client,
the fake Bot API and the real database; a tiny bot stands in for Rasa."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from rasa.core.channels.channel import UserMessage
from sqlalchemy.engine import Engine

from bot.coach_desk.texts import coach_texts
from bot.db import alerts, clients, symptoms
from bot.db.engine import unit_of_work
from bot.db.invites import list_allowed_chats, list_invites
from bot.db.models import CoachAlert
from bot.services import Services
from bot.telegram.texts import default_texts
from tests.coach_desk.conftest import COACH_CHAT
from tests.coach_desk.seeding import enrol
from tests.support import fake_telegram as tg
from tests.support.fake_telegram import FakeTelegram
from tests.telegram.harness import TinyBot, make_channel, serve

RUTH = 4_300_000_001
NEWCOMER = 4_300_000_009
TEXTS = default_texts()


def _open_alerts(engine: Engine) -> list[CoachAlert]:
    with unit_of_work(engine) as s:
        return alerts.list_alerts(s, open_only=True)


def _red_flags(engine: Engine, chat_id: int) -> int:
    with unit_of_work(engine) as s:
        return len(symptoms.open_red_flags(s, clients.get_client(s, chat_id)))


def _replies(fake: FakeTelegram) -> list[str]:
    """What the bot answered in the coach chat, leaving out alerts (they carry a button and may
    go out between a command and its reply)."""
    return [c.params["text"] for c in fake.calls_to("sendMessage", COACH_CHAT) if "reply_markup" not in c.params]


async def _coach_says(fake: FakeTelegram, text: str) -> str:
    """Send a command from the coach group and return the bot's reply."""
    before = len(_replies(fake))
    fake.queue_update(tg.group_message(COACH_CHAT, text))
    await fake.wait_until(lambda: len(_replies(fake)) > before)
    return _replies(fake)[before]


async def test_the_coach_chat_runs_the_coach_commands(db_engine: Engine, fake: FakeTelegram) -> None:
    enrol(db_engine, RUTH, "Ruth", datetime.now(timezone.utc) - timedelta(days=20))
    Services.over(db_engine).safety.record_red_flag(RUTH, "I fell and my hip hurts badly")
    [alert] = _open_alerts(db_engine)
    agent = TinyBot()
    async with serve(make_channel(fake, db_engine, coach_chat_id=COACH_CHAT), agent):
        listing = await _coach_says(fake, "/alerts")
        assert listing.startswith("Open alerts (1):")
        assert f"#{alert.id} red flag – Ruth (chat {RUTH})" in listing
        assert "I fell and my hip hurts badly" in listing
        # The pending alert went out right after that update.
        await fake.wait_for("sendMessage", 2, chat_id=COACH_CHAT)
        assert "RED FLAG" in fake.texts_to(COACH_CHAT)[1]

        # Handled: someone is on it, but Ruth may not train until the clinic clears her.
        handled = await _coach_says(fake, f"/handled {alert.id}")
        assert handled == (f"Alert #{alert.id} (red flag, Ruth) marked handled by Ada. Ruth still may not train: "
                           f"when the clinic clears them, /clear {RUTH} (command line: bone-coach clear {RUTH}); "
                           "they are told.")
        assert _open_alerts(db_engine) == [] and _red_flags(db_engine, RUTH) == 1
        assert "already handled by Ada" in await _coach_says(fake, f"/handled {alert.id}")
        assert await _coach_says(fake, "/handled 999999") == "There is no alert #999999."
        assert fake.texts_to(RUTH) == []

        Services.over(db_engine).safety.record_red_flag(RUTH, "sudden sharp pain in my back")
        cleared = await _coach_says(fake, f"/clear {RUTH}")
        assert cleared.startswith(f"Ruth (chat {RUTH}): 2 red flag(s) cleared, 1 alert(s) closed.")
        assert _red_flags(db_engine, RUTH) == 0 and _open_alerts(db_engine) == []
        # The client hears it at once, once for one clearing (issue 16).
        await fake.wait_for("sendMessage", chat_id=RUTH)
        again = await _coach_says(fake, f"/clear {RUTH}")
        assert again.startswith(f"Ruth (chat {RUTH}) has no red flags left to clear: the last was cleared by Ada")
        assert fake.texts_to(RUTH) == [coach_texts()["client"]["cleared"]]

        invite = await _coach_says(fake, "/invite")
        with unit_of_work(db_engine) as s:
            [code] = [i.code for i in list_invites(s)]
            assert list_invites(s)[0].created_by == "Ada"
        assert f"https://t.me/{fake.bot_username}?start={code}" in invite

        assert "Chat 4300000009 is enrolled (referred by Dr Lee)" in await _coach_says(
            fake, f"/allow {NEWCOMER} referred by Dr Lee")
        with unit_of_work(db_engine) as s:
            assert [(a.chat_id, a.note) for a in list_allowed_chats(s)] == [(NEWCOMER, "referred by Dr Lee")]

        report = await _coach_says(fake, "/report")
        assert report.startswith("Clients (1)")
        assert f"Ruth (chat {RUTH}): 0/" in report

        assert await _coach_says(fake, f"/flags {RUTH}") == (
            f"Ruth (chat {RUTH}): fracture=no high_risk=no weights=no floor=no")
        assert await _coach_says(fake, f"/flags {RUTH} high_risk=yes floor=yes") == (
            f"Ruth (chat {RUTH}): fracture=no high_risk=yes weights=no floor=yes")
        with unit_of_work(db_engine) as s:
            ruth = clients.get_client(s, RUTH)
            assert (ruth.high_risk, ruth.cleared_floor, ruth.cleared_for_weights) == (True, True, False)
        assert (await _coach_says(fake, f"/flags {RUTH} weights=perhaps")).startswith("Usage: /flags")
        assert (await _coach_says(fake, "/flags")).startswith("Usage: /flags")
        assert await _coach_says(fake, "/flags 1 weights=yes") == "No client with chat id 1."

        assert (await _coach_says(fake, "/what")).startswith("Coach commands")
        # Chatter between coaches, and commands meant for another bot, get no answer.
        sent = len(_replies(fake))
        fake.queue_update(tg.group_message(COACH_CHAT, "I'll call Ruth after lunch"))
        fake.queue_update(tg.group_message(COACH_CHAT, "/alerts@SomeOtherBot"))
        assert (await _coach_says(fake, "/alerts")) == "No open alerts. 👍"
        assert len(_replies(fake)) == sent + 1
    assert agent.messages == []  # nothing from the coach chat reached Rasa


async def test_the_button_under_an_alert_marks_it_handled(db_engine: Engine, fake: FakeTelegram) -> None:
    enrol(db_engine, RUTH, "Ruth", datetime.now(timezone.utc) - timedelta(days=20))
    Services.over(db_engine).safety.request_human(RUTH, "please call me")
    [alert] = _open_alerts(db_engine)
    async with serve(make_channel(fake, db_engine, coach_chat_id=COACH_CHAT), TinyBot()):
        await _coach_says(fake, "/alerts")  # any update; the alert is delivered after it
        await fake.wait_for("sendMessage", 2, chat_id=COACH_CHAT)
        fake.press_button(COACH_CHAT, title="Mark handled")
        await fake.wait_for("sendMessage", 3, chat_id=COACH_CHAT)
        await fake.wait_for("editMessageReplyMarkup")

    assert _replies(fake)[1] == f"Alert #{alert.id} (wants a person, Ruth) marked handled by Ada."
    assert fake.calls_to("answerCallbackQuery")
    assert _open_alerts(db_engine) == []


async def test_coach_commands_from_any_other_chat_do_nothing_special(
    db_engine: Engine, fake: FakeTelegram
) -> None:
    enrol(db_engine, RUTH, "Ruth", datetime.now(timezone.utc) - timedelta(days=20))
    Services.over(db_engine).safety.record_red_flag(RUTH, "I heard a crack")
    [alert] = _open_alerts(db_engine)
    channel = make_channel(fake, db_engine, coach_chat_id=COACH_CHAT, allowed_chat_ids=[RUTH])
    async with serve(channel, TinyBot()):
        for n, text in enumerate(["/alerts", f"/handled {alert.id}", f"/clear {RUTH}", "/invite",
                                  f"/allow {NEWCOMER}", "/report"], start=1):
            fake.queue_update(tg.text_message(RUTH, text))
            await fake.wait_for("sendMessage", 2 * n, chat_id=RUTH)
        fake.queue_update(tg.group_message(-555, "/alerts"))
        await fake.wait_for("sendMessage", chat_id=-555)

    # Ruth's red flag is open, so each answer ends with the reminder (issue 12).
    notice = Services.over(db_engine).safety.open_red_flag_notice(RUTH)
    assert notice is not None and "(218) 555-0142" in notice
    assert fake.texts_to(RUTH) == [TEXTS.unknown_command, notice] * 6
    assert fake.texts_to(-555) == [TEXTS.group_refused]
    assert [a.id for a in _open_alerts(db_engine)] == [alert.id]
    assert _red_flags(db_engine, RUTH) == 1
    with unit_of_work(db_engine) as s:
        assert list_invites(s) == [] and list_allowed_chats(s) == []
    # The alert itself did reach the coach chat (after the first update), and only there.
    assert len(fake.texts_to(COACH_CHAT)) == 1


class HandoffBot(TinyBot):
    """Like the real action server: the turn records a request for a person, then replies."""

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.services = Services.over(engine)

    async def handle_message(self, message: UserMessage) -> None:
        await asyncio.to_thread(self.services.safety.request_human, int(message.sender_id), message.text or "")
        await super().handle_message(message)


async def test_an_alert_raised_in_a_conversation_reaches_the_coach_at_once(
    db_engine: Engine, fake: FakeTelegram
) -> None:
    enrol(db_engine, RUTH, "Ruth", datetime.now(timezone.utc) - timedelta(days=20))
    channel = make_channel(fake, db_engine, coach_chat_id=COACH_CHAT, allowed_chat_ids=[RUTH])
    async with serve(channel, HandoffBot(db_engine)):
        fake.queue_update(tg.text_message(RUTH, "I'd like to speak to someone at the clinic"))
        [call] = await fake.wait_for("sendMessage", chat_id=COACH_CHAT)

    assert fake.texts_to(RUTH) == ["echo: I'd like to speak to someone at the clinic"]
    assert f"Who: Ruth (chat {RUTH})" in call.params["text"]
    assert "“I'd like to speak to someone at the clinic”" in call.params["text"]
