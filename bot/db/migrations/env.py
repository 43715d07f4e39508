"""Alembic environment for the session database.

The database is, in order: the engine ensure_schema() hands over (config.attributes["engine"]),
a URL in config.attributes["url"], or DATABASE_URL through bot.settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from logging.config import fileConfig

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from bot.db.engine import MIGRATION_LOCK_KEY, make_engine
from bot.db.models import Base
from bot.settings import Settings

config = context.config
if config.config_file_name:  # the alembic command line; the app keeps its own logging set-up
    fileConfig(config.config_file_name)


def _url() -> str:
    return config.attributes.get("url") or Settings.from_env().database_url


@contextmanager
def _sqlite_foreign_keys_off(connection: Connection) -> Iterator[None]:
    """Batch migrations copy a table and drop the old one; with foreign keys on, dropping a
    parent would cascade-delete its children's rows. The pragma only works outside a
    transaction, so it goes straight to the driver connection."""
    driver_connection = connection.connection.dbapi_connection
    driver_connection.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        driver_connection.execute("PRAGMA foreign_keys = ON")


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or make_engine(_url())
    dialect = engine.dialect.name
    with engine.connect() as connection:
        guard = _sqlite_foreign_keys_off(connection) if dialect == "sqlite" else nullcontext()
        with guard, connection.begin():
            if dialect == "postgresql":
                # Replicas starting together: one migrates, the others wait and find it done.
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=dialect == "sqlite",
            )
            before = context.get_context().get_current_revision()
            context.run_migrations()
            # Only a migration (run with foreign keys off) can break them, and the check reads
            # every row: at every start of every process it would grow with the database.
            migrated = context.get_context().get_current_revision() != before
            if dialect == "sqlite" and migrated:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left broken foreign keys: {broken[:5]}")


def run_migrations_offline() -> None:
    url = _url()
    context.configure(
        url=url,
        target_metadata=Base.metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
