"""End-to-end over the REST channel: the shared stack (tests.support.stacks), each test a new
client with a fresh numeric chat id."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest

from bot.chat import send
from bot.stack import Stack


@pytest.fixture(scope="session")
def stack(telegram_stack: Stack) -> Stack:
    """The shared stack (REST beside Telegram), HTTP API on behind `stack.config.api_token`."""
    return telegram_stack


Chat = Callable[[str], list[dict[str, Any]]]


@pytest.fixture
def chat(stack: Stack) -> Chat:
    """A fresh client (new numeric chat id) talking through the REST channel."""
    sender = str(secrets.randbelow(10**9) + 10**9)

    def _say(text: str) -> list[dict[str, Any]]:
        return send(stack.rasa_url, sender, text, {"first_name": "Ruth"})

    _say.sender = sender  # type: ignore[attr-defined]
    return _say


def texts(replies: list[dict[str, Any]]) -> str:
    return "\n".join(str(r.get("text") or "") for r in replies)
