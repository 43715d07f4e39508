"""A client's own data: `/export` hands all of it over, `/forget` deletes all of it (SQLite and
PostgreSQL)."""

from __future__ import annotations

import json
from datetime import time
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from bot.content.loader import messages
from bot.db import clients
from bot.db.engine import unit_of_work
from bot.db.models import Base
from bot.services import Services
from bot.services.types import ProfileAnswers

if TYPE_CHECKING:
    from tests.services.conftest import Clock

OTHER_CHAT = 42


def _a_week_of_use(services: Services, clock: Clock, chat_id: int) -> None:
    services.plans.todays_plan(chat_id)
    services.checkins.log_checkin(chat_id, "done", 5, 1, None)
    clock.advance(days=1)
    services.safety.report_pain(chat_id, 4, "back", "my back is a 4")
    services.safety.record_red_flag(chat_id, "I fell on the ice")
    services.safety.request_human(chat_id, "please call me")


def _row_counts(services: Services) -> dict[str, int]:
    with unit_of_work(services.engine) as s:
        return {
            t.name: s.execute(select(func.count()).select_from(t)).scalar_one() for t in Base.metadata.sorted_tables
        }


def test_export_contains_the_profile_checkins_and_reports(services: Services, clock: Clock, ruth: int) -> None:
    _a_week_of_use(services, clock, ruth)
    data = json.loads(services.privacy.export_json(ruth))
    assert data["client"]["chat_id"] == ruth and data["client"]["display_name"] == "Ruth"
    profile = data["profile"]
    assert (profile["experience"], profile["training_days"], profile["sessions_per_week"]) == ("some", "0,3", 2)
    assert (profile["reminder_time"], profile["equipment"]) == ("07:30:00", "band,chair")
    [checkin] = data["checkins"]
    assert (checkin["day"], checkin["status"], checkin["rpe"], checkin["pain"]) == ("2025-06-02", "done", 5, 1)
    assert checkin["exercise_logs"] and all(log["pattern"] for log in checkin["exercise_logs"])
    assert [(r["kind"], r["score"], r["body_part"]) for r in data["symptom_reports"]] == [
        ("pain", 4, "back"), ("red_flag", None, None)
    ]
    assert [a["kind"] for a in data["coach_alerts"]] == ["red_flag", "human_request"]
    assert data["planned_sessions"][0]["plan_json"]["kind"] == "strength"


def test_export_of_an_unknown_chat_is_empty(services: Services) -> None:
    assert json.loads(services.privacy.export_json(OTHER_CHAT)) == {}


def test_forget_deletes_every_row_about_the_client(services: Services, clock: Clock, ruth: int) -> None:
    _a_week_of_use(services, clock, ruth)
    assert services.privacy.forget(ruth).text == messages()["forgotten"]
    with unit_of_work(services.engine) as s:
        assert clients.get_client(s, ruth) is None
    assert services.plans.todays_plan(ruth).text == messages()["not_onboarded"]
    assert json.loads(services.privacy.export_json(ruth)) == {}
    assert set(_row_counts(services).values()) == {0}
    assert services.privacy.forget(ruth).text == messages()["nothing_to_forget"]


def test_forget_leaves_other_clients_alone(
    services: Services, clock: Clock, answers: ProfileAnswers, ruth: int
) -> None:
    services.plans.save_profile(OTHER_CHAT, "Bob", answers)
    _a_week_of_use(services, clock, OTHER_CHAT)
    before = json.loads(services.privacy.export_json(OTHER_CHAT))
    _a_week_of_use(services, clock, ruth)
    services.privacy.forget(ruth)
    assert json.loads(services.privacy.export_json(OTHER_CHAT)) == before
    assert services.plans.display_name(OTHER_CHAT) == "Bob"


def test_a_reminder_change_is_in_the_export(services: Services, ruth: int) -> None:
    services.reminders.set_reminder(ruth, time(18, 30))
    services.reminders.pause_reminders(ruth, True)
    data = json.loads(services.privacy.export_json(ruth))
    assert (data["profile"]["reminder_time"], data["client"]["reminders_paused"]) == ("18:30:00", True)
