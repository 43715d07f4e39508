"""Webhook mode, end to end: the real stack registers its webhook with the fake Bot API server, and
takes updates POSTed to the Rasa server only with the secret Telegram was given."""

from __future__ import annotations

import itertools
import re
from typing import Any

import httpx
import pytest

from bot.stack import Stack
from tests.support import fake_telegram as tg
from tests.support.fake_telegram import FakeTelegramThread
from tests.telegram_e2e.conftest import ALLOWED, recorded_calls, user_texts

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_update_ids = itertools.count(1)


def webhook_url(stack: Stack) -> str:
    return stack.config.env["TELEGRAM_WEBHOOK_URL"]


def post_update(stack: Stack, update: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
    """What Telegram does with an update when a webhook is set."""
    body = {"update_id": next(_update_ids), **update}
    return httpx.post(webhook_url(stack), json=body, headers=headers, timeout=60)


def test_the_webhook_is_registered_with_its_secret(
    webhook_fake: FakeTelegramThread, webhook_stack: Stack
) -> None:
    [registered] = webhook_fake.calls_to("setWebhook")
    assert registered.params["url"] == webhook_url(webhook_stack)
    assert registered.params["secret_token"] == webhook_stack.config.env["TELEGRAM_WEBHOOK_SECRET"]
    assert registered.params["allowed_updates"] == ["message", "callback_query"]
    methods = {c["method"] for c in recorded_calls(webhook_fake)}
    assert "getUpdates" not in methods and "deleteWebhook" not in methods


def test_an_update_with_the_secret_is_answered(
    webhook_fake: FakeTelegramThread, webhook_stack: Stack
) -> None:
    chat_id = ALLOWED[0]
    secret = webhook_stack.config.env["TELEGRAM_WEBHOOK_SECRET"]
    response = post_update(webhook_stack, tg.command(chat_id, "start"), {SECRET_HEADER: secret})
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    # the turn is over when the webhook answers: its replies are already at Telegram
    assert [c.params["action"] for c in webhook_fake.calls_to("sendChatAction", chat_id)] == ["typing"]
    texts = webhook_fake.texts_to(chat_id)
    assert len(texts) == 2 and "Welcome to Bone Coach" in texts[0]
    assert re.search(r"(?i)store your answers", texts[1])
    assert user_texts(webhook_stack, chat_id) == ["/start"]


@pytest.mark.parametrize("headers", [{}, {SECRET_HEADER: "not-the-secret"}],
                         ids=["without the secret", "with a wrong secret"])
def test_an_update_without_the_right_secret_is_refused(
    webhook_fake: FakeTelegramThread, webhook_stack: Stack, headers: dict[str, str]
) -> None:
    chat_id = ALLOWED[1]
    response = post_update(webhook_stack, tg.command(chat_id, "start"), headers)
    assert response.status_code == 403
    assert [c for c in recorded_calls(webhook_fake) if c["params"].get("chat_id") == chat_id] == []
    assert user_texts(webhook_stack, chat_id) == []
