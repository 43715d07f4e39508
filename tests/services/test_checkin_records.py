"""Check-ins never overwrite silently: a second one the same day is its own record, and every
reader (progress, streak, ladders, the chart, the clinic's report) counts the day once. The kind
of session done is what the plan said when it was logged (issue 16)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy.engine import Engine

from bot.coach_desk.report import build_report
from bot.coaching.chart import weekly_sessions
from bot.coaching.models import History
from bot.db import clients
from bot.db.engine import unit_of_work
from bot.services import Services
from bot.services.history import client_history
from bot.services.types import ProfileAnswers
from tests.services.conftest import CHAT, MONDAY_10AM, Clock, Peek


def _history(services: Services, clock: Clock, chat_id: int) -> tuple[date, History, list]:
    with unit_of_work(services.engine) as s:
        return client_history(s, clients.get_client(s, chat_id), clock.now)


def test_a_second_checkin_the_same_day_is_kept_and_the_day_counts_once(
    services: Services, clock: Clock, peek: Peek, ruth: int
) -> None:
    services.plans.todays_plan(ruth)  # Monday, a strength day
    services.checkins.log_checkin(ruth, "done", 6, 1, None, "tg-1")
    clock.advance(hours=2)
    second = services.checkins.log_checkin(ruth, "done", 5, 2, None, "tg-2")
    assert [(c["status"], c["rpe"], c["pain"]) for c in peek.checkins(ruth)] == [("done", 6, 1), ("done", 5, 2)]
    # Still the first session of the four weeks, not the second.
    assert "first session" in second.text

    today, history, _ = _history(services, clock, ruth)
    [day] = history.sessions
    assert (day.day, day.status, day.kind, day.rpe, day.pain) == (today, "done", "strength", 6, 2)
    assert "• Sessions in the last 4 weeks: 1" in services.plans.progress(ruth).text
    assert weekly_sessions(history, today)[-1][1:] == (1, 0)
    clock.advance(days=1)
    [row] = build_report(services.engine, clock.now)
    assert (row.done_7, row.done_28, row.streak) == (1, 1, 1)


def test_checking_in_twice_a_day_never_climbs_faster_than_once(db_engine: Engine, answers: ProfileAnswers) -> None:
    ladders = []
    for chat_id, times in ((CHAT + 1, 1), (CHAT + 2, 2)):
        clock = Clock(MONDAY_10AM)
        services = Services.over(db_engine, clock=clock)
        services.plans.save_profile(chat_id, "Ruth", replace(answers, experience="regular", sessions_per_week=3,
                                                     training_days=(0, 2, 4)))
        for day in range(21):
            plan = services.plans.todays_plan(chat_id)
            if plan.buttons:
                for n in range(times):
                    services.checkins.log_checkin(chat_id, "done", 5, 1, None, f"tg-{chat_id}-{day}-{n}")
            clock.advance(days=1)
        with unit_of_work(db_engine) as s:
            ladders.append(clients.ladder_positions(s, clients.get_client(s, chat_id)))
    assert ladders[0] == ladders[1]
    assert any(rung > 0 for rung in ladders[0].values())


def test_a_strength_session_stays_strength_when_the_plan_turns_gentle_afterwards(
    services: Services, clock: Clock, peek: Peek, ruth: int
) -> None:
    assert services.plans.todays_plan(ruth).text.startswith("Strength day")
    services.checkins.log_checkin(ruth, "done", 6, 1, None, "tg-10")
    clock.advance(hours=3)
    gentle = services.safety.report_pain(ruth, 6, "knee", "my knee is a 6 now", message_id="tg-11")
    assert "Gentle day" in gentle.text
    assert peek.plan(ruth, clock.now.date())["kind"] == "gentle"

    today, history, _ = _history(services, clock, ruth)
    assert [s.kind for s in history.sessions] == ["strength"]
    assert weekly_sessions(history, today)[-1][1:] == (1, 0)  # not "balance, walks, other"
    assert services.plans.progress_chart_png(ruth) is not None
