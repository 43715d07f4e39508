"""Issue 17, "Cost growth": does a turn, the clinic's report or the reminder scheduler slow down
as the clinic grows? The same client (bench.big_database's client 0, 90 days of history) is
served from a database holding only them and from one holding 5,000 clients like them.

Measured on each: every database call a turn makes (bot.db functions in a transaction rolled
back afterwards, and the services the actions call, committed, the bench's rows deleted after
each call, untimed), `bone-coach report` (build_report, and the CLI once as a process) and the
reminder due computation (load_snapshot + compute_due). Each call counts its SQL statements (an
N+1 shows as a count that grows with the clients), and every statement they ran goes through
SQLite's EXPLAIN QUERY PLAN: a SCAN of a table that grows with the clinic is reported.

Run: `nice -n 10 .venv/bin/python -m bench.cost_growth [--clients 5000] [--calls 200]
[--reuse] [--before FILE] [--no-write]`. Results go to var/bench-cost/results.json; with
`--before` (an earlier results.json) the section shows both, before and after.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import delete, event, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bench.big_database import OUT, build, fresh_sqlite, probe_chat_id, sqlite_path
from bench.reminders import database
from bench.report import BENCHMARKS, write_section
from bench.run import machine
from bot.coach_desk.alerts import STALE_CLAIM, RepeatPolicy
from bot.coach_desk.report import build_report
from bot.coaching.library import default_rules
from bot.db import alerts, clients, sessions, symptoms, turns
from bot.db.engine import ensure_schema, make_engine, unit_of_work
from bot.db.models import Base, CheckIn, Client, CoachAlert, SymptomReport
from bot.db.reminders import load_snapshot
from bot.db.status import AlertKind, CheckInStatus, SymptomKind
from bot.scheduler import load_config
from bot.scheduler.due import compute_due
from bot.services import Services
from bot.services.context import local_midnight, local_today
from bot.services.history import history

SECTION = "Cost growth: 5,000 clients (issue 17)"
NOTES = [
    "*open alerts (coach /alerts)* lists every open alert of the clinic (none in the 1-client database): it "
    "follows how many alerts nobody has handled, not the clients. The command's start (imports, then "
    "ensure_schema) is the same on both databases; it is what `bone-coach report` spends besides the report.",
]
FIXES = [
    "What changed (migration 0008 and bot/db): partial indexes on open coach alerts (`handled_at IS NULL`: "
    "delivery and repeats after every turn, counts, /alerts) and on red flags (`state IS NOT NULL`: those not "
    "cleared, cleared ones not told yet); indexes on check-ins by day (the scheduler's snapshot), plans by "
    "(day, client, kind) and symptom reports by time (the report); `recent_checkins` loads each check-in's plan "
    "with it (the history read one plan per check-in day); the report reads the whole clinic with a fixed "
    "number of queries (`checkins_by_client`, `symptoms_by_client`, `planned_kinds_by_client`, "
    "`last_done_days`), and of the history only the last 28 days, and the older days for the streak only "
    "of clients who did every planned session of the 28 days, instead of about 29 queries per client; "
    "`all_clients` joins the profiles (selectinload took one more query per 500 clients); and a process "
    "starting on an up-to-date SQLite database no longer checks every row's foreign keys (migrations/env.py: "
    "0.6 s at 5,000 clients, at every start of the CLI, the scheduler and the servers).",
]
ROOT = Path(__file__).resolve().parents[1]
RESULTS = OUT / "results.json"
MESSAGE = itertools.count(1)
LOGS = [{"pattern": "sit_to_stand", "rung": 2, "sets": 2, "reps": 10},
        {"pattern": "balance", "rung": 1, "sets": 2, "seconds": 30}]
# What a check-in turn does in the database, in order: the channel's turn record and enrolment
# check, the action's service call, the red-flag notice under the reply, then alert delivery.
CHECKIN_TURN = ("turn record: claim, replies, delivered, done", "enrolment check + reachable",
                "service: log_checkin", "service: open_red_flag_notice", "next alert to deliver",
                "next alert to repeat", "next cleared notice to send")


class Statements:
    """Counts the SQL statements an engine runs; records them (with parameters) when asked."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        self.recorded: list[tuple[str, Any]] | None = None
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any,
              executemany: bool) -> None:
        self.count += 1
        if self.recorded is not None and not executemany:
            self.recorded.append((statement, parameters))


@dataclass
class Timing:
    p50_ms: float
    p95_ms: float
    statements: int  # per call (the median)


Once = Callable[[], tuple[float, int]]  # one call: (seconds, statements)


def timing(samples: list[tuple[float, int]]) -> Timing:
    seconds = sorted(elapsed for elapsed, _ in samples)
    return Timing(1000 * statistics.median(seconds), 1000 * seconds[int(0.95 * (len(seconds) - 1))],
                  int(statistics.median(count for _, count in samples)))


def interleaved(onces: list[Once], calls: int, warmup: int = 5) -> list[Timing]:
    """Each database's call in turn, `calls` times: a busy moment on the shared machine slows
    them all alike instead of one database's run."""
    for once in onces:
        for _ in range(warmup):
            once()
    samples: list[list[tuple[float, int]]] = [[] for _ in onces]
    for _ in range(calls):
        for sample, once in zip(samples, onces, strict=True):
            sample.append(once())
    return [timing(sample) for sample in samples]


def rolled_back(engine: Engine, counter: Statements, chat: int, work: Callable[[Session, Client], object]) -> Once:
    """A bot.db call in a transaction that is rolled back (writes leave nothing behind)."""
    def once() -> tuple[float, int]:
        with Session(engine, future=True) as s:
            s.begin()
            client = clients.get_client(s, chat)
            before, started = counter.count, time.perf_counter()
            work(s, client)
            elapsed, statements = time.perf_counter() - started, counter.count - before
            s.rollback()
        return elapsed, statements
    return once


def committed(counter: Statements, call: Callable[[], object], cleanup: Callable[[], None] | None = None) -> Once:
    """A service call as an action makes it; `cleanup` (untimed) removes what it wrote."""
    def once() -> tuple[float, int]:
        before, started = counter.count, time.perf_counter()
        call()
        elapsed, statements = time.perf_counter() - started, counter.count - before
        if cleanup is not None:
            cleanup()
        return elapsed, statements
    return once


def message_id() -> str:
    return f"bench-{next(MESSAGE)}"


def db_probes(now: datetime, chat: int) -> dict[str, Callable[[Session, Client], object]]:
    """The bot.db calls behind a turn (and the coach's /alerts), each as the caller makes it."""
    days = default_rules()["history"]["days"]
    repeat = RepeatPolicy.from_clinic()
    update_ids = itertools.count(10**12)

    def turn_record(s: Session, _client: Client) -> None:
        update_id, owner = next(update_ids), "bench-owner"
        turns.claim(s, update_id, chat, "{}", owner, now, lambda _owner, _at: False)
        turns.record_replies(s, update_id, owner, [{"text": "Well done!"}])
        turns.mark_delivered(s, update_id, owner, 1, None, now)
        turns.complete(s, update_id, now)

    return {
        "client by chat id": lambda s, c: clients.get_client(s, chat),
        "enrolment check + reachable": lambda s, c: (clients.is_enrolled(s, chat), clients.mark_reachable(s, chat)),
        "turn record: claim, replies, delivered, done": turn_record,
        "today's stored plan": lambda s, c: sessions.planned_session(s, c, local_today(c, now)),
        "check-ins of the history window": lambda s, c: sessions.recent_checkins(
            s, c, local_today(c, now) - timedelta(days=days)),
        "symptoms of the history window": lambda s, c: symptoms.symptoms_since(s, c, local_midnight(c, now, days)),
        "open red flags": lambda s, c: symptoms.open_red_flags(s, c),
        "ladder positions": lambda s, c: clients.ladder_positions(s, c),
        "last session done": lambda s, c: sessions.last_done_day(s, c),
        "history as the engine reads it (services.history)": lambda s, c: history(s, c, now, {}),
        "log a check-in with 2 exercises": lambda s, c: sessions.record_checkin(
            s, c, local_today(c, now), CheckInStatus.DONE, 5, 2, None, None, LOGS, now, "strength", message_id()),
        "log a pain report": lambda s, c: symptoms.record_symptom(
            s, c, SymptomKind.PAIN, 3, "knee", "sore knee", now, message_id()),
        "raise a coach alert": lambda s, c: alerts.create_alert(s, c, AlertKind.HUMAN_REQUEST, "a call", now),
        "next alert to deliver": lambda s, c: alerts.claim_next_alert(s, now, STALE_CLAIM),
        "next alert to repeat": lambda s, c: alerts.claim_next_repeat(
            s, now, repeat.after, STALE_CLAIM, repeat.kinds),
        "next cleared notice to send": lambda s, c: symptoms.claim_clear_notice(s, now, STALE_CLAIM),
        "open alerts (coach /alerts)": lambda s, c: alerts.list_alerts(s, open_only=True),
    }


def service_probes(engine: Engine, chat: int) -> dict[str, tuple[Callable[[], object], Callable[[], None] | None]]:
    """The service calls the actions and the channel make, with what undoes their writes."""
    services = Services.over(engine)

    def forget_bench_rows() -> None:
        with unit_of_work(engine) as s:
            for model in (CheckIn, SymptomReport):
                s.execute(delete(model).where(model.source_message_id.like("bench-%"))
                          .execution_options(synchronize_session=False))

    return {
        "service: profile_complete": (lambda: services.plans.profile_complete(chat), None),
        "service: open_red_flag_notice": (lambda: services.safety.open_red_flag_notice(chat), None),
        "service: todays_plan (stored)": (lambda: services.plans.todays_plan(chat), None),
        "service: todays_plan, made again": (lambda: services.plans.todays_plan(chat, symptoms_changed=True), None),
        "service: progress": (lambda: services.plans.progress(chat), None),
        "service: log_checkin": (lambda: services.checkins.log_checkin(
            chat, CheckInStatus.DONE, 5, 2, None, message_id()), forget_bench_rows),
        "service: report_pain (and today's plan again)": (lambda: services.safety.report_pain(
            chat, 3, "knee", "my knee is a bit sore", message_id=message_id()), forget_bench_rows),
    }


@dataclass
class Result:
    """Everything measured on one database."""

    clients: int
    tables: dict[str, int]
    migrate_s: float
    calls: dict[str, Timing]
    report_s: float
    report_fastest_s: float
    report_statements: int
    cli_report_s: float
    cli_report_fastest_s: float
    cli_startup_s: float
    snapshot_ms: float
    due_ms: float
    due_statements: int
    candidates: int
    scans: dict[str, list[str]]


def report_once(engine: Engine, counter: Statements) -> tuple[float, int]:
    before, started = counter.count, time.perf_counter()
    build_report(engine, datetime.now(timezone.utc))
    return time.perf_counter() - started, counter.count - before


def due_once(engine: Engine, counter: Statements) -> tuple[float, float, int, int]:
    """(snapshot s, snapshot + compute_due s, statements, candidates)."""
    now, config = datetime.now(timezone.utc), load_config()
    before, started = counter.count, time.perf_counter()
    with unit_of_work(engine) as s:
        snapshot = load_snapshot(s, now)
    loaded = time.perf_counter()
    compute_due(snapshot.candidates, snapshot.records, snapshot.checked_in, now, config)
    return loaded - started, time.perf_counter() - started, counter.count - before, len(snapshot.candidates)


def cli_seconds(url: str, *args: str) -> float:
    env = {**os.environ, "DATABASE_URL": url}
    started = time.perf_counter()
    subprocess.run([str(ROOT / ".venv" / "bin" / "bone-coach"), *args], env=env, check=True,
                   stdout=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - started


@dataclass
class Database:
    """A database under measurement, migrated to the newest schema first."""

    path: Path
    engine: Engine
    counter: Statements
    clients: int
    tables: dict[str, int]  # rows per table
    migrate_s: float  # ensure_schema: building new indexes when the file was made before them


def open_database(path: Path) -> Database:
    engine = make_engine(f"sqlite:///{path}")
    started = time.perf_counter()
    ensure_schema(engine)
    migrate_s = time.perf_counter() - started
    with engine.connect() as connection:
        tables = {t.name: connection.execute(select(func.count()).select_from(t)).scalar_one()
                  for t in Base.metadata.sorted_tables}
    return Database(path, engine, Statements(engine), tables["clients"], tables, migrate_s)


def settle(engine: Engine, now: datetime) -> None:
    """The open alerts as just after a delivery round: in clinic hours the coach desk sends each
    again every 15 minutes, so at most moments none is due (the database may have been built a
    while ago: time has passed for its alerts)."""
    with unit_of_work(engine) as s:
        s.execute(update(CoachAlert).where(CoachAlert.handled_at.is_(None), CoachAlert.notified_at.is_not(None))
                  .values(notified_at=now - timedelta(minutes=5), notify_claimed_at=now - timedelta(minutes=5))
                  .execution_options(synchronize_session=False))


def growing_tables(db: Database) -> set[str]:
    """Tables with a row or more per client: reading one whole grows with the clinic."""
    return {name for name, count in db.tables.items() if count >= db.clients}


def scans(db: Database, recorded: list[tuple[str, Any]], tables: set[str]) -> list[str]:
    """SQLite's plan steps that read a growing table whole (SCAN, with or without an index;
    a partial index holds only the rows it is for, so reading it whole is not counted)."""
    found = []
    first: dict[str, Any] = {}
    for statement, parameters in recorded:  # one plan per statement text
        first.setdefault(statement, parameters)
    with db.engine.connect() as connection:
        partial = set(connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql LIKE '% WHERE %'").scalars())
        for statement, parameters in first.items():
            if statement.lstrip().upper().startswith(("BEGIN", "PRAGMA", "SAVEPOINT", "RELEASE", "ROLLBACK")):
                continue
            for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all():
                words = row[-1].split()
                if words[0] == "SCAN" and words[1] in tables and words[-1] not in partial:
                    found.append(f"{row[-1]} ← {' '.join(statement.split())[:90]}…")
    return sorted(set(found))


def record(counter: Statements, once: Callable[[], object]) -> list[tuple[str, Any]]:
    counter.recorded = []
    once()
    recorded, counter.recorded = counter.recorded, None
    return [(statement, tuple(p) if isinstance(p, list) else p) for statement, p in recorded]


def measure_databases(paths: list[Path], calls: int) -> list[Result]:
    """Every call on each database (interleaved), then the whole jobs one database at a time;
    the statements' plans are looked at on the last (biggest) one."""
    dbs = [open_database(path) for path in paths]
    chat, now = probe_chat_id(), datetime.now(timezone.utc)
    for db in dbs:
        settle(db.engine, now)
    tables = growing_tables(dbs[-1])
    calls_by_db: list[dict[str, Timing]] = [{} for _ in dbs]
    found: dict[str, list[str]] = {}
    probes: dict[str, list[tuple[Callable[[], tuple[float, int]], Callable[[], object]]]] = {}
    for name, work in db_probes(now, chat).items():
        probes[name] = []
        for db in dbs:
            once = rolled_back(db.engine, db.counter, chat, work)
            probes[name].append((once, once))
    service_sets = [service_probes(db.engine, chat) for db in dbs]
    for name in service_sets[0]:
        probes[name] = []
        for db, services in zip(dbs, service_sets, strict=True):
            call, cleanup = services[name]
            probes[name].append((committed(db.counter, call, cleanup), call))
    for name, pairs in probes.items():
        for timings, found_timing in zip(calls_by_db, interleaved([once for once, _ in pairs], calls), strict=True):
            timings[name] = found_timing
        found[name] = scans(dbs[-1], record(dbs[-1].counter, pairs[-1][1]), tables)
        cleanup = service_sets[-1][name][1] if name in service_sets[-1] else None
        if cleanup is not None:
            cleanup()
        print(f"  {name}: " + " | ".join(f"{t[name].p50_ms:.2f} ms, {t[name].statements} st" for t in calls_by_db),
              flush=True)
    results = []
    for db, timings in zip(dbs, calls_by_db, strict=True):
        results.append(whole_jobs(db, timings, found if db is dbs[-1] else {}, tables if db is dbs[-1] else set()))
        db.engine.dispose()
    return results


def whole_jobs(db: Database, timings: dict[str, Timing], found: dict[str, list[str]], tables: set[str]) -> Result:
    """The report (build_report, and the command), and the reminder due computation."""
    url = f"sqlite:///{db.path}"
    first = report_once(db.engine, db.counter)
    runs = [first] + [report_once(db.engine, db.counter) for _ in range(4 if first[0] < 10 else 0)]
    report_s = statistics.median(r[0] for r in runs)
    report_fastest_s = min(r[0] for r in runs)
    print(f"  report on {db.clients:,} clients: {report_s:.2f} s, {first[1]} statements", flush=True)
    due = [due_once(db.engine, db.counter) for _ in range(20)]
    if tables:
        found["bone-coach report (build_report)"] = scans(
            db, record(db.counter, lambda: build_report(db.engine, datetime.now(timezone.utc))), tables)
        found["reminder due computation (load_snapshot)"] = scans(
            db, record(db.counter, lambda: due_once(db.engine, db.counter)), tables)
    cli_reports = [cli_seconds(url, "report") for _ in range(5 if report_s < 5 else 1)]
    cli_startup = statistics.median(cli_seconds(url, "allow", "list") for _ in range(5))
    return Result(
        clients=db.clients, tables=db.tables, migrate_s=db.migrate_s, calls=timings, report_s=report_s,
        report_fastest_s=report_fastest_s, report_statements=first[1], cli_report_s=statistics.median(cli_reports),
        cli_report_fastest_s=min(cli_reports), cli_startup_s=cli_startup,
        snapshot_ms=1000 * statistics.median(d[0] for d in due), due_ms=1000 * statistics.median(d[1] for d in due),
        due_statements=due[0][2], candidates=due[0][3], scans=found,
    )


def postgres_plans(clients_: int, days: int) -> dict[str, Any]:
    """The report, the reminder snapshot and what runs after every turn on PostgreSQL (the
    local test server, a throw-away schema, ANALYZEd after the build): seconds, and each
    statement's Seq Scans of a table with a row or more per client. {} without PostgreSQL."""
    with database(use_sqlite=False) as (engine, backend):
        if not backend.startswith("PostgreSQL"):
            return {}
        now = datetime.now(timezone.utc)
        build(engine, clients_, days, now)
        counter, repeat = Statements(engine), RepeatPolicy.from_clinic()
        with engine.connect() as connection:
            growing = {t.name for t in Base.metadata.sorted_tables
                       if connection.execute(select(func.count()).select_from(t)).scalar_one() >= clients_}

        def after_a_turn() -> None:
            with Session(engine, future=True) as s, s.begin():
                alerts.claim_next_alert(s, now, STALE_CLAIM)
                alerts.claim_next_repeat(s, now, repeat.after, STALE_CLAIM, repeat.kinds)
                symptoms.claim_clear_notice(s, now, STALE_CLAIM)
                s.rollback()

        jobs: dict[str, Callable[[], object]] = {
            "bone-coach report (build_report)": lambda: build_report(engine, now),
            "reminder due computation (load_snapshot)": lambda: due_once(engine, counter),
            "after every turn (alert and notice claims)": after_a_turn,
        }
        found: dict[str, Any] = {"backend": backend, "clients": clients_, "seconds": {}, "scans": {}}
        for name, job in jobs.items():
            job()  # warm
            started = time.perf_counter()
            job()
            found["seconds"][name] = time.perf_counter() - started
            first: dict[str, Any] = {}
            for statement, parameters in record(counter, job):
                first.setdefault(statement, parameters)
            with engine.connect() as connection:
                plans = [line for statement, parameters in first.items() if not statement.startswith("SET")
                         for line in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters).scalars()]
            found["scans"][name] = sorted({line.strip(" ->") for line in plans
                                           if "Seq Scan on" in line and line.split("Seq Scan on ")[1].split()[0]
                                           in growing})
        return found


def _duration(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 0.1 else f"{1000 * seconds:.1f} ms"


def postgres_lines(found: dict[str, Any]) -> list[str]:
    if not found:
        return ["PostgreSQL was not reachable: not checked there."]
    lines = [f"On {found['backend']} with {found['clients']:,} clients (same builder, ANALYZEd): "
             + "; ".join(f"{name} {_duration(seconds)}" for name, seconds in found["seconds"].items()) + "."]
    scans = [(name, scan) for name, items in found["scans"].items() for scan in items]
    lines.append("Its EXPLAIN shows no Seq Scan of a table with a row or more per client, except: "
                 + "; ".join(f"{name}: `{scan}`" for name, scan in scans) if scans else
                 "Its EXPLAIN shows no Seq Scan of a table with a row or more per client.")
    return lines


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def turn_ms(result: dict[str, Any]) -> float:
    return sum(result["calls"][name]["p50_ms"] for name in CHECKIN_TURN)


def table(empty: dict[str, Any], big: dict[str, Any]) -> list[str]:
    size = f"{big['clients']:,}"
    lines = [f"| Call | 1 client p50 / p95 ms | {size} clients p50 / p95 ms | p50 ratio | statements (1 → {size}) |",
             "|---|---|---|---|---|"]
    for name, small in empty["calls"].items():
        large = big["calls"][name]
        ratio = large["p50_ms"] / small["p50_ms"] if small["p50_ms"] else float("nan")
        flag = " **!**" if ratio > 1.10 and large["p50_ms"] - small["p50_ms"] > 0.2 else ""
        lines.append(f"| {name} | {small['p50_ms']:.2f} / {small['p95_ms']:.2f} | {large['p50_ms']:.2f} / "
                     f"{large['p95_ms']:.2f} | {ratio:.2f}×{flag} | {small['statements']} → {large['statements']} |")
    small_turn, large_turn = turn_ms(empty), turn_ms(big)
    lines.append(f"| **a check-in turn's database work** (sum of the {len(CHECKIN_TURN)} calls marked in the text) | "
                 f"{small_turn:.2f} | {large_turn:.2f} | {large_turn / small_turn:.2f}× | |")
    return lines


def whole(empty: dict[str, Any], big: dict[str, Any]) -> list[str]:
    return [
        f"| Whole job | 1 client | {big['clients']:,} clients | target |",
        "|---|---|---|---|",
        f"| `bone-coach report`: build_report, median (fastest) of 5 | {1000 * empty['report_s']:.0f} ms, "
        f"{empty['report_statements']} statements | {big['report_s']:.2f} s ({_fastest(big, 'report')}), "
        f"{big['report_statements']:,} statements | ≤ 2 s |",
        f"| `bone-coach report`: the command, start to exit, median (fastest) of 5 | {empty['cli_report_s']:.2f} s | "
        f"{big['cli_report_s']:.2f} s ({_fastest(big, 'cli_report')}) | ≤ 2 s |",
        f"| · of which starting the command (`bone-coach allow list`, median of 5) | {empty['cli_startup_s']:.2f} s | "
        f"{big['cli_startup_s']:.2f} s | |",
        f"| reminder due computation: load_snapshot + compute_due, p50 of 20 | {empty['due_ms']:.1f} ms "
        f"({empty['candidates']} candidate) | {big['due_ms']:.0f} ms ({big['candidates']:,} candidates) | ≤ 1 s |",
        f"| · of which load_snapshot | {empty['snapshot_ms']:.1f} ms, {empty['due_statements']} statements | "
        f"{big['snapshot_ms']:.0f} ms, {big['due_statements']} statements | |",
    ]


def _fastest(result: dict[str, Any], job: str) -> str:
    """The fastest run, when it was recorded (results from before it was)."""
    return f"{result[job + '_fastest_s']:.2f} s" if job + "_fastest_s" in result else "—"


def scan_lines(big: dict[str, Any]) -> list[str]:
    found = [(name, scan) for name, items in big["scans"].items() for scan in items]
    if not found:
        return ["SQLite's EXPLAIN QUERY PLAN of every statement above: no SCAN of a table with a row or more per "
                "client."]
    return ["SQLite's EXPLAIN QUERY PLAN of every statement above, each SCAN of a table with a row or more per "
            "client (the report and the reminder snapshot are about every client: they read clients and profiles "
            "whole by design):", ""] + [f"- {name}: `{scan}`" for name, scan in found]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--reuse", action="store_true", help="measure the databases already built")
    parser.add_argument("--before", type=Path, help="an earlier results.json, shown as 'before'")
    parser.add_argument("--no-write", action="store_true", help="leave BENCHMARKS.md alone")
    parser.add_argument("--postgres", action="store_true", help="also build it on PostgreSQL and EXPLAIN the jobs")
    parser.add_argument("--title", default=SECTION, help="the BENCHMARKS.md section to write (a re-run beside it)")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {"written": f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
                               "load": os.getloadavg()[0], "calls": args.calls}
    paths = [sqlite_path(1), sqlite_path(args.clients)]
    for count, path in zip((1, args.clients), paths, strict=True):
        if not (args.reuse and path.exists()):
            engine = fresh_sqlite(path)
            started = time.perf_counter()
            build(engine, count, args.days, datetime.now(timezone.utc))
            engine.dispose()
            print(f"built {path} in {time.perf_counter() - started:.0f} s", flush=True)
    print(f"measuring {', '.join(str(p) for p in paths)}", flush=True)
    for count, result in zip((1, args.clients), measure_databases(paths, args.calls), strict=True):
        results[str(count)] = asdict(result)
    if args.postgres:
        results["postgresql"] = postgres_plans(args.clients, args.days)
    OUT.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1))
    empty, big = results["1"], results[str(args.clients)]
    print("\n".join(table(empty, big) + [""] + whole(empty, big) + [""] + scan_lines(big)))
    if not args.no_write:
        command = shlex.join(["nice", "-n", "10", ".venv/bin/python", "-m", "bench.cost_growth",
                              *(argv or sys.argv[1:])])
        write_section(args.title, section(results, load(args.before) if args.before else None, command))
    return 0


def turn_p50_ms() -> float | None:
    """The median message -> reply time of the real stack, from bench.profile_turn's section."""
    found = re.search(r"of a (\d+(?:\.\d+)?) ms median turn", BENCHMARKS.read_text()) if BENCHMARKS.exists() else None
    return float(found.group(1)) if found else None


def summary(after: dict[str, Any], before: dict[str, Any] | None, big_key: str) -> list[str]:
    def row(name: str, target: str, value: Callable[[dict[str, Any], dict[str, Any]], str]) -> str:
        was = value(before["1"], before[big_key]) if before else ""
        return f"| {name} | {target} | {was} | {value(after['1'], after[big_key])} |"

    return [
        "| Measure (5,000 clients; 1 client for the ratio) | target | before | after |",
        "|---|---|---|---|",
        row("a check-in turn's database work, p50: 5,000 clients / 1 client", "≤ 1.10×",
            lambda e, b: f"{turn_ms(b):.1f} / {turn_ms(e):.1f} ms = {turn_ms(b) / turn_ms(e):.2f}×"),
        row("`bone-coach report`: build_report", "≤ 2 s",
            lambda e, b: f"{b['report_s']:.2f} s, {b['report_statements']:,} statements"),
        row("`bone-coach report`: the command, start to exit", "≤ 2 s", lambda e, b: f"{b['cli_report_s']:.2f} s"),
        row("reminder due computation for 5,000 clients (load_snapshot + compute_due)", "≤ 1 s",
            lambda e, b: f"{b['due_ms']:.0f} ms"),
    ]


def section(after: dict[str, Any], before: dict[str, Any] | None, command: str) -> list[str]:
    big_key = max((k for k in after if k.isdigit()), key=int)
    empty, big = after["1"], after[big_key]
    counts = ", ".join(f"{name} {count:,}" for name, count in big["tables"].items() if count)
    lines = [
        f"Written by `{command}` on {after['written']}. {machine()}; load average before the run "
        f"{after['load']:.1f} (other work shares these cores: the calls run interleaved, one database then "
        "the other, so a busy moment slows both).",
        "",
        f"`bench.big_database` builds the clinic with bulk INSERTs: {int(big_key):,} clients with complete "
        f"profiles and 90 days each ({counts} rows). Client 0 is the same person, with the same 90 days, in a "
        "database of their own (1 client) and in the big one; every call is made as that client, "
        f"{after['calls']} times (median and 95th percentile), the statements it runs counted "
        "(`before_cursor_execute`). bot.db calls run in a transaction rolled back afterwards; service calls "
        "(what the actions call) commit, and the bench deletes what they wrote, untimed. A check-in turn's "
        "database work is the sum of "
        + ", ".join(f"*{name}*" for name in CHECKIN_TURN) + ".",
        "",
        *summary(after, before, big_key),
        "",
    ]
    turn = turn_p50_ms()
    if turn is not None:
        growth = turn_ms(big) - turn_ms(empty)
        lines += [f"Against the {turn:.0f} ms median turn of the real stack (\"Where a turn's time goes\"), the "
                  f"big database adds {growth:+.1f} ms of database work to a check-in turn: "
                  f"{100 * growth / turn:+.1f}% (the target allows 10%).", ""]
    lines += ["### After the fixes", "", *table(empty, big), "", *whole(empty, big), "", *scan_lines(big), "",
              *postgres_lines(after.get("postgresql", {})), "", *NOTES, "", *FIXES]
    if before is not None:
        lines += ["", f"### Before the fixes ({before['written']})", "",
                  "Measured one database after the other (not yet interleaved) while other work ran on the "
                  "machine: the timings are noisy; the statement counts and the plans are the firm part. The "
                  "report and the command ran once on the big database (minutes each). Plans were listed for "
                  "tables of 10,000 rows or more, so the full reads of coach_alerts (9,453 rows) after every "
                  "turn are not listed; they are what *next alert to deliver* and *to repeat* show.", "",
                  *table(before["1"], before[big_key]), "", *whole(before["1"], before[big_key]), "",
                  *scan_lines(before[big_key])]
    return lines


if __name__ == "__main__":
    sys.exit(main())
