"""The real stack (action server + Rasa server + SQLite) serving our Telegram channel, with the fake
Bot API server in place of api.telegram.org: the shared stacks of tests.support.stacks, one per
mode (`stack` polling, `webhook_stack`) for the whole test session.

Tests talk as Telegram users do (updates fetched by the channel's getUpdates, or POSTed to its
webhook) and assert on what the fake server received. A polling turn is over when the channel asks
for updates past it: the poller moves its offset only after it has handled the whole batch.
The helpers live in tests.support.telegram_stack; they are re-exported here for the test modules.
"""

from __future__ import annotations

import itertools

import pytest

from bot.stack import Stack
from tests.support.fake_telegram import FakeTelegramThread
from tests.support.stacks import TELEGRAM_E2E_CHATS
from tests.support.telegram_stack import (
    TOKEN,
    TelegramUser,
    Turn,
    keyboard,
    keyboard_rows,
    onboard,
    onboarding_answers,
    recorded_calls,
    training_days_around_today,
    user_texts,
    wait_for_request,
    wait_polled_past,
)

__all__ = ["ALLOWED", "TOKEN", "TelegramUser", "Turn", "keyboard", "keyboard_rows", "onboard",
           "onboarding_answers", "recorded_calls", "training_days_around_today", "user_texts",
           "wait_for_request", "wait_polled_past"]

# Private chats on ALLOWED_CHAT_IDS (one per test, so tests don't see each other's conversation).
ALLOWED = TELEGRAM_E2E_CHATS
_allowed = iter(ALLOWED)
_strangers = itertools.count(7_200_001)  # chats nobody enrolled


@pytest.fixture(scope="session")
def fake(telegram_fake: FakeTelegramThread) -> FakeTelegramThread:
    """The fake Bot API the polling stack talks to."""
    return telegram_fake


@pytest.fixture(scope="session")
def stack(telegram_stack: Stack) -> Stack:
    """The shared stack in polling mode (the default)."""
    return telegram_stack


@pytest.fixture
def user(fake: FakeTelegramThread, stack: Stack) -> TelegramUser:
    """A fresh allow-listed client in a private chat."""
    return TelegramUser(fake, next(_allowed))


@pytest.fixture
def stranger(fake: FakeTelegramThread, stack: Stack) -> TelegramUser:
    """A private chat nobody enrolled."""
    return TelegramUser(fake, next(_strangers), first_name="Walt")
