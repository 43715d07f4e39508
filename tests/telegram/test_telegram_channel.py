"""The channel's promises in polling mode, through the real client, fake Bot API and database."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from bot.db import alerts, clients, invites, symptoms, turns
from bot.db.engine import unit_of_work
from bot.telegram import TelegramInput, TelegramOutput
from bot.telegram.texts import default_texts
from bot.telegram.updates import MAX_TEXT_TO_RASA
from tests.support import fake_telegram as tg
from tests.support.fake_telegram import FakeTelegram
from tests.telegram.harness import CLIENT, STRANGER, TinyBot, make_channel, serve

TEXTS = default_texts()
TODAY_BUTTONS = [{
    "text": "Ready for today's session?",
    "buttons": [{"title": "Yes", "payload": "/affirm"}, {"title": "Not today", "payload": "/deny"}],
}]


async def test_a_text_reaches_rasa_and_the_reply_reaches_the_client(
    polling: TelegramInput, fake: FakeTelegram, tiny_bot: TinyBot
) -> None:
    update = fake.queue_update(tg.text_message(CLIENT, "Hello coach", first_name="Ruth"))

    await fake.wait_for("sendMessage", chat_id=CLIENT)

    assert fake.texts_to(CLIENT) == ["echo: Hello coach"]
    [message] = tiny_bot.messages
    assert (message.sender_id, message.input_channel) == (str(CLIENT), "telegram")
    assert message.metadata == {"first_name": "Ruth", "chat_type": "private",
                                "telegram_update_id": update["update_id"]}
    methods = [c.method for c in fake.calls if c.method != "getUpdates"]
    assert methods.index("sendChatAction") < methods.index("sendMessage")
    assert fake.calls_to("sendChatAction")[0].params["action"] == "typing"
    # The offset moves past the update once it was handled.
    await fake.wait_until(lambda: any(
        c.params.get("offset") == update["update_id"] + 1 for c in fake.calls_to("getUpdates")))


async def test_chats_are_served_concurrently_and_each_chat_in_order(
    fake: FakeTelegram, engine: Engine, tiny_bot: TinyBot
) -> None:
    chats = [101, 102, 103, 104]
    tiny_bot.delay = 0.3
    channel = make_channel(fake, engine, allowed_chat_ids=chats)
    async with serve(channel, tiny_bot):
        await fake.wait_until(lambda: any(c.status == 0 for c in fake.calls))  # polling
        started = time.monotonic()
        for n in range(2):
            for chat in chats:
                fake.queue_update(tg.text_message(chat, f"{chat}-{n}"))
        await fake.wait_until(lambda: len(fake.calls_to("sendMessage")) == 8)
        elapsed = time.monotonic() - started

    for chat in chats:
        assert fake.texts_to(chat) == [f"echo: {chat}-0", f"echo: {chat}-1"]
    assert elapsed < 8 * tiny_bot.delay * 0.6  # one after the other would take 2.4 s


async def test_start_publishes_the_command_menu_and_clears_any_webhook(
    polling: TelegramInput, fake: FakeTelegram
) -> None:
    assert [c["command"] for c in fake.commands] == list(TEXTS.commands)
    assert fake.calls_to("deleteWebhook")
    assert fake.webhook is None


async def test_start_forgets_handled_updates_too_old_to_come_back(
    fake: FakeTelegram, engine: Engine, tiny_bot: TinyBot
) -> None:
    now = datetime.now(timezone.utc)
    with unit_of_work(engine) as s:
        for update_id, age in ((1, timedelta(days=3)), (2, timedelta(hours=1))):
            assert turns.claim(s, update_id, CLIENT, None, "old worker", now - age,
                               lambda *_: False)
            turns.complete(s, update_id, now - age)
    old = tg.text_message(CLIENT, "old")
    old["update_id"] = 1
    recent = tg.text_message(CLIENT, "recent")
    recent["update_id"] = 2

    async with serve(make_channel(fake, engine), tiny_bot):
        fake.queue_update(old)
        fake.queue_update(recent)
        await fake.wait_for("sendMessage", chat_id=CLIENT)

    assert tiny_bot.texts == ["old"]  # update 1 was forgotten; update 2 is still known


async def test_commands_become_intent_payloads_in_order(
    polling: TelegramInput, fake: FakeTelegram, tiny_bot: TinyBot
) -> None:
    sent = [
        ("/start", "/start"),
        ("/today", "/ask_todays_workout"),
        ("/today@BoneCoachTestBot", "/ask_todays_workout"),
        ("/done", "/checkin_done"),
        ("/skip", "/checkin_skipped"),
        ("/progress", "/ask_progress"),
        ("/reminder 7am", '/set_reminder{"time": "7am"}'),
        ('/reminder at "7" {am}', '/set_reminder{"time": "at \\"7\\" {am}"}'),
        ("/reminder", "/set_reminder"),
        ("/coach", "/request_human"),
        ("/export", "/export_data"),
        ("/forget", "/forget_me"),
        ("/help", "/ask_capabilities"),
    ]
    for text, _ in sent:
        fake.queue_update(tg.text_message(CLIENT, text))

    await fake.wait_for("sendMessage", len(sent), chat_id=CLIENT)

    assert tiny_bot.texts == [payload for _, payload in sent]


async def test_an_unknown_command_gets_the_list_of_commands_and_no_rasa_call(
    polling: TelegramInput, fake: FakeTelegram, tiny_bot: TinyBot
) -> None:
    fake.queue_update(tg.text_message(CLIENT, "/red_flag"))
    fake.queue_update(tg.text_message(CLIENT, "  /weights please"))

    await fake.wait_for("sendMessage", 2, chat_id=CLIENT)

    assert fake.texts_to(CLIENT) == [TEXTS.unknown_command] * 2
    assert "/today" in TEXTS.unknown_command and "/reminder" in TEXTS.unknown_command
    assert tiny_bot.messages == []


async def test_a_button_press_is_answered_its_keyboard_removed_and_its_payload_sent(
    polling: TelegramInput, fake: FakeTelegram, tiny_bot: TinyBot
) -> None:
    tiny_bot.responses["/ask_todays_workout"] = TODAY_BUTTONS
    fake.queue_update(tg.command(CLIENT, "today"))
    [keyboard_call] = await fake.wait_for("sendMessage", chat_id=CLIENT)
    rows = keyboard_call.params["reply_markup"]["inline_keyboard"]
    assert [[b["text"] for b in row] for row in rows] == [["Yes", "Not today"]]

    press = fake.press_button(CLIENT, title="Yes")
    await fake.wait_for("sendMessage", 2, chat_id=CLIENT)

    assert tiny_bot.texts[-1] == "/affirm"
    [answer] = fake.calls_to("answerCallbackQuery")
    assert answer.params["callback_query_id"] == press["callback_query"]["id"]
    [edit] = fake.calls_to("editMessageReplyMarkup")
    pressed_id = press["callback_query"]["message"]["message_id"]
    assert edit.params == {"chat_id": CLIENT, "message_id": pressed_id}
    assert "reply_markup" not in fake.message(CLIENT, pressed_id)


async def test_a_button_press_is_answered_even_when_rasa_fails(
    polling: TelegramInput, fake: FakeTelegram, tiny_bot: TinyBot
) -> None:
    tiny_bot.failures = 99
    fake.queue_update(tg.callback_query(CLIENT, "/affirm"))

    await fake.wait_for("answerCallbackQuery")
    await fake.wait_for("sendMessage", chat_id=CLIENT)

    assert fake.texts_to(CLIENT) == [TEXTS.error]


@pytest.mark.parametrize("factory", [tg.sticker, tg.photo, tg.voice, tg.document, tg.location])
async def test_non_text_gets_the_text_only_reply_and_no_rasa_call(
    polling: TelegramInput, fake: FakeTelegram, tiny_bot: TinyBot, factory: object
) -> None:
    fake.queue_update(factory(CLIENT))  # type: ignore[operator]

    await fake.wait_for("sendMessage", chat_id=CLIENT)

    assert fake.texts_to(CLIENT) == [TEXTS.non_text]
    assert tiny_bot.messages == []


async def test_a_captioned_photo_is_understood_with_a_note_that_the_picture_is_not_seen(
    polling: TelegramInput, fake: FakeTelegram, tiny_bot: TinyBot
) -> None:
    fake.queue_update(tg.photo(CLIENT, caption="I fell down the stairs, this is my wrist, it looks bent"))

    await fake.wait_for("sendMessage", 2, chat_id=CLIENT)

    assert tiny_bot.texts == ["I fell down the stairs, this is my wrist, it looks bent"]
    assert fake.texts_to(CLIENT) == [
        TEXTS.caption_note, "echo: I fell down the stairs, this is my wrist, it looks bent"]


async def test_edited_messages_are_ignored_on_purpose(
    polling: TelegramInput, fake: FakeTelegram, tiny_bot: TinyBot
) -> None:
    fake.queue_update(tg.edited_message(CLIENT, "I did 3 sets, not 2"))
    fake.queue_update(tg.text_message(CLIENT, "hi"))

    await fake.wait_for("sendMessage", chat_id=CLIENT)

    assert tiny_bot.texts == ["hi"]
    assert fake.texts_to(CLIENT) == ["echo: hi"]


@pytest.mark.parametrize(
    "update",
    [tg.group_message(-4001, "/today"), tg.group_message(-1004001, "hello", "supergroup"),
     tg.channel_post(-1004001, "news")],
    ids=["group", "supergroup", "channel"],
)
async def test_groups_and_channels_get_one_polite_refusal(
    polling: TelegramInput, fake: FakeTelegram, tiny_bot: TinyBot, update: dict[str, object]
) -> None:
    fake.queue_update(update)

    [refusal] = await fake.wait_for("sendMessage")

    assert refusal.params["text"] == TEXTS.group_refused
    assert refusal.chat_id < 0
    assert tiny_bot.messages == []


async def test_a_chat_that_is_not_enrolled_gets_the_clinic_contact_and_nothing_else(
    polling: TelegramInput, fake: FakeTelegram, tiny_bot: TinyBot
) -> None:
    fake.queue_update(tg.text_message(STRANGER, "I fell and my back hurts"))
    fake.queue_update(tg.sticker(STRANGER))
    fake.queue_update(tg.command(STRANGER, "start"))

    await fake.wait_for("sendMessage", 3, chat_id=STRANGER)

    assert fake.texts_to(STRANGER) == [TEXTS.not_enrolled] * 3
    for contact in ("Duluth Metabolic", "(218) 555-0142", "coach@duluthmetabolic.example"):
        assert contact in TEXTS.not_enrolled
    assert tiny_bot.messages == []


async def test_a_client_who_had_blocked_the_bot_and_writes_again_gets_reminders_again(
    polling: TelegramInput, fake: FakeTelegram, tiny_bot: TinyBot, engine: Engine
) -> None:
    with unit_of_work(engine) as s:
        clients.get_or_create_client(s, CLIENT, "Ruth", datetime.now(timezone.utc)).blocked_bot_at = (
            datetime.now(timezone.utc) - timedelta(days=3))

    fake.queue_update(tg.text_message(CLIENT, "sorry, I'm back"))
    await fake.wait_for("sendMessage", chat_id=CLIENT)

    with unit_of_work(engine) as s:
        assert clients.get_client(s, CLIENT).blocked_bot_at is None


async def test_an_invite_code_enrols_the_chat_through_start(
    polling: TelegramInput, fake: FakeTelegram, tiny_bot: TinyBot, engine: Engine
) -> None:
    with unit_of_work(engine) as s:
        code = invites.create_invite(s, "coach Maria", datetime.now(timezone.utc))
    fake.queue_update(tg.command(STRANGER, "start", code.lower(), first_name="Ruth"))
    fake.queue_update(tg.text_message(STRANGER, "hello"))

    await fake.wait_for("sendMessage", 2, chat_id=STRANGER)

    assert tiny_bot.texts == ["/start", "hello"]
    with unit_of_work(engine) as s:
        assert clients.is_enrolled(s, STRANGER)
        assert clients.get_client(s, STRANGER).display_name == "Ruth"


async def test_a_wrong_invite_code_is_explained(
    polling: TelegramInput, fake: FakeTelegram, tiny_bot: TinyBot, engine: Engine
) -> None:
    fake.queue_update(tg.command(STRANGER, "start", "NOTACODE"))

    await fake.wait_for("sendMessage", chat_id=STRANGER)

    assert fake.texts_to(STRANGER) == [TEXTS.invite_invalid]
    assert tiny_bot.messages == []
    with unit_of_work(engine) as s:
        assert not clients.is_enrolled(s, STRANGER)


async def test_a_duplicate_update_is_processed_once(
    polling: TelegramInput, fake: FakeTelegram, tiny_bot: TinyBot
) -> None:
    update = tg.text_message(CLIENT, "I did my session")
    update["update_id"] = 900_001
    fake.queue_update(update)
    fake.queue_update(update)
    fake.queue_update(tg.text_message(CLIENT, "thanks"))

    await fake.wait_for("sendMessage", 2, chat_id=CLIENT)

    assert tiny_bot.texts == ["I did my session", "thanks"]
    assert fake.texts_to(CLIENT) == ["echo: I did my session", "echo: thanks"]


async def test_a_failure_in_rasa_apologises_once_and_the_update_is_processed_again(
    polling: TelegramInput, fake: FakeTelegram, tiny_bot: TinyBot
) -> None:
    tiny_bot.failures = 1
    fake.queue_update(tg.text_message(CLIENT, "done, effort 6"))

    await fake.wait_for("sendMessage", 2, chat_id=CLIENT)

    assert fake.texts_to(CLIENT) == [TEXTS.error, "echo: done, effort 6"]
    assert tiny_bot.texts == ["done, effort 6"] * 2


async def test_a_database_outage_keeps_the_update_until_the_database_is_back(
    polling: TelegramInput, fake: FakeTelegram, tiny_bot: TinyBot
) -> None:
    """More failures than the poller's attempts: a database outage is waited out, not given up."""
    tiny_bot.failures = 5
    tiny_bot.failure = OperationalError("SELECT 1", {}, ConnectionRefusedError("tracker store down"))
    fake.queue_update(tg.text_message(CLIENT, "first"))
    fake.queue_update(tg.text_message(CLIENT, "second"))

    await fake.wait_for("sendMessage", 3, chat_id=CLIENT)

    assert fake.texts_to(CLIENT) == [TEXTS.error_kept, "echo: first", "echo: second"]
    assert tiny_bot.texts == ["first"] * 6 + ["second"]


async def test_red_flag_advice_makes_the_channel_record_the_red_flag_once(
    polling: TelegramInput, fake: FakeTelegram, tiny_bot: TinyBot, engine: Engine
) -> None:
    """With the action server down only Rasa's own utter_red_flag goes out; the channel records."""
    words = "I fell on the ice and heard a crack"
    tiny_bot.responses[words] = [{"text": "Please stop exercising for now.", "custom": {"red_flag": True}}]
    for update_id in (910_001, 910_002):  # the second: the same words again, a minute later
        update = tg.text_message(CLIENT, words)
        update["update_id"] = update_id
        fake.queue_update(update)

    await fake.wait_for("sendMessage", 2, chat_id=CLIENT)

    assert fake.texts_to(CLIENT) == ["Please stop exercising for now."] * 2  # no JSON shown
    with unit_of_work(engine) as s:
        client = clients.get_client(s, CLIENT)
        assert [f.text_excerpt for f in symptoms.open_red_flags(s, client)] == [words]
        assert [(a.kind, a.detail) for a in alerts.list_alerts(s, client, open_only=True)] == [("red_flag", words)]


async def test_an_update_that_keeps_failing_is_given_up_without_blocking_the_chat(
    polling: TelegramInput, fake: FakeTelegram, tiny_bot: TinyBot
) -> None:
    tiny_bot.failures = 3  # as many as the poller's attempts
    fake.queue_update(tg.text_message(CLIENT, "first"))
    fake.queue_update(tg.text_message(CLIENT, "second"))

    await fake.wait_for("sendMessage", 2, chat_id=CLIENT)

    assert fake.texts_to(CLIENT) == [TEXTS.error, "echo: second"]
    assert tiny_bot.texts == ["first"] * 3 + ["second"]


async def test_a_turn_without_any_reply_gets_the_apology(
    polling: TelegramInput, fake: FakeTelegram, tiny_bot: TinyBot, caplog: pytest.LogCaptureFixture
) -> None:
    tiny_bot.silent = True
    fake.queue_update(tg.text_message(CLIENT, "my knee hurts a lot"))

    await fake.wait_for("sendMessage", chat_id=CLIENT)

    assert fake.texts_to(CLIENT) == [TEXTS.error]
    assert tiny_bot.texts == ["my knee hurts a lot"]  # saved by Rasa: not processed twice
    assert "Rasa sent no reply" in caplog.text
    assert "knee" not in caplog.text


async def test_logs_hold_neither_the_token_nor_what_clients_wrote(
    polling: TelegramInput, fake: FakeTelegram, tiny_bot: TinyBot,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    tiny_bot.failures = 1
    fake.queue_update(tg.text_message(CLIENT, "my hip cracked when I fell"))
    fake.queue_update(tg.text_message(CLIENT, "x" * 5000))

    await fake.wait_for("sendMessage", 4, chat_id=CLIENT)

    assert "failed in Rasa" in caplog.text  # the failure itself is logged...
    assert "cracked" not in caplog.text and "xxxx" not in caplog.text  # ...not the words
    assert fake.token.split(":")[1] not in caplog.text


async def test_a_very_long_text_passes_its_first_part_and_says_so(
    polling: TelegramInput, fake: FakeTelegram, tiny_bot: TinyBot
) -> None:
    fake.queue_update(tg.text_message(CLIENT, "walk " * 1200))

    await fake.wait_for("sendMessage", 2, chat_id=CLIENT)

    [message] = tiny_bot.messages
    assert len(message.text or "") <= MAX_TEXT_TO_RASA
    assert fake.texts_to(CLIENT)[0] == TEXTS.long_message


async def test_a_10000_character_reply_arrives_in_order_in_telegram_sized_messages(
    polling: TelegramInput, fake: FakeTelegram, tiny_bot: TinyBot
) -> None:
    paragraphs = [f"Paragraph {i}: " + " ".join(["squat"] * 150) for i in range(11)]
    reply = "\n\n".join(paragraphs)
    assert len(reply) > 10_000
    tiny_bot.responses["/ask_progress"] = [{"text": reply}]
    fake.queue_update(tg.command(CLIENT, "progress"))

    await fake.wait_until(lambda: len(fake.texts_to(CLIENT)) >= 3)
    await fake.wait_until(lambda: "Paragraph 10" in fake.texts_to(CLIENT)[-1])

    chunks = fake.texts_to(CLIENT)
    assert all(len(chunk) <= 4096 for chunk in chunks)
    assert "\n\n".join(chunks) == reply  # split only between paragraphs, nothing lost


async def test_markup_characters_and_emoji_arrive_unchanged(
    polling: TelegramInput, fake: FakeTelegram
) -> None:
    text = "<b>Squats</b> *3x8* _slowly_ [link](x) & 💪🏽 café"
    fake.queue_update(tg.text_message(CLIENT, text))

    [call] = await fake.wait_for("sendMessage", chat_id=CLIENT)

    assert call.params["text"] == f"echo: {text}"
    assert "parse_mode" not in call.params


async def test_the_progress_chart_and_the_data_export_are_sent_as_files(
    fake: FakeTelegram, engine: Engine, tiny_bot: TinyBot
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 64
    channel = make_channel(fake, engine, progress_chart=lambda chat_id: png,
                           export_json=lambda chat_id: b'{"chat_id": %d}' % chat_id)
    tiny_bot.responses["/ask_progress"] = [{"text": "Your month:"}, {"custom": {"progress_chart": True}}]
    tiny_bot.responses["/export_data"] = [{"custom": {"export": True}}]
    async with serve(channel, tiny_bot):
        fake.queue_update(tg.command(CLIENT, "progress"))
        fake.queue_update(tg.command(CLIENT, "export"))
        [photo] = await fake.wait_for("sendPhoto", chat_id=CLIENT)
        [doc] = await fake.wait_for("sendDocument", chat_id=CLIENT)

    assert photo.files["photo"].data == png
    assert doc.files["document"].filename == "bone-coach-data.json"
    assert doc.files["document"].data == b'{"chat_id": 4242}'


async def test_no_chart_yet_sends_no_photo(fake: FakeTelegram, tiny_bot: TinyBot,
                                           engine: Engine) -> None:
    channel = make_channel(fake, engine, progress_chart=lambda chat_id: None)
    tiny_bot.responses["/ask_progress"] = [{"text": "No sessions yet."},
                                           {"custom": {"progress_chart": True}}]
    async with serve(channel, tiny_bot):
        fake.queue_update(tg.command(CLIENT, "progress"))
        await fake.wait_for("sendMessage", chat_id=CLIENT)
        fake.queue_update(tg.text_message(CLIENT, "ok"))
        await fake.wait_for("sendMessage", 2, chat_id=CLIENT)

    assert fake.calls_to("sendPhoto") == []


async def test_the_output_channel_does_no_network_io(fake: FakeTelegram, engine: Engine) -> None:
    channel = make_channel(fake, engine)

    output = channel.get_output_channel()

    assert isinstance(output, TelegramOutput) and output.name() == "telegram"
    assert fake.calls == []


async def test_stopping_the_server_ends_a_long_poll_at_once(
    fake: FakeTelegram, engine: Engine, tiny_bot: TinyBot
) -> None:
    channel = make_channel(fake, engine, poll_timeout=20)
    async with serve(channel, tiny_bot):
        await fake.wait_until(lambda: any(c.status == 0 for c in fake.calls))  # a poll is open
        started = time.monotonic()

    assert time.monotonic() - started < 3
    assert channel.poller is None
