"""Driving a running Telegram stack as its clients do, and looking at what it did.

Shared by the end-to-end, fault and security tests (their fixtures are in `tests.support.stacks`):
`TelegramUser` sends updates through the fake Bot API's getUpdates (polling stacks),
`WebhookUser` POSTs them to the stack's webhook; both return the `Turn` of Bot API calls the coach
made for that chat. `user_texts` reads Rasa's tracker (what Rasa saw), `stored` the session
database. Every test talks from its own chat ids, so a stack can be shared by many tests.
"""

from __future__ import annotations

import itertools
import re
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import func, select

from bot.db import clients, sessions
from bot.db.engine import ensure_schema, make_engine, unit_of_work
from bot.db.models import DEFAULT_TIMEZONE, CheckIn, Client
from bot.services import Services
from bot.services.types import ProfileAnswers
from bot.stack import Stack, StackConfig, free_port
from tests.support import fake_telegram as tg
from tests.support.fake_telegram import FakeTelegramThread

TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"  # shaped like a real one; only the fake knows it
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
TURN_TIMEOUT = 60.0  # a loaded 2-core machine, and up to a few seconds of 429 back-off
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
STACK_TRACE_MARKS = ("Traceback", 'File "', "Exception", "Error:", "sqlalchemy", "psycopg2")
_webhook_update_ids = itertools.count(880_000_001)


def telegram_env(fake: FakeTelegramThread, allowed: Iterable[int], **env: str) -> dict[str, str]:
    """The channel's environment as bin/run sets it. Blank values count as unset: nothing from
    the developer's own environment leaks in."""
    return {"TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": fake.base_url,
            "ALLOWED_CHAT_IDS": ",".join(str(c) for c in allowed), "TELEGRAM_MODE": "polling",
            "TELEGRAM_WEBHOOK_URL": "", "TELEGRAM_WEBHOOK_SECRET": "", "COACH_CHAT_ID": "", **env}


def new_database(folder: Path) -> str:
    """A migrated SQLite session database in `folder` (bin/run migrates before the servers start)."""
    database_url = f"sqlite:///{folder / 'bone_coach.db'}"
    engine = make_engine(database_url)
    ensure_schema(engine)
    engine.dispose()
    return database_url


def configure_polling_stack(folder: Path, fake: FakeTelegramThread, allowed: Iterable[int],
                  api_token: str | None = None, **env: str) -> Stack:
    """The stack with the Telegram channel long-polling `fake`, and the REST channel, as `bin/run`
    configures it (not started). Rasa's HTTP API is on behind `api_token` (a random one if not
    given), for reading trackers: did Rasa see a turn?"""
    return Stack(StackConfig(
        database_url=new_database(folder), run_dir=folder, telegram=True,
        api_token=api_token or secrets.token_hex(16), env=telegram_env(fake, allowed, **env)))


def configure_webhook_stack(folder: Path, fake: FakeTelegramThread, allowed: Iterable[int],
                  api_token: str | None = None) -> Stack:
    """The stack with the Telegram channel in webhook mode, registered with `fake` (not started).
    Its secret: `stack.config.env["TELEGRAM_WEBHOOK_SECRET"]`."""
    port = free_port()
    env = telegram_env(fake, allowed, TELEGRAM_MODE="webhook",
                       TELEGRAM_WEBHOOK_SECRET=secrets.token_urlsafe(24),  # A-Z, a-z, 0-9, _ and -
                       TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/webhooks/telegram/webhook")
    return Stack(StackConfig(database_url=new_database(folder), run_dir=folder, rasa_port=port,
                             telegram=True, api_token=api_token, env=env))


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


def todays_training_days() -> tuple[int, ...]:
    """Three spaced training days with today among them, so today's plan has exercises."""
    today = datetime.now(ZoneInfo(DEFAULT_TIMEZONE)).date()
    return tuple(sorted((today + timedelta(days=d)).weekday() for d in (0, 2, 4)))


def seed_profile(database_url: str, chat_id: int, name: str = "Ruth") -> None:
    """A client who finished onboarding, stored by the coaching service itself."""
    engine = make_engine(database_url)
    try:
        Services.over(engine).plans.save_profile(chat_id, name, ProfileAnswers(
            experience="new", vertebral_fracture=False, falls_last_year=0,
            balance_confidence="medium", pain_today=1, sessions_per_week=3,
            training_days=todays_training_days(), reminder_time=clock_time(8, 0),
            equipment=frozenset({"chair", "band"}), recent_fracture=False,
            several_fractures=False, height_loss_or_curve=False))
    finally:
        engine.dispose()


def stored(database_url: str, chat_id: int) -> dict[str, Any]:
    """Everything the session database holds about one chat (the /export view)."""
    engine = make_engine(database_url)
    try:
        with unit_of_work(engine) as s:
            return clients.export_client(s, chat_id)
    finally:
        engine.dispose()


def checkins(database_url: str, chat_id: int) -> list[CheckIn]:
    engine = make_engine(database_url)
    try:
        with unit_of_work(engine) as s:
            client = clients.get_client(s, chat_id)
            return [] if client is None else sessions.recent_checkins(s, client, datetime.min.date())
    finally:
        engine.dispose()


def client_count(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        with unit_of_work(engine) as s:
            return int(s.execute(select(func.count()).select_from(Client)).scalar_one())
    finally:
        engine.dispose()


def assert_no_stack_trace(texts: list[str]) -> None:
    for text in texts:
        assert not any(mark in text for mark in STACK_TRACE_MARKS), text


class WebhookUser:
    """A Telegram user whose updates the stack's webhook receives as Telegram sends them (with the
    secret). The webhook answers when the turn is over, so its replies are at the fake by then."""

    def __init__(self, fake: FakeTelegramThread, stack: Stack, chat_id: int,
                 first_name: str = "Ruth") -> None:
        self.fake = fake
        self.stack = stack
        self.chat_id = chat_id
        self.first_name = first_name

    @property
    def url(self) -> str:
        return self.stack.config.env["TELEGRAM_WEBHOOK_URL"]

    @property
    def secret(self) -> str:
        return self.stack.config.env["TELEGRAM_WEBHOOK_SECRET"]

    def post(self, update: dict[str, Any], headers: dict[str, str] | None = None) -> httpx.Response:
        body = {"update_id": next(_webhook_update_ids), **update}
        return httpx.post(self.url, json=body, timeout=120,
                          headers={SECRET_HEADER: self.secret} if headers is None else headers)

    def deliver(self, update: dict[str, Any]) -> Turn:
        before = len(recorded_calls(self.fake))
        response = self.post(update)
        assert response.status_code == 200, response.text
        mine = [c for c in recorded_calls(self.fake)[before:] if c["params"].get("chat_id") == self.chat_id]
        return Turn([update], mine)

    def say(self, text: str) -> Turn:
        return self.deliver(tg.text_message(self.chat_id, text, self.first_name))

    def command(self, name: str, args: str = "") -> Turn:
        return self.deliver(tg.command(self.chat_id, name, args, self.first_name))
