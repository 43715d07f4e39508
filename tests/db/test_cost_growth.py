"""Issue 17, "Cost growth", without the 5,000-client build (bench.cost_growth measures that): the
clinic-wide jobs run as many statements for 30 clients as for 3 (no query per client), a turn's
history reads as many for two months of check-ins as for ten days (no query per check-in), the
report's numbers are each client's own /progress numbers, the indexes a big clinic needs exist
after migration, SQLite plans the statements that run after every turn, the reminder snapshot
and the report on them (no read of a whole table that grows with the clinic), and a process
starting on an up-to-date database does not check every row's foreign keys."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine

from bench.big_database import build, probe_chat_id
from bot.coach_desk.adherence import client_training_weekdays, first_planned_day, planned_days
from bot.coach_desk.alerts import STALE_CLAIM, RepeatPolicy
from bot.coach_desk.report import build_report
from bot.coaching.progress import DONE, NOT_TRAINING, summarize_progress
from bot.db import alerts, clients, sessions, symptoms
from bot.db.engine import ensure_schema, make_engine, unit_of_work
from bot.db.models import Base
from bot.db.reminders import load_snapshot
from bot.services.history import client_history, history

NOW = datetime(2025, 3, 5, 16, 0, tzinfo=timezone.utc)
# name: (table, partial index condition or None)
BIG_CLINIC_INDEXES = {
    "ix_coach_alerts_open": ("coach_alerts", "handled_at IS NULL"),
    "ix_symptom_reports_red_flags": ("symptom_reports", "state IS NOT NULL"),
    "ix_symptom_reports_at": ("symptom_reports", None),
    "ix_checkins_day_client_id": ("checkins", None),
    "ix_planned_sessions_day_client_id_kind": ("planned_sessions", None),
}


@contextmanager
def statements(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The SQL statements (with parameters) the engine runs inside the block."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def clinic(engine: Engine, clients_: int, days: int = 90) -> None:
    """A fresh clinic of `clients_` clients with `days` days of history each (bench.big_database)."""
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    build(engine, clients_, days, NOW)


def test_the_report_runs_as_many_statements_for_30_clients_as_for_3(db_engine: Engine) -> None:
    counts = []
    for size in (3, 30):
        clinic(db_engine, size)
        with statements(db_engine) as seen:
            assert len(build_report(db_engine, NOW)) == size
        counts.append(len(seen))
    assert counts[0] == counts[1] < 15


def test_a_turns_history_runs_as_many_statements_for_two_months_as_for_ten_days(db_engine: Engine) -> None:
    counts = []
    for days in (10, 60):
        clinic(db_engine, 1, days)
        with unit_of_work(db_engine) as s:
            client = clients.get_client(s, probe_chat_id())
            with statements(db_engine) as seen:
                found, _ = history(s, client, NOW, {})
        assert len(found.sessions) > days // 4  # check-ins on most training days
        counts.append(len(seen))
    assert counts[0] == counts[1]


def test_each_report_row_has_the_clients_own_progress_numbers(db_engine: Engine) -> None:
    """The clinic-wide reads give what each client's own reads give (/progress, the per-client
    planned days), including days with two check-ins, skipped and partial ones, rest and stop
    days, pain reports, red flags, and streaks that end within the last 28 days or go back
    further (the builder's mix)."""
    clinic(db_engine, 30)
    rows = {r.chat_id: r for r in build_report(db_engine, NOW)}
    with unit_of_work(db_engine) as s:
        for client in clients.all_clients(s):
            today, found, reports = client_history(s, client, NOW)
            summary = summarize_progress(found, reports, today)
            month = today - timedelta(days=27)
            first = max(month, first_planned_day(client))
            scheduled = planned_days(client_training_weekdays(client.profile), sessions.planned_kinds(s, client, month),
                                     first, today - timedelta(days=1))
            trained = {r.day for r in found.sessions if month <= r.day <= today and r.kind not in NOT_TRAINING}
            done = {r.day for r in found.sessions if r.day in trained and r.status in DONE}
            row = rows[client.chat_id]
            assert (row.streak, row.pain_average, row.pain_trend, row.last_session) == (
                summary.streak, summary.pain_recent, summary.pain_trend, sessions.last_done_day(s, client))
            assert (row.planned_28, row.done_28) == (len(trained | set(scheduled)), len(done))
            assert row.open_red_flags == len(symptoms.open_red_flags(s, client))
            assert row.open_alerts == len(alerts.list_alerts(s, client, open_only=True))
    assert any(r.streak > r.planned_28 for r in rows.values())  # streaks from before the 28 days too
    assert any(r.streak == 0 for r in rows.values()) and any(r.pain_average for r in rows.values())
    assert len({r.pain_trend for r in rows.values()}) > 1


def test_the_big_clinic_indexes_exist_after_migration(db_engine: Engine) -> None:
    inspector = inspect(db_engine)
    for name, (table, condition) in BIG_CLINIC_INDEXES.items():
        assert name in {i["name"] for i in inspector.get_indexes(table)}, name
        with db_engine.connect() as connection:
            if db_engine.dialect.name == "sqlite":
                sql = connection.execute(text("SELECT sql FROM sqlite_master WHERE name = :n"), {"n": name}).scalar()
            else:
                sql = connection.execute(text("SELECT indexdef FROM pg_indexes WHERE indexname = :n AND "
                                              "schemaname = current_schema()"), {"n": name}).scalar()
        assert ("WHERE" in sql.upper()) == (condition is not None), sql


def _whole_table_reads(engine: Engine, seen: list[tuple[str, Any]], growing: set[str]) -> list[str]:
    """SQLite plan steps reading a growing table whole (a partial index holds only its rows)."""
    found = []
    with engine.connect() as connection:
        partial = set(connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql LIKE '% WHERE %'").scalars())
        for statement, parameters in seen:
            if statement.lstrip().upper().startswith(("BEGIN", "PRAGMA", "SAVEPOINT", "RELEASE", "ROLLBACK")):
                continue
            for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", tuple(parameters)).all():
                words = row[-1].split()
                if words[0] == "SCAN" and words[1] in growing and words[-1] not in partial:
                    found.append(f"{row[-1]}: {statement[:120]}")
    return found


def test_sqlite_plans_the_hot_statements_on_indexes(tmp_path: Path) -> None:
    """After every turn (alert delivery and repeats, the cleared notice), the reminder snapshot,
    the report and /alerts read no whole table that grows with the clinic; only the clients (and
    their profiles), which the snapshot and the report are about, are read whole."""
    engine = make_engine(f"sqlite:///{tmp_path / 'clinic.db'}")
    ensure_schema(engine)
    build(engine, 30, 30, NOW)
    repeat = RepeatPolicy.from_clinic()
    with statements(engine) as seen:
        with unit_of_work(engine) as s:
            alerts.claim_next_alert(s, NOW, STALE_CLAIM)
            alerts.claim_next_repeat(s, NOW, repeat.after, STALE_CLAIM, repeat.kinds)
            symptoms.claim_clear_notice(s, NOW, STALE_CLAIM)
            alerts.list_alerts(s, open_only=True)
            load_snapshot(s, NOW)
        build_report(engine, NOW)
    growing = {t.name for t in Base.metadata.sorted_tables} - {"clients", "profiles"}
    assert _whole_table_reads(engine, seen, growing) == []
    engine.dispose()


def test_a_start_on_an_up_to_date_sqlite_database_checks_no_foreign_keys(tmp_path: Path) -> None:
    """ensure_schema runs at every process start: checking every row's foreign keys there would
    grow with the database (0.6 s at 5,000 clients); only a migration that ran needs the check."""
    engine = make_engine(f"sqlite:///{tmp_path / 'clinic.db'}")
    with statements(engine) as migrating:
        ensure_schema(engine)
    with statements(engine) as starting:
        ensure_schema(engine)
    engine.dispose()
    assert any("foreign_key_check" in statement for statement, _ in migrating)
    assert not any("foreign_key_check" in statement for statement, _ in starting)
