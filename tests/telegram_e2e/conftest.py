"""The real stack (action server + Rasa server + SQLite) serving our Telegram channel, with the fake
Bot API server in place of api.telegram.org: one stack per mode for the whole test session.

Tests talk as Telegram users do (updates fetched by the channel's getUpdates, or POSTed to its
webhook) and assert on what the fake server received. A polling turn is over when the channel asks
for updates past it: the poller moves its offset only after it has handled the whole batch.
"""

from __future__ import annotations

import itertools
import re
import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.db.engine import ensure_schema, make_engine
from bot.db.models import DEFAULT_TIMEZONE
from bot.stack import MODEL, Stack, StackConfig, free_port
from tests.support import fake_telegram as tg
from tests.support.fake_telegram import FakeTelegramThread

TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"  # shaped like a real one; only the fake knows it
# Private chats on ALLOWED_CHAT_IDS (one per test, so tests don't see each other's conversation).
ALLOWED = tuple(range(7_100_001, 7_100_041))
_allowed = iter(ALLOWED)
_strangers = itertools.count(7_200_001)  # chats nobody enrolled
TURN_TIMEOUT = 60.0  # a loaded 2-core machine, and up to a few seconds of 429 back-off
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def telegram_stack(folder: Path, fake: FakeTelegramThread, allowed: Iterable[int],
                   rasa_port: int | None = None, **env: str) -> Stack:
    """The stack with the Telegram channel on `fake`, as `bin/run` configures it (not started)."""
    database_url = f"sqlite:///{folder / 'bone_coach.db'}"
    engine = make_engine(database_url)
    ensure_schema(engine)  # bin/run migrates before the two processes start, so do we
    engine.dispose()
    config = StackConfig(
        database_url=database_url,
        run_dir=folder,
        rasa_port=rasa_port or free_port(),
        telegram=True,
        api_token=secrets.token_hex(16),  # for reading trackers: did Rasa see a turn?
        # Blank values count as unset: nothing from the developer's own environment leaks in.
        env={"TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": fake.base_url,
             "ALLOWED_CHAT_IDS": ",".join(str(c) for c in allowed), "TELEGRAM_MODE": "polling",
             "TELEGRAM_WEBHOOK_URL": "", "TELEGRAM_WEBHOOK_SECRET": "", "COACH_CHAT_ID": "",
             **env},
    )
    return Stack(config)


def user_texts(stack: Stack, chat_id: int) -> list[str]:
    """What Rasa's tracker holds as this chat's messages (one per Rasa turn)."""
    url = f"{stack.rasa_url}/conversations/{chat_id}/tracker"
    response = httpx.get(url, params={"token": stack.config.api_token}, timeout=30)
    response.raise_for_status()
    return [e.get("text") or "" for e in response.json()["events"] if e["event"] == "user"]


def control_url(fake: FakeTelegramThread) -> str:
    """The fake's control API (/_fake/...), beside its Bot API."""
    return fake.base_url.removesuffix("/bot")


def recorded_calls(fake: FakeTelegramThread, method: str | None = None) -> list[dict[str, Any]]:
    """Every Bot API request the fake received, in order, as it recorded them (failed ones too)."""
    params = {"method": method} if method else {}
    response = httpx.get(f"{control_url(fake)}/_fake/calls", params=params, timeout=10)
    response.raise_for_status()
    return list(response.json())


def keyboard_rows(call: Mapping[str, Any]) -> list[list[dict[str, str]]]:
    """A sent message's inline keyboard: rows of {text, callback_data}."""
    return (call["params"].get("reply_markup") or {}).get("inline_keyboard") or []


def keyboard(call: Mapping[str, Any]) -> list[str]:
    """The titles of a sent message's inline keyboard, row after row."""
    return [button["text"] for row in keyboard_rows(call) for button in row]


@dataclass(frozen=True)
class Turn:
    """The Bot API calls the coach made for one client action (this chat's only, in order)."""

    updates: list[dict[str, Any]]  # what the client sent, as the fake delivered it
    calls: list[dict[str, Any]]

    def ok(self, method: str) -> list[dict[str, Any]]:
        return [c for c in self.calls if c["method"] == method and c["status"] == 200]

    @property
    def methods(self) -> list[str]:
        return [c["method"] for c in self.calls if c["status"] == 200]

    @property
    def texts(self) -> list[str]:
        return [c["params"]["text"] for c in self.ok("sendMessage")]

    @property
    def text(self) -> str:
        return "\n".join(self.texts)

    @property
    def buttons(self) -> list[str]:
        """The keyboard under the turn's last message (empty when it has none)."""
        sent = self.ok("sendMessage")
        return keyboard(sent[-1]) if sent else []


class TelegramUser:
    """One Telegram user: sends updates through the fake's getUpdates and waits for the turn."""

    def __init__(self, fake: FakeTelegramThread, chat_id: int, first_name: str = "Ruth") -> None:
        self.fake = fake
        self.chat_id = chat_id
        self.first_name = first_name

    def say(self, text: str) -> Turn:
        return self.deliver(tg.text_message(self.chat_id, text, self.first_name))

    def command(self, name: str, args: str = "") -> Turn:
        return self.deliver(tg.command(self.chat_id, name, args, self.first_name))

    def press(self, title: str) -> Turn:
        """Press a button of the latest keyboard the coach sent to this chat."""
        before = len(recorded_calls(self.fake))
        update = self.fake.press_button(self.chat_id, title)
        return self._finish(before, [update])

    def deliver(self, *updates: dict[str, Any]) -> Turn:
        """Queue updates in one getUpdates batch (same update_id twice = a re-delivery)."""
        return self.send(*updates)()

    def send(self, *updates: dict[str, Any]) -> Callable[[], Turn]:
        """Queue updates without waiting; the returned call waits until they were handled."""
        before = len(recorded_calls(self.fake))
        response = httpx.post(f"{control_url(self.fake)}/_fake/updates", json=list(updates),
                              timeout=10)
        response.raise_for_status()
        queued = response.json()
        return lambda: self._finish(before, queued)

    def _finish(self, before: int, updates: list[dict[str, Any]]) -> Turn:
        last = max(u["update_id"] for u in updates)
        wait_polled_past(self.fake, last)
        queries = {u["callback_query"]["id"] for u in updates if "callback_query" in u}
        mine = [c for c in recorded_calls(self.fake)[before:]
                if c["params"].get("chat_id") == self.chat_id
                or c["params"].get("callback_query_id") in queries]
        return Turn(updates, mine)


def wait_for_request(fake: FakeTelegramThread, method: str, timeout: float = TURN_TIMEOUT) -> None:
    """Until the fake has received a `method` request (answered or, like a long poll, not yet)."""
    deadline = time.monotonic() + timeout
    while not recorded_calls(fake, method):
        if time.monotonic() > deadline:
            raise AssertionError(f"no {method} request within {timeout:.0f} s")
        time.sleep(0.05)


def wait_polled_past(fake: FakeTelegramThread, update_id: int, timeout: float = TURN_TIMEOUT) -> None:
    """Until the channel asks for updates after `update_id`, i.e. it is done with that batch."""
    deadline = time.monotonic() + timeout
    while not any((c["params"].get("offset") or 0) > update_id
                  for c in recorded_calls(fake, "getUpdates")):
        if time.monotonic() > deadline:
            raise AssertionError(f"update {update_id} not handled within {timeout:.0f} s")
        time.sleep(0.05)


def training_days_around_today() -> str:
    """Three training days with a rest day between, today among them, so today's plan has exercises."""
    today = datetime.now(ZoneInfo(DEFAULT_TIMEZONE)).date()
    return " ".join(WEEKDAY_NAMES[(today + timedelta(days=d)).weekday()] for d in (0, 2, 4))


def onboarding_answers() -> list[tuple[str, str, str]]:
    """(press a button or type, the answer, what the coach asks next), after /start."""
    return [
        ("press", "I agree", r"(?i)strength training"),
        ("press", "New to strength training", r"(?i)spine|vertebra"),
        ("press", "No", r"(?i)12 weeks"),
        ("press", "No", r"(?i)two or more bones"),
        ("press", "No", r"(?i)lost height"),
        ("press", "No", r"(?i)fallen"),
        ("press", "None", r"(?i)steady"),
        ("press", "Okay", r"(?i)pain"),
        ("type", "2", r"(?i)sessions a week"),
        ("press", "3", r"(?i)which (\d )?days"),
        ("type", training_days_around_today(), r"(?i)what time"),
        ("type", "8am", r"(?i)equipment|chair"),
        ("type", "a chair and a resistance band", r"All set"),
    ]


def answer(user: TelegramUser, how: str, value: str) -> Turn:
    return user.press(value) if how == "press" else user.say(value)


def onboard(user: TelegramUser) -> Turn:
    """/start and every onboarding answer; returns the coach's last turn ("All set ...")."""
    turn = user.command("start")
    assert turn.buttons == ["I agree", "No thanks"], turn.calls
    for how, value, asks_next in onboarding_answers():
        turn = answer(user, how, value)
        assert re.search(asks_next, turn.text), (value, turn.calls)
    return turn


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def fake() -> Iterator[FakeTelegramThread]:
    """The fake Bot API the polling stack talks to."""
    with FakeTelegramThread(token=TOKEN) as server:
        yield server


@pytest.fixture(scope="session")
def stack(fake: FakeTelegramThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The stack in polling mode (the default)."""
    assert MODEL.exists(), "no trained model: run bin/test (it trains when data changed)"
    with telegram_stack(tmp_path_factory.mktemp("polling"), fake, ALLOWED) as running:
        yield running


@pytest.fixture(scope="session")
def webhook_fake() -> Iterator[FakeTelegramThread]:
    """The fake Bot API the webhook stack registers its webhook with."""
    with FakeTelegramThread(token=TOKEN) as server:
        yield server


@pytest.fixture(scope="session")
def webhook_stack(webhook_fake: FakeTelegramThread,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The stack in webhook mode (its secret: `stack.config.env["TELEGRAM_WEBHOOK_SECRET"]`)."""
    assert MODEL.exists(), "no trained model: run bin/test (it trains when data changed)"
    port = free_port()
    secret = secrets.token_urlsafe(24)  # Telegram allows A-Z, a-z, 0-9, _ and -
    configured = telegram_stack(
        tmp_path_factory.mktemp("webhook"), webhook_fake, ALLOWED, rasa_port=port,
        TELEGRAM_MODE="webhook", TELEGRAM_WEBHOOK_SECRET=secret,
        TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/webhooks/telegram/webhook")
    with configured as running:
        yield running


@pytest.fixture
def user(fake: FakeTelegramThread, stack: Stack) -> TelegramUser:
    """A fresh allow-listed client in a private chat."""
    return TelegramUser(fake, next(_allowed))


@pytest.fixture
def stranger(fake: FakeTelegramThread, stack: Stack) -> TelegramUser:
    """A private chat nobody enrolled."""
    return TelegramUser(fake, next(_strangers), first_name="Walt")
