"""Real `python -m bot.scheduler` processes: killed with SIGKILL mid-batch and restarted, and two
running at once, on SQLite and PostgreSQL. Each client must get exactly one message (counted
on the fake Bot API), and SIGTERM must stop a scheduler cleanly."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy.engine import Engine

from bot.scheduler import load_config
from bot.stack import Stack, StackConfig
from tests.scheduler.helpers import due_now, enrol, reminders, scheduler_process, sends_per_chat
from tests.support.fake_telegram import FakeTelegramThread

CLIENTS = 300
# Short leases so a dead process's claims are taken over within the test. Two live schedulers get
# a production-like lease: a lease shorter than a busy SQLite's lock waits would let the second
# take over a reminder whose "sent" is still waiting to be written (the documented window).
FAST = ("--poll-seconds", "0.5", "--lease-seconds", "4", "--rate", "100")
SIDE_BY_SIDE = ("--poll-seconds", "0.5", "--lease-seconds", "60", "--rate", "100")


def wait_until(
    condition: Callable[[], bool], timeout: float, what: str, procs: tuple[subprocess.Popen[bytes], ...] = ()
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        for proc in procs:
            if proc.poll() is not None:
                raise AssertionError(f"scheduler exited early: {proc.args}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def delivered(fake: FakeTelegramThread) -> int:
    return sum(sends_per_chat(list(fake.fake.calls)).values())


def recorded_sent(engine: Engine) -> int:
    return sum(r.status == "sent" for r in reminders(engine))


def stop(proc: subprocess.Popen[bytes], log: Path) -> str:
    """SIGTERM, as a supervisor stops it: it must exit 0 within a few seconds; returns its log."""
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=20)
    output = log.read_text()
    assert proc.returncode == 0, output[-3000:]
    return output


def test_a_scheduler_killed_mid_batch_then_restarted_sends_each_reminder_exactly_once(
    db_engine: Engine, tmp_path: Path
) -> None:
    chats = list(range(10_000, 10_000 + CLIENTS))
    enrol(db_engine, chats, **due_now(datetime.now(timezone.utc)))
    workers = load_config().concurrency
    with FakeTelegramThread() as fake:
        first = scheduler_process(db_engine, fake, tmp_path / "first.log", *FAST)
        try:
            wait_until(lambda: delivered(fake) >= CLIENTS // 3, 90, "the first third", (first,))
            # Telegram stops answering: each worker ends up on a send that never returns, and the
            # process is killed there, with answered sends recorded and the rest of its batch unsent.
            fake.fail_next("sendMessage", workers, hang=60)
            wait_until(lambda: sum(c.status == 0 for c in list(fake.fake.calls)) >= workers, 30, "hung sends")
            wait_until(lambda: recorded_sent(db_engine) == delivered(fake), 30, "accepted sends recorded")
        finally:
            first.kill()
            first.wait()
        before = delivered(fake)
        statuses = [r.status for r in reminders(db_engine)]
        assert CLIENTS // 3 <= before < CLIENTS
        assert statuses.count("sent") == before  # every accepted send was recorded
        assert statuses.count("claimed") > 0  # claimed by the dead process, never sent

        second = scheduler_process(db_engine, fake, tmp_path / "second.log", *FAST)
        wait_until(lambda: delivered(fake) >= CLIENTS, 120, "all reminders", (second,))
        # Once every row is "sent" no claim is left to take over, so no reminder can go out again:
        # the count after the stop is final (no fixed wait of a lease plus a poll).
        wait_until(lambda: recorded_sent(db_engine) == CLIENTS, 60, "every reminder recorded as sent")
        log = stop(second, tmp_path / "second.log")
        assert sends_per_chat(list(fake.fake.calls)) == {chat: 1 for chat in chats}

    rows = reminders(db_engine)
    assert len(rows) == CLIENTS and {r.status for r in rows} == {"sent"}
    assert max(r.attempts for r in rows) >= 2, log  # the dead process's claims were taken over


def test_two_schedulers_at_once_send_each_reminder_exactly_once(db_engine: Engine, tmp_path: Path) -> None:
    chats = list(range(20_000, 20_000 + CLIENTS))
    enrol(db_engine, chats, **due_now(datetime.now(timezone.utc)))
    with FakeTelegramThread() as fake:
        logs = (tmp_path / "a.log", tmp_path / "b.log")
        procs = tuple(scheduler_process(db_engine, fake, log, *SIDE_BY_SIDE) for log in logs)
        try:
            wait_until(lambda: delivered(fake) >= CLIENTS, 120, "all reminders", procs)
            wait_until(lambda: recorded_sent(db_engine) == CLIENTS, 60, "every reminder recorded as sent")
        finally:
            outputs = [stop(proc, log) for proc, log in zip(procs, logs, strict=True)]
        assert sends_per_chat(list(fake.fake.calls)) == {chat: 1 for chat in chats}

    sent_by = [sum(int(n) for n in re.findall(r"\bsent=(\d+)", out)) for out in outputs]
    assert sum(sent_by) == CLIENTS
    assert min(sent_by) > 0, sent_by  # both really raced for the same reminders
    assert {r.status for r in reminders(db_engine)} == {"sent"}


def test_the_stack_runs_the_scheduler_next_to_rasa_and_stops_it(db_engine: Engine, tmp_path: Path) -> None:
    enrol(db_engine, [30_001], **due_now(datetime.now(timezone.utc)))
    with FakeTelegramThread() as fake:
        env = {"TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": fake.base_url}
        url = db_engine.url.render_as_string(hide_password=False)
        stack = Stack(StackConfig(database_url=url, run_dir=tmp_path, telegram=True, env=env))
        stack.start_scheduler()
        proc = stack.procs["scheduler"]
        try:
            fake.wait_for("sendMessage", chat_id=30_001, timeout=60)
        finally:
            stack.stop()
        assert proc.returncode == 0
    assert "reminder scheduler stopped" in (tmp_path / "scheduler.log").read_text()
