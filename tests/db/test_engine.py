"""Engines and units of work behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.db import clients
from bot.db.engine import make_engine, unit_of_work

NOW = datetime(2025, 1, 6, 15, 0, tzinfo=timezone.utc)


def test_a_unit_of_work_commits_when_the_block_ends(db_engine: Engine) -> None:
    with unit_of_work(db_engine) as s:
        client = clients.get_or_create_client(s, 7, "Ruth", NOW)
    assert client.display_name == "Ruth"  # still readable after the block
    with unit_of_work(db_engine) as s:
        assert clients.get_client(s, 7) is not None


def test_a_unit_of_work_keeps_nothing_when_the_block_raises(db_engine: Engine) -> None:
    with pytest.raises(RuntimeError), unit_of_work(db_engine) as s:
        clients.get_or_create_client(s, 7, "Ruth", NOW)
        raise RuntimeError("the reply could not be built")
    with unit_of_work(db_engine) as s:
        assert clients.get_client(s, 7) is None


def _open_and_write(path: str, start: multiprocessing.synchronize.Barrier) -> None:
    engine = make_engine(f"sqlite:///{path}")
    start.wait(timeout=30)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS t (x INTEGER)")
        connection.exec_driver_sql("INSERT INTO t VALUES (1)")


def test_processes_opening_a_fresh_sqlite_file_together_all_succeed(tmp_path: Path) -> None:
    # Switching a new file to WAL is refused at once (no busy wait) when another process is
    # switching too; without a retry about one process in twenty failed here.
    processes_per_round, rounds = 4, 15
    context = multiprocessing.get_context("fork")
    for round_number in range(rounds):
        path = str(tmp_path / f"fresh{round_number}.db")
        start = context.Barrier(processes_per_round)
        workers = [context.Process(target=_open_and_write, args=(path, start)) for _ in range(processes_per_round)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
        assert [w.exitcode for w in workers] == [0] * processes_per_round
        with make_engine(f"sqlite:///{path}").connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM t").scalar() == 4
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def _write_from_another_process(path: Path) -> str:
    """What a second writer meets (it waits at most 0.2 s for the write lock)."""
    other = sqlite3.connect(path, timeout=0.2, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO t VALUES (2)")
        other.execute("COMMIT")
        return "written"
    except sqlite3.OperationalError as exc:
        return str(exc)
    finally:
        other.close()


def test_a_read_only_unit_of_work_reads_a_snapshot_without_holding_up_writers(tmp_path: Path) -> None:
    path = tmp_path / "clinic.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        connection.exec_driver_sql("INSERT INTO t VALUES (1)")
    count = "SELECT count(*) FROM t"

    with unit_of_work(engine, read_only=True) as s:
        assert s.execute(text(count)).scalar() == 1
        assert _write_from_another_process(path) == "written"
        assert s.execute(text(count)).scalar() == 1  # its snapshot
    with unit_of_work(engine) as s:  # a writing one holds the lock: the contrast
        assert s.execute(text(count)).scalar() == 2
        assert _write_from_another_process(path) == "database is locked"
