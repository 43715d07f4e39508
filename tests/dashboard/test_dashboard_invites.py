"""Invites: a new code is one click (audited), shown with its Telegram deep link and a QR code to
print; without the bot's name the page says what to set instead of printing a broken link."""

from __future__ import annotations

import json
import re
from pathlib import Path

import segno
from sqlalchemy.engine import Engine

from bot.dashboard.auth import Passwords, StaffAuth
from bot.dashboard.telegram import TelegramLink
from bot.db import invites
from bot.db.engine import unit_of_work
from bot.db.status import AuditAction
from bot.settings import Settings
from tests.dashboard.conftest import PASSWORD, STAFF, Browser, Clock, audit_rows, make_app
from tests.support.fake_telegram import FakeTelegramThread


def test_a_new_invite_is_audited_and_shown_with_its_deep_link_and_qr_code(browser: Browser, db_engine: Engine
                                                                          ) -> None:
    response = browser.post("/invites")
    assert response.status_code == 303 and "done=created" in response.headers["Location"]
    page = browser.get(response.headers["Location"]).text
    [code] = re.findall(r'data-testid="invite-code">([A-Z0-9]+)<', page)
    assert f"https://t.me/DuluthBoneCoachBot?start={code}" in page
    assert 'data-testid="invite-qr"><svg' in page
    with unit_of_work(db_engine) as s:
        stored = invites.invite_by_code(s, code)
        assert stored is not None and stored.created_by == STAFF
    [entry] = audit_rows(db_engine)
    assert (entry.action, entry.staff, entry.client_id) == (AuditAction.INVITE_CREATED, STAFF, None)
    assert json.loads(entry.after_json) == {"code": code} and entry.before_json is None

    printable = browser.get(f"/invites/{stored.id}/print").text
    expected = segno.make(f"https://t.me/DuluthBoneCoachBot?start={code}", error="m").svg_inline(
        scale=8, dark="#000", light="#fff", omitsize=False)
    assert expected in printable and f"Your code: {code}" in printable
    assert browser.get("/invites/999999/print").status_code == 404


def test_without_the_bots_name_the_link_is_a_template_and_the_page_says_why(
    db_engine: Engine, clock: Clock, passwords: Passwords, tmp_path: Path
) -> None:
    StaffAuth(db_engine, clock, passwords).add_staff(STAFF, PASSWORD, "test")
    app = make_app(db_engine, clock, passwords, Settings(), tmp_path / "t.db")
    with app.test_client() as client:
        browser = Browser(client)
        browser.login()
        page = browser.get(browser.post("/invites").headers["Location"]).text
    assert 'data-testid="no-bot-name"' in page and "TELEGRAM_BOT_USERNAME" in page
    assert "https://t.me/&lt;bot username&gt;?start=" in page and "<svg" not in page


def test_with_a_token_the_bots_name_is_asked_of_telegram_once(
    db_engine: Engine, clock: Clock, passwords: Passwords, tmp_path: Path
) -> None:
    StaffAuth(db_engine, clock, passwords).add_staff(STAFF, PASSWORD, "test")
    with FakeTelegramThread() as fake:
        settings = Settings(telegram_bot_token=fake.token, telegram_api_base_url=fake.base_url)
        telegram = TelegramLink(settings, db_engine, clock)
        app = make_app(db_engine, clock, passwords, settings, tmp_path / "t.db", telegram)
        with app.test_client() as client:
            browser = Browser(client)
            browser.login()
            browser.post("/invites")
            first = browser.get("/invites").text
            browser.get("/invites")
        assert "https://t.me/BoneCoachTestBot?start=" in first
        assert len(fake.calls_to("getMe")) == 1
