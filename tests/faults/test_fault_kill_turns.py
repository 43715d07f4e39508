"""Twenty SIGKILLs at instants drawn at random (seeded) from every step of a turn — the claim
commit, the "Rasa" turn before and after its action call and tracker save, the recording of the
replies, and before, inside and after each sendMessage — each followed by a fresh process.

What the client saw must be: every message answered, in order, with the replies decided for it
(none answered twice with different content, none skipped), and the conversation numbered on
without a gap (no message handled twice by the tracker). The one allowed repeat is the message
that Telegram accepted in the instant before the kill (handler.py: "exactly once").
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.db import invites
from bot.db.engine import ensure_schema, make_engine, unit_of_work
from bot.db.models import ProcessedUpdate
from tests.faults.turn_worker import POINTS, reply_texts
from tests.support import fake_telegram as tg
from tests.support.fake_telegram import FakeTelegramThread

ROOT = Path(__file__).resolve().parents[2]
CHAT = 7_600_001
KILLS = 20
SEED = 2026
TURN_DEADLINE = 120.0  # seconds for a fresh process to finish a turn on a loaded 2-core machine


def kill_plan() -> list[tuple[str, int]]:
    """Every point at least once, the rest at random; `n` picks which time it is reached (a turn
    sends several messages, and a restarted process first finishes the killed turn)."""
    rng = random.Random(SEED)
    points = [*POINTS, *(rng.choice(POINTS) for _ in range(KILLS - len(POINTS)))]
    rng.shuffle(points)
    return [(point, rng.randint(1, 2)) for point in points]


class Workers:
    def __init__(self, folder: Path, fake: FakeTelegramThread) -> None:
        self.folder = folder
        self.database_url = f"sqlite:///{folder / 'coach.db'}"
        self.env = {**os.environ, "DATABASE_URL": self.database_url,
                    "TRACKER_DB": str(folder / "tracker.db"), "TELEGRAM_BOT_TOKEN": fake.token,
                    "TELEGRAM_API_BASE_URL": fake.base_url, "ALLOWED_CHAT_IDS": "",
                    "PYTHONPATH": str(ROOT)}
        self.started = 0

    def start(self, kill_at: str = "") -> subprocess.Popen[bytes]:
        self.started += 1
        log = (self.folder / f"worker{self.started}.log").open("wb")
        return subprocess.Popen([sys.executable, "-m", "tests.faults.turn_worker"], cwd=ROOT,
                                env={**self.env, "KILL_AT": kill_at}, stdout=log,
                                stderr=subprocess.STDOUT)


@pytest.fixture
def fake() -> Iterator[FakeTelegramThread]:
    with FakeTelegramThread() as server:
        yield server


def turns_done(engine: Engine) -> int:
    with unit_of_work(engine) as s:
        states = s.execute(select(ProcessedUpdate.state)).scalars().all()
    return sum(state == "done" for state in states)


def wait(predicate, timeout: float) -> bool:  # noqa: ANN001 (a lambda)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def test_twenty_kills_at_random_instants_lose_nothing_and_repeat_nothing_new(
    tmp_path: Path, fake: FakeTelegramThread
) -> None:
    workers = Workers(tmp_path, fake)
    engine = make_engine(workers.database_url)
    ensure_schema(engine)
    with unit_of_work(engine) as s:
        invites.allow_chat(s, CHAT, "fault test", datetime.now(timezone.utc))
    plan = kill_plan()
    expected: list[str] = []
    killed_by: Counter[str] = Counter()

    for number, (point, nth) in enumerate(plan, start=1):
        text = f"message {number}"
        expected += reply_texts(number, text)
        worker = workers.start(f"{point}:{nth}")
        fake.queue_update(tg.text_message(CHAT, text))
        # Either it dies at its instant, or it finishes every turn and is killed between turns.
        # "Between turns" means every turn record is done: a kill after a reply reached Telegram
        # but before it was marked is `sent_not_marked`, which a fixed timeout on a loaded machine
        # (CI, two test workers and their stacks) once hit and counted as a repeat nobody allowed.
        wait(lambda w=worker, n=number: w.poll() is not None or turns_done(engine) >= n,
             timeout=TURN_DEADLINE)
        if worker.poll() is None:
            assert turns_done(engine) >= number, f"message {number}: no kill at {point} and no answer"
            worker.kill()
            killed_by["between turns"] += 1
        else:
            killed_by[point] += 1
        worker.wait(timeout=10)
        assert worker.returncode == -9, (point, (tmp_path / f"worker{workers.started}.log").read_text())

    last = workers.start()
    try:
        assert wait(lambda: set(expected) <= set(fake.texts_to(CHAT)), timeout=TURN_DEADLINE), (
            fake.texts_to(CHAT), killed_by)
    finally:
        last.terminate()
        last.wait(timeout=30)

    seen = fake.texts_to(CHAT)
    assert set(seen) == set(expected), "a reply with content no turn decided"
    first_seen = sorted(set(seen), key=seen.index)
    assert first_seen == expected, "answered out of order, or a message numbered twice"
    repeats = sum(seen.count(t) - 1 for t in set(seen))
    assert repeats <= killed_by["sent_not_marked"], (repeats, killed_by)
    with unit_of_work(engine) as s:
        states = s.execute(select(ProcessedUpdate.state, ProcessedUpdate.update_json)).all()
    assert states and all(state == "done" and kept is None for state, kept in states)
    assert sum(killed_by.values()) == KILLS
    assert len(killed_by) > 5, killed_by  # the kills did land at many different instants
    logs = "".join(p.read_text() for p in tmp_path.glob("worker*.log"))
    assert logs.count("Taking over unfinished update") >= 5  # orphans finished at start-up
