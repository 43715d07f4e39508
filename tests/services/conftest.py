"""The coaching services on a real session database (`db_engine`: SQLite and PostgreSQL) with a
clock the test moves, so "today", "next week" and "three weeks of training" are exact days."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timezone
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.db import clients, sessions
from bot.db.engine import unit_of_work
from bot.db.models import CoachAlert, PlannedSession, SymptomReport
from bot.services import Services
from bot.services.types import ProfileAnswers
from tests.support.clock import Clock

CHAT = 5_000_000_042  # beyond 32 bits, as real Telegram chat ids can be
# Monday 2 June 2025, 10:00 in Duluth (America/Chicago, UTC-5 in summer): no icy-season rules.
MONDAY_10AM = datetime(2025, 6, 2, 15, 0, tzinfo=timezone.utc)
MONDAY, TUESDAY, WEDNESDAY, THURSDAY = (date(2025, 6, d) for d in (2, 3, 4, 5))
STRENGTH_PATTERNS = {"sit_to_stand", "step_up", "hip_hinge", "row", "push", "back_extensor", "carry",
                     "heel_raise", "anti_rotation"}


def patterns(plan: dict[str, Any]) -> set[str]:
    return {e["pattern"] for e in plan["exercises"]}


def planned_logs(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """What a "done" check-in should log: each planned exercise as prescribed."""
    keys = ("pattern", "rung", "sets", "reps", "seconds")
    return [{k: e[k] for k in keys} for e in plan["exercises"]]


class Peek:
    """Reads what the service stored, straight from the database, for assertions."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def plan(self, chat_id: int, day: date) -> dict[str, Any] | None:
        """The plan stored for that local day (its JSON), or None."""
        with unit_of_work(self.engine) as s:
            row = self._plan_row(s, chat_id, day)
            return None if row is None else json.loads(row.plan_json)

    def plan_created_at(self, chat_id: int, day: date) -> datetime:
        with unit_of_work(self.engine) as s:
            return self._plan_row(s, chat_id, day).created_at

    def alerts(self, chat_id: int) -> list[tuple[str, str | None]]:
        """(kind, detail) of the client's services alerts, oldest first."""
        with unit_of_work(self.engine) as s:
            client = clients.get_client(s, chat_id)
            rows = s.execute(
                select(CoachAlert).where(CoachAlert.client_id == client.id).order_by(CoachAlert.id)
            ).scalars()
            return [(a.kind, a.detail) for a in rows]

    def symptoms(self, chat_id: int) -> list[tuple[str, int | None, str | None]]:
        """(kind, score, body part) of the client's symptom reports, oldest first."""
        with unit_of_work(self.engine) as s:
            client = clients.get_client(s, chat_id)
            rows = s.execute(
                select(SymptomReport).where(SymptomReport.client_id == client.id).order_by(SymptomReport.id)
            ).scalars()
            return [(r.kind, r.score, r.body_part) for r in rows]

    def checkins(self, chat_id: int) -> list[dict[str, Any]]:
        """Every check-in with its exercise logs, oldest first."""
        with unit_of_work(self.engine) as s:
            client = clients.get_client(s, chat_id)
            return [
                {
                    "day": c.day, "status": c.status, "rpe": c.rpe, "pain": c.pain,
                    "skip_reason": c.skip_reason, "planned_session_id": c.planned_session_id,
                    "logs": [
                        {"pattern": e.pattern, "rung": e.rung, "sets": e.sets, "reps": e.reps,
                         "seconds": e.seconds}
                        for e in c.exercise_logs
                    ],
                }
                for c in sessions.recent_checkins(s, client, date.min)
            ]

    def ladders(self, chat_id: int) -> dict[str, int]:
        with unit_of_work(self.engine) as s:
            return clients.ladder_positions(s, clients.get_client(s, chat_id))

    @staticmethod
    def _plan_row(s: Any, chat_id: int, day: date) -> PlannedSession | None:
        client = clients.get_client(s, chat_id)
        return s.execute(
            select(PlannedSession).where(PlannedSession.client_id == client.id, PlannedSession.day == day)
        ).scalar_one_or_none()


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY_10AM)


@pytest.fixture
def services(db_engine: Engine, clock: Clock) -> Services:
    """Every service on the test database, with the test's clock (the composition root's
    constructor for an engine the caller already has)."""
    return Services.over(db_engine, clock)


@pytest.fixture
def peek(db_engine: Engine) -> Peek:
    return Peek(db_engine)


@pytest.fixture
def answers() -> ProfileAnswers:
    """Ruth: some experience, no fracture or falls, strength on Monday and Thursday."""
    return ProfileAnswers(
        experience="some",
        vertebral_fracture=False,
        falls_last_year=0,
        balance_confidence="high",
        pain_today=0,
        sessions_per_week=2,
        training_days=(0, 3),
        reminder_time=time(7, 30),
        equipment=frozenset({"chair", "band"}),
        recent_fracture=False,
        several_fractures=False,
        height_loss_or_curve=False,
    )


@pytest.fixture
def ruth(services: Services, answers: ProfileAnswers) -> int:
    """Ruth onboarded; her chat id."""
    services.plans.save_profile(CHAT, "Ruth", answers)
    return CHAT
