"""The real stack under faults: processes killed, the database gone, the Bot API failing.

These tests break the stack they use, so they never touch the shared stacks of
tests.support.stacks. One Telegram stack in polling mode (`polling_stack`, the session's `fault_stack`) is shared by
the fault modules that kill and restart its processes or make its Bot API fail; each of those
tests leaves it running again (`restarts`). The database-down module starts its own stack (the database behind a proxy).
Every client is a fresh chat id, so tests never see each other's turns. Assertions are on what
reached the fake Bot API, on Rasa's tracker and on the session database. The helpers live in
tests.support.telegram_stack; they are re-exported here for the test modules.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.stack import Stack
from tests.support.fake_telegram import FakeTelegramThread
from tests.support.stacks import FAULT_CHATS
from tests.support.telegram_stack import (
    SECRET_HEADER,
    TelegramUser,
    WebhookUser,
    assert_no_stack_trace,
    checkins,
    client_count,
    seed_profile,
    stored,
    telegram_env,
)

__all__ = ["SECRET_HEADER", "WebhookUser", "assert_no_stack_trace", "checkins", "client_count",
           "ensure_running", "seed_profile", "stored", "telegram_env"]

_polling_chats = iter(FAULT_CHATS)


@pytest.fixture(scope="session")
def fake(fault_fake: FakeTelegramThread) -> FakeTelegramThread:
    return fault_fake


@pytest.fixture(scope="session")
def polling_stack(fault_stack: Stack) -> Stack:
    """The fault stack (tests.support.stacks) in polling mode; tests that kill its processes
    start them again."""
    return fault_stack


@pytest.fixture
def client(fake: FakeTelegramThread, polling_stack: Stack) -> TelegramUser:
    """A fresh allow-listed chat with a finished profile (today is a training day)."""
    user = TelegramUser(fake, next(_polling_chats))
    seed_profile(polling_stack.config.database_url, user.chat_id)
    return user


@pytest.fixture
def new_chat(fake: FakeTelegramThread, polling_stack: Stack) -> TelegramUser:
    """A fresh allow-listed chat that has not onboarded yet."""
    return TelegramUser(fake, next(_polling_chats))


def ensure_running(stack: Stack) -> None:
    """Start whichever of the two servers is not running (after a test killed it), and wait."""
    if stack.procs.get("actions") is None or stack.procs["actions"].poll() is not None:
        stack.start_actions()
    if stack.procs.get("rasa") is None or stack.procs["rasa"].poll() is not None:
        stack.start_rasa()
    stack.wait_ready()


@pytest.fixture
def restarts(polling_stack: Stack) -> Iterator[Stack]:
    """The shared stack, for a test that kills its processes: running again afterwards, whatever
    the test's outcome, so the next test finds it up."""
    yield polling_stack
    ensure_running(polling_stack)
