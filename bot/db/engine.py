"""Engines, the one place that opens transactions, and schema creation through Alembic."""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")
# Any fixed 64-bit number: it only has to be the same in every process migrating one database.
MIGRATION_LOCK_KEY = 0x626F6E65_636F6163
SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY = "bone_coach_read_only"  # an execution option: begin without the write lock


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
        # on the busy timeout instead, so concurrent workers queue rather than error. A
        # read-only one needs no lock: WAL gives it a snapshot while writers go on.
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

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
def unit_of_work(engine: Engine, read_only: bool = False) -> Iterator[Session]:
    """One transaction: commits when the block ends, rolls back when it raises.

    Objects stay readable after the block (no expiry on commit) but cannot lazy-load.
    `read_only`: for reads only. On SQLite it is a snapshot that does not take the write lock, so
    a long read (the clinic's report) does not hold up the bot's writes meanwhile.
    """
    with Session(engine, future=True, expire_on_commit=False) as session, session.begin():
        if read_only:
            session.connection(execution_options={READ_ONLY: True})
        yield session


def alembic_config(engine: Engine | None = None) -> Config:
    """Alembic configuration pointing at our migrations, independent of the working directory."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def ensure_schema(engine: Engine) -> None:
    """Create or upgrade the database to the newest migration (`alembic upgrade head`).

    Safe to call at every start-up, also from several processes at once (see migrations/env.py);
    not from several threads of one process (Alembic's migration context is process-global).
    A database already at the newest migration is left alone without loading Alembic, a tenth
    of a second off every start of the command line (`bone-coach report`, issue 17).
    """
    if _at_head(engine):
        return
    from alembic import command

    command.upgrade(alembic_config(engine), "head")


REVISION = re.compile(r'^(down_revision|revision)\b[^=]*=\s*(?:"([^"]*)"|None)\s*$', re.M)


@cache
def head_revision() -> str | None:
    """The newest migration, read from the migration files (one line of history); None when
    they do not show exactly one, and Alembic decides."""
    revisions, parents = set(), set()
    for script in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = dict((name, value) for name, value in REVISION.findall(script.read_text()))
        if "revision" not in found or "down_revision" not in found:
            return None
        revisions.add(found["revision"])
        parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _at_head(engine: Engine) -> bool:
    head = head_revision()
    if head is None:
        return False
    with engine.connect().execution_options(**{READ_ONLY: True}) as connection:
        if not inspect(connection).has_table("alembic_version"):
            return False
        versions = list(connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars())
    return versions == [head]
