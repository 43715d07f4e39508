"""CheckinService's promises: a session done, partly done or skipped, and the feedback and
alerts a check-in brings, through a real session database.

Every test runs on SQLite and on PostgreSQL (`db_engine`), with the clock fixed in Duluth's
summer (no icy-season rules): Monday 2 June 2025, 10:00 local.
"""

from __future__ import annotations

from bot.content.loader import messages
from bot.services import Services
from tests.services.conftest import (
    MONDAY,
    THURSDAY,
    Clock,
    Peek,
    planned_logs,
)


def test_a_done_checkin_logs_the_planned_exercises_and_celebrates_the_first_session(
    services: Services, peek: Peek, ruth: int
) -> None:
    services.plans.todays_plan(ruth)
    reply = services.checkins.log_checkin(ruth, "done", 5, 1, None)
    m = messages()
    assert reply.text == " ".join([m["checkin_done"]["first"].format(name="Ruth"), m["effort_easy"].format(rpe=5)])
    [checkin] = peek.checkins(ruth)
    assert (checkin["day"], checkin["status"], checkin["rpe"], checkin["pain"]) == (MONDAY, "done", 5, 1)
    assert checkin["planned_session_id"] is not None
    assert checkin["logs"] == planned_logs(peek.plan(ruth, MONDAY))


def test_a_checkin_without_asking_for_the_plan_logs_the_plan_it_makes(
    services: Services, peek: Peek, ruth: int
) -> None:
    services.checkins.log_checkin(ruth, "done", 6, 0, None)
    plan = peek.plan(ruth, MONDAY)
    assert plan["kind"] == "strength"
    assert peek.checkins(ruth)[0]["logs"] == planned_logs(plan)


def test_the_second_session_in_a_row_is_a_streak_and_hard_effort_or_pain_is_answered(
    services: Services, clock: Clock, ruth: int
) -> None:
    services.checkins.log_checkin(ruth, "done", 5, 1, None)
    clock.advance(days=3)  # Thursday, the next strength day
    reply = services.checkins.log_checkin(ruth, "done", 8, 3, None)
    m = messages()
    assert reply.text == " ".join([
        m["checkin_done"]["streak"].format(name="Ruth", streak=2),
        m["effort_hard"].format(rpe=8),
        m["pain_after"].format(pain=3),
    ])


def test_a_partly_done_session_is_logged_as_partial(services: Services, peek: Peek, ruth: int) -> None:
    reply = services.checkins.log_checkin(ruth, "partial", None, None, None)
    assert reply.text == messages()["checkin_partial"]
    assert peek.checkins(ruth)[0]["status"] == "partial"


def test_a_skip_stores_the_reason_without_exercises_and_breaks_the_streak(
    services: Services, clock: Clock, peek: Peek, ruth: int
) -> None:
    services.checkins.log_checkin(ruth, "done", 5, 1, None)
    clock.advance(days=3)
    reply = services.checkins.log_skip(ruth, "My grandson was visiting")
    assert reply.text == messages()["skip_ack"].format(reason="My grandson was visiting")
    skipped = peek.checkins(ruth)[-1]
    assert (skipped["day"], skipped["status"], skipped["skip_reason"], skipped["logs"]) == (
        THURSDAY, "skipped", "My grandson was visiting", []
    )
    assert "• Streak: 0 in a row" in services.plans.progress(ruth).text


def test_red_pain_at_two_checkins_in_a_week_alerts_the_clinic(
    services: Services, clock: Clock, peek: Peek, ruth: int
) -> None:
    services.checkins.log_checkin(ruth, "done", 5, 6, None)
    assert peek.alerts(ruth) == []
    clock.advance(days=3)
    reply = services.checkins.log_checkin(ruth, "done", 5, 6, None)
    assert messages()["pain_repeat_alert"] in reply.text
    assert peek.alerts(ruth) == [("pain_high", "two red-zone pain reports in a week")]
    assert [s[:2] for s in peek.symptoms(ruth)] == [("pain", 6), ("pain", 6)]


def test_very_high_pain_at_a_checkin_alerts_the_clinic(services: Services, peek: Peek, ruth: int) -> None:
    services.checkins.log_checkin(ruth, "done", 5, 9, None)
    assert peek.alerts(ruth) == [("pain_high", "pain 9/10")]
