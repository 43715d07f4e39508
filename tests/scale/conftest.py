"""Scale-out fixtures: a Redis key prefix of our own, and the two-replica stack on PostgreSQL + Redis.

Missing PostgreSQL or Redis fails these tests under CI=true and skips them loudly elsewhere
(`postgres_admin` and `redis_server` in tests/conftest.py).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy.engine import Engine

from bench.scale_out import replicas, scratch_database
from bot.db.engine import make_engine
from bot.lock_store import AtomicRedisLockStore
from bot.stack import Stack


@pytest.fixture(scope="session")
def redis_client(redis_server: dict[str, Any]) -> Iterator[redis.Redis]:
    client = redis.Redis(host=redis_server["host"], port=redis_server["port"], db=redis_server["db"])
    yield client
    client.close()


@pytest.fixture(scope="session")
def key_prefix(redis_client: redis.Redis) -> Iterator[str]:
    """A prefix no other test session uses; whatever is left under it is deleted at the end."""
    prefix = f"bcscale{secrets.token_hex(4)}"
    yield prefix
    for key in redis_client.scan_iter(match=f"{prefix}:*"):
        redis_client.delete(key)


@pytest.fixture
def make_store(redis_server: dict[str, Any], key_prefix: str) -> Callable[[], AtomicRedisLockStore]:
    """A new store with its own connection pool each call, as each replica has."""
    return lambda: AtomicRedisLockStore(host=redis_server["host"], port=redis_server["port"],
                                        db=redis_server["db"], key_prefix=key_prefix)


@pytest.fixture(scope="session")
def scale_database(postgres_admin: Engine) -> Iterator[str]:
    """A fresh database for the tracker store and the session database, dropped at the end."""
    with scratch_database(postgres_admin.url) as url:
        yield url


@pytest.fixture(scope="session")
def scale_engine(scale_database: str) -> Iterator[Engine]:
    engine = make_engine(scale_database)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def replica_stacks(
    trained_model: Path,
    redis_server: dict[str, Any],
    key_prefix: str,
    scale_database: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[list[Stack]]:
    """One action server and two Rasa servers on endpoints.prod.yml (their own stack: another
    configuration, PostgreSQL and Redis)."""
    with replicas(scale_database, tmp_path_factory.mktemp("replicas"), redis_server, key_prefix) as stacks:
        yield stacks
