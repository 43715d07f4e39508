"""The real stack under faults: processes killed, the database gone, the Bot API failing, bad input.

One Telegram stack in polling mode (the default) is shared by the fault modules that kill and
restart its processes; each of those tests leaves it running again. Modules that need another
configuration (webhook mode, the database behind a proxy) start their own stack and stop it at
the end of the module. Every client is a fresh chat id, so tests never see each other's turns.
Assertions are on what reached the fake Bot API, on Rasa's tracker and on the session database.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select

from bot.db import repo
from bot.db.engine import ensure_schema, make_engine, unit_of_work
from bot.db.models import DEFAULT_TIMEZONE, CheckIn, Client
from bot.service import Coach, ProfileAnswers
from bot.stack import MODEL, Stack, StackConfig, free_port
from tests.support import fake_telegram as tg
from tests.support.fake_telegram import FakeTelegramThread
from tests.telegram_e2e.conftest import TOKEN, TelegramUser, Turn, recorded_calls, telegram_stack

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Chats on the stacks' ALLOWED_CHAT_IDS, one or two per test; other ids are strangers.
POLLING_CHATS = tuple(range(7_400_001, 7_400_021))
WEBHOOK_CHATS = tuple(range(7_500_001, 7_500_041))
_polling_chats = iter(POLLING_CHATS)
_webhook_update_ids = itertools.count(880_000_001)
STACK_TRACE_MARKS = ("Traceback", 'File "', "Exception", "Error:", "sqlalchemy", "psycopg2")


def telegram_env(fake: FakeTelegramThread, allowed: tuple[int, ...], **env: str) -> dict[str, str]:
    """The channel's environment as bin/run sets it (blank values count as unset)."""
    return {"TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": fake.base_url,
            "ALLOWED_CHAT_IDS": ",".join(str(c) for c in allowed), "TELEGRAM_MODE": "polling",
            "TELEGRAM_WEBHOOK_URL": "", "TELEGRAM_WEBHOOK_SECRET": "", "COACH_CHAT_ID": "", **env}


def webhook_stack(folder: Path, fake: FakeTelegramThread, allowed: tuple[int, ...],
                  api_token: str | None = None) -> Stack:
    """A Telegram stack in webhook mode on a new SQLite database (not started)."""
    database_url = f"sqlite:///{folder / 'bone_coach.db'}"
    engine = make_engine(database_url)
    ensure_schema(engine)
    engine.dispose()
    port = free_port()
    env = telegram_env(fake, allowed, TELEGRAM_MODE="webhook",
                       TELEGRAM_WEBHOOK_SECRET=secrets.token_urlsafe(24),
                       TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/webhooks/telegram/webhook")
    return Stack(StackConfig(database_url=database_url, run_dir=folder, rasa_port=port,
                             telegram=True, api_token=api_token, env=env))


def todays_training_days() -> tuple[int, ...]:
    """Three spaced training days with today among them, so today's plan has exercises."""
    today = datetime.now(ZoneInfo(DEFAULT_TIMEZONE)).date()
    return tuple(sorted((today + timedelta(days=d)).weekday() for d in (0, 2, 4)))


def seed_profile(database_url: str, chat_id: int, name: str = "Ruth") -> None:
    """A client who finished onboarding, stored by the coaching service itself."""
    engine = make_engine(database_url)
    try:
        Coach(engine).save_profile(chat_id, name, ProfileAnswers(
            experience="new", vertebral_fracture=False, falls_last_year=0,
            balance_confidence="medium", pain_today=1, sessions_per_week=3,
            training_days=todays_training_days(), reminder_time=time(8, 0),
            equipment=frozenset({"chair", "band"}), recent_fracture=False,
            several_fractures=False, height_loss_or_curve=False))
    finally:
        engine.dispose()


def stored(database_url: str, chat_id: int) -> dict[str, Any]:
    """Everything the session database holds about one chat (the /export view)."""
    engine = make_engine(database_url)
    try:
        with unit_of_work(engine) as s:
            return repo.export_client(s, chat_id)
    finally:
        engine.dispose()


def checkins(database_url: str, chat_id: int) -> list[CheckIn]:
    engine = make_engine(database_url)
    try:
        with unit_of_work(engine) as s:
            client = repo.get_client(s, chat_id)
            return [] if client is None else repo.recent_checkins(s, client, datetime.min.date())
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


# --- the shared polling stack ----------------------------------------------------------------


@pytest.fixture(scope="session")
def fake() -> Iterator[FakeTelegramThread]:
    with FakeTelegramThread(token=TOKEN) as server:
        yield server


@pytest.fixture(scope="session")
def polling_stack(fake: FakeTelegramThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The Telegram stack in polling mode; tests that kill its processes start them again."""
    assert MODEL.exists(), "no trained model: run bin/test (it trains when data changed)"
    with telegram_stack(tmp_path_factory.mktemp("faults-polling"), fake, POLLING_CHATS) as running:
        yield running


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
