"""PlanService's promises: the profile, today's plan (made once a day, for the client's own
day), progress and the reasons behind a plan, through a real session database.

Every test runs on SQLite and on PostgreSQL (`db_engine`), with the clock fixed in Duluth's
summer (no icy-season rules): Monday 2 June 2025, 10:00 local.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from bot.content.loader import messages
from bot.db import clients
from bot.db.engine import unit_of_work
from bot.services import Services
from bot.services.planning import plan_buttons
from bot.services.types import ProfileAnswers
from tests.services.conftest import (
    CHAT,
    MONDAY,
    STRENGTH_PATTERNS,
    TUESDAY,
    WEDNESDAY,
    Clock,
    Peek,
    patterns,
)


def test_a_saved_profile_is_read_back_to_the_client_and_completes_onboarding(
    services: Services, answers: ProfileAnswers
) -> None:
    assert not services.plans.profile_complete(CHAT)
    reply = services.plans.save_profile(CHAT, "Ruth", answers)
    assert reply.text == messages()["profile_saved"].format(
        name="Ruth", days="Monday, Thursday", per_week=2, time="07:30", equipment="band, chair"
    )
    assert reply.buttons == ()
    assert services.plans.profile_complete(CHAT)
    assert services.plans.display_name(CHAT) == "Ruth"


def test_editing_the_profile_keeps_one_client_and_the_first_consent(
    services: Services, clock: Clock, answers: ProfileAnswers
) -> None:
    services.plans.save_profile(CHAT, "Ruth", answers)
    clock.advance(days=3)
    reply = services.plans.save_profile(CHAT, None, replace(answers, training_days=(1, 4), equipment=frozenset()))
    assert "Tuesday, Friday" in reply.text and "none needed" in reply.text
    with unit_of_work(services.engine) as s:
        client = clients.get_client(s, CHAT)
        assert (client.display_name, client.state) == ("Ruth", "active")
        assert client.consent_at == datetime(2025, 6, 2, 15, 0, tzinfo=timezone.utc)
        assert client.profile.training_days == "1,4"


def test_without_a_profile_there_is_no_plan_no_checkin_and_no_progress(services: Services) -> None:
    not_onboarded = messages()["not_onboarded"]
    assert services.plans.todays_plan(CHAT).text == not_onboarded
    assert services.checkins.log_checkin(CHAT, "done", 5, 1, None).text == not_onboarded
    assert services.checkins.log_skip(CHAT, "busy").text == not_onboarded
    assert services.plans.progress(CHAT).text == not_onboarded
    assert services.plans.progress_chart_png(CHAT) is None
    assert services.plans.reminder_plan(CHAT) is None


def test_a_strength_weekday_gets_exercises_and_the_other_days_balance_or_walking(
    services: Services, clock: Clock, peek: Peek, ruth: int
) -> None:
    monday = services.plans.todays_plan(ruth)
    assert monday.text.startswith("Strength day — Monday 2 June\n1. ")
    assert monday.text.endswith(messages()["plan_footer"])
    assert monday.buttons == plan_buttons()
    plan = peek.plan(ruth, MONDAY)
    assert plan["kind"] == "strength"
    assert len(plan["exercises"]) >= 6 and patterns(plan) & STRENGTH_PATTERNS

    clock.advance(days=1)
    tuesday = services.plans.todays_plan(ruth)
    assert tuesday.text.startswith("Balance day — Tuesday 3 June\n1. ")
    assert tuesday.buttons == plan_buttons()
    plan = peek.plan(ruth, TUESDAY)
    assert plan["kind"] == "balance" and plan["exercises"]
    assert not patterns(plan) & STRENGTH_PATTERNS

    clock.advance(days=1)
    assert services.plans.todays_plan(ruth).text.startswith("Walking day — Wednesday 4 June\n1. ")
    plan = peek.plan(ruth, WEDNESDAY)
    assert plan["kind"] == "walk" and "walk" in patterns(plan)
    assert not patterns(plan) & STRENGTH_PATTERNS


def test_the_plan_is_for_the_clients_local_day_not_the_utc_one(
    services: Services, clock: Clock, peek: Peek, ruth: int
) -> None:
    clock.now = datetime(2025, 6, 3, 3, 30, tzinfo=timezone.utc)  # Monday 22:30 in Duluth
    assert services.plans.todays_plan(ruth).text.startswith("Strength day — Monday 2 June")
    services.checkins.log_checkin(ruth, "done", 5, 1, None)
    assert [c["day"] for c in peek.checkins(ruth)] == [MONDAY]
    assert peek.plan(ruth, TUESDAY) is None


def test_the_plan_is_made_once_a_day_and_the_same_plan_is_shown_again(
    services: Services, clock: Clock, peek: Peek, ruth: int
) -> None:
    first = services.plans.todays_plan(ruth)
    made_at, ladders = peek.plan_created_at(ruth, MONDAY), peek.ladders(ruth)
    clock.advance(hours=6)
    assert services.plans.todays_plan(ruth) == first
    assert peek.plan_created_at(ruth, MONDAY) == made_at
    assert peek.ladders(ruth) == ladders
    reminder = services.plans.reminder_plan(ruth)
    assert (reminder.kind, [e.name for e in reminder.exercises]) == (
        "strength", [e["name"] for e in peek.plan(ruth, MONDAY)["exercises"]]
    )


def test_three_weeks_of_comfortable_sessions_climb_the_ladders(
    services: Services, clock: Clock, peek: Peek, answers: ProfileAnswers
) -> None:
    services.plans.save_profile(CHAT, "Ruth", replace(answers, experience="regular", sessions_per_week=3,
                                              training_days=(0, 2, 4)))
    assert services.plans.progress(CHAT).text == messages()["progress_none"]
    assert services.plans.progress_chart_png(CHAT) is None
    strength_days = []
    for _ in range(21):
        services.plans.todays_plan(CHAT)
        if peek.plan(CHAT, clock.now.date())["kind"] == "strength":
            services.checkins.log_checkin(CHAT, "done", 5, 1, None)
            strength_days.append(clock.now.date())
        clock.advance(days=1)
    assert [d.weekday() for d in strength_days] == [0, 2, 4] * 3

    lines = services.plans.progress(CHAT).text.splitlines()
    assert lines[0] == "Your progress, Ruth:"
    assert "• Sessions in the last 4 weeks: 9" in lines
    assert "• Streak: 9 in a row" in lines
    climbed = int(next(line for line in lines if "Ladder steps climbed" in line).rsplit(" ", 1)[1])
    assert climbed > 0

    # The climb is real: logged rungs went up, one step at a time, and the stored ladders agree.
    rungs: dict[str, list[int]] = {}
    for checkin in peek.checkins(CHAT):
        for log in checkin["logs"]:
            rungs.setdefault(log["pattern"], []).append(log["rung"])
    assert all(b - a in (0, 1) for seq in rungs.values() for a, b in zip(seq, seq[1:], strict=False))
    ladders = peek.ladders(CHAT)
    assert sum(max(0, ladders[p] - seq[0]) for p, seq in rungs.items()) == climbed
    assert any(seq[-1] > seq[0] for seq in rungs.values())

    png = services.plans.progress_chart_png(CHAT)
    assert png is not None and png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000


def test_why_lists_every_reason_of_todays_plan_with_its_source(services: Services, ruth: int) -> None:
    """The plan message shows the first reasons and promises all of them on "why"."""
    services.safety.report_pain(ruth, 6, "knee", "my knee hurts, a 6")
    shown = services.plans.todays_plan(ruth).text.split(messages()["plan"]["why"])[1]
    shown_reasons = [line for line in shown.splitlines()
                     if line.startswith("- ") and line != messages()["plan"]["more"]]
    header, *why = services.plans.explain_today(ruth).text.splitlines()
    assert header == messages()["plan"]["why"]
    assert all(line.startswith("- ") and line.endswith(")") for line in why)  # each cites its source
    assert [line.rsplit(" (", 1)[0] for line in why[: len(shown_reasons)]] == shown_reasons
    assert any("knee" in line for line in why)
    assert services.plans.explain_today(ruth) == services.plans.explain_today(ruth)  # the stored plan, not a new one


def test_why_without_a_profile_offers_onboarding(services: Services) -> None:
    assert services.plans.explain_today(CHAT).text == messages()["not_onboarded"]
