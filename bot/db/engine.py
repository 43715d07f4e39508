"""Engines, the one place that opens transactions, and schema creation through Alembic."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.orm import Session

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")
# Any fixed 64-bit number: it only has to be the same in every process migrating one database.
MIGRATION_LOCK_KEY = 0x626F6E65_636F6163
SQLITE_BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str | URL) -> Engine:
    """An engine for SQLite (the embedded default) or PostgreSQL (scale-out)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    return create_engine(parsed, future=True, pool_pre_ping=True)


def _sqlite_engine(url: URL) -> Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True)

    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # SQLAlchemy, not pysqlite, decides when transactions begin: SAVEPOINT needs that.
        dbapi_connection.isolation_level = None
        dbapi_connection.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        dbapi_connection.execute("PRAGMA foreign_keys = ON")
        if database not in ("", ":memory:"):
            _use_wal(dbapi_connection)

    def _on_begin(connection: Connection) -> None:
        # Take the write lock at BEGIN. A deferred WAL transaction that reads and then writes
        # fails at once with SQLITE_BUSY when another writer got in first; IMMEDIATE ones wait
        # on the busy timeout instead, so concurrent workers queue rather than error.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


def _use_wal(dbapi_connection: sqlite3.Connection) -> None:
    """Switch to WAL, so readers go on while one process writes.

    Switching a new file upgrades a read lock to a write lock, and SQLite refuses that at once,
    without the busy wait, when another process is doing the same (waiting could deadlock).
    Two processes opening a fresh database together hit this, so retry until the busy timeout.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            mode = dbapi_connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc):
                raise
            mode = "locked"
        if mode == "wal":
            return
        if time.monotonic() > deadline:
            raise sqlite3.OperationalError(f"could not switch the database to WAL ({mode})")
        time.sleep(0.01)


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """One transaction: commits when the block ends, rolls back when it raises.

    Objects stay readable after the block (no expiry on commit) but cannot lazy-load.
    """
    with Session(engine, future=True, expire_on_commit=False) as session, session.begin():
        yield session


def alembic_config(engine: Engine | None = None) -> Config:
    """Alembic configuration pointing at our migrations, independent of the working directory."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def ensure_schema(engine: Engine) -> None:
    """Create or upgrade the database to the newest migration (`alembic upgrade head`).

    Safe to call at every start-up, also from several processes at once (see migrations/env.py);
    not from several threads of one process (Alembic's migration context is process-global).
    """
    command.upgrade(alembic_config(engine), "head")
