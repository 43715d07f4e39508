"""`python -m bot.coach_desk`, the safety-net loop, as the clinic runs it: a separate process
that finds missed sessions and delivers whatever alerts are waiting, once."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bot.db.engine import ensure_schema, make_engine
from bot.services import Services
from bot.settings import REPO_ROOT
from bot.stack import Stack, StackConfig
from tests.coach_desk.conftest import COACH_CHAT
from tests.coach_desk.seeding import EVERY_DAY, enrol
from tests.support.fake_telegram import FakeTelegram

RUTH, OTTO = 4_400_000_001, 4_400_000_002


async def _run_desk(fake: FakeTelegram, database_url: str, **env: str) -> tuple[int, str]:
    environment = {**os.environ, "DATABASE_URL": database_url, "TELEGRAM_BOT_TOKEN": fake.token,
                   "TELEGRAM_API_BASE_URL": fake.base_url, "COACH_CHAT_ID": str(COACH_CHAT), **env}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.coach_desk", "--once", cwd=REPO_ROOT, env=environment,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    return process.returncode or 0, output.decode()


async def test_the_loop_delivers_waiting_alerts_and_missed_sessions_once(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'bone_coach.db'}"
    engine = make_engine(url)
    ensure_schema(engine)
    joined = datetime.now(timezone.utc) - timedelta(days=20)
    enrol(engine, RUTH, "Ruth", joined)
    enrol(engine, OTTO, "Otto", joined, EVERY_DAY)
    Services.over(engine).safety.record_red_flag(RUTH, "I fell on the ice")  # the channel failed to send it
    engine.dispose()

    code, output = await _run_desk(fake, url)
    assert code == 0, output
    texts = fake.texts_to(COACH_CHAT)
    assert len(texts) == 2
    assert "RED FLAG" in texts[0] and f"(chat {RUTH})" in texts[0]
    assert "Missed planned sessions" in texts[1] and f"(chat {OTTO})" in texts[1]
    # No client's words or health details in the process's log.
    assert "ice" not in output and "Missed" not in output

    code, output = await _run_desk(fake, url)
    assert code == 0, output
    assert len(fake.texts_to(COACH_CHAT)) == 2


async def test_the_loop_refuses_to_start_without_a_coach_chat(fake: FakeTelegram, tmp_path: Path) -> None:
    code, output = await _run_desk(fake, f"sqlite:///{tmp_path / 'bone_coach.db'}", COACH_CHAT_ID="")
    assert code == 2
    assert "COACH_CHAT_ID" in output


async def test_the_stack_runs_the_loop_beside_the_servers_and_stops_it_cleanly(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    """What `bin/run` starts with Telegram and COACH_CHAT_ID: the loop keeps running, delivers
    an alert that appears while it runs, and ends on SIGTERM."""
    url = f"sqlite:///{tmp_path / 'bone_coach.db'}"
    engine = make_engine(url)
    ensure_schema(engine)
    enrol(engine, RUTH, "Ruth", datetime.now(timezone.utc) - timedelta(days=3))
    stack = Stack(StackConfig(database_url=url, run_dir=tmp_path / "run", env={
        "TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": fake.base_url,
        "COACH_CHAT_ID": str(COACH_CHAT)}))
    stack.start_coach_desk()
    try:
        await fake.wait_for("getMe", timeout=60)  # the loop is up (it checks the token first)
        # e.g. the channel's send failed
        Services.over(engine).safety.record_red_flag(RUTH, "sharp new pain in my back")
        await fake.wait_for("sendMessage", chat_id=COACH_CHAT, timeout=60)
        assert "RED FLAG" in fake.texts_to(COACH_CHAT)[0]
        desk = stack.procs["coach_desk"]
        assert desk.poll() is None  # a loop, not a one-off
    finally:
        stack.stop()
    assert desk.returncode == 0
    engine.dispose()
