"""One slash-command parser (bot/slash.py): the terminal chat sends what Telegram sends for the
same typed command, and the coach chat takes commands apart the same way."""

from __future__ import annotations

import pytest
from telegram import Update

from bot.chat import command_payload
from bot.slash import Slash, parse_slash
from bot.telegram.texts import default_texts
from bot.telegram.updates import Inbound, Kind, parse_update
from tests.support import fake_telegram as tg

COMMANDS = sorted(default_texts().commands)


def on_telegram(typed: str) -> Inbound | None:
    return parse_update(Update.de_json({"update_id": 1, **tg.text_message(1, typed)}, None), default_texts().commands)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/handled@BoneCoachBot 12", Slash("handled", "BoneCoachBot", "12")),
        ("  /Flags  42 weights=yes  ", Slash("flags", None, "42 weights=yes")),
        ("/start\nK7PMQ3XW", Slash("start", None, "K7PMQ3XW")),
        ("/", Slash("", None, "")),
        ("hello /today", None),
        ("", None),
    ],
)
def test_a_command_is_taken_apart(text: str, expected: Slash | None) -> None:
    assert parse_slash(text) == expected


@pytest.mark.parametrize("name", COMMANDS)
@pytest.mark.parametrize("args", ["", "7am", 'say "hi" {x}'])
def test_the_terminal_chat_sends_what_telegram_sends(name: str, args: str) -> None:
    typed = f"/{name} {args}".strip()
    inbound = on_telegram(typed)
    assert inbound is not None and inbound.kind is Kind.TEXT
    assert command_payload(typed) == inbound.text


def test_an_unknown_command_is_no_payload() -> None:
    assert command_payload("/nonsense") is None
    inbound = on_telegram("/nonsense")
    assert inbound is not None and inbound.kind is Kind.UNKNOWN_COMMAND
