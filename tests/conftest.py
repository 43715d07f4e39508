"""Shared fixtures. `db_engine`: a migrated session database, once on SQLite, once on PostgreSQL.

PostgreSQL: TEST_POSTGRES_URL, else postgres@ then root@127.0.0.1:5432/test (trust auth). Each
test session works in its own schema, dropped at the end. Redis (`redis_server`, for the scale-out
tests): TEST_REDIS_URL, else redis://127.0.0.1:6379. An unreachable server fails the tests that
need it when CI=true; elsewhere they are skipped with a warning in the terminal summary.

The running stacks and the trained model come from the plugin tests.support.stacks. A test that
uses one of them (any fixture in its `SLOW_FIXTURES`, however indirectly) is marked `slow` there,
so `bin/test --fast` (`-m "not slow"`) leaves it out; a test not marked slow that starts a Rasa
server or loads a model fails, saying so.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import NoReturn

import pytest
import redis
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from bot.db.engine import ensure_schema, make_engine
from bot.db.models import Base

pytest_plugins = ["tests.support.stacks"]  # the stacks, the trained model, the `slow` marker
pytest.register_assert_rewrite("tests.support.telegram_stack", "tests.support.waiting")

POSTGRES_URLS = (
    "postgresql+psycopg2://postgres@127.0.0.1:5432/test",
    "postgresql+psycopg2://root@127.0.0.1:5432/test",
)
_postgres_not_run: list[str] = []
REDIS_URL = "redis://127.0.0.1:6379"
_redis_not_run: list[str] = []


def _server_missing(message: str, not_run: list[str]) -> NoReturn:
    """Fail under CI=true, where every server must be there; elsewhere skip, loudly at the end."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}; CI must run these tests", pytrace=False)
    not_run.append(message)
    pytest.skip(message)


@cache
def _postgres_admin() -> tuple[Engine | None, str]:
    """An engine on the first reachable PostgreSQL URL, or None and the reasons why not."""
    override = os.environ.get("TEST_POSTGRES_URL")
    reasons = []
    for url in [override] if override else POSTGRES_URLS:
        engine = create_engine(url, future=True, poolclass=NullPool, connect_args={"connect_timeout": 3})
        try:
            with engine.connect():
                return engine, ""
        except OperationalError as exc:
            shown = make_url(url).render_as_string(hide_password=True)
            reasons.append(f"{shown}: {str(exc.orig).strip().splitlines()[0]}")
    return None, "; ".join(reasons)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def db_backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql" and _postgres_admin()[0] is None:
        _server_missing(f"PostgreSQL unreachable ({_postgres_admin()[1]})", _postgres_not_run)
    return request.param


@pytest.fixture(scope="session")
def postgres_admin() -> Engine:
    """An engine on the test PostgreSQL, for tests that need PostgreSQL itself (e.g. a database)."""
    engine, reasons = _postgres_admin()
    if engine is None:
        _server_missing(f"PostgreSQL unreachable ({reasons})", _postgres_not_run)
    return engine


@pytest.fixture(scope="session")
def redis_server() -> dict[str, str | int]:
    """Host, port and db of a reachable Redis (TEST_REDIS_URL, else the local default)."""
    url = os.environ.get("TEST_REDIS_URL") or REDIS_URL
    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        _server_missing(f"Redis unreachable ({url}: {exc})", _redis_not_run)
    finally:
        client.close()
    kwargs = client.connection_pool.connection_kwargs
    return {"host": kwargs["host"], "port": int(kwargs["port"]), "db": int(kwargs.get("db", 0))}


@pytest.fixture(scope="session")
def blank_engine(db_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], Engine]]:
    """Makes empty databases on the backend: a new SQLite file, or a new PostgreSQL schema."""
    engines: list[Engine] = []
    schemas: list[str] = []

    def make() -> Engine:
        if db_backend == "sqlite":
            path = Path(tmp_path_factory.mktemp("db")) / "bone_coach.db"
            engine = make_engine(f"sqlite:///{path}")
        else:
            admin = _postgres_admin()[0]
            schema = f"bc_test_{secrets.token_hex(6)}"
            with admin.begin() as connection:
                connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
            schemas.append(schema)
            url = admin.url.update_query_dict({"options": f"-csearch_path={schema}"})
            engine = make_engine(url)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()
    if schemas:
        with _postgres_admin()[0].begin() as connection:
            for schema in schemas:
                connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(scope="session")
def migrated_engine(blank_engine: Callable[[], Engine]) -> Engine:
    engine = blank_engine()
    ensure_schema(engine)
    return engine


@pytest.fixture
def db_engine(migrated_engine: Engine) -> Iterator[Engine]:
    """A migrated database (SQLite and PostgreSQL variants), emptied after each test."""
    yield migrated_engine
    with migrated_engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _postgres_not_run:
        terminalreporter.write_sep("!", "PostgreSQL tests DID NOT RUN", red=True, bold=True)
        terminalreporter.write_line(_postgres_not_run[0], red=True)
        terminalreporter.write_line("Only SQLite was tested. Start PostgreSQL or set TEST_POSTGRES_URL.", red=True)
    if _redis_not_run:
        terminalreporter.write_sep("!", "Redis tests DID NOT RUN", red=True, bold=True)
        terminalreporter.write_line(_redis_not_run[0], red=True)
        terminalreporter.write_line("The scale-out tests were skipped. Start Redis or set TEST_REDIS_URL.", red=True)
