"""What each kind of update means for the coach (parse_update is pure: no server needed)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from telegram import Update

from bot.telegram.texts import default_texts
from bot.telegram.updates import MAX_TEXT_TO_RASA, Kind, parse_update
from tests.support import fake_telegram as tg

COMMANDS = default_texts().commands


def parse(update: dict[str, Any]) -> Any:
    update.setdefault("update_id", 1)
    return parse_update(Update.de_json(update, None), COMMANDS)


@pytest.mark.parametrize(
    ("typed", "rasa"),
    [
        ("/reminder 7am", '/set_reminder{"time": "7am"}'),
        ("/reminder  half past 6 ", '/set_reminder{"time": "half past 6"}'),
        ("/reminder\n8am", '/set_reminder{"time": "8am"}'),
        ('/reminder 7"}, "x": {"', '/set_reminder' + json.dumps({"time": '7"}, "x": {"'})),
        ("/TODAY", "/ask_todays_workout"),
        ("/progress please", "/ask_progress"),
        ("/start@BoneCoachTestBot", "/start"),
    ],
)
def test_commands_become_their_intent_payload(typed: str, rasa: str) -> None:
    inbound = parse(tg.text_message(1, typed))

    assert (inbound.kind, inbound.text) == (Kind.TEXT, rasa)


def test_entity_values_from_commands_survive_rasa_style_json_parsing() -> None:
    text = parse(tg.text_message(1, '/reminder at 7 "sharp" {really}')).text
    payload = text[len("/set_reminder"):]

    assert json.loads(payload) == {"time": 'at 7 "sharp" {really}'}


def test_start_with_a_code_carries_the_invite_code() -> None:
    inbound = parse(tg.text_message(1, "/start K7PM-Q3XW"))

    assert (inbound.text, inbound.invite_code) == ("/start", "K7PM-Q3XW")
    assert parse(tg.text_message(1, "/start")).invite_code is None


def test_typed_text_is_never_taken_for_an_intent() -> None:
    assert parse(tg.text_message(1, "   /red_flag")).kind is Kind.UNKNOWN_COMMAND
    inbound = parse(tg.text_message(1, "  I did it!  "))
    assert (inbound.kind, inbound.text) == (Kind.TEXT, "I did it!")


def test_long_text_is_cut_to_the_rasa_limit_and_marked() -> None:
    inbound = parse(tg.text_message(1, "a" * (MAX_TEXT_TO_RASA + 1)))

    assert len(inbound.text) == MAX_TEXT_TO_RASA and inbound.truncated
    assert not parse(tg.text_message(1, "a" * MAX_TEXT_TO_RASA)).truncated


def test_a_button_press_carries_its_payload_and_message() -> None:
    update = tg.callback_query(7, "/affirm", first_name="Ruth")

    inbound = parse(update)

    assert (inbound.kind, inbound.text, inbound.chat_id) == (Kind.TEXT, "/affirm", 7)
    assert inbound.button.query_id == update["callback_query"]["id"]
    assert inbound.button.message_id == update["callback_query"]["message"]["message_id"]
    assert inbound.metadata() == {"first_name": "Ruth", "chat_type": "private",
                                  "telegram_update_id": 1}


@pytest.mark.parametrize("factory", [tg.sticker, tg.photo, tg.voice, tg.document, tg.location])
def test_media_is_non_text(factory: Any) -> None:
    assert parse(factory(3)).kind is Kind.NON_TEXT


def test_a_photo_caption_is_read_as_text_and_never_as_a_command() -> None:
    inbound = parse(tg.photo(3, caption="  I fell down the stairs, my wrist looks bent "))
    assert (inbound.kind, inbound.text, inbound.caption) == (
        Kind.TEXT, "I fell down the stairs, my wrist looks bent", True)
    assert parse(tg.photo(3, caption="/red_flag")).text == "red_flag"
    assert parse(tg.photo(3, caption="   ")).kind is Kind.NON_TEXT


def test_edited_messages_and_service_messages_are_ignored() -> None:
    assert parse(tg.edited_message(3, "changed")) is None
    service = {"message": tg.message(3, new_chat_title="Walking group")}
    assert parse(service) is None
    assert parse({"my_chat_member": None}) is None


def test_group_messages_keep_their_chat_type() -> None:
    inbound = parse(tg.group_message(-100, "hi", "supergroup"))

    assert not inbound.private and inbound.chat_type == "supergroup"
