"""A red flag from the chat to the clinic and back, end to end: a client tells the real stack (Rasa
and the action server, Telegram long-polling the fake Bot API) about a fall; the dashboard, served
on the stack's own database, shows it on Today within 2 s of the coach's reply; staff press
"Cleared to exercise"; the client hears it on Telegram, and their next /today is a plan again.

Slow (the shared `telegram_stack` needs the trained model); its chats: DASHBOARD_CHATS."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.coach_desk.texts import coach_texts
from bot.dashboard.app import create_app
from bot.dashboard.auth import Passwords, StaffAuth
from bot.dashboard.content import texts
from bot.dashboard.server import DashboardServer, serve
from bot.db.engine import make_engine
from bot.services.context import utc_now
from bot.settings import Settings
from bot.stack import Stack
from tests.dashboard.browser.conftest import new_page, sign_in
from tests.dashboard.conftest import PASSWORD, STAFF, client_id
from tests.support.fake_telegram import FakeTelegramThread
from tests.support.stacks import DASHBOARD_CHATS
from tests.support.telegram_stack import TelegramUser, seed_profile
from tests.support.waiting import wait_until

FALL = "I slipped on the ice and heard a crack in my hip, cant stand on it"
SHOWN_WITHIN = 2.0  # seconds from the coach's reply to the red flag on Today


@pytest.fixture
def stack_dashboard(telegram_stack: Stack, telegram_fake: FakeTelegramThread,
                    passwords: Passwords) -> Iterator[DashboardServer]:
    """The dashboard in-process on the stack's database, telling cleared clients through the fake."""
    url = telegram_stack.config.database_url
    engine = make_engine(url)
    StaffAuth(engine, utc_now, passwords).add_staff(STAFF, PASSWORD, "test")
    settings = Settings(database_url=url, telegram_bot_token=telegram_fake.token,
                        telegram_api_base_url=telegram_fake.base_url, telegram_bot_username="DuluthBoneCoachBot")
    try:
        with serve(create_app(settings, engine=engine, passwords=passwords), "127.0.0.1", 0) as server:
            yield server
    finally:
        engine.dispose()


@pytest.fixture
def staff_page(chromium: Browser, stack_dashboard: DashboardServer) -> Iterator[Page]:
    page = new_page(chromium, stack_dashboard.url)
    sign_in(page)
    page.wait_for_url("**/today")
    yield page
    page.context.close()


def test_a_red_flag_in_the_chat_reaches_today_and_clearing_it_reaches_the_client(
    telegram_stack: Stack, telegram_fake: FakeTelegramThread, staff_page: Page,
    record_property: Callable[[str, object], None],
) -> None:
    chat = DASHBOARD_CHATS[0]
    url = telegram_stack.config.database_url
    seed_profile(url, chat, "Marit Halvorsen")  # onboarded, by the coaching service itself
    engine = make_engine(url)
    try:
        client = client_id(engine, chat)
    finally:
        engine.dispose()
    marit = TelegramUser(telegram_fake, chat, first_name="Marit")
    page = staff_page
    case = page.locator(f"#red-flag-{client}")
    expect(case).to_have_count(0)

    red = marit.say(FALL)
    assert re.search(r"(?i)stop exercising", red.text), red.calls
    replied_at = max(call["at"] for call in red.ok("sendMessage"))  # the fake's time.monotonic()
    while True:  # staff reload Today (the pages have no script to do it for them)
        page.goto("/today")
        if case.count() or time.monotonic() - replied_at > SHOWN_WITHIN:
            break
    shown_after = time.monotonic() - replied_at
    record_property("red_flag_on_today_seconds", round(shown_after, 3))
    print(f"red flag on Today {shown_after:.3f} s after the coach's reply")
    expect(case).to_be_visible()
    assert shown_after < SHOWN_WITHIN, shown_after
    expect(case.get_by_role("link", name="Marit Halvorsen")).to_be_visible()
    expect(case).to_contain_text("slipped on the ice")

    page.click(f"#cleared-{client}")
    expect(page.locator('[data-testid="notice-cleared"]')).to_have_text(texts()["notices"]["cleared"])
    expect(case).to_have_count(0)
    cleared = coach_texts()["client"]["cleared"]
    wait_until(lambda: cleared in telegram_fake.texts_to(chat), timeout=10, what="the client told they are cleared")
    assert telegram_fake.texts_to(chat).count(cleared) == 1

    later = marit.command("today")
    assert not re.search(r"(?i)no exercise|stop exercising", later.text), later.calls
    assert re.search(r"(?m)^1\. ", later.text), later.text  # numbered exercises: a plan again
