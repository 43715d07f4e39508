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
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import delete, event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bench.big_database import OUT, build, fresh_sqlite, probe_chat_id, sqlite_path
from bench.report import write_section
from bench.run import machine
from bot.coach_desk.alerts import STALE_CLAIM, RepeatPolicy
from bot.coach_desk.report import build_report
from bot.coaching.library import default_rules
from bot.db import alerts, clients, sessions, symptoms, turns
from bot.db.engine import ensure_schema, make_engine, unit_of_work
from bot.db.models import Base, CheckIn, Client, SymptomReport
from bot.db.reminders import load_snapshot
from bot.db.status import AlertKind, CheckInStatus, SymptomKind
from bot.scheduler import load_config
from bot.scheduler.due import compute_due
from bot.services import Services
from bot.services.context import local_midnight, local_today
from bot.services.history import history

SECTION = "Cost growth: 5,000 clients (issue 17)"
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
    rows: int
    migrate_s: float
    calls: dict[str, Timing]
    report_s: float
    report_statements: int
    cli_report_s: float
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
    rows: int
    migrate_s: float  # ensure_schema: building new indexes when the file was made before them


def open_database(path: Path) -> Database:
    engine = make_engine(f"sqlite:///{path}")
    started = time.perf_counter()
    ensure_schema(engine)
    migrate_s = time.perf_counter() - started
    with engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(Client)).scalar_one()
        rows = sum(connection.execute(select(func.count()).select_from(t)).scalar_one()
                   for t in Base.metadata.sorted_tables)
    return Database(path, engine, Statements(engine), count, rows, migrate_s)


def growing_tables(db: Database) -> set[str]:
    """Tables with a row or more per client: reading one whole grows with the clinic."""
    with db.engine.connect() as connection:
        return {t.name for t in Base.metadata.sorted_tables
                if connection.execute(select(func.count()).select_from(t)).scalar_one() >= db.clients}


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
    print(f"  report on {db.clients:,} clients: {report_s:.2f} s, {first[1]} statements", flush=True)
    due = [due_once(db.engine, db.counter) for _ in range(20)]
    if tables:
        found["bone-coach report (build_report)"] = scans(
            db, record(db.counter, lambda: build_report(db.engine, datetime.now(timezone.utc))), tables)
        found["reminder due computation (load_snapshot)"] = scans(
            db, record(db.counter, lambda: due_once(db.engine, db.counter)), tables)
    cli_report = statistics.median(cli_seconds(url, "report") for _ in range(3 if report_s < 5 else 1))
    cli_startup = statistics.median(cli_seconds(url, "allow", "list") for _ in range(3))
    return Result(
        clients=db.clients, rows=db.rows, migrate_s=db.migrate_s, calls=timings, report_s=report_s,
        report_statements=first[1], cli_report_s=cli_report, cli_startup_s=cli_startup,
        snapshot_ms=1000 * statistics.median(d[0] for d in due), due_ms=1000 * statistics.median(d[1] for d in due),
        due_statements=due[0][2], candidates=due[0][3], scans=found,
    )


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def turn_ms(result: dict[str, Any]) -> float:
    return sum(result["calls"][name]["p50_ms"] for name in CHECKIN_TURN)


def table(empty: dict[str, Any], big: dict[str, Any]) -> list[str]:
    lines = ["| Call | 1 client p50 / p95 ms | 5,000 clients p50 / p95 ms | p50 ratio | statements (1 → 5,000) |",
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
        "| Whole job | 1 client | 5,000 clients | target |",
        "|---|---|---|---|",
        f"| `bone-coach report`: build_report | {1000 * empty['report_s']:.0f} ms, {empty['report_statements']} "
        f"statements | {big['report_s']:.2f} s, {big['report_statements']:,} statements | ≤ 2 s |",
        f"| `bone-coach report`: the command, start to exit (median of 3) | {empty['cli_report_s']:.2f} s | "
        f"{big['cli_report_s']:.2f} s | ≤ 2 s |",
        f"| · of which starting the command (`bone-coach allow list`) | {empty['cli_startup_s']:.2f} s | "
        f"{big['cli_startup_s']:.2f} s | |",
        f"| reminder due computation: load_snapshot + compute_due, p50 of 20 | {empty['due_ms']:.1f} ms "
        f"({empty['candidates']} candidate) | {big['due_ms']:.0f} ms ({big['candidates']:,} candidates) | ≤ 1 s |",
        f"| · of which load_snapshot | {empty['snapshot_ms']:.1f} ms, {empty['due_statements']} statements | "
        f"{big['snapshot_ms']:.0f} ms, {big['due_statements']} statements | |",
    ]


def scan_lines(big: dict[str, Any]) -> list[str]:
    found = [(name, scan) for name, items in big["scans"].items() for scan in items]
    if not found:
        return ["EXPLAIN QUERY PLAN: no statement reads a big table whole, except as listed below."]
    return ["EXPLAIN QUERY PLAN, full reads of a table of 10,000 rows or more:", ""] + [
        f"- {name}: `{scan}`" for name, scan in found]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--reuse", action="store_true", help="measure the databases already built")
    parser.add_argument("--before", type=Path, help="an earlier results.json, shown as 'before'")
    parser.add_argument("--no-write", action="store_true", help="leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {"written": f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC"}
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
    OUT.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1))
    empty, big = results["1"], results[str(args.clients)]
    print("\n".join(table(empty, big) + [""] + whole(empty, big) + [""] + scan_lines(big)))
    if not args.no_write:
        command = " ".join(["nice -n 10 .venv/bin/python -m bench.cost_growth", *(argv or sys.argv[1:])])
        write_section(SECTION, section(results, load(args.before) if args.before else None, command))
    return 0


def section(after: dict[str, Any], before: dict[str, Any] | None, command: str) -> list[str]:
    big_key = max((k for k in after if k.isdigit()), key=int)
    empty, big = after["1"], after[big_key]
    lines = [f"Written by `{command}` on {after['written']}. {machine()}", ""]
    if before is not None:
        lines += [f"### Before the fixes ({before['written']})", "",
                  *table(before["1"], before[big_key]), "", *whole(before["1"], before[big_key]), "",
                  *scan_lines(before[big_key]), "", "### After the fixes", ""]
    lines += [*table(empty, big), "", *whole(empty, big), "", *scan_lines(big)]
    return lines


if __name__ == "__main__":
    sys.exit(main())
