"""Exactly-once promises hold when many workers race (20 threads, each its own transaction)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.db import clients, invites, reminders, sessions, turns
from bot.db.engine import unit_of_work
from bot.db.models import CheckIn, Client
from bot.db.reminders import Due
from bot.db.status import ReminderKind

NOW = datetime(2025, 1, 6, 15, 0, tzinfo=timezone.utc)
DAY = date(2025, 1, 6)
WORKERS = 20
LEASE = timedelta(minutes=5)
DAILY_CAP = 3
T = TypeVar("T")


def _race(engine: Engine, work: Callable[[Session, int], T]) -> list[T]:
    """Run `work(session, worker_number)` in WORKERS threads released at the same moment."""
    start = threading.Barrier(WORKERS)
    results: list[T] = []
    errors: list[BaseException] = []

    def worker(number: int) -> None:
        try:
            start.wait(timeout=30)
            with unit_of_work(engine) as s:
                result = work(s, number)
            results.append(result)
        except BaseException as exc:  # re-raised in the test thread below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if errors:
        raise errors[0]
    assert len(results) == WORKERS
    return results


def _claim(s: Session, update_id: int, at: datetime, owner: str) -> bool:
    """A claim by `owner`, where only the owner called "dead" is gone."""
    return turns.claim(s, update_id, 42, "{}", owner, at, lambda held, _: held == "dead") is not None


def _client(engine: Engine) -> Client:
    with unit_of_work(engine) as s:
        return clients.get_or_create_client(s, 42, "Ruth", NOW)


def test_a_telegram_update_is_claimed_by_exactly_one_worker(db_engine: Engine) -> None:
    claims = _race(db_engine, lambda s, n: _claim(s, 9001, NOW, f"worker {n}"))
    assert claims.count(True) == 1


def test_a_dead_workers_claim_is_taken_over_by_exactly_one_worker(db_engine: Engine) -> None:
    with unit_of_work(db_engine) as s:
        assert _claim(s, 9002, NOW, "dead")
    claims = _race(db_engine, lambda s, n: _claim(s, 9002, NOW, f"worker {n}"))
    assert claims.count(True) == 1


def test_a_reminder_is_claimed_by_exactly_one_worker(db_engine: Engine) -> None:
    client = _client(db_engine)
    due = Due(client.id, client.chat_id, "Ruth", DAY, ReminderKind.CHECKIN, NOW)
    claims = _race(db_engine, lambda s, _: reminders.claim(s, [due], NOW, LEASE, DAILY_CAP))
    assert sum(len(won) for won in claims) == 1


def test_an_invite_code_raced_by_many_chats_enrols_exactly_one(db_engine: Engine) -> None:
    with unit_of_work(db_engine) as s:
        code = invites.create_invite(s, "coach anna", NOW)
    enrolled = _race(db_engine, lambda s, n: invites.redeem_invite(s, code, 1000 + n, "Someone", NOW))
    assert sum(client is not None for client in enrolled) == 1
    with unit_of_work(db_engine) as s:
        assert s.execute(select(func.count()).select_from(Client)).scalar_one() == 1


def test_simultaneous_checkins_from_one_message_leave_one_row(db_engine: Engine) -> None:
    # A message run through Rasa twice (a restart mid-turn) is logged once, even at the same instant.
    client = _client(db_engine)
    _race(db_engine, lambda s, n: sessions.record_checkin(s, client, DAY, "done", rpe=1 + n % 10,
                                                           source_message_id="tg-500064"))
    _race(db_engine, lambda s, _: clients.get_or_create_client(s, 43, "Bea", NOW))
    with unit_of_work(db_engine) as s:
        assert s.execute(select(func.count()).select_from(CheckIn)).scalar_one() == 1
        assert s.execute(select(func.count()).select_from(Client)).scalar_one() == 2


def _second_claim_while_first_is_uncommitted(engine: Engine, update_id: int, at: datetime) -> bool:
    """Worker A claims and holds its transaction open; worker B tries meanwhile. B must wait
    for A's commit and then see A's claim (a read-then-write claim would say True here)."""
    outcome: list[bool | BaseException] = []

    def second() -> None:
        try:
            with unit_of_work(engine) as s:
                outcome.append(_claim(s, update_id, at, "worker b"))
        except BaseException as exc:  # re-raised in the test thread below
            outcome.append(exc)

    with unit_of_work(engine) as s:
        assert _claim(s, update_id, at, "worker a")
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(timeout=0.5)
        assert thread.is_alive(), "the second worker did not wait for the first"
    thread.join(timeout=30)
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def test_a_new_update_claimed_but_not_committed_blocks_a_second_claim(db_engine: Engine) -> None:
    assert _second_claim_while_first_is_uncommitted(db_engine, 9003, NOW) is False


def test_a_takeover_not_yet_committed_blocks_a_second_one(db_engine: Engine) -> None:
    with unit_of_work(db_engine) as s:
        assert _claim(s, 9004, NOW, "dead")
    assert _second_claim_while_first_is_uncommitted(db_engine, 9004, NOW) is False
