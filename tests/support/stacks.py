"""The real stack for the slow tests: one per mode for the whole session.

A pytest plugin (loaded by tests/conftest.py). Each stack is shared across test modules, so every
test talks from chat ids of its own (the ranges below) and asserts only on its own chats' turns.

- `telegram_fake`, `telegram_stack`: Telegram channel long-polling its fake Bot API, the REST
  channel beside it, Rasa's HTTP API behind a random token (REST and Telegram end-to-end tests,
  and the NLU tests, which parse through it instead of loading the model once more).
- `webhook_fake`, `webhook_stack`: Telegram channel in webhook mode, Rasa's HTTP API behind
  `WEBHOOK_API_TOKEN` (webhook end-to-end tests, bad input, security).
- `fault_fake`, `fault_stack`: like `telegram_stack`, for the fault tests that kill its
  processes or make its Bot API fail (they restart what they killed). Nobody else uses it.
- `trained_model`: the model file, asserted to exist.

Tests that cut a stack's database, or need another configuration (Rasa's HTTP API off, two
replicas), start their own in their module. Every test that uses one of `SLOW_FIXTURES` is
marked `slow` by tests/conftest.py, which also runs the slow tests last: the stacks the session
will need are started (not waited for) before the first test, so loading the model overlaps
with the fast tests.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from bot.stack import MODEL, Stack
from tests.support.fake_telegram import FakeTelegramThread
from tests.support.telegram_stack import TOKEN, configure_polling_stack, configure_webhook_stack

# Chat ids on the stacks' ALLOWED_CHAT_IDS, by the tests that use them (one or more per test).
TELEGRAM_E2E_CHATS = tuple(range(7_100_001, 7_100_041))  # polling; also the webhook module's
BAD_INPUT_CHATS = tuple(range(7_500_001, 7_500_041))  # webhook
SECURITY_CHATS = (7_800_001, 7_800_002, 7_800_003)  # webhook
FAULT_CHATS = tuple(range(7_400_001, 7_400_021))  # the fault stack
DASHBOARD_CHATS = tuple(range(7_900_001, 7_900_011))  # polling: the dashboard's end-to-end browser tests
# Strangers (on no list): 7_200_001… (telegram_e2e), 7_600_001… (bad input).
WEBHOOK_API_TOKEN = "sec-api-token-5f0c9e2a7b1d4c3e"

# Fixtures that need the trained model (directly or through a running Rasa server).
SLOW_FIXTURES = frozenset({
    "trained_model", "telegram_stack", "webhook_stack", "fault_stack", "replica_stacks", "parse",
})
# The stacks started before the first test when a selected test will use them.
BOOT_EARLY = ("telegram_stack", "webhook_stack", "fault_stack")


def _booted(make: Callable[[Path], Stack], folder: Path) -> Iterator[Stack]:
    """Both servers started, not yet waited for; stopped at the end of the session."""
    stack = make(folder)
    try:
        stack.start_actions()
        stack.start_rasa()
        yield stack
    finally:
        stack.stop()


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that need the model `slow`, and run them last (in their order), while the
    stacks they need start up (`_boot_early`)."""
    for item in items:
        if SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
    items.sort(key=lambda item: item.get_closest_marker("slow") is not None)


@pytest.fixture(autouse=True)
def _slow_work_is_marked_slow(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test outside the `slow` marker may not start a Rasa server or load a Rasa model."""
    if request.node.get_closest_marker("slow"):
        return

    def refuse(*_args: object, **_kwargs: object) -> NoReturn:
        raise AssertionError(
            "this test starts a Rasa server or loads a model but is not marked slow: use a fixture "
            "of tests.support.stacks (marked automatically) or add pytest.mark.slow")

    monkeypatch.setattr(Stack, "start_rasa", refuse)
    if "rasa.core.agent" in sys.modules:
        monkeypatch.setattr(sys.modules["rasa.core.agent"].Agent, "load", refuse)
    if "rasa.model_training" in sys.modules:
        for name in ("train", "train_nlu", "train_core"):
            monkeypatch.setattr(sys.modules["rasa.model_training"], name, refuse)


@pytest.fixture(scope="session")
def trained_model() -> Path:
    assert MODEL.exists(), "no trained model: run bin/test (it trains when data changed)"
    return MODEL


@pytest.fixture(scope="session", autouse=True)
def _boot_early(request: pytest.FixtureRequest) -> None:
    """Start the stacks this session's tests will use, so their model loads run meanwhile."""
    needed = set().union(*(getattr(item, "fixturenames", ()) for item in request.session.items))
    for name in BOOT_EARLY:
        if name in needed and MODEL.exists():
            request.getfixturevalue(f"{name}_booting")


@pytest.fixture(scope="session")
def telegram_fake() -> Iterator[FakeTelegramThread]:
    """The fake Bot API the shared polling stack talks to."""
    with FakeTelegramThread(token=TOKEN) as server:
        yield server


@pytest.fixture(scope="session")
def telegram_stack_booting(telegram_fake: FakeTelegramThread,
                           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    allowed = TELEGRAM_E2E_CHATS + DASHBOARD_CHATS
    yield from _booted(lambda folder: configure_polling_stack(folder, telegram_fake, allowed),
                       tmp_path_factory.mktemp("telegram-stack"))


@pytest.fixture(scope="session")
def telegram_stack(trained_model: Path, telegram_stack_booting: Stack) -> Stack:
    """Telegram (polling) and REST, HTTP API on: `stack.config.api_token`."""
    telegram_stack_booting.wait_ready()
    return telegram_stack_booting


@pytest.fixture(scope="session")
def webhook_fake() -> Iterator[FakeTelegramThread]:
    """The fake Bot API the shared webhook stack registers its webhook with."""
    with FakeTelegramThread(token=TOKEN) as server:
        yield server


@pytest.fixture(scope="session")
def webhook_stack_booting(webhook_fake: FakeTelegramThread,
                          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    allowed = TELEGRAM_E2E_CHATS + BAD_INPUT_CHATS + SECURITY_CHATS
    yield from _booted(
        lambda folder: configure_webhook_stack(folder, webhook_fake, allowed, api_token=WEBHOOK_API_TOKEN),
        tmp_path_factory.mktemp("webhook-stack"))


@pytest.fixture(scope="session")
def webhook_stack(trained_model: Path, webhook_stack_booting: Stack) -> Stack:
    """Telegram in webhook mode, HTTP API on behind WEBHOOK_API_TOKEN."""
    webhook_stack_booting.wait_ready()
    return webhook_stack_booting


@pytest.fixture(scope="session")
def fault_fake() -> Iterator[FakeTelegramThread]:
    """The fake Bot API of the fault stack (fault tests make it fail)."""
    with FakeTelegramThread(token=TOKEN) as server:
        yield server


@pytest.fixture(scope="session")
def fault_stack_booting(fault_fake: FakeTelegramThread,
                        tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    yield from _booted(lambda folder: configure_polling_stack(folder, fault_fake, FAULT_CHATS),
                       tmp_path_factory.mktemp("fault-stack"))


@pytest.fixture(scope="session")
def fault_stack(trained_model: Path, fault_stack_booting: Stack) -> Stack:
    """Telegram (polling) for the fault tests; running whenever a test starts (see `restarts`)."""
    fault_stack_booting.wait_ready()
    return fault_stack_booting
