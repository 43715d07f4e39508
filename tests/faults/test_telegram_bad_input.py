"""Bad input through the Telegram channel (webhook mode, the real stack, the fake Bot API): every
row gets a clear reply, plain text only, no stack trace, and stores nothing it should not.

One stack for the whole table. Each row is a fresh chat (an onboarded client unless the row says
otherwise); `setup` messages bring it to the question the bad answer is given to.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.stack import Stack
from bot.telegram.texts import default_texts
from bot.telegram.updates import MAX_TEXT_TO_RASA
from tests.support import fake_telegram as tg
from tests.support.fake_telegram import FakeTelegramThread
from tests.support.stacks import BAD_INPUT_CHATS
from tests.support.telegram_stack import (
    SECRET_HEADER,
    WebhookUser,
    assert_no_stack_trace,
    client_count,
    recorded_calls,
    seed_profile,
    stored,
    user_texts,
)

TEXTS = default_texts()
LONG = "my knees ache a little " * 435  # 10,005 characters
MARKUP = "<b>busy</b> *bold* [link](http://x.example) `code` <a href='http://x.example'>x</a>"
_chats = iter(BAD_INPUT_CHATS)
_strangers = itertools.count(7_600_001)
Stored = dict[str, Any]


def unchanged(before: Stored, after: Stored) -> bool:
    return before == after


def no_checkin(before: Stored, after: Stored) -> bool:
    return after["checkins"] == before["checkins"] == [] and after["profile"] == before["profile"]


def skip_reason_kept_verbatim(before: Stored, after: Stored) -> bool:
    [checkin] = after["checkins"]
    return checkin["status"] == "skipped" and checkin["skip_reason"] == MARKUP


def nothing_at_all(before: Stored, after: Stored) -> bool:
    return before == after == {}


@dataclass(frozen=True)
class Row:
    update: Callable[[int], dict[str, Any]]  # what the client sends, for its chat id
    reply: str  # a regex the coach's last reply must match
    rasa_gets: str | None  # the text Rasa's tracker records; None: Rasa is never asked
    stores: Callable[[Stored, Stored], bool] = unchanged
    setup: tuple[str, ...] = ()
    enrolled: bool = True
    replies_before: tuple[str, ...] = field(default=())  # channel replies ahead of Rasa's


def text(value: str) -> Callable[[int], dict[str, Any]]:
    return lambda chat_id: tg.text_message(chat_id, value)


ROWS: dict[str, Row] = {
    "whitespace only": Row(text(" \n\t  \u3000 "), r"\w", ""),
    "emoji only": Row(text("🙂🙂👍🦴"), r"\w", "🙂🙂👍🦴"),
    "10,000 characters": Row(text(LONG), r"\w", LONG.strip()[:MAX_TEXT_TO_RASA],
                             replies_before=(TEXTS.long_message,)),
    "control characters and zero-width spaces": Row(
        text("\u200b\u200bhel\u200dlo\x00\x07\x1b[31m\u2066"), r"\w",
        "\u200b\u200bhel\u200dlo\x00\x07\x1b[31m\u2066"),
    "right-to-left (Arabic, Hebrew)": Row(text("مرحبا، ماذا أفعل اليوم؟ שלום"), r"\w",
                                          "مرحبا، ماذا أفعل اليوم؟ שלום"),
    "another language": Row(text("¿Qué ejercicio hago hoy? Je suis fatiguée."), r"\w",
                            "¿Qué ejercicio hago hoy? Je suis fatiguée."),
    "sql-looking": Row(text("'; DROP TABLE clients; -- OR 1=1"), r"\w", "'; DROP TABLE clients; -- OR 1=1"),
    "markdown and html": Row(text(MARKUP), r"\w", MARKUP),
    "markdown and html echoed back (a skip reason)": Row(
        text(MARKUP), re.escape(MARKUP[:60]), MARKUP, skip_reason_kept_verbatim, setup=("/skip",)),
    "pain 15/10 at the pain question": Row(text("15/10"), r"0 to 10", "15/10", no_checkin,
                                           setup=("/done", "6")),
    "pain -3 at the pain question": Row(text("-3"), r"0 to 10", "-3", no_checkin, setup=("/done", "6")),
    "reminder time 25:99": Row(text("25:99"), r"(?s)didn't catch a time.*What time", "25:99",
                               setup=("/reminder",)),
    "reminder command with 25:99": Row(lambda c: tg.command(c, "reminder", "25:99"),
                                       r"(?s)didn't catch a time.*What time",
                                       '/set_reminder{"time": "25:99"}'),
    "unknown command": Row(lambda c: tg.command(c, "dance"), re.escape(TEXTS.unknown_command), None),
    "chat not enrolled": Row(text("hello, what do I do today?"), re.escape(TEXTS.not_enrolled), None,
                             nothing_at_all, enrolled=False),
    "group chat": Row(lambda c: tg.group_message(-c, "/start@BoneCoachTestBot"),
                      re.escape(TEXTS.group_refused), None, nothing_at_all, enrolled=False),
}


@pytest.fixture
def hook_fake(webhook_fake: FakeTelegramThread) -> FakeTelegramThread:
    return webhook_fake


@pytest.fixture
def hook_stack(webhook_stack: Stack) -> Stack:
    """The shared webhook stack (tests.support.stacks): this table breaks nothing."""
    return webhook_stack


@pytest.mark.parametrize("row", ROWS.values(), ids=ROWS.keys())
def test_bad_input_gets_a_clear_plain_reply_and_stores_nothing_wrong(
    row: Row, hook_fake: FakeTelegramThread, hook_stack: Stack
) -> None:
    url = hook_stack.config.database_url
    update = row.update(next(_chats) if row.enrolled else next(_strangers))
    user = WebhookUser(hook_fake, hook_stack, update["message"]["chat"]["id"])
    if row.enrolled:
        seed_profile(url, user.chat_id)
    for message in row.setup:
        assert user.say(message).texts, message
    before, clients, calls_before = stored(url, user.chat_id), client_count(url), len(recorded_calls(hook_fake))

    turn = user.deliver(update)

    assert turn.texts, f"silence: {turn.calls}"
    assert list(row.replies_before) == turn.texts[:len(row.replies_before)]
    assert re.search(row.reply, "\n".join(turn.texts[len(row.replies_before):])), turn.texts
    sent = [c for c in recorded_calls(hook_fake)[calls_before:] if c["method"] == "sendMessage"]
    assert_no_stack_trace([c["params"]["text"] for c in sent])
    for call in sent:  # plain text: whatever a client typed is shown as typed, never as markup
        assert not {"parse_mode", "entities"} & set(call["params"]), call
    assert row.stores(before, stored(url, user.chat_id)), stored(url, user.chat_id)
    if row.enrolled:
        assert client_count(url) == clients
    seen = user_texts(hook_stack, user.chat_id)
    assert seen[-1:] == ([] if row.rasa_gets is None else [row.rasa_gets])


@pytest.mark.parametrize("headers", [{}, {SECRET_HEADER: "not-the-secret"}, {SECRET_HEADER: ""}],
                         ids=["no secret", "wrong secret", "empty secret"])
def test_a_forged_webhook_request_is_refused(
    headers: dict[str, str], hook_fake: FakeTelegramThread, hook_stack: Stack
) -> None:
    user = WebhookUser(hook_fake, hook_stack, next(_chats))
    before = len(recorded_calls(hook_fake))
    response = user.post(tg.command(user.chat_id, "start"), headers=headers)
    assert response.status_code == 403
    assert "Traceback" not in response.text
    assert recorded_calls(hook_fake)[before:] == []  # nothing sent to anyone
    assert user_texts(hook_stack, user.chat_id) == []
    assert stored(hook_stack.config.database_url, user.chat_id) == {}
