"""A session database the size of a big clinic (issue 17, "Cost growth"): N clients with
complete profiles and D days each of planned sessions, check-ins with exercise logs, symptom
reports (pain, fatigue, a few red flags, most of them cleared), reminders sent, coach alerts
(mostly handled), ladder positions, and a day of Telegram turn records.

Run: `.venv/bin/python -m bench.big_database [--clients 5000] [--days 90] [--url URL]`. Without
--url, a fresh SQLite file var/bench-cost/clients-N.db (an old one is deleted); a --url database
must hold no clients (it is migrated here). 5,000 clients: 1.8 million rows in about 40 s on
SQLite (a 1.1 GB file, most of it the stored plans), 90 s on PostgreSQL.

Rows go in with bulk INSERTs and ids chosen here (no read-back). Each client's rows come from
a random generator seeded with the client's number, so client 0 is the same person in a
1-client and in a 5,000-client database: the two can be compared call for call.
Ratios: strength on the client's 2-3 training weekdays (the engine's `training_weekdays`),
checked in on about 4 of 5 of them (a few twice a day), some balance and walk days asked for
and logged, a pain report about every other week, a red flag for about one client in 16.
Stored plans are real ones (the engine's, one per profile shape and kind); a gentle or stop day
stores the strength plan's text, since only its kind is read back from the past.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Engine

from bot.coaching import models as cm
from bot.coaching.engine import plan_today
from bot.db.engine import ensure_schema, make_engine
from bot.db.models import (
    CheckIn,
    Client,
    CoachAlert,
    ExerciseLog,
    InviteCode,
    LadderPosition,
    PlannedSession,
    ProcessedUpdate,
    Profile,
    ReminderSent,
    SymptomReport,
    format_training_days,
)
from bot.db.status import (
    AlertKind,
    CheckInStatus,
    ClientState,
    RedFlagState,
    ReminderKind,
    ReminderStatus,
    SymptomKind,
    UpdateState,
)
from bot.scheduler.due import strength_days

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "var" / "bench-cost"
FIRST_CHAT = 9_100_000
ZONES = ("America/Chicago", "America/New_York", "America/Denver", "America/Los_Angeles", "America/Phoenix")
SCHEDULES = {3: ((0, 2, 4), (1, 3, 5), (0, 3, 5), (0, 2, 5)), 2: ((1, 4), (0, 3), (2, 5), (0, 4))}
EQUIPMENT = ("chair", "band", "chair,band", "band,chair,dumbbells", "")
BODY_PARTS = ("knee", "hip", "back", "neck", "shoulder", "wrist", None)
CHUNK = 250  # clients per transaction


@dataclass
class Ids:
    """The next primary key of each table with a surrogate key."""

    next: dict[str, int] = field(default_factory=dict)

    def take(self, table: str) -> int:
        value = self.next.get(table, 1)
        self.next[table] = value + 1
        return value


@dataclass
class Rows:
    """One chunk's rows, per table, in an order the foreign keys accept."""

    tables: dict[Any, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, model: Any, **values: Any) -> None:
        self.tables.setdefault(model, []).append(values)


ORDER = (Client, Profile, InviteCode, LadderPosition, PlannedSession, CheckIn, ExerciseLog, SymptomReport,
         CoachAlert, ReminderSent, ProcessedUpdate)


# The engine's own plans stored as plan_json (what /today stores), one per kind per profile shape.
TEMPLATE_PROFILES = (
    cm.Profile("new", False, 1, "low", 3, 2, (1, 4), frozenset({"chair"})),
    cm.Profile("some", False, 0, "medium", 2, 3, (0, 2, 4), frozenset({"chair", "band"})),
    cm.Profile("regular", True, 0, "high", 1, 3, (0, 2, 4), frozenset({"chair", "band", "dumbbells"})),
)


@dataclass(frozen=True)
class Template:
    plan_json: str  # the day is the placeholder DAY
    exercises: tuple[cm.PlannedExercise, ...]
    rungs: dict[str, int]


def plan_templates() -> dict[tuple[int, str], Template]:
    """(profile shape, kind) -> a plan made by the engine from an empty history."""
    found: dict[tuple[int, str], Template] = {}
    for shape, profile in enumerate(TEMPLATE_PROFILES):
        for offset in range(7):
            plan = plan_today(profile, cm.History((), {}), date(2025, 1, 6) + timedelta(days=offset), [])
            data = {**asdict(plan), "day": "DAY", "tiers": sorted(plan.tiers), "rungs": dict(plan.rungs),
                    "rungs_before": dict(plan.rungs)}
            found.setdefault((shape, plan.kind), Template(json.dumps(data), plan.exercises, dict(plan.rungs)))
    missing = {(shape, kind) for shape in range(len(TEMPLATE_PROFILES)) for kind in ("strength", "balance", "walk")}
    if missing - set(found):
        raise RuntimeError(f"the engine planned no {sorted(missing - set(found))}")
    return found


@dataclass
class RedFlag:
    day: date
    state: RedFlagState
    stopped_until: date  # training starts again on this day (far away while not cleared)


def _at(day: date, when: clock_time, tz: ZoneInfo, minutes: int = 0) -> datetime:
    return (datetime.combine(day, when, tzinfo=tz) + timedelta(minutes=minutes)).astimezone(timezone.utc)


def _handled(rows: Rows, ids: Ids, rng: random.Random, client_id: int, at: datetime, kind: AlertKind,
             detail: str, now: datetime, dedup_key: str | None = None, still_open: bool | None = None) -> None:
    """An alert, delivered at once; handled within hours unless it is one of the few still open
    (a few of last week's; those were just sent again, so nothing is due for a repeat)."""
    if still_open is None:
        still_open = at > now - timedelta(days=7) and rng.random() < 0.03
    handled = None if still_open else min(now, at + timedelta(minutes=rng.randrange(5, 600)))
    rows.add(CoachAlert, id=ids.take("coach_alerts"), client_id=client_id, at=at, kind=kind, detail=detail,
             handled_at=handled, handled_by=None if still_open else "Dana",
             notify_claimed_at=at + timedelta(seconds=1),
             notified_at=now - timedelta(minutes=5) if still_open else at + timedelta(seconds=2),
             dedup_key=dedup_key)


def _symptom(rows: Rows, ids: Ids, client_id: int, at: datetime, kind: SymptomKind, score: int | None,
             body_part: str | None, excerpt: str, message: int, **flag: Any) -> None:
    values = dict(cleared_at=None, cleared_by=None, state=None, handled_at=None, handled_by=None,
                  clear_notice_claimed_at=None, clear_notice_sent_at=None)
    rows.add(SymptomReport, id=ids.take("symptom_reports"), client_id=client_id, at=at, kind=kind, score=score,
             body_part=body_part, text_excerpt=excerpt, source_message_id=f"tg-{message}", **{**values, **flag})


def _red_flag(rng: random.Random, first: date, days: int, probe: bool) -> RedFlag | None:
    """Most red flags were cleared after a few days; some are handled (someone is on it), and
    those of the last week may still be open."""
    if probe or rng.random() >= 1 / 16:
        return None
    offset = rng.randrange(days)
    day, roll = first + timedelta(days=offset), rng.random()
    if roll < 0.8:
        return RedFlag(day, RedFlagState.CLEARED, day + timedelta(days=rng.randrange(2, 8)))
    recent = offset >= days - 7
    return RedFlag(day, RedFlagState.OPEN if recent and roll >= 0.9 else RedFlagState.HANDLED, date.max)


def client_rows(i: int, now: datetime, days: int, ids: Ids, rows: Rows, templates: dict[tuple[int, str], Template]
                ) -> None:
    """Everything about client number `i` (client 0 is the probe the benchmark talks as: always
    active, reminders on, no red flag)."""
    rng = random.Random(f"bone-coach-issue-17:{i}")
    probe = i == 0
    chat, zone = FIRST_CHAT + i, ZONES[i % len(ZONES)]
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    first = today - timedelta(days=days)
    joined = _at(first - timedelta(days=1), clock_time(rng.randrange(8, 20), rng.randrange(60)), tz)
    client_id, shape = ids.take("clients"), i % len(TEMPLATE_PROFILES)
    per_week = 3 if rng.random() < 0.6 else 2
    chosen = rng.choice(SCHEDULES[per_week])
    strong = strength_days(per_week, chosen)
    light = rng.random() < 0.2
    reminded = probe or rng.random() > 0.05  # the rest paused reminders or blocked the bot
    blocked = not reminded and rng.random() < 0.3
    reminder_time = clock_time(rng.randrange(7, 19), rng.choice((0, 15, 30, 45)))
    rows.add(Client, id=client_id, chat_id=chat, display_name=f"Client {i}", timezone=zone,
             state=ClientState.ACTIVE if probe or rng.random() > 0.03 else ClientState.PAUSED,
             consent_at=joined, created_at=joined - timedelta(minutes=3), reminders_paused=not reminded and not blocked,
             light_reminders=light, blocked_bot_at=now - timedelta(days=3) if blocked else None,
             cleared_for_weights=rng.random() < 0.3, cleared_floor=rng.random() < 0.5, high_risk=rng.random() < 0.1,
             recent_fracture_uncleared=False)
    rows.add(Profile, client_id=client_id, experience=TEMPLATE_PROFILES[shape].experience,
             vertebral_fracture=rng.random() < 0.15, falls_last_year=rng.choice((0, 0, 0, 1, 2)),
             balance_confidence=rng.choice(("low", "medium", "medium", "high")),
             baseline_pain=rng.choice((0, 1, 1, 2, 2, 3, 4)), sessions_per_week=per_week,
             training_days=format_training_days(chosen), reminder_time=reminder_time,
             equipment=rng.choice(EQUIPMENT), updated_at=joined, vertebral_fracture_unsure=False,
             recent_fracture=False, several_fractures=rng.random() < 0.2, height_loss_or_curve=rng.random() < 0.15)
    rows.add(InviteCode, id=ids.take("invite_codes"), code=f"BC{chat}", created_at=joined - timedelta(days=2),
             created_by="bench", redeemed_by_chat_id=chat, redeemed_at=joined)
    for pattern, rung in templates[(shape, "strength")].rungs.items():
        rows.add(LadderPosition, id=ids.take("ladder_positions"), client_id=client_id, pattern=pattern,
                 rung=rung + rng.randrange(3), start_rung=rung, updated_at=now - timedelta(days=rng.randrange(1, 20)))
    red = _red_flag(rng, first, days, probe)
    last_done: date | None = None
    missed = 0
    for offset in range(days):
        day = first + timedelta(days=offset)
        stopped = red is not None and red.day <= day < red.stopped_until
        remind_at = _at(day, reminder_time, tz)
        kind: str | None = None
        if day.weekday() in strong:
            kind = "stop" if stopped else "gentle" if rng.random() < 0.04 else "strength"
        elif not stopped and rng.random() < 0.3:
            kind = "balance" if rng.random() < 0.6 else "walk"
        reminder = (ReminderKind.CHECKIN if day.weekday() in strong else ReminderKind.LIGHT if light else None)
        if reminded and reminder is not None:
            rows.add(ReminderSent, id=ids.take("reminders_sent"), client_id=client_id, day=day, kind=reminder,
                     claimed_at=remind_at, sent_at=remind_at + timedelta(seconds=2), status=ReminderStatus.SENT,
                     lease_until=None, attempts=1)
        plan_id = None
        if kind is not None:
            plan_id = ids.take("planned_sessions")
            template = templates[(shape, kind if kind in ("balance", "walk") else "strength")]
            rows.add(PlannedSession, id=plan_id, client_id=client_id, day=day, kind=kind,
                     plan_json=template.plan_json.replace('"DAY"', f'"{day.isoformat()}"'),
                     created_at=remind_at - timedelta(minutes=1))
        checked_in = False
        if kind in ("strength", "gentle", "balance", "walk") and rng.random() < (0.8 if kind in ("strength", "gentle")
                                                                                 else 0.5):
            template = templates[(shape, kind if kind in ("balance", "walk") else "strength")]
            for repeat in range(2 if rng.random() < 0.04 else 1):
                status = (CheckInStatus.DONE if repeat or kind in ("balance", "walk")
                          else rng.choices(list(CheckInStatus), (0.8, 0.1, 0.1))[0])
                pain = rng.choice((None, None, 0, 0, 1, 1, 2, 2, 3, 4, 5, 6))
                checkin_id = ids.take("checkins")
                rows.add(CheckIn, id=checkin_id, client_id=client_id, day=day, planned_session_id=plan_id,
                         status=status, rpe=None if status == CheckInStatus.SKIPPED else rng.randint(3, 8), pain=pain,
                         note=None, skip_reason=rng.choice(("tired", "busy", "sore")) if status == CheckInStatus.SKIPPED
                         else None, created_at=remind_at + timedelta(minutes=rng.randrange(20, 240) + 300 * repeat),
                         session_kind=kind, source_message_id=f"tg-{ids.take('messages')}")
                if status == CheckInStatus.SKIPPED:
                    continue
                checked_in = True
                exercises = template.exercises[: None if status == CheckInStatus.DONE else 3]
                for exercise in exercises:
                    rows.add(ExerciseLog, id=ids.take("exercise_logs"), checkin_id=checkin_id, pattern=exercise.pattern,
                             rung=exercise.rung, sets=exercise.sets, reps=exercise.reps, seconds=exercise.seconds)
        if checked_in:
            last_done, missed = day, 0
        elif kind in ("strength", "gentle"):
            missed += 1
            if reminded and day.weekday() in strong and rng.random() < 0.6:
                nudge_at = _at(day, clock_time(19), tz)
                rows.add(ReminderSent, id=ids.take("reminders_sent"), client_id=client_id, day=day,
                         kind=ReminderKind.NUDGE, claimed_at=nudge_at, sent_at=nudge_at + timedelta(seconds=2),
                         status=ReminderStatus.SENT, lease_until=None, attempts=1)
            if missed == 3:
                key = f"missed_sessions:{last_done.isoformat() if last_done else 'never'}"
                _handled(rows, ids, rng, client_id, _at(day + timedelta(days=1), clock_time(9), tz),
                         AlertKind.MISSED_SESSIONS, "3 sessions missed in a row", now, key)
        if rng.random() < 1 / 14:
            score = rng.choice((1, 2, 2, 3, 3, 4, 4, 5, 6, 7, 8))
            at = remind_at + timedelta(minutes=rng.randrange(-300, 300))
            _symptom(rows, ids, client_id, at, SymptomKind.PAIN, score, rng.choice(BODY_PARTS),
                     f"pain {score}/10 today", ids.take("messages"))
            if score >= 7:
                _handled(rows, ids, rng, client_id, at, AlertKind.PAIN_HIGH, f"Pain {score}/10 reported", now)
        if rng.random() < 0.02:
            _symptom(rows, ids, client_id, remind_at, SymptomKind.FATIGUE, None, None, "so tired today",
                     ids.take("messages"))
        if rng.random() < 0.004:
            _handled(rows, ids, rng, client_id, remind_at, AlertKind.HUMAN_REQUEST, "can I talk to someone", now)
        if red is not None and day == red.day:
            at = remind_at + timedelta(hours=1)
            handled = at + timedelta(minutes=40) if red.state != RedFlagState.OPEN else None
            cleared = _at(red.stopped_until, clock_time(10), tz) if red.state == RedFlagState.CLEARED else None
            _symptom(rows, ids, client_id, at, SymptomKind.RED_FLAG, 8, "back", "sudden sharp pain in my back",
                     ids.take("messages"), state=red.state, handled_at=handled, handled_by="Dana" if handled else None,
                     cleared_at=cleared, cleared_by="Dr Lee" if cleared else None,
                     clear_notice_claimed_at=cleared + timedelta(seconds=5) if cleared else None,
                     clear_notice_sent_at=cleared + timedelta(seconds=6) if cleared else None)
            _handled(rows, ids, rng, client_id, at, AlertKind.RED_FLAG, "sudden sharp pain in my back", now,
                     still_open=red.state == RedFlagState.OPEN)
    if reminded:  # the last day's Telegram turns (done records are kept for a day)
        for _ in range(rng.randrange(1, 6)):
            claimed = now - timedelta(seconds=rng.randrange(60, 86_000))
            rows.add(ProcessedUpdate, update_id=ids.take("updates"), state=UpdateState.DONE, claimed_at=claimed,
                     done_at=claimed + timedelta(seconds=2), owner=None, chat_id=chat, update_json=None, replies=None,
                     delivered=2, attempts=1)


def build(engine: Engine, clients: int, days: int, now: datetime) -> dict[str, int]:
    """Fill a migrated, empty database; returns the row count of each table filled."""
    with engine.connect() as connection:
        if connection.execute(select(func.count()).select_from(Client)).scalar():
            raise SystemExit("the database already has clients: give a fresh one")
    templates, ids = plan_templates(), Ids()
    counts: dict[str, int] = {}
    for start in range(0, clients, CHUNK):
        rows = Rows()
        for i in range(start, min(clients, start + CHUNK)):
            client_rows(i, now, days, ids, rows, templates)
        with engine.begin() as connection:
            for model in ORDER:
                batch = rows.tables.get(model, [])
                if batch:
                    connection.execute(insert(model.__table__), batch)
                    counts[model.__tablename__] = counts.get(model.__tablename__, 0) + len(batch)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            for model in ORDER:
                if "id" in model.__table__.c:
                    table = model.__tablename__
                    connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                            f"(SELECT coalesce(max(id), 1) FROM {table}))"))
            connection.execute(text("ANALYZE"))
    return counts


def probe_chat_id() -> int:
    """The chat of client 0, the same person in every database built here."""
    return FIRST_CHAT


def sqlite_path(clients: int) -> Path:
    return OUT / f"clients-{clients}.db"


def fresh_sqlite(path: Path) -> Engine:
    """A new, migrated SQLite database at `path` (an old one and its WAL files are deleted)."""
    for old in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        old.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    ensure_schema(engine)
    return engine


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--url", help="a migrated-empty database instead of a fresh SQLite file")
    args = parser.parse_args(argv)
    if args.url:
        engine = make_engine(args.url)
        ensure_schema(engine)
    else:
        engine = fresh_sqlite(sqlite_path(args.clients))
    started = time.perf_counter()
    counts = build(engine, args.clients, args.days, datetime.now(timezone.utc))
    seconds = time.perf_counter() - started
    engine.dispose()
    for table, count in counts.items():
        print(f"{table:18} {count:>10,}")
    where = args.url or sqlite_path(args.clients)
    print(f"{sum(counts.values()):,} rows in {seconds:.1f} s: {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
