"""`bone-coach staff add|list|remove` (the password from stdin when it is not a terminal), and the
dashboard served by waitress in a thread: the way `bone-coach dashboard` and browser tests run it."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from bot.dashboard.auth import StaffAuth
from bot.dashboard.server import serve
from bot.db.engine import make_engine, unit_of_work
from bot.db.models import AuditEntry
from bot.settings import REPO_ROOT, Settings

BONE_COACH = Path(sys.executable).with_name("bone-coach")


def bone_coach(database: Path, *args: str, stdin: str = "", expect: int = 0) -> str:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    done = subprocess.run([str(BONE_COACH), *args], cwd=REPO_ROOT, env=env, input=stdin, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == expect, done.stdout + done.stderr
    return done.stdout + done.stderr


def test_staff_accounts_are_added_with_a_password_from_stdin_listed_and_removed(tmp_path: Path) -> None:
    database = tmp_path / "bone_coach.db"
    out = bone_coach(database, "staff", "add", "Sue Lee", stdin="a long and careful passphrase\n")
    assert "Staff account 'Sue Lee' added" in out
    assert "already a staff account" in bone_coach(database, "staff", "add", "Sue Lee", stdin="another long one!\n",
                                                   expect=1)
    assert "at least 12 characters" in bone_coach(database, "staff", "add", "Tom", stdin="short\n", expect=1)
    listed = bone_coach(database, "staff", "list")
    assert "Sue Lee" in listed and "Tom" not in listed

    engine = make_engine(f"sqlite:///{database}")
    auth = StaffAuth(engine, lambda: datetime.now(timezone.utc))
    assert auth.sign_in("Sue Lee", "a long and careful passphrase", "127.0.0.1").ok
    assert not auth.sign_in("Sue Lee", "a long and careful passphrase\n", "127.0.0.1").ok

    assert "removed" in bone_coach(database, "staff", "remove", "Sue Lee")
    assert "no staff account" in bone_coach(database, "staff", "remove", "Sue Lee", expect=1)
    assert not auth.sign_in("Sue Lee", "a long and careful passphrase", "127.0.0.1").ok
    with unit_of_work(engine) as s:
        actions = [(e.action, e.staff) for e in s.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()]
    assert actions == [("staff_added", "command line"), ("staff_removed", "command line")]
    engine.dispose()


def test_the_dashboard_serves_from_a_thread_and_stops(app: Flask) -> None:
    with serve(app, "127.0.0.1", 0) as server:
        assert server.port > 0
        with urllib.request.urlopen(f"{server.url}/login", timeout=5) as response:
            assert response.status == 200 and b'id="login-form"' in response.read()
    try:
        urllib.request.urlopen(f"{server.url}/login", timeout=2)
    except OSError:
        pass
    else:
        raise AssertionError("still serving after stop()")


def test_dashboard_settings_are_read_and_checked() -> None:
    assert Settings.from_env({}).dashboard_host == "127.0.0.1" and Settings.from_env({}).dashboard_port == 8080
    settings = Settings.from_env({"DASHBOARD_ENABLED": "yes", "DASHBOARD_PORT": "9090", "DASHBOARD_HOST": "0.0.0.0",
                                  "DASHBOARD_SECURE_COOKIES": "1", "DASHBOARD_TRUSTED_PROXIES": "1",
                                  "TELEGRAM_BOT_USERNAME": "@DuluthBoneCoachBot"})
    assert (settings.dashboard_enabled, settings.dashboard_port, settings.dashboard_host) == (True, 9090, "0.0.0.0")
    assert settings.dashboard_secure_cookies and settings.dashboard_trusted_proxies == 1
    assert settings.telegram_bot_username == "DuluthBoneCoachBot"
    for env, name in (({"DASHBOARD_PORT": "eighty"}, "DASHBOARD_PORT"), ({"DASHBOARD_PORT": "70000"}, "DASHBOARD_PORT"),
                      ({"DASHBOARD_SECURE_COOKIES": "maybe"}, "DASHBOARD_SECURE_COOKIES")):
        try:
            Settings.from_env(env)
        except ValueError as exc:
            assert name in str(exc)
        else:
            raise AssertionError(env)
