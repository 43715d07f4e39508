"""Signing in and out in a real browser: the form, its error and the lock-out as staff see them,
forms refused without their CSRF token, every page sending a stranger to sign in, and a session
cookie worth nothing once its owner signed out."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.dashboard.app import SESSION_COOKIE
from bot.dashboard.content import dashboard_content, texts
from bot.dashboard.server import DashboardServer
from bot.db.engine import unit_of_work
from bot.db.invites import list_invites
from bot.services import Services
from tests.dashboard.browser.conftest import new_page, sign_in
from tests.dashboard.conftest import PASSWORD, STAFF, enrol

ADA = 5_600_000_001


def session_cookies(page: Page) -> list[dict[str, object]]:
    return [dict(c) for c in page.context.cookies() if c["name"] == SESSION_COOKIE]


def test_the_right_password_opens_today_and_a_wrong_one_shows_the_error(page: Page) -> None:
    sign_in(page, password="not the password")
    expect(page.locator("#login-error")).to_have_text(texts()["login"]["wrong"])
    expect(page.locator("#username")).to_have_value(STAFF)  # kept, so only the password is typed again
    assert session_cookies(page) == []

    page.fill("#password", PASSWORD)
    page.click("#login-button")
    page.wait_for_url("**/today")
    expect(page.locator("#signed-in-as")).to_have_text(texts()["nav"]["signed_in_as"].format(name=STAFF))
    expect(page.locator("h1")).to_have_text(texts()["today"]["heading"])
    [cookie] = session_cookies(page)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"


def test_the_configured_number_of_failures_locks_the_name_even_for_the_right_password(page: Page) -> None:
    failures = dashboard_content().security.account_lockout.failures
    for _ in range(failures - 1):
        sign_in(page, password="a wrong guess")
        expect(page.locator("#login-error")).to_be_visible()
    sign_in(page, password="a wrong guess")
    locked = page.locator("#login-locked")
    expect(locked).to_contain_text("signing in is paused until")
    expect(page.locator("#login-error")).to_have_count(0)

    sign_in(page)  # the right password, but the name is locked
    expect(page.locator("#login-locked")).to_be_visible()
    assert page.url.endswith("/login") and session_cookies(page) == []


def test_a_post_without_its_csrf_token_is_refused_with_403_and_changes_nothing(
    signed_in: Page, server: DashboardServer, services: Services
) -> None:
    page = signed_in
    ada = enrol(services, ADA, "Ada Quill")
    services.safety.record_red_flag(ADA, "sharp pain in my back")

    page.goto("/invites")
    page.evaluate("document.querySelector('#invite-form input[name=csrf_token]').remove()")
    with page.expect_navigation() as refused_form:
        page.click("#invite-create")
    assert refused_form.value is not None and refused_form.value.status == 403
    expect(page.locator('[data-testid="error-403"] h1')).to_have_text(texts()["errors"]["403"])
    with unit_of_work(services.engine) as s:
        assert list_invites(s) == []

    refused = page.request.post(f"{server.url}/clients/{ada}/cleared", form={"back": "today"})
    assert refused.status == 403
    forged = page.request.post(f"{server.url}/clients/{ada}/cleared", form={"csrf_token": "forged"})
    assert forged.status == 403
    page.goto("/today")  # still signed in, and the red flag still open
    expect(page.locator(f"#red-flag-{ada}")).to_be_visible()

    page.goto("/invites")
    page.click("#invite-create")  # with its token the same form works
    expect(page.locator('[data-testid="notice-created"]')).to_be_visible()


def test_the_sign_in_form_without_its_token_is_refused(page: Page) -> None:
    page.goto("/login")
    page.evaluate("document.querySelector('#login-form input[name=csrf_token]').remove()")
    page.fill("#username", STAFF)
    page.fill("#password", PASSWORD)
    with page.expect_navigation() as refused:
        page.click("#login-button")
    assert refused.value is not None and refused.value.status == 403
    expect(page.locator('[data-testid="error-403"]')).to_be_visible()
    assert session_cookies(page) == []


@pytest.mark.parametrize("path", ["/", "/today", "/clients", "/clients?sort=pain", "/clients/1",
                                  "/clients/1/chart/pain.svg", "/invites", "/invites/1/print", "/audit",
                                  "/clients.csv"])
def test_every_page_without_a_session_shows_the_sign_in_form(page: Page, path: str) -> None:
    page.goto(path)
    assert page.url.endswith("/login"), page.url
    expect(page.locator("#login-form")).to_be_visible()


def test_after_signing_out_the_old_session_cookie_is_refused(
    signed_in: Page, chromium: Browser, server: DashboardServer
) -> None:
    [cookie] = session_cookies(signed_in)
    signed_in.click("#logout-button")
    expect(signed_in.locator('[data-testid="signed-out"]')).to_have_text(texts()["login"]["signed_out"])
    assert session_cookies(signed_in) == []

    thief = new_page(chromium, server.url)
    try:
        thief.context.add_cookies([{"name": SESSION_COOKIE, "value": str(cookie["value"]), "url": server.url}])
        thief.goto("/clients")
        assert thief.url.endswith("/login")
        expect(thief.locator("#login-form")).to_be_visible()
        expect(thief.locator("#main-nav")).to_have_count(0)
    finally:
        thief.context.close()
