"""Two Rasa replicas on Rasa's own scale-out stack; writes the "## Two replicas" part of BENCHMARKS.md.

Run: `.venv/bin/python -m bench.scale_out`. One action server and two `rasa run` processes use
endpoints.prod.yml as a clinic would: the SQL tracker store and the session database in one fresh
PostgreSQL database (created, then dropped), and `bot.lock_store.AtomicRedisLockStore` on Redis.
20 conversations talk at once, each message going to the other replica than the one before.
The tests in tests/scale start the same stack with `scratch_database` and `replicas`.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import tempfile
import textwrap
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import redis
import yaml
from sqlalchemy import create_engine
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from bench.report import write_section
from bot.chat import send
from bot.db.engine import ensure_schema, make_engine
from bot.stack import ROOT, Stack, StackConfig, free_port

PROD_ENDPOINTS = ROOT / "endpoints.prod.yml"
SECTION = "Two replicas"
POSTGRES_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379"

# A new client's onboarding answers (as in tests/e2e) and one check-in.
ONBOARDING = ["/start", "yes", "new", "no", "no", "no", "no", "0", "okay", "2", "2", "mon wed fri",
              "8am", "a chair and a resistance band"]
CHECKIN = ["/checkin_done", "effort 6", "pain 1/10"]
CHECKIN_CONVERSATION = ONBOARDING + CHECKIN
AFTERWARDS = ["/ask_todays_workout", "how am i doing", "is walking enough for my bones", "thanks"]


def new_sender() -> str:
    """A fresh numeric chat id, as Telegram would give."""
    return str(secrets.randbelow(10**9) + 10**9)


@contextmanager
def scratch_database(admin_url: str | URL) -> Iterator[str]:
    """A new PostgreSQL database `bc_scale_<random>` with our schema; dropped on the way out.

    The Rasa tracker store creates its `events` table there itself, as in production.
    """
    admin = create_engine(admin_url, future=True, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    name = f"bc_scale_{secrets.token_hex(6)}"  # an identifier: it cannot be a bound parameter
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        engine = make_engine(url)
        ensure_schema(engine)
        engine.dispose()
        yield url
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def prod_env(redis_server: Mapping[str, Any], key_prefix: str) -> dict[str, str]:
    """The variables endpoints.prod.yml reads beyond the ones Stack sets (DATABASE_URL, action URL)."""
    return {
        "REDIS_HOST": str(redis_server["host"]),
        "REDIS_PORT": str(redis_server["port"]),
        "REDIS_DB": str(redis_server.get("db", 1)),
        "REDIS_PASSWORD": str(redis_server.get("password") or ""),
        "REDIS_KEY_PREFIX": key_prefix,
    }


@contextmanager
def replicas(
    database_url: str,
    run_dir: Path,
    redis_server: Mapping[str, Any],
    key_prefix: str,
    count: int = 2,
    timeout: float = 300.0,
) -> Iterator[list[Stack]]:
    """One action server and `count` Rasa servers, all on endpoints.prod.yml (logs in run_dir)."""
    first = Stack(StackConfig(
        database_url=database_url,
        run_dir=run_dir / "replica-1",
        endpoints_extra=yaml.safe_load(PROD_ENDPOINTS.read_text()),
        env=prod_env(redis_server, key_prefix),
    ))
    # The others share the first one's action server: same action port, no actions process.
    stacks = [first] + [
        Stack(replace(first.config, rasa_port=free_port(), run_dir=run_dir / f"replica-{i}"))
        for i in range(2, count + 1)
    ]
    try:
        first.start_actions()
        for stack in stacks:
            stack.start_rasa()
        for stack in stacks:
            stack.wait_ready(timeout)
        yield stacks
    finally:
        for stack in reversed(stacks):
            stack.stop()


def converse(urls: Sequence[str], sender: str, messages: Sequence[str], first: int = 0) -> list[tuple[float, str]]:
    """Sends `messages` in order, each to the next replica; (seconds, reply text) per message."""
    out = []
    for i, text in enumerate(messages):
        started = time.perf_counter()
        replies = send(urls[(first + i) % len(urls)], sender, text, {"first_name": "Ruth"})
        out.append((time.perf_counter() - started, "\n".join(str(r.get("text") or "") for r in replies)))
    return out


def load(urls: Sequence[str], conversations: int, messages: Sequence[str]) -> tuple[list[float], float]:
    """`conversations` clients at once, each alternating replicas; latencies and messages/s."""

    def one(i: int) -> list[float]:
        turns = converse(urls, new_sender(), messages, first=i)
        assert all(reply for _, reply in turns), "a message got no reply"
        return [seconds for seconds, _ in turns]

    started = time.perf_counter()
    with ThreadPoolExecutor(conversations) as pool:
        latencies = [x for chunk in pool.map(one, range(conversations)) for x in chunk]
    return latencies, len(latencies) / (time.perf_counter() - started)


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


def ms(values: Sequence[float]) -> str:
    return f"{statistics.median(values) * 1000:.0f} ms / {percentile(values, 95) * 1000:.0f} ms"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--postgres", default=os.environ.get("TEST_POSTGRES_URL") or POSTGRES_URL,
                        help="a PostgreSQL URL allowed to CREATE DATABASE")
    parser.add_argument("--redis", default=os.environ.get("TEST_REDIS_URL") or REDIS_URL)
    args = parser.parse_args()
    redis_client = redis.Redis.from_url(args.redis)
    redis_kwargs = redis_client.connection_pool.connection_kwargs
    redis_server = {"host": redis_kwargs["host"], "port": redis_kwargs["port"], "db": redis_kwargs.get("db", 0),
                    "password": redis_kwargs.get("password")}
    messages = CHECKIN_CONVERSATION + AFTERWARDS
    load_before = os.getloadavg()[0]
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as folder, scratch_database(args.postgres) as database_url:
        started = time.perf_counter()
        with replicas(database_url, Path(folder), redis_server, f"bench{secrets.token_hex(4)}") as stacks:
            rows.append(("start-up to ready (1 action server + 2 Rasa servers, started together)",
                         f"{time.perf_counter() - started:.0f} s"))
            urls = [s.rasa_url for s in stacks]
            for i in range(len(urls)):  # warm-up: each replica's first turns are slow
                converse(urls, new_sender(), ONBOARDING[:3], first=i)
            two, two_rate = load(urls, args.conversations, messages)
            one, one_rate = load(urls[:1], args.conversations, messages)
            n = args.conversations
            rows += [
                (f"message -> reply, two replicas, {n} concurrent conversations, p50 / p95 ({len(two)} msgs)",
                 ms(two)),
                (f"sustained, two replicas, {n} concurrent conversations (msgs/s)", f"{two_rate:.1f}"),
                (f"same load on one replica of the same stack, p50 / p95 ({len(one)} msgs)", ms(one)),
                ("sustained, one replica (msgs/s)", f"{one_rate:.1f}"),
                ("RSS per Rasa server after load",
                 " / ".join(f"{rss_mb(s.procs['rasa'].pid):.0f} MB" for s in stacks)),
                ("RSS action server after load", f"{rss_mb(stacks[0].procs['actions'].pid):.0f} MB"),
            ]
    version = redis_client.info("server")["redis_version"]
    about = (
        f"Written by `.venv/bin/python -m bench.scale_out` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
        f" ({os.cpu_count()} cores shared by the servers and the client; load average {load_before:.1f} before"
        " the run). Two `rasa run` processes and one action server on endpoints.prod.yml: tracker store and"
        f" session database in one PostgreSQL database, `bot.lock_store.AtomicRedisLockStore` on Redis {version}."
        f" Each conversation sends {len(ONBOARDING)} onboarding answers, a check-in ({len(CHECKIN)} messages)"
        f" and {len(AFTERWARDS)} more messages, each to the other replica than the one before. Latencies are"
        " wall-clock from the client. The one-replica rows send the same load to one of the two servers."
    )
    lines = [*textwrap.wrap(about, 100), "",
             "| measure | value |", "|---|---|", *[f"| {name} | {value} |" for name, value in rows]]
    write_section(SECTION, lines)
    print("\n".join([f"## {SECTION}", "", *lines]))


if __name__ == "__main__":
    main()
