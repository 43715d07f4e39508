"""The staff dashboard under test: the real Flask app (Flask's test client) on a real migrated
session database (`db_engine`: SQLite and PostgreSQL), the real services, a clock the test moves,
and a cheap argon2 hasher (the real one takes 0.2 s per sign-in)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

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
from bot.db import clients
from bot.db.engine import unit_of_work
from bot.db.models import AuditEntry
from bot.db.status import AuditAction
from bot.services import Services
from bot.services.types import ProfileAnswers
from bot.settings import Settings
from tests.support.telegram_fixtures import no_internet  # noqa: F401 (fixture)

# Monday 2 June 2025, 10:00 in Duluth (America/Chicago).
NOW = datetime(2025, 6, 2, 15, 0, tzinfo=timezone.utc)
STAFF, PASSWORD = "Sue Lee", "a long and careful passphrase"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


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
