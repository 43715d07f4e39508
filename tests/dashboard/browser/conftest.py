"""The dashboard in a real browser: headless Chromium (Debian's package, driven by Playwright's sync
API) against the app served by waitress in a thread, on a fresh migrated SQLite database per test.

One browser per test module (`chromium`; why not per session: its docstring), a new context per
test (`page`: no cookie or cache carried over). Without /usr/bin/chromium the tests fail under
CI=true, where the browser must be there, and are skipped elsewhere with a loud line at the end
of the run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy.engine import Engine

from bot.dashboard.auth import Passwords, StaffAuth
from bot.dashboard.server import DashboardServer, serve
from bot.db.engine import make_engine
from bot.services import Services
from bot.settings import Settings
from tests.dashboard.browser.chromium import CHROMIUM, VIEWPORT, launch
from tests.dashboard.conftest import PASSWORD, STAFF, Clock, make_app
from tests.support.databases import migrated_sqlite

TIMEOUT_MS = 10_000  # any single wait; pages answer in milliseconds
_not_run: list[str] = []


def _browser_missing(message: str) -> NoReturn:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}; CI must run the browser tests (docs/DASHBOARD.md, 'Browser tests')", pytrace=False)
    _not_run.append(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """One browser per test module, not per session: while Playwright's sync API is started, its
    event loop counts as running in this thread, so every later asyncio.run() here (the
    dashboard's TelegramLink under Flask's test client, other packages' async tests) would fail
    with "cannot be called from a running event loop". A launch costs under a second."""
    if not CHROMIUM.exists():
        _browser_missing(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A fresh migrated SQLite session database (a copy of one migrated once per process)."""
    engine = make_engine(migrated_sqlite(tmp_path))
    yield engine
    engine.dispose()


@pytest.fixture
def services(engine: Engine, clock: Clock) -> Services:
    return Services.over(engine, clock)


@pytest.fixture
def server(engine: Engine, clock: Clock, passwords: Passwords, settings: Settings,
           tmp_path: Path) -> Iterator[DashboardServer]:
    """The dashboard served by waitress on a free loopback port, with one staff account."""
    StaffAuth(engine, clock, passwords).add_staff(STAFF, PASSWORD, "test")
    with serve(make_app(engine, clock, passwords, settings, tmp_path / "rasa_tracker.db"), "127.0.0.1", 0) as running:
        yield running


def new_page(chromium: Browser, base_url: str) -> Page:
    context = chromium.new_context(base_url=base_url, viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


@pytest.fixture
def page(chromium: Browser, server: DashboardServer) -> Iterator[Page]:
    """A new browser context (no cookies yet) on the served dashboard."""
    page = new_page(chromium, server.url)
    yield page
    page.context.close()


def sign_in(page: Page, name: str = STAFF, password: str = PASSWORD) -> None:
    """Through the sign-in form, as staff do."""
    page.goto("/login")
    page.fill("#username", name)
    page.fill("#password", password)
    page.click("#login-button")


@pytest.fixture
def signed_in(page: Page) -> Page:
    sign_in(page)
    page.wait_for_url("**/today")
    return page


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _not_run:
        terminalreporter.write_sep("!", "Dashboard browser tests DID NOT RUN", red=True, bold=True)
        terminalreporter.write_line(_not_run[0], red=True)
        terminalreporter.write_line("Install Chromium (apt-get install chromium) or run under CI=true to require it.",
                                    red=True)
