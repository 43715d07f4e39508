"""The staff dashboard under test: the real Flask app (Flask's test client) on a real migrated
session database (`db_engine`: SQLite and PostgreSQL), the real services, a clock the test moves,
and a cheap argon2 hasher (the real one takes 0.2 s per sign-in)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from werkzeug.test import TestResponse

from bot.dashboard.app import create_app
from bot.dashboard.auth import Passwords, StaffAuth
from bot.dashboard.telegram import TelegramLink
from bot.db import clients, sessions
from bot.db.engine import unit_of_work
from bot.db.models import DEFAULT_TIMEZONE, AuditEntry
from bot.db.status import AuditAction
from bot.services import Services
from bot.services.types import ProfileAnswers
from bot.settings import Settings
from tests.support.clock import Clock
from tests.support.telegram_fixtures import no_internet  # noqa: F401 (fixture)

# Monday 2 June 2025, 10:00 in Duluth (America/Chicago).
NOW = datetime(2025, 6, 2, 15, 0, tzinfo=timezone.utc)
STAFF, PASSWORD = "Sue Lee", "a long and careful passphrase"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture(scope="session")
def passwords() -> Passwords:
    return Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def services(db_engine: Engine, clock: Clock) -> Services:
    return Services.over(db_engine, clock)


@pytest.fixture
def settings() -> Settings:
    return Settings(telegram_bot_username="DuluthBoneCoachBot")


def make_app(engine: Engine, clock: Clock, passwords: Passwords, settings: Settings, tracker: Path,
             telegram: TelegramLink | None = None) -> Flask:
    app = create_app(settings, engine=engine, clock=clock, passwords=passwords, telegram=telegram,
                     tracker_url=f"sqlite:///{tracker}", report_max_age=timedelta(0))
    app.testing = True
    return app


@pytest.fixture
def app(db_engine: Engine, clock: Clock, passwords: Passwords, settings: Settings, tmp_path: Path) -> Flask:
    StaffAuth(db_engine, clock, passwords).add_staff(STAFF, PASSWORD, "test")
    return make_app(db_engine, clock, passwords, settings, tmp_path / "rasa_tracker.db")


class Browser:
    """A staff member's browser: the test client, signing in through the form, and sending each
    POST with the CSRF token of the page it came from (as a browser would)."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.token: str | None = None

    def login(self, name: str = STAFF, password: str = PASSWORD, address: str = "127.0.0.1") -> TestResponse:
        page = self.client.get("/login", environ_base={"REMOTE_ADDR": address})
        token = CSRF.search(page.text).group(1)
        return self.client.post("/login", data={"csrf_token": token, "username": name, "password": password},
                                environ_base={"REMOTE_ADDR": address})

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        response = self.client.get(path, **kwargs)
        found = CSRF.search(response.text) if response.mimetype == "text/html" else None
        if found:
            self.token = found.group(1)
        return response

    def post(self, path: str, data: dict[str, str] | None = None, **kwargs: Any) -> TestResponse:
        if self.token is None:
            self.get("/today")
        return self.client.post(path, data={"csrf_token": self.token or "", **(data or {})}, **kwargs)


@pytest.fixture
def browser(app: Flask) -> Iterator[Browser]:
    with app.test_client() as client:
        browser = Browser(client)
        assert browser.login().status_code == 303
        yield browser


def enrol(services: Services, chat_id: int, name: str, **answers: Any) -> int:
    """An active client who finished onboarding (through the service, as the action does);
    returns their row id (the dashboard's pages are addressed by it)."""
    fields: dict[str, Any] = dict(
        experience="some", vertebral_fracture=False, falls_last_year=0, balance_confidence="medium",
        pain_today=1, sessions_per_week=3, training_days=(0, 2, 4), reminder_time=time(9, 0),
        equipment=frozenset({"chair", "band"}), recent_fracture=False, several_fractures=False,
        height_loss_or_curve=False,
    )
    fields.update(answers)
    services.plans.save_profile(chat_id, name, ProfileAnswers(**fields))
    return client_id(services.engine, chat_id)


def client_id(engine: Engine, chat_id: int) -> int:
    with unit_of_work(engine) as s:
        return int(clients.get_client(s, chat_id).id)


def audit_rows(engine: Engine) -> list[AuditEntry]:
    """The audit log's entries, oldest first, but for the staff account the fixture added."""
    with unit_of_work(engine) as s:
        query = select(AuditEntry).where(AuditEntry.action != AuditAction.STAFF_ADDED).order_by(AuditEntry.id)
        return list(s.execute(query).scalars())


def seed_clinic(services: Services, clock: Clock, engine: Engine, chats: tuple[int, int, int, int]) -> dict[str, int]:
    """Four clients who joined five weeks ago and train Monday, Wednesday, Friday: Ada did every
    session (pain 1), Bea none and has a red flag, Cy trained until last week (pain 6: adherence
    dropping), Dee, at very high risk (two fractures), did every other one. Their row ids by name."""
    ada_chat, bea_chat, cy_chat, dee_chat = chats
    clock.advance(days=-35)
    for chat, name in ((ada_chat, "Ada Quill"), (bea_chat, "Bea Marsh"), (cy_chat, "Cy Lund")):
        enrol(services, chat, name)
    enrol(services, dee_chat, "Dee Stone", several_fractures=True)
    clock.advance(days=35)
    today = clock().astimezone(ZoneInfo(DEFAULT_TIMEZONE)).date()
    with unit_of_work(engine) as s:
        ada, cy, dee = (clients.get_client(s, chat) for chat in (ada_chat, cy_chat, dee_chat))
        days = [today - timedelta(days=n) for n in range(1, 29)]
        training = [day for day in days if day.weekday() in (0, 2, 4)]
        for i, day in enumerate(training):
            sessions.record_checkin(s, ada, day, "done", rpe=5, pain=1, now=clock())
            if day < today - timedelta(days=7):
                sessions.record_checkin(s, cy, day, "done", rpe=6, pain=6, now=clock())
            if i % 2:
                sessions.record_checkin(s, dee, day, "done", rpe=5, now=clock())
    services.safety.record_red_flag(bea_chat, "I fell off a chair")
    return {name: client_id(engine, chat) for name, chat in zip(("Ada", "Bea", "Cy", "Dee"), chats, strict=True)}

