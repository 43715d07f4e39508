"""`bone-coach invite create` prints the bot's real deep link, its name asked of Telegram
(getMe on the fake Bot API), and says how to get it when no token is set."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.support.fake_telegram import FakeTelegramThread

REPO_ROOT = Path(__file__).resolve().parents[2]
BONE_COACH = REPO_ROOT / ".venv" / "bin" / "bone-coach"


def invite(database: Path, **env: str) -> list[str]:
    done = subprocess.run(
        [str(BONE_COACH), "invite", "create", "--by", "Sue"], cwd=REPO_ROOT, capture_output=True,
        text=True, timeout=120,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{database}", "TELEGRAM_BOT_TOKEN": "",
             **env})
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_the_invite_link_names_the_bot_telegram_knows(tmp_path: Path) -> None:
    with FakeTelegramThread() as fake:
        code, link = invite(tmp_path / "coach.db", TELEGRAM_BOT_TOKEN=fake.token,
                            TELEGRAM_API_BASE_URL=fake.base_url)
        username = fake.fake.bot_username
    assert link == f"Link for the client: https://t.me/{username}?start={code}"


def test_without_a_token_the_link_is_a_template_and_the_code_still_works(tmp_path: Path) -> None:
    code, link, hint = invite(tmp_path / "coach.db")
    assert "<bot username>" in link and f"/start {code}" in hint
