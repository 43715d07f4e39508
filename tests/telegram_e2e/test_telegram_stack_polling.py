"""Clients on Telegram, end to end: the real Rasa server and action server behind our channel, which
long-polls the fake Bot API server. Every assertion is on what the fake server received (and, for
"did Rasa see it", on Rasa's tracker)."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from bot.db import clients, invites
from bot.db.engine import make_engine, unit_of_work
from bot.stack import Stack
from bot.telegram.texts import default_texts
from tests.support import fake_telegram as tg
from tests.support.fake_telegram import FakeTelegramThread
from tests.telegram_e2e.conftest import (
    TelegramUser,
    keyboard_rows,
    onboard,
    onboarding_answers,
    recorded_calls,
    training_days_around_today,
    user_texts,
    wait_for_request,
)

CLINIC_PHONE = "(218) 555-0142"
CLINIC_EMAIL = "coach@duluthmetabolic.example"
RED_FLAG = "I slipped on the ice and heard a crack in my hip, cant stand on it"


def test_start_up_checks_the_token_publishes_the_menu_and_polls(
    fake: FakeTelegramThread, stack: Stack
) -> None:
    wait_for_request(fake, "getUpdates")  # polling starts just after the server answers
    calls = recorded_calls(fake)
    assert [c["method"] for c in calls[:3]] == ["getMe", "setMyCommands", "deleteWebhook"]
    menu = {c["command"] for c in calls[1]["params"]["commands"]}
    assert menu == set(default_texts().commands)
    polls = [c for c in calls if c["method"] == "getUpdates"]
    assert polls and polls[0]["params"]["allowed_updates"] == ["message", "callback_query"]


def test_onboarding_through_buttons_and_typed_answers(user: TelegramUser, stack: Stack) -> None:
    turn = user.command("start")
    assert turn.methods == ["sendChatAction", "sendMessage", "sendMessage"]
    assert turn.ok("sendChatAction")[0]["params"]["action"] == "typing"
    intro, consent = turn.ok("sendMessage")
    assert "Welcome to Bone Coach" in intro["params"]["text"] and CLINIC_PHONE in intro["params"]["text"]
    assert "reply_markup" not in intro["params"]
    assert keyboard_rows(consent) == [[{"text": "I agree", "callback_data": "yes"},
                                       {"text": "No thanks", "callback_data": "no"}]]

    for how, value, asks_next in onboarding_answers():
        if how == "press":
            turn = user.press(value)
            query = turn.updates[0]["callback_query"]
            answered, edited = turn.ok("answerCallbackQuery"), turn.ok("editMessageReplyMarkup")
            assert [a["params"]["callback_query_id"] for a in answered] == [query["id"]], turn.calls
            # the pressed keyboard goes away, so an old answer can't be sent again
            assert [e["params"]["message_id"] for e in edited] == [query["message"]["message_id"]]
            assert not edited[0]["params"].get("reply_markup")
        else:
            turn = user.say(value)
        assert "sendChatAction" in turn.methods, turn.calls
        assert re.search(asks_next, turn.text), (value, turn.calls)

    assert re.search(r"All set, Ruth", turn.text)
    assert "Check-in time: 08:00" in turn.text
    # Rasa got each button's payload, not its title
    assert user_texts(stack, user.chat_id) == [
        "/start", "yes", "new", "no", "no", "no", "no", "0", "medium", "2", "3", training_days_around_today(), "8am",
        "a chair and a resistance band"]


def test_todays_plan_button_check_in_and_progress_chart(
    user: TelegramUser, fake: FakeTelegramThread
) -> None:
    onboard(user)
    plan = user.say("what do I do today")
    assert re.search(r"(?i)strength day", plan.text) and re.search(r"(?m)^1\. ", plan.text), plan.text
    assert keyboard_rows(plan.ok("sendMessage")[-1]) == [[
        {"text": "Done", "callback_data": "/checkin_done"},
        {"text": "Too hard", "callback_data": "/report_fatigue"},
        {"text": "Pain today", "callback_data": "/report_pain"},
    ]]

    effort = user.press("Done")
    assert re.search(r"(?i)how hard", effort.text), effort.calls
    assert effort.buttons == [str(n) for n in range(1, 11)]
    pain = user.press("6")
    assert re.search(r"0 to 10", pain.text), pain.calls
    assert pain.buttons == [str(n) for n in range(0, 11)]
    logged = user.press("1")
    assert re.search(r"(?i)logged", logged.text) and "6/10" in logged.text, logged.calls
    assert not logged.buttons

    progress = user.command("progress")
    assert progress.methods == ["sendChatAction", "sendMessage", "sendPhoto"]
    assert re.search(r"(?i)your progress", progress.text) and "Streak: 1" in progress.text
    [chart] = progress.ok("sendPhoto")
    assert chart["files"]["photo"]["filename"] == "progress.png"
    [photo] = fake.calls_to("sendPhoto", user.chat_id)
    assert photo.files["photo"].data.startswith(b"\x89PNG\r\n\x1a\n")


def test_red_flag_stops_training_and_later_plans_have_no_exercises(user: TelegramUser) -> None:
    onboard(user)
    red = user.say(RED_FLAG)
    assert "911" in red.text and CLINIC_PHONE in red.text, red.calls
    assert re.search(r"(?i)stop exercising", red.text)
    assert not red.buttons

    later = user.command("today")
    assert re.search(r"(?i)no exercise", later.text), later.calls
    assert not re.search(r"(?m)^1\. ", later.text) and not later.buttons


def test_a_sticker_gets_a_text_only_reply_and_no_rasa_turn(user: TelegramUser, stack: Stack) -> None:
    turn = user.deliver(tg.sticker(user.chat_id))
    assert turn.methods == ["sendMessage"]  # not even "typing": Rasa is not asked
    assert turn.texts == [default_texts().non_text]
    assert re.search(r"(?i)only read text", turn.text) and not turn.buttons
    assert user_texts(stack, user.chat_id) == []


def test_an_update_delivered_twice_is_handled_once(user: TelegramUser, stack: Stack) -> None:
    first = user.command("start")
    assert len(first.texts) == 2
    # Telegram offers the same update again (say its offset confirmation was lost), in a batch
    # with a newer update from another chat, whose handling shows the batch is done.
    update_id = first.updates[0]["update_id"]
    again = user.deliver(first.updates[0], tg.sticker(7_299_999))
    assert again.calls == []
    assert user_texts(stack, user.chat_id) == ["/start"]
    # ... and not because the re-delivery got lost on the way: the channel saw it and skipped it
    log = (stack.config.run_dir / "rasa.log").read_text(encoding="utf-8", errors="replace")
    assert f"Update {update_id} was already handled; skipped" in log


def test_a_429_storm_on_send_message_still_delivers_the_reply_once(
    user: TelegramUser, fake: FakeTelegramThread, stack: Stack
) -> None:
    fake.fail_next("sendMessage", 3, retry_after=1)
    turn = user.command("help")
    statuses = [c["status"] for c in turn.calls if c["method"] == "sendMessage"]
    assert statuses == [429, 429, 429, 200]
    assert len(turn.texts) == 1 and "/today" in turn.text
    assert user_texts(stack, user.chat_id) == ["/ask_capabilities"]  # one Rasa turn, no re-run


def test_an_unenrolled_chat_gets_the_clinics_contact_only(
    stranger: TelegramUser, stack: Stack
) -> None:
    for turn in (stranger.say("hello, I'd like to start training"), stranger.command("today")):
        assert turn.methods == ["sendMessage"], turn.calls
        assert CLINIC_PHONE in turn.text and CLINIC_EMAIL in turn.text and "/start" in turn.text
    assert user_texts(stack, stranger.chat_id) == []


def test_start_with_an_invite_code_enrols_the_chat_and_starts_onboarding(
    stranger: TelegramUser, stack: Stack
) -> None:
    engine = make_engine(stack.config.database_url)
    with unit_of_work(engine) as s:
        code = invites.create_invite(s, "e2e test", datetime.now(timezone.utc))

    turn = stranger.command("start", code)
    assert "Welcome to Bone Coach" in turn.text and turn.buttons == ["I agree", "No thanks"]
    with unit_of_work(engine) as s:
        assert clients.is_enrolled(s, stranger.chat_id)
        assert clients.get_client(s, stranger.chat_id).display_name == "Walt"
    assert user_texts(stack, stranger.chat_id) == ["/start"]  # the code itself is not kept

    engine.dispose()

    nxt = stranger.press("I agree")  # enrolled now: no code needed any more
    assert re.search(r"(?i)strength training", nxt.text), nxt.calls


def test_a_wrong_invite_code_is_refused_with_the_clinics_contact(
    stranger: TelegramUser, stack: Stack
) -> None:
    turn = stranger.command("start", "NOTACODE")
    assert turn.methods == ["sendMessage"]
    assert re.search(r"(?i)couldn't use that invite code", turn.text) and CLINIC_PHONE in turn.text
    assert user_texts(stack, stranger.chat_id) == []


def test_a_group_chat_is_refused(fake: FakeTelegramThread, stack: Stack) -> None:
    group = TelegramUser(fake, -4_300_001)
    turn = group.deliver(tg.group_message(group.chat_id, "/start@BoneCoachTestBot"))
    assert turn.methods == ["sendMessage"]
    assert turn.texts == [default_texts().group_refused]
    assert user_texts(stack, group.chat_id) == []
