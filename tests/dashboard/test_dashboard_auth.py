"""Only signed-in staff see anything: sign-in with argon2 passwords, sessions kept (as a hash) in
the database and ended by signing out, lock-out after repeated failures, CSRF on every form."""

from __future__ import annotations

import hashlib

import pytest
from flask import Flask, url_for
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.dashboard.app import SECURE_SESSION_COOKIE, SESSION_COOKIE
from bot.dashboard.auth import Passwords, StaffAuth
from bot.db.engine import unit_of_work
from bot.db.models import LoginAttempt, StaffAccount, StaffSession
from bot.settings import Settings
from tests.dashboard.conftest import PASSWORD, STAFF, Browser, Clock, make_app


def urls(app: Flask, methods: set[str]) -> list[tuple[str, str]]:
    """(method, URL) of every route of the app but the static files and the sign-in page, each
    number in it 1: a page added later is checked without anyone listing it."""
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint in ("static", "auth.login"):
                continue
            path = url_for(rule.endpoint, **{name: 1 for name in rule.arguments})
            found += [(method, path) for method in sorted((rule.methods or set()) & methods)]
    return found


def session_cookie(browser: Browser) -> str:
    cookie = browser.client.get_cookie(SESSION_COOKIE)
    assert cookie is not None
    return cookie.value


def test_the_right_password_opens_a_session_whose_token_is_stored_only_as_a_hash(
    app: Flask, db_engine: Engine
) -> None:
    with app.test_client() as client:
        response = Browser(client).login()
        assert response.status_code == 303 and response.headers["Location"].endswith("/today")
        set_cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(SESSION_COOKIE))
        assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie and "Secure" not in set_cookie
        token = client.get_cookie(SESSION_COOKIE).value
        page = client.get("/today")
        assert page.status_code == 200 and f"Signed in as {STAFF}" in page.text
    with unit_of_work(db_engine) as s:
        [stored] = s.execute(select(StaffSession)).scalars()
        account = s.execute(select(StaffAccount)).scalar_one()
    assert stored.token_sha256 == hashlib.sha256(token.encode()).hexdigest() != token
    assert account.password_hash.startswith("$argon2id$") and PASSWORD not in account.password_hash


def test_a_wrong_password_or_an_unknown_name_gets_no_session(app: Flask) -> None:
    with app.test_client() as client:
        for name, password in ((STAFF, "not the password"), ("Nobody", PASSWORD)):
            response = Browser(client).login(name, password)
            assert response.status_code == 401
            assert "That name and password did not match" in response.text
            assert client.get_cookie(SESSION_COOKIE) is None
        assert client.get("/today").status_code == 303


def test_five_failures_lock_the_account_for_fifteen_minutes(app: Flask, clock: Clock) -> None:
    with app.test_client() as client:
        browser = Browser(client)
        for _ in range(4):
            assert browser.login(password="guess").status_code == 401
        fifth = browser.login(password="guess")
        assert fifth.status_code == 429 and "signing in is paused until" in fifth.text
        refused = browser.login()  # the right password, but locked
        assert refused.status_code == 429 and client.get_cookie(SESSION_COOKIE) is None
        clock.advance(minutes=14)
        assert browser.login().status_code == 429
        clock.advance(minutes=1, seconds=1)
        assert browser.login().status_code == 303  # the lock ended when it said, and the tries during it did not count


def test_one_address_trying_many_names_is_locked_out_too(app: Flask, db_engine: Engine) -> None:
    with app.test_client() as client:
        browser = Browser(client)
        for n in range(20):
            assert browser.login(f"guess-{n}", "guess", address="203.0.113.9").status_code in (401, 429)
        assert browser.login(address="203.0.113.9").status_code == 429
        assert browser.login(address="198.51.100.7").status_code == 303  # another address is not locked
    with unit_of_work(db_engine) as s:
        attempts = s.execute(select(LoginAttempt.address, LoginAttempt.succeeded)).all()
    assert (("198.51.100.7", True)) in attempts and sum(1 for a in attempts if a[0] == "203.0.113.9") == 20


def test_a_successful_sign_in_starts_the_failure_count_again(app: Flask) -> None:
    with app.test_client() as client:
        browser = Browser(client)
        for _ in range(4):
            browser.login(password="guess")
        assert browser.login().status_code == 303
        client.delete_cookie(SESSION_COOKIE)
        for _ in range(4):
            assert browser.login(password="guess").status_code == 401
        assert browser.login().status_code == 303


def test_every_page_without_a_session_redirects_to_sign_in(app: Flask) -> None:
    checked = urls(app, {"GET", "POST"})
    assert {path for _, path in checked} >= {"/today", "/clients", "/clients/1", "/audit", "/invites"}
    with app.test_client() as client:
        for method, path in checked:
            response = client.open(path, method=method)
            assert response.status_code in (302, 303), (method, path)
            assert response.headers["Location"].endswith("/login"), (method, path)


def test_a_post_without_a_valid_csrf_token_is_refused(browser: Browser, app: Flask) -> None:
    posts = urls(app, {"POST"})
    assert ("POST", "/logout") in posts and ("POST", "/clients/1/flags") in posts
    for _, path in posts:
        assert browser.client.post(path, data={"reason": "x"}).status_code == 403, path
        assert browser.client.post(path, data={"csrf_token": "forged"}).status_code == 403, path
    assert browser.get("/today").status_code == 200  # still signed in: nothing was done
    with app.test_client() as stranger:
        response = stranger.post("/login", data={"username": STAFF, "password": PASSWORD})
        assert response.status_code == 403 and stranger.get_cookie(SESSION_COOKIE) is None


def test_signing_out_ends_the_session_for_every_copy_of_the_cookie(browser: Browser, app: Flask) -> None:
    token = session_cookie(browser)
    response = browser.post("/logout")
    assert response.status_code == 303 and "/login" in response.headers["Location"]
    with app.test_client() as thief:
        thief.set_cookie(SESSION_COOKIE, token)
        assert thief.get("/today").status_code == 303
    browser.client.set_cookie(SESSION_COOKIE, token)
    assert browser.client.get("/clients").status_code == 303


def test_a_session_ends_after_an_hour_without_a_page_and_after_twelve_hours_at_most(
    browser: Browser, clock: Clock
) -> None:
    clock.advance(minutes=59)
    assert browser.get("/today").status_code == 200
    for _ in range(11):  # busy all day: every 59 minutes a page
        clock.advance(minutes=59)
        assert browser.get("/today").status_code == 200
    clock.advance(minutes=59)  # past 12 hours since signing in
    assert browser.get("/today").status_code == 303
    assert browser.login().status_code == 303
    clock.advance(minutes=61)
    assert browser.get("/today").status_code == 303


def test_secure_cookies_when_configured(db_engine: Engine, clock: Clock, passwords: Passwords, tmp_path) -> None:
    StaffAuth(db_engine, clock, passwords).add_staff(STAFF, PASSWORD, "test")
    app = make_app(db_engine, clock, passwords, Settings(dashboard_secure_cookies=True), tmp_path / "t.db")
    with app.test_client() as client:
        response = Browser(client).login()
        set_cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(SECURE_SESSION_COOKIE))
        assert "Secure" in set_cookie and "HttpOnly" in set_cookie and "Path=/" in set_cookie


@pytest.mark.parametrize("path", ["/today", "/login"])
def test_pages_are_not_cached_framed_or_open_to_other_scripts(app: Flask, path: str) -> None:
    with app.test_client() as client:
        Browser(client).login()
        response = client.get(path, follow_redirects=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_removing_an_account_signs_it_out_everywhere(browser: Browser, db_engine: Engine, clock: Clock,
                                                     passwords: Passwords) -> None:
    assert StaffAuth(db_engine, clock, passwords).remove_staff(STAFF, "test")
    assert browser.client.get("/today").status_code == 303
    with unit_of_work(db_engine) as s:
        assert s.execute(select(StaffSession)).first() is None
